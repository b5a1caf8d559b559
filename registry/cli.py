"""The `fuhua` command: Fuhua's own groups, `run` and `db upgrade` from Flask, nothing else on show.

Only commands that read or write the registry open the database (and create or upgrade it first,
saying where when it is new); `--help`, `--version` and `fuhua systems …` never touch one.
Messages follow the shell's language: Chinese unless LANG starts with "en".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

#: top-level commands that need no database (quickstart prepares its own; db manages it)
NO_DATABASE = frozenset({"systems", "db", "quickstart", "routes", "shell", "limiter"})
#: Flask's development commands: still there for developers, not listed in `fuhua --help`
HIDDEN_COMMANDS = frozenset({"routes", "shell", "limiter"})
#: of Flask-Migrate's `db` group only `upgrade` is for users; the rest are listed for no one
VISIBLE_DB_COMMANDS = frozenset({"upgrade"})


def _create_app() -> Flask:
    from registry import create_app

    return create_app({"ALLOW_DEV_SECRET": True}) if _dev_mode() else create_app()


def _dev_mode() -> bool:
    """`fuhua` on a developer machine: the dev secret is fine unless FUHUA_SECRET_KEY is set."""
    import os

    return not os.environ.get("FUHUA_SECRET_KEY")


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from registry import __version__

    click.echo(f"Fuhua {__version__}")
    ctx.exit()


def database_location(app: Flask) -> str:
    """Where the database is, for messages: the SQLite file's path, or the server URL without password."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return str(Path(url.database).resolve()) if url.database else ":memory:"
    return url.render_as_string(hide_password=True)


def prepare_database(app: Flask) -> None:
    """Create or upgrade the schema before a command that uses it; say where when it is new.

    With FUHUA_AUTO_MIGRATE=false the operator manages the schema (`fuhua db upgrade`): leave it be.
    """
    from flask_babel import gettext as _

    if not app.config.get("AUTO_MIGRATE", True):
        return
    from sqlalchemy.engine import make_url

    from registry.database import upgrade_database

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        click.echo(_("Creating a new database: %(where)s (set FUHUA_DATABASE_URL to use another).",
                     where=database_location(app)), err=True)
    upgrade_database(app)


class FuhuaGroup(FlaskGroup):
    """FlaskGroup with Fuhua's version, without Flask's own options and development commands on show."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(add_version_option=False, **kwargs)
        for param in self.params:
            if param.name in ("env_file", "app", "debug"):
                param.hidden = True  # type: ignore[attr-defined]
        self.params.append(click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True,
                                        callback=_print_version, help="Show Fuhua's version and exit."))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            return None
        if name in HIDDEN_COMMANDS:
            command.hidden = True
        if name == "db" and isinstance(command, click.Group):
            for sub_name, sub in command.commands.items():
                sub.hidden = sub_name not in VISIBLE_DB_COMMANDS
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        asking_for_help = any(a in ("--help", "-h") for a in rest) or (isinstance(command, click.Group) and not rest)
        if name and name not in NO_DATABASE and not asking_for_help and not ctx.resilient_parsing:
            from flask import current_app

            prepare_database(current_app._get_current_object())
        return name, command, rest


@click.group(cls=FuhuaGroup, create_app=_create_app, help="Fuhua: registry and annual assessment of innovation carriers.")
def main() -> None:
    pass


@main.command("quickstart")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database and demo data, then exit.")
def quickstart_cmd(host: str, port: int, no_serve: bool) -> None:
    """Create or upgrade the database, load the demo data if it is empty, and serve the app."""
    from flask import current_app
    from flask_babel import gettext as _
    from sqlalchemy import func, select

    from registry.extensions import db
    from registry.models import Institution

    app = current_app._get_current_object()
    prepare_database(app)
    click.echo(_("Database: %(where)s", where=database_location(app)))
    if db.session.scalar(select(func.count(Institution.id))) == 0:
        from registry.demo.cli import load_demo

        load_demo(scale="city", seed=2020)
    from registry.demo.accounts import DEMO_ACCOUNTS

    for username, password, role in DEMO_ACCOUNTS:
        click.echo(_("  demo account (%(role)s): %(username)s / %(password)s", role=_role(role), username=username,
                     password=password))
    if no_serve:
        click.secho(_("The database and the demo data are ready. Start the app with “fuhua quickstart” or “fuhua run”."),
                    fg="green", bold=True)
        return
    click.secho(_("Fuhua is ready at http://%(host)s:%(port)s (stop it with Ctrl+C)", host=host, port=port),
                fg="green", bold=True)
    # app.run() refuses to block inside a `flask` CLI command; serve with werkzeug directly.
    # This is the development server: production uses gunicorn (README, "Production").
    from werkzeug.serving import run_simple

    from registry.jobs import job_queue

    job_queue(app).start_worker_here()  # jobs left queued from before; none needs a separate server
    run_simple(host, port, app, threaded=True, use_reloader=False)


def _role(code: str) -> str:
    from registry.labels import term

    return term("role", code)


def init_app(app: Flask) -> None:
    from registry.admin.cli import users_cli
    from registry.api.cli import api_tokens_cli
    from registry.assessments.cli import assess_cli, systems_cli
    from registry.audit.cli import audit_cli
    from registry.demo.cli import demo_cli
    from registry.exports.cli import export_cli
    from registry.reports.cli import reports_cli, roster_cli

    from registry.jobs.cli import worker_cmd
    from registry.seasons.cli import seasons_cli

    app.cli.add_command(worker_cmd)
    app.cli.add_command(seasons_cli)
    for group in (demo_cli, export_cli, systems_cli, assess_cli, reports_cli, roster_cli, users_cli, audit_cli,
                  api_tokens_cli):
        app.cli.add_command(group)
