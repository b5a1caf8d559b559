"""Waiting for a job from a command: poll its row until it ends, reporting progress on the way."""

from __future__ import annotations

import time
from collections.abc import Callable

from registry.extensions import db
from registry.models import Job

POLL_SECONDS = 0.5
REPORT_EVERY = 5.0


def wait_for(job_id: int, report: Callable[[Job], None] | None = None, timeout: float | None = None) -> Job:
    """The job once it has succeeded or failed (or when `timeout` seconds have passed)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    last_report = time.monotonic()
    while True:
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        db.session.commit()  # end the read transaction, so the next poll sees the worker's commits
        if not job.is_active or (deadline is not None and time.monotonic() > deadline):
            return job
        if report is not None and time.monotonic() - last_report >= REPORT_EVERY:
            report(job)
            last_report = time.monotonic()
        time.sleep(POLL_SECONDS)
