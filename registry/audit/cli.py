"""`fuhua audit` commands: verify the hash chain of the audit log, and anchor its head outside the database."""

from __future__ import annotations

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
@click.option("--anchor", "anchor_file", type=click.File("r", encoding="utf-8"),
              help="A statement written by `fuhua audit anchor`: also check the log still reaches that head.")
def verify_cmd(anchor_file) -> None:  # noqa: ANN001
    """Recompute the hash chain and report the first broken entry (exit status 1 if any)."""
    from registry.audit import AnchorError, check_against_anchor, read_anchor, verify_chain
    from registry.extensions import db

    anchor = None
    if anchor_file is not None:
        try:
            anchor = read_anchor(anchor_file.read())
        except AnchorError as error:
            click.secho(f"Anchor {anchor_file.name} refused: {error}.", fg="red", err=True)
            raise SystemExit(1) from None
    report = verify_chain(db.session)
    if not report.ok:
        what = {"prev_hash": "its link to the previous entry does not match (an entry before it was removed or reordered)",
                "gap": f"the ids jump from #{report.last_id} to #{report.broken_id} (entries were deleted)",
                }.get(report.problem or "", "its content does not match its keyed hash (it was edited, or "
                                            "FUHUA_AUDIT_KEY is not the key the log was written with)")
        click.secho(f"Audit log BROKEN at entry #{report.broken_id}: {what}. "
                    f"{report.checked - 1} entries before it are intact.", fg="red", err=True)
        raise SystemExit(1)
    if anchor is not None:
        problem = check_against_anchor(db.session, anchor)
        if problem:
            click.secho(f"Audit log does NOT match the anchor of {anchor.taken_at}: {problem}.", fg="red", err=True)
            raise SystemExit(1)
        click.secho(f"Audit log intact: {report.checked} entries, last hash {report.last_hash}; it contains the "
                    f"anchored head #{anchor.last_id} of {anchor.taken_at} unchanged.", fg="green")
        return
    click.secho(f"Audit log intact: {report.checked} entries, last hash {report.last_hash}", fg="green")


@audit_cli.command("anchor")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the statement to this file (default: print it).")
def anchor_cmd(output: str | None) -> None:
    """Print the head of the chain (last id, count, hash) as a signed statement to keep outside the database."""
    from registry.audit import AnchorError, audit_key, take_anchor
    from registry.extensions import db

    try:
        statement = take_anchor(db.session).signed(audit_key())
    except AnchorError as error:
        click.secho(f"No anchor: {error}.", fg="red", err=True)
        raise SystemExit(1) from None
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(statement)
        click.echo(f"Anchor written to {output}; keep it outside the database.")
    else:
        click.echo(statement, nl=False)
