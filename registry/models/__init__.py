"""Every model module, imported so Alembic autogenerate and create_all see them."""

from registry.models.api_tokens import ApiToken
from registry.models.assessments import AssessmentResult, AssessmentRun, RunRuleFile, RunVoid, StoredRuleFile
from registry.models.audit import AuditEntry, LoginFailure
from registry.models.base import Base
from registry.models.enums import (
    CarrierType,
    EndReason,
    GraduationCriterion,
    LegalForm,
    Level,
    Role,
    Status,
    Subclass,
    TenancyExit,
)
from registry.models.jobs import Job
from registry.models.seasons import Filing, Jurisdiction, Notification, ReportingSeason, WorkSummary
from registry.models.institutions import Institution, Recognition, StatusChange
from registry.models.reference import Town, Zone
from registry.models.reports import ReportedTenant, SelfReport, Upload
from registry.models.reviews import ConflictOfInterest, ReviewAssignment, ReviewDecision, ReviewRound
from registry.models.tenants import Firm, Tenancy, TenancyDayCount
from registry.models.users import User

__all__ = [
    "ApiToken", "AssessmentResult", "AssessmentRun", "AuditEntry", "Base", "CarrierType", "ConflictOfInterest", "EndReason", "Firm",
    "Filing", "GraduationCriterion", "Institution", "Job", "Jurisdiction", "Notification", "ReportingSeason", "WorkSummary",
    "LegalForm", "Level", "LoginFailure", "Recognition", "ReportedTenant",
    "ReviewAssignment", "ReviewDecision", "ReviewRound", "Role", "SelfReport", "Status", "StatusChange",
    "Subclass", "Tenancy", "TenancyDayCount", "RunRuleFile", "RunVoid", "StoredRuleFile", "TenancyExit", "Town", "Upload", "User", "Zone",
]
