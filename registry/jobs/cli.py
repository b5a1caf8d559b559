"""`fuhua worker`: a Huey consumer that runs queued jobs (assessment runs, reminders, e-mails)."""

from __future__ import annotations

import logging

import click
from flask import current_app


@click.command("worker")
@click.option("--workers", type=int, default=1, show_default=True, help="Jobs run at the same time by this process.")
def worker_cmd(workers: int) -> None:
    """Run jobs from the queue until stopped (Ctrl-C or SIGTERM finishes the job under way first)."""
    from registry.jobs import job_queue
    from registry.jobs.queue import consumer_options, ping

    queue = job_queue(current_app)
    if queue.huey.immediate:
        raise click.ClickException("JOBS_BROKER_URL is 'immediate': jobs run where they are started, "
                                   "there is nothing for a worker to do.")
    if not ping(queue.huey):
        raise click.ClickException(f"The job broker cannot be reached ({current_app.config.get('JOBS_BROKER_URL')}).")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"fuhua worker: {workers} worker thread(s) on the {queue.broker} queue")
    queue.huey.create_consumer(**consumer_options(workers=workers)).run()
