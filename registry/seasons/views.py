"""Reporting season pages: open a season, the tracker (scoped to the town for a town officer), a
filing with its review, the institution's summary upload and submission. Thin: access.py loads,
operations change, one commit per request."""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from assessment import CATEGORIES
from registry.access import admin_required, get_filing_or_404, get_institution_or_404, roles_required
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.inputs import db_int
from registry.labels import label_for
from registry.models import Filing, ReportingSeason, Role, SelfReport, User, WorkSummary
from registry.models.seasons import SUBMITTED
from registry.notifications import messages, notify
from registry.seasons import bp, operations, queries
from registry.seasons.forms import DecisionForm, OpenSeasonForm, ReopenForm, SubmitForm, SummaryUploadForm

PER_PAGE = 50
season_viewers = roles_required(Role.ADMIN, Role.TOWN_OFFICER)

STATE_LABELS = {"not_started": _l("Not started"), "draft": _l("Draft uploaded"), "submitted": _l("Submitted"),
                "returned": _l("Returned by the town"), "accepted": _l("Accepted by the town"),
                "late": _l("Submitted late")}


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"filing_state_label": lambda s: str(STATE_LABELS.get(s, "")), "season_tasks": season_tasks,
            "season_of_year": operations.season_for}


def season_tasks(institution_id: int) -> list[dict[str, Any]]:
    """The institution's filings in seasons (newest first), with what it can do now: its home-page tasks."""
    rows = db.session.execute(select(Filing, ReportingSeason).join(ReportingSeason)
                              .where(Filing.institution_id == institution_id)
                              .order_by(ReportingSeason.year.desc())).all()
    out = []
    for filing, season in rows:
        has_report = db.session.scalar(select(SelfReport.id).where(
            SelfReport.institution_id == institution_id, SelfReport.year == season.year,
            SelfReport.is_current.is_(True)).limit(1)) is not None
        summary = operations.latest_summary(institution_id, season.year)
        locked = operations.is_locked(filing, season)
        out.append({"season": season, "filing": filing, "has_report": has_report, "summary": summary,
                    "locked": locked, "may_submit": filing.state not in ("submitted", "accepted") and not locked,
                    "shown": operations.display_state(filing.state, filing.is_late),
                    "summary_form": SummaryUploadForm(), "submit_form": SubmitForm()})
    return out


def _open_form() -> OpenSeasonForm:
    form = OpenSeasonForm()
    form.categories.choices = [SelectChoice(c, label_for(c)) for c in CATEGORIES]
    return form


@bp.route("/")
@login_required
def index():  # noqa: ANN201
    if current_user.role is Role.INSTITUTION:
        return redirect(url_for("reports.mine"))
    if current_user.role not in (Role.ADMIN, Role.TOWN_OFFICER):
        abort(403)
    seasons = list(db.session.scalars(select(ReportingSeason).order_by(ReportingSeason.year.desc())))
    counts = {s.id: queries.state_counts(s) for s in seasons}
    form = _open_form() if current_user.role is Role.ADMIN else None
    return render_template("seasons/index.html", seasons=seasons, counts=counts, form=form,
                           today=operations.today())


@bp.route("/open", methods=["POST"])
@admin_required
def open_season():  # noqa: ANN201
    form = _open_form()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            for e in errors:
                flash(f"{getattr(form, field).label.text}: {e}", "danger")
        return redirect(url_for("seasons.index"))
    try:
        season = operations.open_season(form.year.data, form.categories.data, form.opens_on.data, form.deadline.data,
                                        form.instructions.data or "", opened_by=current_user)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.render(), "danger")
        return redirect(url_for("seasons.index"))
    db.session.commit()
    _queue_notice(season, "opened")
    flash(_("The %(year)s reporting season is open: %(n)s institutions are due.", year=season.year,
            n=sum(queries.state_counts(season).values())), "success")
    return redirect(url_for("seasons.tracker", season_id=season.id))


def _queue_notice(season: ReportingSeason, what: str, **extra: Any) -> Any:
    from registry.jobs.dispatch import start_job
    from registry.jobs.handlers import SEASON_NOTICE

    return start_job(SEASON_NOTICE, {"season_id": season.id, "what": what, **extra},
                     user=current_user if current_user.is_authenticated else None,
                     exclusive_key=f"{SEASON_NOTICE}:{season.id}:{what}")


