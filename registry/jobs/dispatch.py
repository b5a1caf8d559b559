"""Starting jobs: record the job, then put it on the queue.

Unlike operations elsewhere, this commits: the worker that takes the job is another process
(often another machine) and must find the row. Two jobs holding the same exclusive key (one
assessment run per year) are refused by the database's unique index, across every process.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.jobs import job_queue
from registry.jobs.handlers import ASSESSMENT_RUN
from registry.models import Job
from registry.models.base import utcnow
from registry.models.jobs import FAILED, QUEUED

log = logging.getLogger(__name__)
N_ = str  # marks msgids for extraction; translated when shown


class JobAlreadyActive(RegistryError):
    """Another job holds the same exclusive key (e.g. a run for the same year is under way)."""

    def __init__(self, existing: Job | None, message: str, **params: Any) -> None:
        super().__init__(None, message, job=existing.id if existing else "?", **params)
        self.existing = existing


class BrokerUnavailable(RegistryError):
    def __init__(self, detail: str) -> None:
        super().__init__(None, N_("The job queue cannot be reached (%(detail)s); the job was not started."),
                         detail=detail)


def start_job(kind: str, params: dict[str, Any], *, user: Any = None, label: str | None = None,
              exclusive_key: str | None = None, busy: tuple[str, dict[str, Any]] | None = None, retry_of: Job | None = None, enqueue: bool = True) -> Job:
    """Record a job (committed) and queue it. JobAlreadyActive if `exclusive_key` is taken;
    BrokerUnavailable (job marked failed) if the queue cannot be reached."""
    job = Job(kind=kind, params=params, status=QUEUED, exclusive_key=exclusive_key,
              started_by_id=getattr(user, "id", None), started_by_label=None if user is not None else label,
              retry_of_id=retry_of.id if retry_of is not None else None)
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(select(Job).where(Job.exclusive_key == exclusive_key))
        message, params = busy or (N_("This job is already queued or running (job #%(job)s)."), {})
        raise JobAlreadyActive(existing, message, **params) from None
    job_id = job.id
    if not enqueue:  # the caller runs it in its own process (`fuhua assess run --foreground`)
        return job
    try:
        job_queue().enqueue(job_id)
    except Exception as exc:  # noqa: BLE001 — a broker error of any kind: the job cannot run
        log.exception("could not queue job %s", job_id)
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status, job.exclusive_key, job.finished_at = FAILED, None, utcnow()
        job.message = f"{type(exc).__name__}: {str(exc)[:200]}"
        job.result = {"error": "broker"}
        db.session.commit()
        raise BrokerUnavailable(type(exc).__name__) from None
    db.session.expire_all()
    return db.session.get(Job, job_id)


def assessment_key(year: int) -> str:
    return f"{ASSESSMENT_RUN}:{year}"


def start_assessment_run(year: int, *, category: str | None = None, note: str | None = None, user: Any = None,
                         label: str | None = None, retry_of: Job | None = None, force: bool = False,
                         enqueue: bool = True) -> Job:
    """Queue an assessment run for `year`; refused while another run of that year is queued or running.

    The year's sanity check (registry.assessments.operations.check_year: not in the future, enough
    institutions have reported) is asked here, so a refused year is said at once on the page or in
    the command; the run repeats it when it starts. A broken indicator system file is left for the
    run to report, as a failed job with its message.
    """
    check_year_now(year, category, note=note, force=force)
    params = {"year": int(year), "category": category or None, "note": (note or "").strip() or None,
              "force": bool(force)}
    return start_job(ASSESSMENT_RUN, params, user=user, label=label, exclusive_key=assessment_key(year),
                     busy=(N_("An assessment run for %(year)s is already queued or running (job #%(job)s); "
                              "wait for it to finish."), {"year": year}), retry_of=retry_of, enqueue=enqueue)


def check_year_now(year: int, category: str | None, *, note: str | None, force: bool) -> None:
    """YearNotAssessable (or NoSystemInForce, or a category error) before anything is recorded."""
    from assessment.errors import SystemDefinitionError
    from registry.assessments.operations import YearNotAssessable, check_year

    min_share = float(current_app.config.get("ASSESS_MIN_REPORT_SHARE", 0.5))
    try:
        check = check_year(year, category, min_share=min_share)
    except SystemDefinitionError:
        return  # the run fails with the file's name and problem, and can be retried once it is fixed
    if check.future or (not check.ok and not force):
        raise YearNotAssessable(check)
    if force and not check.ok and not (note or "").strip():
        raise YearNotAssessable(check, forced_without_note=True)


def retry_job(job: Job, *, user: Any = None, label: str | None = None) -> Job:
    """A new job with the same arguments as a failed one."""
    if job.status != FAILED:
        raise RegistryError(None, N_("Only a failed job can be retried."))
    if job.kind == ASSESSMENT_RUN:
        p = job.params or {}
        return start_assessment_run(p["year"], category=p.get("category"), note=p.get("note"), user=user,
                                    label=label, retry_of=job, force=bool(p.get("force")))
    return start_job(job.kind, dict(job.params or {}), user=user, label=label, retry_of=job)

