"""Background jobs: what was asked, by whom, how far it got and how it ended.

The task queue (Huey) only carries a job's id; everything a page shows about a job lives here,
so the web and the workers (other processes, other machines) agree on one record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, JSONType, utcnow

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
JOB_STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the job does: "assessment_run", "season_reminder", …
    kind: Mapped[str] = mapped_column(String(40), index=True)
    #: the job's arguments, e.g. {"year": 2020, "category": null, "note": "…"}
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(12), default=QUEUED, index=True)
    #: held while queued or running ("assessment_run:2020"), cleared when it ends: the unique index
    #: refuses a second job for the same year while one is under way, across processes and machines
    exclusive_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: "cli:root@host" when started from a command without an account
    started_by_label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: last sign of life from the worker (progress writes); a running job silent for long is stalled
    heartbeat_at: Mapped[datetime | None]
    phase: Mapped[str | None] = mapped_column(String(30))
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    #: the outcome for people: a summary when it succeeded, what went wrong when it failed
    message: Mapped[str | None] = mapped_column(Text)
    #: what it produced, e.g. {"run_id": 12, "result_count": 431}
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: the failed job this one retries
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))

    @property
    def is_active(self) -> bool:
        return self.status in (QUEUED, RUNNING)

    @property
    def percent(self) -> int:
        if self.status == SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))
