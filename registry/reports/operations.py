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


def tenant_rows_for(institution: Institution, spec: importers.TemplateSpec) -> dict[str, list[dict[str, object]]]:
    """The tenants table as the registry knows it: every firm hosted during the year, with last year's
    reported figures beside the registry's name, code and dates, so the clerk corrects and adds."""
    from registry.models import Firm, Tenancy

    table = next((t for t in spec.tables if t.code == "tenants" and t.key == "uscc"), None)
    if table is None:
        return {}
    start, end = dt.date(spec.year, 1, 1), dt.date(spec.year, 12, 31)
    hosted = db.session.execute(
        select(Firm.name, Firm.uscc, Firm.established_on, Tenancy.entered_on)
        .join(Tenancy, Tenancy.firm_id == Firm.id)
        .where(Tenancy.carrier_id == institution.id, Tenancy.entered_on <= end,
               (Tenancy.exited_on.is_(None)) | (Tenancy.exited_on >= start))
        .order_by(Tenancy.entered_on, Firm.name)).all()
    last = queries.last_year_rows(institution.id, spec.year, table.code)
    columns = {c.code: c for c in table.columns}
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for name, uscc, established_on, entered_on in hosted:
        if uscc in seen:
            continue
        seen.add(uscc)
        row = {code: queries.typed_value(columns[code], text) for code, text in last.get(uscc, {}).items()
               if code in columns}
        row.update({k: v for k, v in {"name": name, "uscc": uscc, "established_on": established_on,
                                       "entered_on": entered_on}.items() if k in columns and v is not None})
        rows.append(row)
    return {table.code: rows[:table.max_rows]}


def build_template_for(institution: Institution | None, year: int, *, category: str | None = None,
                       subclass: str | None = None) -> tuple[bytes, str]:
    """The template bytes and a download name; for an institution, header pre-filled and last year beside."""
    if institution is not None:
        spec = spec_for(institution, year)
        last = queries.typed_last_year(spec, queries.last_year_values(institution.id, year))
        data = importers.build_template(spec, prefill=prefill_for(institution, spec), last_year=last,
                                        rows=tenant_rows_for(institution, spec))
        return data, f"{year}年度自评报表_{institution.name}_{institution.uscc}.xlsx"
    assert category is not None
    try:
        spec = importers.load_spec(category, year, subclass)
    except (assessment.SystemNotFoundError, ValueError) as exc:
        raise RegistryError("year", N_("No assessment system is in force for %(what)s in %(value)s."), year,
                            what=queries.category_title(category, subclass), detail=str(exc)) from None
    return importers.build_template(spec), f"{year}年度自评报表_{queries.category_title(category, subclass)}.xlsx"


# --- keeping the upload -----------------------------------------------------------------------

#: What read_workbook says about bytes that are no spreadsheet at all: such bytes are never kept.
NOT_SPREADSHEETS = frozenset({"not-a-spreadsheet", "empty-file"})


def read_upload(data: bytes, filename: str, spec: importers.TemplateSpec | None
                ) -> importers.Workbook | importers.ImportReport:
    """Read an upload within the template's cell budget (only its sheets); any workbook without a spec."""
    return importers.read_workbook(data, filename, budget=importers.template_budget(spec) if spec else None)


