"""`fuhua demo load` / `fuhua demo reset`: synthetic data, clearly labelled as such."""

from __future__ import annotations

import time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from registry.demo.dataset import SHAPES, Shape, build_dataset
from registry.demo.loader import (
    DemoDataError,
    LoadSummary,
    analyze,
    create_accounts,
    existing_data,
    purge_demo_data,
    vacuum_analyze,
    write_dataset,
    write_figures,
)
from registry.extensions import db
from registry.models import User

demo_cli = AppGroup("demo", help="Synthetic demo data.")


def load_demo(scale: str | Shape = "city", seed: int = 2020, *, reset: bool = False,
              progress: bool = True, systems: Any = None) -> LoadSummary:
    """Draw and insert the demo dataset, its yearly figures and the demo accounts; commits once.

    Refuses (DemoDataError) to load next to existing data unless `reset`, and never mixes demo
    data into a database holding real institutions or firms.
    """
    from registry.reference_data import ensure_reference_data

    shape = SHAPES[scale] if isinstance(scale, str) else scale
    total, synthetic = existing_data()
    if total and not reset:
        raise DemoDataError(
            f"The database already holds {total} institutions and firms ({synthetic} of them synthetic). "
            "Run `fuhua demo load --reset` to replace the demo data."
        )
    if total - synthetic:
        raise DemoDataError(
            f"The database holds {total - synthetic} real (non-synthetic) institutions or firms; "
            "demo data is only loaded into a database without real records."
        )
    summary = LoadSummary()
    if reset and total:
        purged = purge_demo_data()
        summary.notes.append("removed earlier demo data: " + ", ".join(f"{k} {v}" for k, v in sorted(purged.items())))
    ensure_reference_data()  # idempotent
    started = time.perf_counter()
    ds = build_dataset(shape, seed)
    expected = len(ds.institutions) + len(ds.recognitions) + len(ds.status_changes) + len(ds.firms) + len(ds.tenancies)
    if progress:
        click.echo(f"Drew the {shape.name} dataset (seed {seed}) in {time.perf_counter() - started:.1f} s")
        phase = time.perf_counter()
        with click.progressbar(length=expected, label="Writing demo data") as bar:
            counts, inst_id = write_dataset(ds, bar.update)
        click.echo(f"Wrote {expected} registry rows in {time.perf_counter() - phase:.1f} s")
        phase = time.perf_counter()
        with click.progressbar(length=len(ds.institutions) * len(shape.figure_years), label="Yearly figures  ") as bar:
            counts["self_reports"] = write_figures(ds, inst_id, summary.notes, bar.update, systems)
        click.echo(f"Drew and wrote {counts['self_reports']} yearly reports in {time.perf_counter() - phase:.1f} s")
    else:
        counts, inst_id = write_dataset(ds)
        counts["self_reports"] = write_figures(ds, inst_id, summary.notes, systems=systems)
    summary.accounts = create_accounts(ds, inst_id, summary.notes)
    from registry.demo.reviews import simulate_reviews, write_review_sheets

    phase = time.perf_counter()
    if shape.name == "city":  # through the review operations, as a reviewer would
        counts["review_sheets"] = simulate_reviews(tuple(shape.figure_years), seed, summary.notes)
    else:  # the same rounds and sheets in bulk: a national run is complete, as the city's is
        counts["review_sheets"] = write_review_sheets(tuple(shape.figure_years), seed, summary.notes)
    if progress:
        if counts["review_sheets"]:
            click.echo(f"Simulated expert reviews: {counts['review_sheets']} submitted scoring sheets "
                       f"in {time.perf_counter() - phase:.1f} s")
    from sqlalchemy import select

    from assessment import CATEGORIES
    from registry.demo.season import simulate_season

    demo_institution = db.session.scalar(select(User.institution_id).where(User.username == "institution"))
    seasoned = simulate_season(max(shape.figure_years), list(CATEGORIES), seed, demo_institution, summary.notes)
    counts["filings"] = sum(seasoned.values())
    loaded = ("institutions", "recognitions", "status_changes", "firms", "tenancies", "self_reports", "users",
              "review_rounds", "review_assignments", "tenancy_day_counts", "filings", "work_summaries")
    analyze(loaded)
    db.session.commit()
    vacuum_analyze(loaded)
    current_app.extensions.pop("fuhua_demo_banner", None)  # the "synthetic data" banner re-reads the database
    summary.counts = {**ds.summary(), **counts}
    return summary


@demo_cli.command("load")
@click.option("--scale", type=click.Choice(sorted(SHAPES)), default="city", show_default=True,
              help="city: Dongguan-sized; national: ~15,000 carriers and ~500,000 tenancies (benchmarks).")
@click.option("--seed", type=int, default=2020, show_default=True, help="Same seed, same data.")
@click.option("--reset", is_flag=True, help="Remove existing demo data first.")
def load_cmd(scale: str, seed: int, reset: bool) -> None:
    """Load a synthetic dataset (every record is flagged synthetic and labelled in the UI)."""
    started = time.perf_counter()
    try:
        summary = load_demo(scale=scale, seed=seed, reset=reset)
    except DemoDataError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    c = summary.counts
    click.secho(f"Loaded synthetic {scale} demo data in {time.perf_counter() - started:.1f} s:", fg="green")
    click.echo("  institutions: " + ", ".join(f"{k} {c.get(k, 0)}" for k in
                                              ("rd_institution", "maker_space", "incubator", "accelerator",
                                               "industrial_park")))
    for key in ("recognitions", "status_changes", "firms", "tenancies", "self_reports"):
        click.echo(f"  {key}: {c.get(key, 0)}")
    for note in summary.notes:
        click.secho(f"  note: {note}", fg="yellow")
    for username, password, role in summary.accounts:
        click.echo(f"  demo account ({role}): {username} / {password}")


@demo_cli.command("reset")
def reset_cmd() -> None:
    """Remove all synthetic data and the demo accounts (real records are never touched)."""
    purged = purge_demo_data()
    db.session.commit()
    current_app.extensions.pop("fuhua_demo_banner", None)
    click.echo("Removed: " + (", ".join(f"{k} {v}" for k, v in sorted(purged.items())) or "nothing"))
