"""Display labels for enum values and codes: English msgids, Chinese from the catalogue."""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l

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

LABELS: dict[Any, Any] = {
    CarrierType.RD_INSTITUTION: _l("New-type R&D institution"),
    CarrierType.MAKER_SPACE: _l("Maker space / pre-incubator"),
    CarrierType.INCUBATOR: _l("Incubator"),
    CarrierType.ACCELERATOR: _l("Accelerator"),
    CarrierType.INDUSTRIAL_PARK: _l("Industrial park"),
    LegalForm.ENTERPRISE: _l("Enterprise"),
    LegalForm.PUBLIC_INSTITUTION: _l("Public institution"),
    LegalForm.PRIVATE_NON_ENTERPRISE: _l("Private non-enterprise unit"),
    Level.MUNICIPAL: _l("Municipal"),
    Level.PROVINCIAL: _l("Provincial"),
    Level.NATIONAL_CANDIDATE: _l("National candidate unit"),
    Level.NATIONAL_FILED: _l("National-filed maker space"),
    Level.NATIONAL: _l("National"),
    EndReason.REVOKED: _l("Revoked"),
    EndReason.EXPIRED: _l("Expired"),
    EndReason.UPGRADED: _l("Upgraded"),
    EndReason.WITHDRAWN: _l("Withdrawn"),
    EndReason.CASCADED: _l("Ended with the higher-level status"),
    Status.APPLICANT: _l("Applicant"),
    Status.RECOGNISED: _l("Recognised"),
    Status.RECTIFYING: _l("Rectifying"),
    Status.EXITED: _l("Exited"),
    TenancyExit.GRADUATED: _l("Graduated"),
    TenancyExit.MOVED_ON: _l("Moved on along the chain"),
    TenancyExit.FAILED: _l("Failed"),
    TenancyExit.RELOCATED: _l("Relocated"),
    GraduationCriterion.HIGH_TECH: _l("Recognised high-tech enterprise"),
    GraduationCriterion.INVESTMENT: _l("Angel or venture investment over RMB 5 million"),
    GraduationCriterion.REVENUE: _l("Revenue over RMB 10 million in two consecutive years"),
    GraduationCriterion.MERGER_OR_LISTING: _l("Acquired, merged or listed"),
    Role.ADMIN: _l("Bureau administrator"),
    Role.REVIEWER: _l("Reviewer"),
    Role.INSTITUTION: _l("Institution"),
    Role.TOWN_OFFICER: _l("Town officer"),
    Subclass.COMPREHENSIVE: _l("Comprehensive"),
    Subclass.SPECIALISED: _l("Specialised"),
    Subclass.TECH_INNOVATION: _l("Technology innovation"),
    Subclass.COMMERCIALISATION: _l("Commercialisation of results"),
    Subclass.INDUSTRY_CULTIVATION: _l("Industry cultivation"),
}

#: labels of plain string codes that are not enums (grades, recommendations …)
CODE_LABELS: dict[str, Any] = {
    "A": _l("A Excellent"),
    "B": _l("B Good"),
    "C": _l("C Pass"),
    "D": _l("D Fail"),
    "recognise": _l("Recognise"),
    "do_not_recognise": _l("Do not recognise"),
    "keep": _l("Keep"),
    "upgrade": _l("Encourage upgrade"),
    "rectify": _l("Rectify within a deadline"),
    "exit": _l("Exit"),
}


def label_for(value: Any) -> str:
    """The label of an enum member, a subclass code or a grade/recommendation code; else the value."""
    if value is None:
        return "—"
    if isinstance(value, enum.Enum):
        found = LABELS.get(value)
        return str(found) if found is not None else str(value.value)
    if isinstance(value, str):
        for enum_cls in (Subclass, Level, Status, CarrierType):
            try:
                return str(LABELS[enum_cls(value)])
            except (ValueError, KeyError):
                continue
        if value in CODE_LABELS:
            return str(CODE_LABELS[value])
    return str(value)
