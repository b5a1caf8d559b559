"""What each kind of job does. A handler gets the Job and a progress reporter and returns
(result dict, summary message); it flushes, the runner commits or rolls back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.models import Job

Handler = Callable[[Job, Callable[[int, str], Any]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}

ASSESSMENT_RUN = "assessment_run"


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


@handler(ASSESSMENT_RUN)
def assessment_run(job: Job, progress: Callable[[int, str], Any]) -> dict[str, Any]:
    """One immutable assessment run (registry.assessments.operations.run_assessment), credited to
    the account that started the job (or the command's label)."""
    from registry.assessments.operations import run_assessment
    from registry.extensions import db
    from registry.models import User

    params = job.params or {}
    user = db.session.get(User, job.started_by_id) if job.started_by_id else None
    summary = run_assessment(int(params["year"]), category=params.get("category") or None, started_by=user,
                             label=None if user is not None else job.started_by_label, note=params.get("note"),
                             progress=progress, force=bool(params.get("force")))
    run = summary.run
    return {
        "run_id": run.id, "year": run.year, "result_count": run.result_count,
        "by_grade": {str(k or "none"): v for k, v in summary.by_grade.items()},
        "by_recommendation": {str(k or "none"): v for k, v in summary.by_recommendation.items()},
        "skipped": dict(summary.skipped), "incomplete": summary.incomplete,
        "seconds": round(sum(summary.timings.values()), 2),
        "timings": {k: round(v, 2) for k, v in summary.timings.items()},
        "cpu": {k: round(v, 2) for k, v in summary.cpu.items()},
    }


SEASON_NOTICE = "season_notice"
SEND_EMAILS = "send_emails"


@handler(SEASON_NOTICE)
def season_notice(job: Job, progress: Callable[[int, str], Any]) -> dict[str, Any]:
    """Notices to institutions of a season: "opened" (all due), "reminder" and "deadline_soon"
    (those not yet submitted). Bulk writes: a reminder to 5,000 institutions is a few statements."""
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import Filing, Institution, ReportingSeason, User
    from registry.notifications import messages, notify
    from registry.seasons.queries import not_submitted_institution_ids

    params = job.params or {}
    season = db.session.get(ReportingSeason, int(params["season_id"]))
    what = params["what"]
    if what == "opened":
        ids = list(db.session.scalars(select(Filing.institution_id).where(Filing.season_id == season.id)))
    else:
        ids = not_submitted_institution_ids(season)
    names = dict(db.session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids))).all()) \
        if len(ids) <= 30000 else {}
    accounts = db.session.execute(select(User.id, User.institution_id).where(
        User.institution_id.in_(ids), User.is_enabled.is_(True))).all()
    written = 0
    with progress(len(accounts), "notifying") as bar:
        batch: dict[tuple[str, str], list[int]] = {}
        for user_id, inst_id in accounts:
            name = names.get(inst_id, "")
            if what == "opened":
                text = messages.season_opened(name, season.year, season.deadline, season.instructions)
            elif what == "deadline_soon":
                text = messages.deadline_soon(name, season.year, season.deadline, int(params.get("days", 3)))
            else:
                text = messages.reminder(name, season.year, season.deadline)
            batch.setdefault(text, []).append(user_id)
        for (subject, body), users in batch.items():
            written += notify(users, what, subject, body, link="/reports/mine", params={"season_id": season.id})
            bar.update(len(users))
    if what == "deadline_soon":
        from registry.models.base import utcnow

        season.reminded_before_deadline_at = utcnow()
    db.session.flush()
    return {"season_id": season.id, "what": what, "institutions": len(ids), "notices": written}


@handler(SEND_EMAILS)
def send_emails(job: Job, progress: Callable[[int, str], Any]) -> dict[str, Any]:
    """E-mail every notice not yet e-mailed to users who have an address (Flask-Mailman over SMTP;
    written to the log when no MAIL_SERVER is configured). Each is marked as it goes out."""
    from flask_mailman import EmailMessage
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import Notification, User
    from registry.models.base import utcnow
    from registry.notifications import mail

    sent = 0
    while True:
        rows = db.session.execute(select(Notification, User.email).join(User, User.id == Notification.user_id).where(
            Notification.emailed_at.is_(None), User.email.is_not(None), User.email != "")
            .order_by(Notification.id).limit(500)).all()
        if not rows:
            break
        with mail.get_connection() as conn:
            for notice, email in rows:
                EmailMessage(subject=notice.subject, body=notice.body, to=[email], connection=conn).send()
                notice.emailed_at = utcnow()
                sent += 1
        db.session.flush()
    return {"sent": sent}


def after_commit(kind: str, job_id: int, ok: bool) -> None:
    """What follows a job once its work is committed: notices of a finished run, e-mails of new notices."""
    from registry.extensions import db
    from registry.models import Job as JobModel
    from registry.notifications import messages, notify

    job = db.session.get(JobModel, job_id)
    if kind == ASSESSMENT_RUN and job.started_by_id:
        result = job.result or {}
        subject, body = messages.run_finished(int(job.params["year"]), result.get("run_id", 0),
                                              result.get("result_count", 0), ok, job.message)
        notify([job.started_by_id], "run_finished", subject, body, link="/assessments/")
        db.session.commit()
        queue_pending_emails()
    elif ok and kind == SEASON_NOTICE and (job.result or {}).get("notices"):
        queue_pending_emails()


def queue_pending_emails() -> None:
    """Start the e-mail job unless one is already under way (it sends everything pending)."""
    from registry.jobs.dispatch import JobAlreadyActive, start_job

    try:
        start_job(SEND_EMAILS, {}, label="system", exclusive_key=SEND_EMAILS)
    except JobAlreadyActive:
        pass