def _filters() -> queries.TrackerFilter:
    town = request.args.get("town", type=db_int)
    state = request.args.get("state") or None
    category = request.args.get("category") or None
    return queries.TrackerFilter(state=state if state in queries.TRACKER_STATES else None, town_id=town,
                                 category=category if category in CATEGORIES else None,
                                 q=(request.args.get("q") or "").strip() or None)


@bp.route("/<id:season_id>/")
@season_viewers
def tracker(season_id: int):  # noqa: ANN201
    season = db.get_or_404(ReportingSeason, season_id)
    f = _filters()
    page = max(request.args.get("page", 1, type=db_int), 1)
    counts, towns = queries.town_state_counts(season)
    unfiltered = f == queries.TrackerFilter()
    rows, total = queries.tracker_rows(season, f, page=page, per_page=PER_PAGE,
                                       total=sum(counts.values()) if unfiltered else None)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("seasons/tracker.html", season=season, rows=rows, total=total, f=f, page=page, pages=pages,
                           args=args, counts=counts, towns=towns, states=queries.TRACKER_STATES,
                           categories=[(c, label_for(c)) for c in season.categories], today=operations.today())


@bp.route("/<id:season_id>/export.xlsx")
@season_viewers
def export(season_id: int):  # noqa: ANN201
    from registry.seasons.export import tracker_xlsx

    season = db.get_or_404(ReportingSeason, season_id)
    rows, _total = queries.tracker_rows(season, _filters(), per_page=None)
    data = tracker_xlsx(season, rows)
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"{season.year}年度填报进度.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<id:season_id>/remind", methods=["POST"])
@admin_required
def remind(season_id: int):  # noqa: ANN201
    season = db.get_or_404(ReportingSeason, season_id)
    n = len(queries.not_submitted_institution_ids(season))
    try:
        job = _queue_notice(season, "reminder")
    except RegistryError as exc:
        flash(exc.render(), "danger")
    else:
        flash(_("A reminder to %(n)s institutions not yet submitted is queued (job #%(job)s).", n=n, job=job.id),
              "success")
    return redirect(url_for("seasons.tracker", season_id=season.id))


# --- one filing ---------------------------------------------------------------------------------

@bp.route("/filings/<id:filing_id>")
@roles_required(Role.ADMIN, Role.TOWN_OFFICER, Role.INSTITUTION)
def filing(filing_id: int):  # noqa: ANN201
    item = get_filing_or_404(filing_id)
    season = item.season
    report = db.session.get(SelfReport, item.self_report_id) if item.self_report_id else None
    current_report = db.session.scalar(select(SelfReport).where(
        SelfReport.institution_id == item.institution_id, SelfReport.year == season.year,
        SelfReport.is_current.is_(True)))
    summary = operations.latest_summary(item.institution_id, season.year)
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        {i for i in (item.town_decided_by_id, item.city_decided_by_id) if i})))}
    return render_template(
        "seasons/filing.html", filing=item, season=season, institution=item.institution, report=report,
        current_report=current_report, summary=summary, people=people,
        shown=operations.display_state(item.state, item.is_late), locked=operations.is_locked(item, season),
        decision_form=DecisionForm() if current_user.role is Role.TOWN_OFFICER and item.state == SUBMITTED else None,
        override_form=DecisionForm() if current_user.role is Role.ADMIN and item.submitted_at else None,
        reopen_form=ReopenForm() if current_user.role is Role.ADMIN and operations.today() > season.deadline
        and item.state != "accepted" else None,
        summary_form=SummaryUploadForm(), submit_form=SubmitForm(), today=operations.today())


def _files_for(item: Filing) -> bool:
    return current_user.role is Role.ADMIN or (current_user.role is Role.INSTITUTION
                                               and current_user.institution_id == item.institution_id)


@bp.route("/filings/<id:filing_id>/summary", methods=["POST"])
@roles_required(Role.ADMIN, Role.INSTITUTION)
def upload_summary(filing_id: int):  # noqa: ANN201
    item = get_filing_or_404(filing_id)
    if not _files_for(item):
        abort(403)
    form = SummaryUploadForm()
    if not form.validate_on_submit():
        flash(_("Choose a .docx or .pdf file to upload."), "danger")
        return redirect(request.referrer or url_for("seasons.filing", filing_id=item.id))
    storage = form.file.data
    try:
        summary = operations.store_work_summary(item.institution, item.season.year, storage.read(),
                                                storage.filename or "", uploaded_by=current_user)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.render(), "danger")
        return redirect(request.referrer or url_for("seasons.filing", filing_id=item.id))
    db.session.commit()
    flash(_("Work summary %(name)s stored (sha256 %(sha)s).", name=summary.filename, sha=summary.sha256[:12]),
          "success")
    return redirect(request.referrer or url_for("seasons.filing", filing_id=item.id))