def store_upload(data: bytes, filename: str, *, institution: Institution | None, uploaded_by: Any = None,
                 year: int | None = None, parsed: importers.Workbook | importers.ImportReport | None = None,
                 spec: importers.TemplateSpec | None = None, report: importers.ImportReport | None = None,
                 ) -> tuple[Upload, importers.Workbook | importers.ImportReport]:
    """Keep the upload as pending, with its original bytes when they are a spreadsheet; also return it as read.

    A file that is not a spreadsheet (an executable renamed .xlsx, an empty file) is recorded
    (name, size, sha256, who) but its bytes are not kept, so nothing can ever serve them back.
    With the check's `report` (and `year`), the outcome is written with the row itself: one
    INSERT, rather than an UPDATE that makes SQLite rewrite a multi-megabyte row.
    """
    if parsed is None:
        parsed = read_upload(data, filename, spec)
    spreadsheet = not (isinstance(parsed, importers.ImportReport)
                       and any(i.code in NOT_SPREADSHEETS for i in parsed.issues))
    upload = Upload(filename=(filename or "upload")[:255], size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                    content=data if spreadsheet else None,
                    kind=parsed.format if isinstance(parsed, importers.Workbook) else None,
                    uploaded_by_id=getattr(uploaded_by, "id", None),
                    institution_id=institution.id if institution is not None else None, outcome="pending",
                    report={"year": year} if year is not None else None)
    if report is not None and year is not None:
        _set_outcome(upload, report, year)
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
    """Re-read the stored bytes (never client state) and check them, within the template's cell budget."""
    spec = spec_for(institution, year)
    if upload.content is None:
        return importers.ImportReport(filename=upload.filename, sha256=upload.sha256, issues=[
            importers.Issue(importers.issue_type("not-a-spreadsheet"), params={"filename": upload.filename})])
    return check_report(read_upload(upload.content, upload.filename, spec), institution, year, spec)


_REGISTRY_TYPES = {t.code: t for t in reg_issues.REGISTRY_ISSUE_TYPES}


def upload_report(upload: Upload, institution: Institution, year: int) -> importers.ImportReport:
    """The report kept with the upload when it was checked: the file is parsed once, on upload.

    Previews, the highlighted workbook and the confirmation all start from it. An upload kept
    before reports were stored whole is checked once more, and its report kept.
    """
    stored = upload.report or {}
    if "issues" in stored:
        return importers.report_from_dict(stored, _REGISTRY_TYPES)
    report = check_upload(upload, institution, year)
    record_outcome(upload, report, year)
    return report


def record_outcome(upload: Upload, report: importers.ImportReport, year: int) -> None:
    """Keep the issues (and the parsed values) on the upload for audit; errors mark it rejected."""
    _set_outcome(upload, report, year)
    db.session.flush()


def _set_outcome(upload: Upload, report: importers.ImportReport, year: int) -> None:
    upload.report = {"year": year, **importers.report_to_stored(report)}
    if not report.valid:
        upload.outcome = "rejected"


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

    The report is the one kept with the upload when it was checked (never client state) unless
    the caller (the CLI, which just parsed those very bytes) passes it. All writes go into the
    caller's transaction.

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
        report = upload_report(upload, institution, year)
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


def credit_code_issue(workbook: importers.Workbook) -> importers.Issue:
    """Why the header's credit code cannot name the institution: the sheet or row is missing, the
    cell is empty, or the code is malformed (said at the cell, with what is wrong, as for tenants)."""
    from importers.cells import column_letter
    from importers.converters import Problem, normalise_uscc
    from importers.issues import MISSING_SHEET, REQUIRED

    sheet = workbook.sheet(KV_SHEET)
    if sheet is None:
        return importers.Issue(MISSING_SHEET, sheet=KV_SHEET,
                               params={"year": _file_year(workbook) or "", "sheet": KV_SHEET})
    for r, row in enumerate(sheet.rows):
        if row and isinstance(row[CODE_COL], str) and row[CODE_COL].strip() == "uscc":
            raw = sheet.get(r, VALUE_COL)
            label = str(sheet.get(r, 1) or "统一社会信用代码")
            cell = f"{column_letter(VALUE_COL)}{r + 1}"
            if raw is None or str(raw).strip() == "":
                return importers.Issue(REQUIRED, sheet=KV_SHEET, cell=cell, field="uscc", label=label)
            problem = normalise_uscc(raw)
            if isinstance(problem, Problem):
                return importers.Issue(problem.type, sheet=KV_SHEET, cell=cell, field="uscc", label=label,
                                       value=str(raw), params=dict(problem.params))
    return importers.Issue(reg_issues.NO_CREDIT_CODE, sheet=KV_SHEET)


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
        return FileResult(filename, _refused(filename, sha256, credit_code_issue(parsed)))
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
