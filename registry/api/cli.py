"""`fuhua api-tokens`: create (prints the token once), list and revoke the API's bearer tokens."""

from __future__ import annotations

import click
from flask.cli import AppGroup

api_tokens_cli = AppGroup("api-tokens", help="Tokens for the read-only JSON API (/api/v1).")


@api_tokens_cli.command("create")
@click.option("--name", required=True, help="Who uses the token, e.g. “市统计局数据平台”.")
def create_cmd(name: str) -> None:
    """Create a read token and print it once: only its hash is stored, it cannot be shown again."""
    from registry.api.tokens import create_token
    from registry.audit import acting_as, cli_label
    from registry.errors_domain import RegistryError
    from registry.extensions import db

    label = cli_label("api-tokens create")
    with acting_as(label):
        try:
            new = create_token(name, label=label)
        except RegistryError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        db.session.commit()
    click.secho(f"Created API token #{new.token.id} for “{new.token.name}” (read only). "
                "Copy it now; it is not shown again:", fg="green", err=True)
    click.echo(new.secret)


@api_tokens_cli.command("list")
def list_cmd() -> None:
    """Every token: id, prefix, name, state, created and last used (never the secret)."""
    from registry.api.tokens import tokens

    rows = tokens()
    if not rows:
        click.echo("No API tokens.")
        return
    for t in rows:
        state = "active" if t.is_active else f"revoked {t.revoked_at:%Y-%m-%d %H:%M} by {t.revoked_by_label}"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        click.echo(f"#{t.id}\t{t.prefix}…\t{t.name}\t{state}\tcreated {t.created_at:%Y-%m-%d %H:%M} by "
                   f"{t.created_by_label}\tlast used {used}")


@api_tokens_cli.command("revoke")
@click.argument("token")
def revoke_cmd(token: str) -> None:
    """Revoke a token by its id (#N) or its prefix, as `list` shows them."""
    from registry.api.tokens import find_token, revoke_token
    from registry.audit import acting_as, cli_label
    from registry.errors_domain import RegistryError
    from registry.extensions import db

    found = find_token(token.lstrip("#").rstrip("…"))
    if found is None:
        raise click.ClickException(f"No API token has the id or prefix “{token}” (see `fuhua api-tokens list`).")
    label = cli_label("api-tokens revoke")
    with acting_as(label):
        try:
            revoke_token(found, label=label)
        except RegistryError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        db.session.commit()
    click.secho(f"Revoked API token #{found.id} “{found.name}”: it no longer opens the API.", fg="green")
