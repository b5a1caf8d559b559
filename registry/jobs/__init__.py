"""Background jobs on a task queue (Huey): assessment runs, reminders and other long work.

`init_app` builds the Huey instance for the configured broker (registry.jobs.queue) and registers
one task, ``fuhua.run_job(job_id)``, which looks the job up in the database and hands it to the
handler registered for its kind (registry.jobs.handlers). Pages and commands start jobs through
registry.jobs.dispatch and read their progress from the Job rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from huey import Huey

from registry.jobs.queue import broker_kind, broker_url, make_huey, start_inprocess_worker


@dataclass
class JobQueue:
    huey: Huey
    run_job: Callable[..., Any]
    inprocess_worker: bool

    @property
    def broker(self) -> str:
        return broker_kind(self.huey)

    def enqueue(self, job_id: int) -> None:
        """Put the job on the queue (in immediate mode: run it now, in this thread)."""
        self.start_worker_here()
        self.run_job(job_id)

    def start_worker_here(self) -> None:
        """With a broker that needs no server, work the queue from threads of this process."""
        if self.inprocess_worker:
            start_inprocess_worker(self.huey)


def init_app(app: Flask) -> None:
    huey = make_huey(app)

    @huey.task(name="fuhua.run_job")
    def run_job(job_id: int) -> None:
        with app.app_context():
            from registry.jobs.runner import execute

            execute(job_id)

    from huey import crontab

    @huey.periodic_task(crontab(minute="7"), name="fuhua.hourly")
    def hourly() -> None:
        """Hourly checks: seasons whose deadline is 3 days away get their notice (once)."""
        with app.app_context():
            from registry.seasons.deadlines import queue_deadline_notices

            queue_deadline_notices()

    inprocess = app.config.get("JOBS_INPROCESS_WORKER")
    if inprocess is None:  # default: worker threads in this process when the broker needs no server
        inprocess = broker_url(app).startswith("sqlite:///")
    app.extensions["fuhua_jobs"] = JobQueue(huey, run_job, bool(inprocess) and not huey.immediate)


def job_queue(app: Flask | None = None) -> JobQueue:
    return (app or current_app).extensions["fuhua_jobs"]
