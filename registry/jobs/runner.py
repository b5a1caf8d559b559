"""Running one job in a worker: claim it, run its handler in one transaction, record how it ended.

A job that fails leaves nothing of its work behind (its transaction is rolled back) and ends
`failed` with a message saying what went wrong in words a user can act on; it can be retried.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from assessment.errors import SystemDefinitionError
from registry.audit import acting_as
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.jobs.handlers import HANDLERS
from registry.jobs.progress import JobProgress
from registry.models import Job, User
from registry.models.base import utcnow
from registry.models.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED

log = logging.getLogger(__name__)
N_ = str  # marks msgids for extraction; translated when shown
#: attempts to record a failure when the database itself is what failed
RECORD_ATTEMPTS = 5


def execute(job_id: int) -> None:
    """Run job `job_id` if it is still queued (a job delivered twice runs once)."""
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == QUEUED)
        .values(status=RUNNING, started_at=utcnow(), heartbeat_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        log.info("job %s is not queued any more; skipped", job_id)
        return
    job = db.session.get(Job, job_id)
    job_kind = job.kind
    handler = HANDLERS.get(job_kind)
    try:
        if handler is None:
            raise RegistryError(None, N_("Unknown kind of job: %(value)s."), job.kind)
        user = db.session.get(User, job.started_by_id) if job.started_by_id else None
        label = user.username if user is not None else (job.started_by_label or "system")
        with acting_as(label, user):
            result = handler(job, JobProgress(job_id))
        job.status, job.result, job.finished_at = SUCCEEDED, result, utcnow()
        job.exclusive_key, job.message, job.heartbeat_at = None, None, utcnow()
        db.session.commit()
        log.info("job %s (%s) succeeded: %s", job_id, job_kind, result)
        _after(job_kind, job_id, ok=True)
    except Exception as exc:  # noqa: BLE001 — every failure ends the job with a status and a message
        _discard_session()
        kind, message = describe_failure(exc)
        if kind == "unexpected":
            log.exception("job %s (%s) failed", job_id, job_kind)
        else:
            log.warning("job %s failed (%s): %s", job_id, kind, message)
        if record_failure(job_id, kind, message):
            _after(job_kind, job_id, ok=False)
    finally:
        db.session.remove()


def describe_failure(exc: BaseException) -> tuple[str, str]:
    """(kind, message in the default language) for a failed job; never a stack trace."""
    with force_locale("zh_CN"):
        if isinstance(exc, SystemDefinitionError):
            return "system_file", _("The indicator system file %(file)s is not valid (%(where)s): %(problem)s",
                                    file=exc.source, where=exc.path or "—", problem=exc.message)
        if isinstance(exc, RegistryError):
            return "invalid", exc.render()
        if isinstance(exc, (DBAPIError, SQLAlchemyError, *_driver_errors())):
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
            return "database", _("The database could not be reached or refused the work (%(detail)s). "
                                 "Nothing of this run was stored; retry when the database is back.", detail=detail)
        return "unexpected", _("An unexpected error stopped the job (%(error)s). Nothing of it was stored.",
                               error=type(exc).__name__)


def _driver_errors() -> tuple[type[BaseException], ...]:
    """The database drivers' own errors (the PostgreSQL COPY path talks to psycopg directly)."""
    import sqlite3

    found: list[type[BaseException]] = [sqlite3.Error]
    try:
        import psycopg

        found.append(psycopg.Error)
    except ImportError:  # pragma: no cover — psycopg is a dependency
        pass
    return tuple(found)


def record_failure(job_id: int, kind: str, message: str) -> bool:
    """Mark the job failed, releasing its year; retried for a while if the database is what failed."""
    for attempt in range(RECORD_ATTEMPTS):
        try:
            db.session.execute(update(Job).where(Job.id == job_id).values(
                status=FAILED, finished_at=utcnow(), exclusive_key=None, message=message,
                result={"error": kind}, heartbeat_at=utcnow()))
            db.session.commit()
            return True
        except SQLAlchemyError:
            _discard_session()
            if attempt + 1 < RECORD_ATTEMPTS:
                time.sleep(min(2 ** attempt, 10))
    log.error("job %s failed (%s) and the failure could not be recorded: %s", job_id, kind, message)
    return False


def _after(kind: str, job_id: int, *, ok: bool) -> None:
    """Follow-ups (notices, e-mails); their failure never changes how the job ended."""
    from registry.jobs.handlers import after_commit

    try:
        after_commit(kind, job_id, ok)
    except Exception:  # noqa: BLE001
        _discard_session()
        log.exception("follow-up of job %s (%s) failed", job_id, kind)


def _discard_session() -> None:
    """Roll back and drop the session, even when its connection is already gone."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass
    try:
        db.session.remove()
    except SQLAlchemyError:
        pass


def job_summary(job: Job) -> dict[str, Any]:
    """What the status endpoint returns for polling pages."""
    return {"id": job.id, "status": job.status, "phase": job.phase, "done": job.progress_done,
            "total": job.progress_total, "percent": job.percent, "message": job.message, "result": job.result}
