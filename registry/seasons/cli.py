"""`fuhua seasons …`: the deadline notices (for cron, where no worker runs periodic tasks)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

seasons_cli = AppGroup("seasons", help="Reporting seasons.")


@seasons_cli.command("deadline-notices")
def deadline_notices() -> None:
    """Send "deadline in 3 days" notices for every season that is due one (once per season)."""
    from registry.seasons.deadlines import queue_deadline_notices

    jobs = queue_deadline_notices()
    click.echo(f"{len(jobs)} deadline notice job(s) queued." if jobs else "No season is due a deadline notice.")
