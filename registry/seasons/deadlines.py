"""The "deadline in 3 days" notice: once per season, to institutions not yet submitted.

Checked every hour by the job workers (a Huey periodic task) and by `fuhua seasons deadline-notices`
(for a cron job where no worker runs periodic tasks); idempotent either way.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from registry.extensions import db
from registry.models import ReportingSeason
from registry.seasons.operations import today

DAYS_BEFORE = 3


def seasons_due_for_notice() -> list[ReportingSeason]:
    now = today()
    return list(db.session.scalars(select(ReportingSeason).where(
        ReportingSeason.reminded_before_deadline_at.is_(None),
        ReportingSeason.deadline >= now, ReportingSeason.deadline <= now + timedelta(days=DAYS_BEFORE))))


def queue_deadline_notices() -> list[int]:
    """Queue the notice for every season whose deadline is at most 3 days away; job ids."""
    from registry.jobs.dispatch import JobAlreadyActive, start_job
    from registry.jobs.handlers import SEASON_NOTICE

    jobs = []
    for season in seasons_due_for_notice():
        try:
            job = start_job(SEASON_NOTICE, {"season_id": season.id, "what": "deadline_soon", "days": DAYS_BEFORE},
                            label="system", exclusive_key=f"{SEASON_NOTICE}:{season.id}:deadline_soon")
        except JobAlreadyActive:
            continue
        jobs.append(job.id)
    return jobs
