"""`fuhua audit` commands: verify the hash chain of the audit log."""

from __future__ import annotations

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def verify_cmd() -> None:
    """Recompute the hash chain and report the first broken entry (exit status 1 if any)."""
    from registry.audit import verify_chain
    from registry.extensions import db

    report = verify_chain(db.session)
    if report.ok:
        click.secho(f"Audit log intact: {report.checked} entries, last hash {report.last_hash}", fg="green")
        return
    what = ("its link to the previous entry does not match (an entry before it was removed or reordered)"
            if report.problem == "prev_hash" else "its content does not match its hash (it was edited)")
    click.secho(f"Audit log BROKEN at entry #{report.broken_id}: {what}. "
                f"{report.checked - 1} entries before it are intact.", fg="red", err=True)
    raise SystemExit(1)
