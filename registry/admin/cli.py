"""`fuhua users` commands: create and manage accounts from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

users_cli = AppGroup("users", help="Accounts.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _user(username: str):  # noqa: ANN202
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No account is called “{username}”.")
    return user


def _institution_by_code(raw: str, option: str):  # noqa: ANN202
    """The registered institution with this credit code; anything that is not a valid code is refused.

    Ids are not accepted: "123" would silently bind an account to whichever institution has id 123.
    """
    from flask_babel import gettext as _

    from registry.auth.operations import find_institution
    from registry.errors_domain import RegistryError
    from registry.institutions.operations import clean_uscc

    try:
        code = clean_uscc(raw.strip().upper())
    except RegistryError as error:
        raise click.ClickException(_("%(option)s takes the institution's unified social credit code (18 characters). %(reason)s",
                                     option=option, reason=error.render())) from None
    institution = find_institution(code)
    if institution is None:
        raise click.ClickException(_("No institution in the registry has the credit code %(code)s.", code=code))
    return institution


def _fail(error) -> None:  # noqa: ANN001
    from registry.extensions import db

    db.session.rollback()
    raise click.ClickException(error.render())


@users_cli.command("create")
@click.option("--role", "role", required=True, type=click.Choice(["admin", "reviewer", "institution", "town_officer"]))
@click.option("--username", required=True)
@click.option("--institution", "institution_code", help="Unified social credit code of the institution an institution account reports for.")
@click.option("--affiliation", "affiliation_code", help="Unified social credit code of a reviewer's own institution (conflict checks).")
@click.option("--town", "town_code", help="Code or name of the town a town officer reviews (e.g. songshanhu, 松山湖高新区).")
@click.option("--display-name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_cmd(role: str, username: str, institution_code: str | None, affiliation_code: str | None,
               town_code: str | None, display_name: str | None, password_stdin: bool) -> None:
    """Create an account; the password is prompted for (or read from stdin), never given as an argument."""
    from registry.audit import acting_as, cli_label
    from registry.auth.operations import create_user
    from registry.errors_domain import RegistryError
    from registry.extensions import db

    institution = _institution_by_code(institution_code, "--institution") if institution_code else None
    affiliation = _institution_by_code(affiliation_code, "--affiliation") if affiliation_code else None
    jurisdiction = None
    if town_code:
        from sqlalchemy import select

        from registry.models import Jurisdiction, Town

        jurisdiction = db.session.scalar(select(Jurisdiction).join(Town, Town.id == Jurisdiction.town_id).where(
            (Town.code == town_code.strip()) | (Town.name == town_code.strip())))
        if jurisdiction is None:
            raise click.ClickException(f"No town has the code or name “{town_code}”.")
    password = _read_password(password_stdin)
    with acting_as(cli_label("users create")):
        try:
            user = create_user(username=username, role=role, password=password, institution=institution,
                               affiliation=affiliation, display_name=display_name, jurisdiction=jurisdiction)
        except RegistryError as error:
            _fail(error)
        db.session.commit()
    from flask_babel import gettext as _

    from registry.labels import term

    if institution is not None:
        click.secho(_("Created the %(role)s account “%(username)s” for %(institution)s.", role=term("role", role),
                      username=user.username, institution=institution.name), fg="green")
    else:
        click.secho(_("Created the %(role)s account “%(username)s”.", role=term("role", role), username=user.username),
                    fg="green")


@users_cli.command("list")
def list_cmd() -> None:
    """List accounts with role, binding and state."""
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import User

    for u in db.session.scalars(select(User).order_by(User.role, User.username)):
        bound = f" → {u.institution.name}" if u.institution else ""
        state = "" if u.is_enabled else " (disabled)"
        click.echo(f"{u.username:20} {u.role.value:12}{bound}{state}")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
def set_password_cmd(username: str, password_stdin: bool) -> None:
    """Reset a password; the account's sessions end everywhere."""
    from registry.audit import acting_as, cli_label
    from registry.auth.operations import set_password
    from registry.errors_domain import RegistryError
    from registry.extensions import db

    user = _user(username)
    password = _read_password(password_stdin)
    with acting_as(cli_label("users set-password")):
        try:
            set_password(user, password)
        except RegistryError as error:
            _fail(error)
        db.session.commit()
    click.secho(f"Password of “{username}” reset.", fg="green")


@users_cli.command("disable")
@click.argument("username")
def disable_cmd(username: str) -> None:
    """Disable an account (its sessions end at once)."""
    from registry.audit import acting_as, cli_label
    from registry.auth.operations import set_enabled
    from registry.extensions import db

    with acting_as(cli_label("users disable")):
        set_enabled(_user(username), False)
        db.session.commit()
    click.secho(f"“{username}” disabled.", fg="green")


@users_cli.command("enable")
@click.argument("username")
def enable_cmd(username: str) -> None:
    """Re-enable a disabled account."""
    from registry.audit import acting_as, cli_label
    from registry.auth.operations import set_enabled
    from registry.extensions import db

    with acting_as(cli_label("users enable")):
        set_enabled(_user(username), True)
        db.session.commit()
    click.secho(f"“{username}” enabled.", fg="green")