@bp.route("/filings/<id:filing_id>/submit", methods=["POST"])
@roles_required(Role.ADMIN, Role.INSTITUTION)
def submit(filing_id: int):  # noqa: ANN201
    item = get_filing_or_404(filing_id)
    if not _files_for(item):
        abort(403)
    try:
        operations.submit_filing(item, by=current_user)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.render(), "danger")
        return redirect(request.referrer or url_for("seasons.filing", filing_id=item.id))
    db.session.commit()
    flash(_("Your %(year)s filing has been submitted to the town office for first review.", year=item.season.year)
          + (" " + _("It was submitted after the deadline and is marked late.") if item.is_late else ""), "success")
    return redirect(url_for("seasons.filing", filing_id=item.id))


def _return_notice(item: Filing, comment: str) -> None:
    town = item.institution.town.name if item.institution.town else ""
    subject, body = messages.filing_returned(item.institution.name, item.season.year, item.season.deadline, comment,
                                             town)
    from registry.notifications import institution_account_ids

    notify(institution_account_ids([item.institution_id]), "filing_returned", subject, body,
           link=url_for("seasons.filing", filing_id=item.id))


@bp.route("/filings/<id:filing_id>/decide", methods=["POST"])
@roles_required(Role.TOWN_OFFICER)
def decide(filing_id: int):  # noqa: ANN201
    """The town's first review: accept, or return with a comment (the institution is notified)."""
    return _record_decision(filing_id, operations.town_decide,
                            lambda decision: _("Filing accepted.") if decision == "accepted" else
                            _("Filing returned; the institution has been notified."))


@bp.route("/filings/<id:filing_id>/override", methods=["POST"])
@admin_required
def override(filing_id: int):  # noqa: ANN201
    """The city's word over the town's."""
    return _record_decision(filing_id, operations.city_override, lambda _decision: _("The city's decision is recorded."))


def _record_decision(filing_id: int, record: Any, success: Any):  # noqa: ANN202
    item = get_filing_or_404(filing_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        record(item, form.decision.data, form.comment.data, by=current_user)
        if form.decision.data == "returned":
            _return_notice(item, form.comment.data.strip())
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.render(), "danger")
        return redirect(url_for("seasons.filing", filing_id=item.id))
    db.session.commit()
    _emails()
    flash(success(form.decision.data), "success")
    return redirect(url_for("seasons.filing", filing_id=item.id))


@bp.route("/filings/<id:filing_id>/reopen", methods=["POST"])
@admin_required
def reopen(filing_id: int):  # noqa: ANN201
    item = get_filing_or_404(filing_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("Give a date and a reason to reopen filing."), "danger")
        return redirect(url_for("seasons.filing", filing_id=item.id))
    try:
        operations.reopen(item, form.until.data, form.reason.data, by=current_user)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.render(), "danger")
        return redirect(url_for("seasons.filing", filing_id=item.id))
    db.session.commit()
    flash(_("Filing reopened for %(name)s until %(date)s.", name=item.institution.name, date=item.reopened_until),
          "success")
    return redirect(url_for("seasons.filing", filing_id=item.id))


@bp.route("/summaries/<id:summary_id>/download")
@roles_required(Role.ADMIN, Role.TOWN_OFFICER, Role.INSTITUTION)
def download_summary(summary_id: int):  # noqa: ANN201
    summary = db.get_or_404(WorkSummary, summary_id)
    get_institution_or_404(summary.institution_id)  # 404 outside the user's scope
    return send_file(io.BytesIO(summary.content), as_attachment=True, download_name=summary.filename,
                     mimetype=operations.SUMMARY_KINDS.get(summary.kind, "application/octet-stream"))


def _emails() -> None:
    from registry.jobs.handlers import queue_pending_emails

    try:
        queue_pending_emails()
    except RegistryError:  # the broker is down: the notices are in the inbox; e-mail goes with the next job
        pass


