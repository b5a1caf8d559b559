"""Reporting seasons: open one, who is due, filing a work summary, submitting, the town's first review,
the city's override, reopening after the deadline. Flush, never commit.
"""

from __future__ import annotations

import hashlib
import posixpath
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import insert, select

from assessment import CATEGORIES
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import Filing, Institution, ReportingSeason, SelfReport, Status, WorkSummary
from registry.models.base import utcnow
from registry.models.seasons import ACCEPTED, DRAFT, NOT_STARTED, RETURNED, SUBMITTED

N_ = str  # marks msgids for extraction; translated when shown
#: statuses that are due to file: recognised ones and applicants (rectifying ones report too)
DUE_STATUSES = (Status.APPLICANT, Status.RECOGNISED, Status.RECTIFYING)
SUMMARY_MAX_BYTES = 50 * 1024 * 1024
SUMMARY_KINDS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "pdf": "application/pdf"}


def today() -> date:
    """The bureau's today (FUHUA_TODAY pins it, for demonstrations and tests of deadlines)."""
    pinned = current_app.config.get("TODAY")
    return date.fromisoformat(str(pinned)) if pinned else date.today()


def season_for(year: int) -> ReportingSeason | None:
    return db.session.scalar(select(ReportingSeason).where(ReportingSeason.year == year))


def open_season(year: int, categories: list[str], opens_on: date, deadline: date, instructions: str = "", *,
                opened_by: Any = None) -> ReportingSeason:
    """Open the season and give every institution due a filing (not started, or draft if it has figures)."""
    if season_for(year) is not None:
        raise RegistryError("year", N_("A reporting season for %(value)s is already open."), year)
    unknown = [c for c in categories if c not in CATEGORIES]
    if not categories or unknown:
        raise RegistryError("categories", N_("Choose at least one category."), ", ".join(unknown))
    if deadline < opens_on:
        raise RegistryError("deadline", N_("The deadline (%(value)s) is before the opening date."), deadline.isoformat())
    season = ReportingSeason(year=year, categories=list(categories), opens_on=opens_on, deadline=deadline,
                             instructions=(instructions or "").strip(), opened_by_id=getattr(opened_by, "id", None))
    db.session.add(season)
    db.session.flush()
    add_due_filings(season)
    return season


def due_institutions(season: ReportingSeason) -> Any:
    return select(Institution.id).where(Institution.category.in_(season.categories),
                                        Institution.status.in_(DUE_STATUSES))


def add_due_filings(season: ReportingSeason) -> int:
    """Filings for institutions due that have none yet (bulk insert: a national season is 15,000 rows)."""
    have = select(Filing.institution_id).where(Filing.season_id == season.id)
    ids = list(db.session.scalars(due_institutions(season).where(Institution.id.not_in(have)).order_by(Institution.id)))
    with_figures = set(db.session.scalars(select(SelfReport.institution_id).where(
        SelfReport.year == season.year, SelfReport.is_current.is_(True))))
    now = utcnow()
    rows = [{"season_id": season.id, "institution_id": i, "state": DRAFT if i in with_figures else NOT_STARTED,
             "is_late": False, "updated_at": now} for i in ids]
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(Filing), rows[start:start + 1000])
    return len(rows)


def filing_for(institution_id: int, year: int) -> Filing | None:
    return db.session.scalar(select(Filing).join(ReportingSeason).where(
        ReportingSeason.year == year, Filing.institution_id == institution_id))


def is_locked(filing: Filing | None, season: ReportingSeason | None, on: date | None = None) -> bool:
    """After the deadline a season's year is closed to uploads, unless reopened for this institution."""
    if season is None:
        return False
    on = on or today()
    if on <= season.deadline:
        return False
    return not (filing is not None and filing.reopened_until is not None and on <= filing.reopened_until)


def check_may_file(institution: Institution, year: int) -> None:
    """RegistryError when uploads for the year are locked for this institution (deadline passed)."""
    season = season_for(year)
    if season is None:
        return
    filing = filing_for(institution.id, year)
    if is_locked(filing, season):
        raise RegistryError("year", N_("The deadline for %(value)s was %(deadline)s: filing is closed. "
                                       "Ask the bureau to reopen it for your institution."),
                            year, deadline=season.deadline.isoformat())
    if filing is not None and filing.state in (SUBMITTED, ACCEPTED):
        raise RegistryError("year", N_("The filing for %(value)s has been submitted; it can be changed only if "
                                       "the town returns it."), year)


def note_draft(institution: Institution, year: int) -> None:
    """A self-report or summary was stored: a filing not started becomes a draft."""
    filing = filing_for(institution.id, year)
    if filing is not None and filing.state == NOT_STARTED:
        filing.state = DRAFT
        db.session.flush()


def detect_summary_kind(data: bytes) -> str | None:
    """"pdf" or "docx" from the content (a .docx is a ZIP with word/document.xml), never the extension."""
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            return None
    return None


