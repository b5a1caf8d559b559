"""Writes for self-reports: keep the upload, check it, and store a clean report as a new version.

Each function validates and flushes; the view or CLI command commits once. Nothing becomes a
report until `accept_self_report`, which writes the new version, its values and tables, its
tenant index rows and the upload's outcome in the caller's single transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc as uscc_mod

import assessment
import importers
from importers import N_
from importers.issues import sort_issues
from importers.report import CellValue, jsonable
from importers.self_report import CODE_COL, VALUE_COL, read_identity
from importers.spec import KV_SHEET
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import Institution, ReportedTenant, Role, SelfReport, Upload
from registry.reports import issues as reg_issues
from registry.reports import queries


# --- which template ---------------------------------------------------------------------------

def spec_for(institution: Institution, year: int) -> importers.TemplateSpec:
    """The template spec of the system in force for the institution's category in `year`.

    RegistryError("year") when there is none (a year before the first system, or a subclass missing).
    """
    category, subclass = institution.category.value, queries.subclass_code(institution)
    try:
        return importers.load_spec(category, year, subclass)
    except (assessment.SystemNotFoundError, ValueError):
        raise RegistryError("year", N_("No assessment system is in force for %(what)s in %(value)s."), year,
                            what=queries.category_title(category, subclass)) from None


def prefill_for(institution: Institution, spec: importers.TemplateSpec) -> dict[str, object]:
    """Header cells the registry already knows: name, credit code, legal form, town, recognition."""
    values: dict[str, object] = {
        "org_name": institution.name, "uscc": institution.uscc, "legal_form": institution.legal_form.value,
        "town_or_park": institution.town.code if institution.town else None,
        "established_on": institution.established_on, "operating_since": institution.operating_since,
        "report_year": spec.year,
    }
    year_end = dt.date(spec.year, 12, 31)
    in_force = [r for r in institution.recognitions if r.in_force_on(year_end)]
    if in_force:
        top = max(in_force, key=lambda r: (r.level.rank, r.effective_from))
        values.update(recognition_year=top.effective_from.year, recognition_doc_no=top.doc_no)
    sub = queries.subclass_code(institution)
    for code in ("incubator_type", "rd_class"):
        if sub:
            values[code] = sub
    codes = spec.by_code()
    return {k: v for k, v in values.items() if k in codes and v is not None}


def build_template_for(institution: Institution | None, year: int, *, category: str | None = None,
                       subclass: str | None = None) -> tuple[bytes, str]:
    """The template bytes and a download name; for an institution, header pre-filled and last year beside."""
    if institution is not None:
        spec = spec_for(institution, year)
        last = queries.typed_last_year(spec, queries.last_year_values(institution.id, year))
        data = importers.build_template(spec, prefill=prefill_for(institution, spec), last_year=last)
        return data, f"{year}年度自评报表_{institution.name}_{institution.uscc}.xlsx"
    assert category is not None
    try:
        spec = importers.load_spec(category, year, subclass)
    except (assessment.SystemNotFoundError, ValueError) as exc:
        raise RegistryError("year", N_("No assessment system is in force for %(what)s in %(value)s."), year,
                            what=queries.category_title(category, subclass), detail=str(exc)) from None
    return importers.build_template(spec), f"{year}年度自评报表_{queries.category_title(category, subclass)}.xlsx"


# --- keeping the upload -----------------------------------------------------------------------

def store_upload(data: bytes, filename: str, *, institution: Institution | None, uploaded_by: Any = None,
                 year: int | None = None, parsed: importers.Workbook | importers.ImportReport | None = None,
                 ) -> tuple[Upload, importers.Workbook | importers.ImportReport]:
    """Keep the original bytes (and sha256) as a pending Upload; also return the workbook as read."""
    if parsed is None:
        parsed = importers.read_workbook(data, filename)
    upload = Upload(filename=(filename or "upload")[:255], size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                    content=data, kind=parsed.format if isinstance(parsed, importers.Workbook) else None,
                    uploaded_by_id=getattr(uploaded_by, "id", None),
                    institution_id=institution.id if institution is not None else None, outcome="pending",
                    report={"year": year} if year is not None else None)
    db.session.add(upload)
    db.session.flush()
    return upload, parsed


# --- checking ---------------------------------------------------------------------------------

def check_report(parsed: importers.Workbook | importers.ImportReport, institution: Institution, year: int,
                 spec: importers.TemplateSpec) -> importers.ImportReport:
    """Parse against the institution's spec for the year, then check the file is this institution's."""
    previous = queries.last_year_values(institution.id, year)
    report = importers.parse_self_report(parsed, spec, previous=previous or None)
    uscc = report.values.get("uscc")
    if uscc is not None and isinstance(uscc.value, str) and uscc.value != institution.uscc:
        report.issues.append(importers.Issue(
            reg_issues.WRONG_INSTITUTION, sheet=uscc.sheet, cell=uscc.cell, field="uscc", label="统一社会信用代码",
            value=uscc.value, params={"institution": institution.name, "expected": institution.uscc}))
        report.issues = sort_issues(report.issues)
    return report


def check_upload(upload: Upload, institution: Institution, year: int) -> importers.ImportReport:
    """Re-read the stored bytes (never client state) and check them."""
    spec = spec_for(institution, year)
    return check_report(importers.read_workbook(upload.content, upload.filename), institution, year, spec)


def record_outcome(upload: Upload, report: importers.ImportReport, year: int) -> None:
    """Keep the issues (and the parsed values) on the upload for audit; errors mark it rejected."""
    upload.report = {"year": year, **report.to_dict()}
    if not report.valid:
        upload.outcome = "rejected"
    db.session.flush()


# --- accepting --------------------------------------------------------------------------------

def stored_text(value: object) -> str | None:
    """Canonical text of a normalised value: Decimals as written, dates ISO, booleans true/false, choices a,b."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list, set, frozenset)):
        return ",".join(str(v) for v in value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(jsonable(value))


def stored_cell(cell: CellValue) -> dict[str, str | None]:
    return {"value": stored_text(cell.value), "raw": cell.raw, "cell": f"{cell.sheet}!{cell.cell}"}


def _tenant_rows(report_row: SelfReport, tables: Mapping[str, Any]) -> list[ReportedTenant]:
    seen: set[str] = set()
    rows = []
    for code, name, cell in queries.tenant_codes(tables):
        if code in seen:  # the reader already refuses duplicate keys; unkeyed tables may repeat
            continue
        seen.add(code)
        rows.append(ReportedTenant(self_report_id=report_row.id, institution_id=report_row.institution_id,
                                   year=report_row.year, uscc=code, name=(name or "")[:200] or None, cell=cell))
    return rows


class NotAcceptable(RegistryError):
    """The upload cannot be confirmed (already accepted or rejected, another institution's, another year's)."""


def accept_self_report(upload: Upload, institution: Institution, year: int, *, submitted_by: Any = None,
                       report: importers.ImportReport | None = None, source: str = "upload",
                       spec: importers.TemplateSpec | None = None) -> tuple[importers.ImportReport, SelfReport | None]:
    """Store a clean report as the new current version; an unclean one only marks the upload rejected.

    The report is re-parsed from the upload's stored bytes unless the caller (the CLI, which just
    parsed those very bytes) passes it. All writes go into the caller's transaction.

    The upload's row is locked first (SELECT ... FOR UPDATE on PostgreSQL) and its outcome re-read,
    so of two simultaneous confirms the second waits, then finds it accepted; the unique upload id
    on self_reports is the backstop where rows cannot be locked.
    """
    db.session.refresh(upload, attribute_names=["outcome", "institution_id"], with_for_update=True)
    if upload.institution_id != institution.id:
        raise NotAcceptable("upload", N_("This upload was made for another institution."))
    if upload.outcome == "accepted":
        raise NotAcceptable("upload", N_("This upload has already been submitted."))
    if upload.outcome != "pending":
        raise NotAcceptable("upload", N_("This upload had errors and cannot be submitted; upload a corrected file."))
    if queries.upload_year(upload) not in (None, year):
        raise NotAcceptable("year", N_("This upload was made for %(value)s."), queries.upload_year(upload))
    spec = spec or spec_for(institution, year)
    if report is None:
        report = check_report(importers.read_workbook(upload.content, upload.filename), institution, year, spec)
    record_outcome(upload, report, year)
    if not report.valid:
        return report, None
    previous = queries.current_report(institution.id, year)
    if previous is not None:
        previous.is_current = False
        db.session.flush()
    tables = {code: [{c: stored_cell(v) for c, v in row.items()} for row in table]
              for code, table in report.tables.items()}
    new = SelfReport(
        institution_id=institution.id, year=year, version=queries.next_version(institution.id, year), is_current=True,
        source=source, upload_id=upload.id, supersedes_id=previous.id if previous is not None else None,
        system_version=_int(spec.system_version), template_version=report.identity.template_version,
        values={code: stored_cell(v) for code, v in report.values.items()}, tables=tables,
        submitted_by_id=getattr(submitted_by, "id", None))
    db.session.add(new)
    db.session.flush()
    db.session.add_all(_tenant_rows(new, tables))
    upload.outcome = "accepted"
    db.session.flush()
    return report, new


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


# --- who may file -----------------------------------------------------------------------------

def may_upload(user: Any, institution: Institution) -> bool:
    """Bureau staff for any institution; an institution account for its own only."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.INSTITUTION and user.institution_id == institution.id


def sees_other_carriers(user: Any) -> bool:
    """Reviewers and staff see which other carrier claims a tenant; a filer only that someone does."""
    return getattr(user, "role", None) in (Role.ADMIN, Role.REVIEWER)


def _seen_by(claims: dict[str, list[queries.Claim]], viewer: Any) -> dict[str, list[queries.Claim]]:
    """Each code's claims by carriers `viewer` may see (registry.access); None (the command line) sees all.

    A code whose claimants are all hidden keeps an empty list: that someone claims it is still said.
    """
    if viewer is None:
        return claims
    from registry.access import visible_among

    seen = visible_among({c.institution_id for cs in claims.values() for c in cs}, viewer)
    return {code: [c for c in cs if c.institution_id in seen] for code, cs in claims.items()}


def duplicate_issues(report: importers.ImportReport, institution: Institution, year: int, *,
                     named: bool, viewer: Any = None) -> list[importers.Issue]:
    """Warnings for tenant credit codes another carrier claims for the year (named only for staff,
    and only carriers the viewer may see)."""
    table = report.tables.get(queries.TENANTS_TABLE)
    if table is None or "uscc" not in table.values:
        return []
    located = {code: f"{table.letters['uscc']}{row}" for code, row in zip(table.values["uscc"], table.row_numbers)
               if isinstance(code, str)}
    claims = _seen_by(queries.tenant_claims(year, located, institution_id=institution.id), viewer)
    out = []
    for code, cell in located.items():
        if code not in claims:
            continue
        params: dict[str, object] = {"year": year}
        if named and claims[code]:
            params["others"] = "、".join(f"“{c.institution_name}”" for c in claims[code])
        out.append(importers.Issue(reg_issues.DUPLICATE_TENANT_NAMED if "others" in params else reg_issues.DUPLICATE_TENANT,
                                   sheet=table.sheet, cell=cell, field="uscc", label="统一社会信用代码", value=code,
                                   params=params, severity="warning"))
    return out


def stored_duplicates(report_row: SelfReport, viewer: Any = None) -> list[tuple[str, str | None, str | None, list[queries.Claim]]]:
    """(code, firm name, cell, other carriers the viewer may see) for a stored report's tenants claimed elsewhere."""
    rows = queries.tenant_codes(report_row.tables or {})
    claims = _seen_by(queries.tenant_claims(report_row.year, [r[0] for r in rows],
                                            institution_id=report_row.institution_id), viewer)
    return [(code, name, cell, claims[code]) for code, name, cell in rows if code in claims]


# --- the CLI's file-by-file import ------------------------------------------------------------

@dataclass
class FileResult:
    """What happened to one file: the report (issues) and, when stored, the new version."""

    filename: str
    report: importers.ImportReport
    institution: Institution | None = None
    year: int | None = None
    self_report: SelfReport | None = None
    extra: list[importers.Issue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.report.valid


def file_credit_code(workbook: importers.Workbook) -> str | None:
    """The credit code typed in the template's header row (column D of the row coded "uscc")."""
    sheet = workbook.sheet(KV_SHEET)
    if sheet is None:
        return None
    for r, row in enumerate(sheet.rows):
        if row and isinstance(row[CODE_COL], str) and row[CODE_COL].strip() == "uscc":
            raw = sheet.get(r, VALUE_COL)
            try:
                return uscc_mod.validate(str(raw).strip())
            except stdnum_errors.ValidationError:
                return None
    return None


def _file_year(workbook: importers.Workbook) -> int | None:
    meta = read_identity(workbook) or {}
    try:
        return int(meta.get("year", ""))
    except ValueError:
        return None


def _refused(filename: str, sha256: str, issue: importers.Issue) -> importers.ImportReport:
    return importers.ImportReport(filename=filename, sha256=sha256, issues=[issue])


def import_file(data: bytes, filename: str, *, year: int | None = None, dry_run: bool = False,
                user: Any = None) -> FileResult:
    """Check one file for the institution named by its credit code; store it when clean (unless dry_run).

    Flushes only; the caller commits the file's writes (or rolls them back) as one transaction.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    parsed = importers.read_workbook(data, filename)
    if isinstance(parsed, importers.ImportReport):
        return FileResult(filename, parsed)
    code = file_credit_code(parsed)
    if code is None:
        return FileResult(filename, _refused(filename, sha256, importers.Issue(
            reg_issues.NO_CREDIT_CODE, sheet=KV_SHEET)))
    institution = db.session.scalar(select(Institution).where(Institution.uscc == code))
    if institution is None:
        return FileResult(filename, _refused(filename, sha256, importers.Issue(
            reg_issues.UNKNOWN_INSTITUTION, value=code)))
    if user is not None and not may_upload(user, institution):
        return FileResult(filename, _refused(filename, sha256, importers.Issue(
            reg_issues.NOT_YOUR_INSTITUTION, value=code)), institution)
    year = year or _file_year(parsed)
    if year is None:
        return FileResult(filename, _refused(filename, sha256, importers.Issue(reg_issues.UNKNOWN_YEAR)), institution)
    try:
        spec = spec_for(institution, year)
    except RegistryError:
        return FileResult(filename, _refused(filename, sha256, importers.Issue(
            reg_issues.NO_SYSTEM, params={"what": queries.category_title(institution.category.value,
                                                                          queries.subclass_code(institution)),
                                          "year": year})), institution, year)
    report = check_report(parsed, institution, year, spec)
    result = FileResult(filename, report, institution, year)
    result.extra = duplicate_issues(report, institution, year, named=True) if report.valid else []
    if report.valid and not dry_run:
        upload, _ = store_upload(data, filename, institution=institution, uploaded_by=user, year=year,
                                 parsed=parsed)
        _, result.self_report = accept_self_report(upload, institution, year, submitted_by=user, report=report,
                                                   source="cli", spec=spec)
    return result
