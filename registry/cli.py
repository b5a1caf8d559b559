"""The `fuhua` command: Flask's CLI (run, shell, db …) plus Fuhua's own groups."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    from registry import create_app

    return create_app({"ALLOW_DEV_SECRET": True}) if _dev_mode() else create_app()


def _dev_mode() -> bool:
    """`fuhua` on a developer machine: the dev secret is fine unless FUHUA_SECRET_KEY is set."""
    import os

    return not os.environ.get("FUHUA_SECRET_KEY")


@click.group(cls=FlaskGroup, create_app=_create_app, help="Fuhua: registry and annual assessment of innovation carriers.")
def main() -> None:
    pass


@main.command("quickstart")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database and demo data, then exit.")
def quickstart_cmd(host: str, port: int, no_serve: bool) -> None:
    """Create or upgrade the database, load the demo data if it is empty, and serve the app."""
    from flask import current_app
    from sqlalchemy import func, select

    from registry.database import upgrade_database
    from registry.extensions import db
    from registry.models import Institution

    app = current_app._get_current_object()
    upgrade_database(app)
    if db.session.scalar(select(func.count(Institution.id))) == 0:
        from registry.demo.cli import load_demo

        load_demo(scale="city", seed=2020)
    from registry.demo.accounts import DEMO_ACCOUNTS

    click.secho(f"Fuhua is ready at http://{host}:{port}", fg="green", bold=True)
    for username, password, role in DEMO_ACCOUNTS:
        click.echo(f"  demo account ({role}): {username} / {password}")
    if not no_serve:
        # app.run() refuses to block inside a `flask` CLI command; serve with werkzeug directly.
        # This is the development server: production uses gunicorn (README, "Production").
        from werkzeug.serving import run_simple

        from registry.jobs import job_queue

        job_queue(app).start_worker_here()  # jobs left queued from before; none needs a separate server

        run_simple(host, port, app, threaded=True, use_reloader=False)


def init_app(app: Flask) -> None:
    from registry.admin.cli import users_cli
    from registry.assessments.cli import assess_cli, systems_cli
    from registry.audit.cli import audit_cli
    from registry.demo.cli import demo_cli
    from registry.exports.cli import export_cli
    from registry.reports.cli import reports_cli, roster_cli

    from registry.jobs.cli import worker_cmd

    app.cli.add_command(worker_cmd)
    from registry.seasons.cli import seasons_cli

    app.cli.add_command(seasons_cli)
    for group in (demo_cli, export_cli, systems_cli, assess_cli, reports_cli, roster_cli, users_cli, audit_cli):
        app.cli.add_command(group)
