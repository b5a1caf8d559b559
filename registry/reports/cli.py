"""`fuhua reports` and `fuhua roster` commands.

`reports import` treats each file as its own transaction: a clean file is stored (upload + new
version) and committed before the next is read; a file with errors writes nothing. The exit
status is 1 when any file had errors, so a batch job notices.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

import assessment
import importers
from registry.errors_domain import RegistryError
from registry.extensions import db

reports_cli = AppGroup("reports", help="Self-reports.")
roster_cli = AppGroup("roster", help="The bureau's roster spreadsheet.")


def _render(error: RegistryError) -> str:
    """A RegistryError in the default (Chinese) locale, outside any web request."""
    with current_app.test_request_context():
        return error.render()


def _print_issues(issues: list[importers.Issue], *, indent: str = "  ") -> None:
    for issue, line in zip(issues, importers.render_issues(issues)):
        click.secho(indent + line, fg="red" if issue.severity == "error" else "yellow", err=True)


@reports_cli.command("template")
@click.option("--category", type=click.Choice(assessment.CATEGORIES), help="Carrier category (or take it from --institution).")
@click.option("--subclass", help="Subclass, for incubators and R&D institutions.")
@click.option("--year", type=int, required=True, help="Report year.")
@click.option("--institution", "credit_code", help="Credit code: pre-fill the header and show last year's figures.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def template_cmd(category: str | None, subclass: str | None, year: int, credit_code: str | None, output: Path) -> None:
    """Write the self-report template for a category (or an institution) and year."""
    from registry.models import Institution
    from registry.reports import operations, queries

    institution = None
    if credit_code:
        institution = db.session.scalar(select(Institution).where(Institution.uscc == credit_code.strip().upper()))
        if institution is None:
            raise click.ClickException(f"统一社会信用代码 {credit_code} 不在机构名录中。")
        if category and category != institution.category.value:
            raise click.ClickException(f"机构“{institution.name}”的类别是 {institution.category.value}，不是 {category}。")
        if subclass and subclass != queries.subclass_code(institution):
            raise click.ClickException(f"机构“{institution.name}”的子类是 {institution.subclass}，不是 {subclass}。")
    elif not category:
        raise click.UsageError("Give --category (or --institution).")
    try:
        data, _ = operations.build_template_for(institution, year, category=category, subclass=subclass or None)
    except RegistryError as exc:
        raise click.ClickException(_render(exc)) from None
    output.write_bytes(data)
    click.secho(f"已写入模板 {output}（{len(data) // 1024} KB）", fg="green")


@reports_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check only; write nothing.")
@click.option("--year", type=int, help="Report year (default: the year in the template).")
def import_cmd(files: tuple[Path, ...], dry_run: bool, year: int | None) -> None:
    """Import filled-in self-reports; the institution is the one whose credit code is in the file.

    Each file is its own transaction. Problems are printed in Chinese; the exit status is 1 when
    any file has errors.
    """
    from registry.reports import operations

    results = []

    def run(path: Path) -> None:
        try:
            result = operations.import_file(path.read_bytes(), path.name, year=year, dry_run=dry_run)
            if dry_run or not result.valid:
                db.session.rollback()
            else:
                db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        results.append(result)

    if len(files) > 1:
        with click.progressbar(files, label="检查并导入" if not dry_run else "检查",
                               item_show_func=lambda p: p.name if p else "") as bar:
            for path in bar:
                run(path)
    else:
        run(files[0])

    failed = 0
    for result in results:
        inst = f"{result.institution.name}（{result.institution.uscc}）" if result.institution else ""
        if not result.valid:
            failed += 1
            click.secho(f"✗ {result.filename} {inst} {result.year or ''}：{len(result.report.errors)} 个错误，未导入",
                        fg="red", err=True)
        elif dry_run:
            click.secho(f"✓ {result.filename} {inst} {result.year}：检查通过（试运行，未写入）", fg="green")
        else:
            version = result.self_report.version if result.self_report else "?"
            click.secho(f"✓ {result.filename} {inst} {result.year}：已导入为第 {version} 版", fg="green")
        _print_issues(result.report.issues + result.extra)
    if len(results) > 1:
        ok = len(results) - failed
        verb = "检查通过" if dry_run else "已导入"
        click.echo(f"共 {len(results)} 个文件：{verb} {ok} 个，有错误 {failed} 个。")
    if failed:
        raise SystemExit(1)


@roster_cli.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def roster_template_cmd(output: Path) -> None:
    """Write the roster template (one institution per row)."""
    data = importers.build_roster_template()
    output.write_bytes(data)
    click.secho(f"已写入名录模板 {output}", fg="green")


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and rehearse the writes, then roll back.")
def roster_import_cmd(file: Path, dry_run: bool) -> None:
    """Register or update institutions from the roster, by credit code; nothing is written if any row is wrong."""
    from registry.reports.roster import import_roster

    try:
        result = import_roster(file.read_bytes(), file.name)
    except Exception:
        db.session.rollback()
        raise
    if not result.valid:
        db.session.rollback()
        click.secho(f"✗ {file.name}：名录有错误，未写入任何数据。", fg="red", err=True)
        _print_issues(result.report.issues)
        if result.refused is not None:
            where, error = result.refused
            click.secho(f"  错误 {where}：{_render(error)}", fg="red", err=True)
        raise SystemExit(1)
    summary = f"新登记 {len(result.created)} 家，更新 {len(result.updated)} 家，无变化 {len(result.unchanged)} 家"
    if dry_run:
        db.session.rollback()
        click.secho(f"✓ {file.name}：检查通过（试运行，未写入）：{summary}。", fg="green")
    else:
        db.session.commit()
        click.secho(f"✓ {file.name}：{summary}。", fg="green")
    _print_issues(result.report.issues)
