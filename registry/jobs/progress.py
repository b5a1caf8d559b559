"""Progress of a running job, written where every process can read it: the job's own row.

The job's work happens in one transaction that commits only at the end (nothing partial is
stored), so progress is written through a separate connection, at most once a second. On SQLite
a second writer would wait for the job's own write lock, so only the phases before the job
writes anything (reading, evaluating) report progress there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import update

from registry.extensions import db
from registry.models import Job
from registry.models.base import utcnow

#: phases whose progress can be written on SQLite: the job has not written yet (it would hold the lock)
READ_ONLY_PHASES = frozenset({"reading", "evaluating"})
MIN_INTERVAL = 1.0


class JobProgress:
    """A `progress(length, label)` callable as run_assessment expects: a context manager with update(n)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._last = 0.0
        self._sqlite = db.engine.dialect.name == "sqlite"

    @contextmanager
    def __call__(self, length: int, label: str) -> Iterator[Any]:
        bar = _Bar(self, label, length)
        self.write(label, 0, length, force=True)
        yield bar
        self.write(label, bar.done, length, force=True)

    def write(self, phase: str, done: int, total: int, *, force: bool = False) -> None:
        if self._sqlite and phase not in READ_ONLY_PHASES:
            return
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL:
            return
        self._last = now
        with db.engine.begin() as conn:
            conn.execute(update(Job).where(Job.id == self.job_id)
                         .values(phase=phase[:30], progress_done=done, progress_total=total, heartbeat_at=utcnow()))


class _Bar:
    def __init__(self, owner: JobProgress, label: str, length: int) -> None:
        self.owner, self.label, self.length, self.done = owner, label, length, 0

    def update(self, n: int) -> None:
        self.done += n
        self.owner.write(self.label, self.done, self.length)