def store_work_summary(institution: Institution, year: int, data: bytes, filename: str, *,
                       uploaded_by: Any = None) -> WorkSummary:
    check_may_file(institution, year)
    name = posixpath.basename((filename or "summary").replace("\\", "/"))[:255]
    if len(data) > SUMMARY_MAX_BYTES:
        raise RegistryError("file", N_("%(value)s is larger than 50 MB."), name)
    if not data:
        raise RegistryError("file", N_("%(value)s is empty."), name)
    kind = detect_summary_kind(data)
    if kind is None:
        raise RegistryError("file", N_("%(value)s is not a Word (.docx) or PDF file: the annual work summary must be "
                                       "one of these."), name)
    summary = WorkSummary(institution_id=institution.id, year=year, filename=name, kind=kind, size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), content=data,
                          uploaded_by_id=getattr(uploaded_by, "id", None))
    db.session.add(summary)
    db.session.flush()
    note_draft(institution, year)
    return summary


def latest_summary(institution_id: int, year: int) -> WorkSummary | None:
    return db.session.scalar(select(WorkSummary).where(WorkSummary.institution_id == institution_id,
                                                       WorkSummary.year == year).order_by(WorkSummary.id.desc()).limit(1))


def submit_filing(filing: Filing, *, by: Any = None) -> Filing:
    """Submit the current self-report and the latest work summary; late when after the deadline."""
    season = filing.season
    if filing.state in (SUBMITTED, ACCEPTED):
        raise RegistryError(None, N_("This filing has already been submitted."))
    if is_locked(filing, season):
        raise RegistryError(None, N_("The deadline for %(value)s was %(deadline)s: filing is closed. "
                                     "Ask the bureau to reopen it for your institution."),
                            season.year, deadline=season.deadline.isoformat())
    report = db.session.scalar(select(SelfReport).where(SelfReport.institution_id == filing.institution_id,
                                                        SelfReport.year == season.year, SelfReport.is_current.is_(True)))
    summary = latest_summary(filing.institution_id, season.year)
    if report is None:
        raise RegistryError(None, N_("Upload and confirm the self-report workbook for %(value)s first."), season.year)
    if summary is None:
        raise RegistryError(None, N_("Upload the annual work summary (.docx or .pdf) for %(value)s first."), season.year)
    filing.self_report_id, filing.work_summary_id = report.id, summary.id
    filing.submitted_at = utcnow()
    filing.is_late = today() > season.deadline
    filing.state = SUBMITTED
    filing.town_decision = filing.town_comment = None
    filing.town_decided_at = filing.town_decided_by_id = None
    filing.city_decision = filing.city_comment = None
    filing.city_decided_at = filing.city_decided_by_id = None
    db.session.flush()
    return filing


def town_decide(filing: Filing, decision: str, comment: str, *, by: Any) -> Filing:
    """The town office's first review: accept, or return with a comment (the institution may file again)."""
    if decision not in (ACCEPTED, RETURNED):
        raise RegistryError("decision", N_("Choose accept or return."))
    if filing.state != SUBMITTED:
        raise RegistryError(None, N_("Only a submitted filing can be accepted or returned."))
    comment = (comment or "").strip()
    if decision == RETURNED and not comment:
        raise RegistryError("comment", N_("Say why the filing is returned: the institution reads this comment."))
    filing.town_decision, filing.town_comment = decision, comment or None
    filing.town_decided_by_id, filing.town_decided_at = by.id, utcnow()
    filing.state = decision
    db.session.flush()
    return filing


def city_override(filing: Filing, decision: str, comment: str, *, by: Any) -> Filing:
    """The city's decision replaces the town's (recorded beside it, which stays visible)."""
    if decision not in (ACCEPTED, RETURNED):
        raise RegistryError("decision", N_("Choose accept or return."))
    if filing.state not in (SUBMITTED, ACCEPTED, RETURNED) or filing.submitted_at is None:
        raise RegistryError(None, N_("Only a submitted filing can be accepted or returned."))
    comment = (comment or "").strip()
    if not comment:
        raise RegistryError("comment", N_("Give a reason for the city's decision."))
    filing.city_decision, filing.city_comment = decision, comment
    filing.city_decided_by_id, filing.city_decided_at = by.id, utcnow()
    filing.state = decision
    db.session.flush()
    return filing


def reopen(filing: Filing, until: date, reason: str, *, by: Any) -> Filing:
    """Let one institution file after the deadline, until `until` (audited with the reason)."""
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError("reason", N_("Give a reason for reopening."))
    if until < today():
        raise RegistryError("until", N_("Reopen until a date from today on."), until.isoformat())
    filing.reopened_until, filing.reopen_reason = until, reason
    if filing.state == ACCEPTED:
        raise RegistryError(None, N_("An accepted filing cannot be reopened."))
    db.session.flush()
    return filing


def display_state(state: str, is_late: bool) -> str:
    """The tracker's state: a late submission shows as late until the town decides."""
    if state == SUBMITTED and is_late:
        return "late"
    return state


def now_naive() -> datetime:
    return utcnow().replace(tzinfo=None)
