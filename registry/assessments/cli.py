"""`fuhua systems` (check, list) and `fuhua assess` (run, explain, compare) commands."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

systems_cli = AppGroup("systems", help="Indicator systems.")
assess_cli = AppGroup("assess", help="Annual assessment runs.")


def _root_text(root: str) -> str:
    return "shipped" if root == "package" else root


@systems_cli.command("check")
def systems_check() -> None:
    """Load and validate every system and criteria file (shipped and the data root's); stop at the first bad one."""
    from assessment import (
        SystemDefinitionError,
        all_criteria,
        all_systems,
        criteria_origin,
        data_roots,
        load_criteria,
        load_version,
        root_label,
        system_origin,
    )

    click.echo("data roots: " + ", ".join(_root_text(root_label(r)) for r in data_roots()))
    n = 0
    try:
        for category, subclass, version in all_systems():
            s = load_version(category, version, subclass)
            root, path = system_origin(category, version, subclass) or ("?", s.source)
            click.echo(f"ok  systems/{path:44} {s.sha256[:12]}  {_root_text(root)}")
            n += 1
        for code, version in all_criteria():
            c = load_criteria(code, version)
            root, path = criteria_origin(code, version) or ("?", c.source)
            click.echo(f"ok  criteria/{path:43} {c.sha256[:12]}  {_root_text(root)}")
            n += 1
    except SystemDefinitionError as exc:
        raise click.ClickException(f"{exc.source}: {exc.path or '(top level)'}: {exc.message}") from None
    click.secho(f"{n} files checked: all valid.", fg="green")


@systems_cli.command("list")
@click.option("--year", "years", type=int, multiple=True, help="Only these years (repeatable).")
def systems_list(years: tuple[int, ...]) -> None:
    """What is in force per year and category/subclass, with carry-forward, provisional marks and each file's root."""
    from assessment import all_criteria, all_systems, criteria_origin, load_criteria, load_version, system_origin
    from registry.assessments.operations import system_keys

    keys = system_keys()
    versions = {k: [v for c, s, v in all_systems() if (c, s) == k] for k in keys}
    first = min((v for vs in versions.values() for v in vs), default=None)
    if first is None:
        click.echo("No indicator systems found.")
        return
    shown = sorted(years) or list(range(first, max(max(v for vs in versions.values() for v in vs), first) + 3))
    for year in shown:
        click.secho(f"{year}", bold=True)
        for cat, sub in keys:
            in_force = [v for v in versions[(cat, sub)] if v <= year]
            name = f"{cat}/{sub}" if sub else cat
            if not in_force:
                click.echo(f"  {name:40} —  (no system in force; first {versions[(cat, sub)][0]})")
                continue
            s = load_version(cat, max(in_force), sub)
            carry = "" if s.version == year else f" (in force for {year})"
            mark = "  [provisional]" if s.provisional else ""
            root = (system_origin(cat, s.version, sub) or ("?", ""))[0]
            click.echo(f"  {name:40} system {s.version}{carry}  sha256 {s.sha256[:12]}  {_root_text(root)}{mark}")
    click.secho("criteria", bold=True)
    for code, version in all_criteria():
        c = load_criteria(code, version)
        mark = "  [provisional]" if c.provisional else ""
        root = (criteria_origin(code, version) or ("?", ""))[0]
        click.echo(f"  {code:48} {version}  {c.level}  sha256 {c.sha256[:12]}  {_root_text(root)}{mark}")


@assess_cli.command("run")
@click.option("--year", type=int, required=True)
@click.option("--category", default=None, help="Only this category (rd_institution, maker_space, incubator …).")
@click.option("--note", default=None, help="A note stored with the run (required with --force).")
@click.option("--force", is_flag=True, help="Run although too few institutions have reported (give the reason in --note).")
@click.option("--foreground", is_flag=True, help="Run in this process instead of on the job queue.")
@click.option("--no-wait", is_flag=True, help="Queue the run and return at once (a worker runs it).")
def assess_run(year: int, category: str | None, note: str | None, force: bool, foreground: bool, no_wait: bool) -> None:
    """Assess every applicant, recognised and rectifying institution from the registry's figures.

    Refuses a year after the current one, and a year in which fewer than ASSESS_MIN_REPORT_SHARE of
    the institutions due have a current self-report (--force with --note overrides; recorded on the run).

    The run is a job like one started from the web: queued for a worker (`fuhua worker`; with the
    default SQLite queue this command works it itself), refused while another run of the year is
    under way, and recorded with its outcome on the runs page.
    """
    from registry.assessments.operations import cli_label
    from registry.errors_domain import RegistryError
    from registry.jobs.dispatch import start_assessment_run
    from registry.jobs.wait import wait_for

    started = time.perf_counter()
    try:
        job_id = start_assessment_run(year, category=category, note=note, label=cli_label(), force=force,
                                      enqueue=not foreground).id
        if foreground:
            from registry.jobs.runner import execute

            execute(job_id)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    if no_wait and not foreground:
        click.echo(f"Queued as job #{job_id}; a worker (`fuhua worker`) will run it.")
        return
    job = wait_for(job_id, lambda j: click.echo(f"  job #{j.id}: {j.status} {j.phase or ''} "
                                                f"{j.progress_done}/{j.progress_total}", err=True))
    if job.status != "succeeded":
        raise click.ClickException(f"Job #{job.id} failed: {job.message}")
    _print_run(job.result or {}, time.perf_counter() - started)


def _print_run(result: dict, seconds: float) -> None:
    from registry.extensions import db
    from registry.models import AssessmentRun

    run = db.session.get(AssessmentRun, result["run_id"])
    click.secho(f"Run #{run.id}: {run.result_count} institutions assessed for {run.year} "
                f"in {seconds:.1f} s.", fg="green")
    if result.get("timings"):
        click.echo("  phases (wall / CPU s): " + ", ".join(
            f"{phase} {wall:.1f} / {result.get('cpu', {}).get(phase, 0):.1f}" for phase, wall in result["timings"].items()))
    check = run.year_check or {}
    if check.get("forced"):
        click.secho(f"  forced: only {check['reported']} of {check['due']} institutions due have reported "
                    f"(note: {run.note})", fg="yellow")
    for s in run.systems:
        name = f"{s['category']}/{s['subclass']}" if s.get("subclass") else s["category"]
        mark = " [provisional]" if s.get("provisional") else ""
        click.echo(f"  {name:40} system {s['version']} sha256 {s['sha256'][:12]}{mark}: {s['count']}")
    grades = ", ".join(f"{g} {n}" for g, n in sorted(result.get("by_grade", {}).items(),
                                                      key=lambda t: "Z" if t[0] == "none" else t[0]))
    recs = ", ".join(f"{r} {n}" for r, n in sorted(result.get("by_recommendation", {}).items(),
                                                    key=lambda t: "~" if t[0] == "none" else t[0]))
    click.echo(f"  grades: {grades}")
    click.echo(f"  recommendations: {recs}")
    if result.get("incomplete"):
        click.secho(f"  {result['incomplete']} incomplete (figures missing where the policy is 'error')", fg="yellow")
    for why, n in (result.get("skipped") or {}).items():
        click.secho(f"  not assessed ({why}): {n}", fg="yellow")


@assess_cli.command("explain")
@click.option("--year", type=int, required=True)
@click.option("--uscc", required=True, help="The institution's unified social credit code.")
@click.option("--run", "run_id", type=int, default=None, help="A run id (default: the latest run of the year).")
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
def assess_explain(year: int, uscc: str, run_id: int | None, lang: str) -> None:
    """Print one institution's full explanation: every indicator, its inputs and their cells, the decision."""
    from flask_babel import force_locale
    from sqlalchemy import select

    from registry.assessments.explain import explain, explanation_lines
    from registry.assessments.queries import institution_result
    from registry.extensions import db
    from registry.models import Institution

    inst = db.session.scalar(select(Institution).where(Institution.uscc == uscc.strip().upper()))
    if inst is None:
        raise click.ClickException(f"No institution with credit code {uscc}.")
    result = institution_result(year, inst.id, run_id)
    if result is None:
        where = f"run #{run_id}" if run_id else f"any run of {year}"
        raise click.ClickException(f"{inst.name} ({inst.uscc}) has no result in {where}.")
    with force_locale(lang):
        lines = explanation_lines(explain(result.outcome), f"{inst.name} ({inst.uscc}) · {year} · run #{result.run_id}")
    click.echo("\n".join(lines))


@assess_cli.command("compare")
@click.argument("run_a", type=int)
@click.argument("run_b", type=int)
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
def assess_compare(run_a: int, run_b: int, lang: str) -> None:
    """Per institution: score, each indicator's points, grade, recommendation and rule-file hashes that differ, and why."""
    from flask_babel import force_locale

    from registry.assessments.comparison import compare_runs, indicator_sentences, reason_sentences
    from registry.extensions import db
    from registry.models import AssessmentRun

    a, b = db.session.get(AssessmentRun, run_a), db.session.get(AssessmentRun, run_b)
    for rid, run in ((run_a, a), (run_b, b)):
        if run is None:
            raise click.ClickException(f"No assessment run #{rid}.")
    cmp = compare_runs(a, b)
    void = lambda r: " [void]" if r.is_void else ""  # noqa: E731
    click.secho(f"Run #{a.id} ({a.year}){void(a)} → run #{b.id} ({b.year}){void(b)}: {len(cmp.changes)} changed, "
                f"{cmp.unchanged} unchanged, {len(cmp.file_only)} with another rule file but the same results, "
                f"{len(cmp.only_a)} only in #{a.id}, {len(cmp.only_b)} only in #{b.id}", bold=True)
    dash = lambda v: "—" if v is None else v  # noqa: E731
    with force_locale(lang):
        for c in cmp.changes + cmp.file_only:
            click.echo(f"{c.uscc} {c.name}: score {dash(c.score[0])} → {dash(c.score[1])}; "
                       f"grade {dash(c.grade[0])} → {dash(c.grade[1])}; "
                       f"recommendation {dash(c.recommendation[0])} ({dash(c.rule[0])}) → "
                       f"{dash(c.recommendation[1])} ({dash(c.rule[1])})")
            if c.system:
                click.echo(f"    system file: {c.system[0]} → {c.system[1]}")
            if c.criteria:
                click.echo(f"    criteria file: {c.criteria[0]} → {c.criteria[1]}")
            for ic in c.indicators:
                click.echo(f"    points {ic.code}: {dash(ic.points[0])} → {dash(ic.points[1])} ({ic.label})")
                for sentence in indicator_sentences(ic):
                    click.echo(f"        {sentence}")
            for code, va, vb in c.inputs:
                click.echo(f"    input {code}: {dash(va)} → {dash(vb)}")
            for sentence in reason_sentences(c):
                click.echo(f"    {sentence}")
    for label, rows in ((f"only in #{a.id}", cmp.only_a), (f"only in #{b.id}", cmp.only_b)):
        for _id, uscc, name in rows:
            click.echo(f"{uscc} {name}: {label}")


@assess_cli.command("void")
@click.argument("run_id", type=int)
@click.option("--reason", required=True, help="Why the run is void (kept with the run, audited).")
def assess_void(run_id: int, reason: str) -> None:
    """Void a run: it stays stored unchanged, but leaves the default views, the history rules and decisions."""
    from registry.assessments.operations import void_run
    from registry.audit import acting_as, cli_label
    from registry.errors_domain import RegistryError
    from registry.extensions import db
    from registry.models import AssessmentRun

    run = db.session.get(AssessmentRun, run_id)
    if run is None:
        raise click.ClickException(f"No assessment run #{run_id}.")
    try:
        with acting_as(cli_label("assess void")):
            void_run(run, reason, label=cli_label("assess void"))
            db.session.commit()
    except RegistryError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.secho(f"Run #{run.id} ({run.year}) is void: {run.void.reason}", fg="yellow")


@assess_cli.command("runs")
@click.option("--year", type=int, default=None, help="Only runs of this year.")
def assess_runs(year: int | None) -> None:
    """List runs: id, year, categories, who started it, status (valid, forced, void) and the void reason."""
    from sqlalchemy import select

    from registry.extensions import db
    from registry.models import AssessmentRun, User

    stmt = select(AssessmentRun).order_by(AssessmentRun.id)
    if year is not None:
        stmt = stmt.where(AssessmentRun.year == year)
    runs = list(db.session.scalars(stmt))
    if not runs:
        click.echo("No assessment runs.")
        return
    users = {u.id: u.username for u in db.session.scalars(select(User).where(
        User.id.in_({r.started_by_id for r in runs if r.started_by_id})))}
    click.echo(f"{'run':>5}  {'year':4}  {'categories':24} {'started by':32} {'results':>7}  status")
    for r in runs:
        who = users.get(r.started_by_id) if r.started_by_id else r.started_by_label
        cats = r.category or "all"
        forced = (r.year_check or {}).get("forced")
        status = "void" if r.is_void else "forced" if forced else "valid"
        line = f"{r.id:>5}  {r.year:4}  {cats:24} {(who or '-')[:32]:32} {r.result_count:>7}  {status}"
        if r.is_void:
            line += f": {r.void.reason} ({r.void.voided_by_label}, {r.void.voided_at:%Y-%m-%d})"
        elif forced:
            line += f": {r.note}"
        click.echo(line)
