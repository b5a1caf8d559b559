"""`fuhua export` commands."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

export_cli = AppGroup("export", help="Exports.")

_SUFFIX_FORMATS = {".xlsx": "xlsx", ".csv": "csv", ".json": "json"}


_COUNT_OPTIONS = [
    click.option("--from", "from_year", required=True, metavar="YEAR", help="First year, e.g. 2016."),
    click.option("--to", "to_year", required=True, metavar="YEAR", help="Last year, e.g. 2020."),
    click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
                 help="Count on this date instead of 31 December when it comes earlier: each year is counted on "
                      "min(31 Dec of the year, DATE). --to may not be after DATE's year."),
    click.option("--by", "by", metavar="town|zone|subclass", help="One row per town, zone or subclass "
                 "(default: the city total only)."),
    click.option("--format", "fmt", metavar="xlsx|csv|json", help="File format (default: from the file name)."),
    click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
                 help="File to write; nothing is written if any option is wrong."),
    click.option("--lang", default="zh_CN", show_default=True, type=click.Choice(["zh_CN", "en"]),
                 help="Language of titles, labels and notes."),
    click.option("--list", "as_list", is_flag=True,
                 help="Write the institutions behind the figures (one row per year and institution: name, credit "
                      "code, town, level, recognition date and document number) instead of the count table."),
]


def _count_options(command):  # noqa: ANN001, ANN201
    for option in reversed(_COUNT_OPTIONS):
        command = option(command)
    return command


@export_cli.command("national-incubators")
@_count_options
def national_incubators_cmd(from_year: str, to_year: str, as_of: str | None, by: str | None, fmt: str | None,
                            output: Path, lang: str, as_list: bool) -> None:
    """National-level incubators in force on 31 December of each year, as .xlsx, .csv or .json.

    An incubator counts for a year when its national-level recognition is in force on the count
    date (recognised on or before it, not ended on or before it); each institution counts once.
    The .xlsx has a second sheet listing those institutions.
    """
    _export_count("national-incubators", from_year, to_year, as_of, by, fmt, output, lang, as_list)


@export_cli.command("count")
@click.argument("definition", metavar="DEFINITION")
@_count_options
def count_cmd(definition: str, from_year: str, to_year: str, as_of: str | None, by: str | None, fmt: str | None,
              output: Path, lang: str, as_list: bool) -> None:
    """Any published count (see `fuhua export definitions`), as .xlsx, .csv or .json, or --list its institutions."""
    _export_count(definition, from_year, to_year, as_of, by, fmt, output, lang, as_list)


@export_cli.command("definitions")
@click.option("--lang", default="zh_CN", show_default=True, type=click.Choice(["zh_CN", "en"]))
def definitions_cmd(lang: str) -> None:
    """The published count definitions: code, version and counting rule."""
    for d in _definitions():
        text = d.describe()
        click.echo(f"{d.code} (v{d.version}): {text['title'][lang]}\n  {text['rule'][lang]}")


def _definitions():  # noqa: ANN202
    from registry.stats.definitions import DEFINITIONS

    return DEFINITIONS


def _export_count(code: str, from_year: str, to_year: str, as_of: str | None, by: str | None, fmt: str | None,
                  output: Path, lang: str, as_list: bool) -> None:
    from flask_babel import force_locale

    from registry.exports.counts import build_count_table
    from registry.exports.params import validate_count_request
    from registry.exports.writers import render_export
    from registry.stats.definitions import BY_CODE

    definition = BY_CODE.get(code)
    if definition is None:
        raise click.UsageError(f"“{code}” is not a published count; choose one of: {', '.join(BY_CODE)}.")

    if fmt is None:
        fmt = _SUFFIX_FORMATS.get(output.suffix.lower())
        if fmt is None:
            raise click.UsageError(f"Cannot tell the format from “{output.name}”: add --format xlsx, csv or json.")
    elif output.suffix.lower() in _SUFFIX_FORMATS and _SUFFIX_FORMATS[output.suffix.lower()] != fmt.strip().lower():
        raise click.UsageError(f"“{output.name}” ends in {output.suffix} but --format is {fmt}; make them agree.")
    _check_writable(output)

    with current_app.test_request_context(), force_locale(lang):
        request, problems = validate_count_request(from_year=from_year, to_year=to_year, by=by, as_of=as_of, fmt=fmt)
        if problems:
            option = {"from": "--from", "to": "--to", "by": "--by", "as_of": "--as-of", "format": "--format"}
            raise click.UsageError("\n".join(f"{option.get(p.field, p.field)}: {p.render()}" for p in problems))
        assert request is not None
        if request.by and request.by not in definition.groupings:
            raise click.UsageError(f"--by: this count can be grouped by {', '.join(definition.groupings)}.")
        table = build_count_table(request, definition, with_members=as_list or request.fmt == "xlsx")
        data = render_export(table, members_only=as_list)
    _write_atomically(output, data)
    if as_list:
        click.secho(f"Wrote {output} ({len(data):,} bytes): {len(table.members or []):,} rows, "
                    f"institutions per year {dict(zip(table.years, table.total))}", fg="green")
        return
    click.secho(f"Wrote {output} ({len(data):,} bytes): {len(table.years)} years, "
                f"{len(table.rows) or 1} rows, totals {dict(zip(table.years, table.total))}", fg="green")


def _check_writable(path: Path) -> None:
    """Refuse early (before any query) when the file could not be written."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise click.BadParameter(f"“{path}” is a directory; give a file name.", param_hint="-o")
    if not parent.is_dir():
        raise click.BadParameter(f"The folder “{parent}” does not exist.", param_hint="-o")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise click.BadParameter(f"“{path}” cannot be written (permission denied).", param_hint="-o")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target and rename, so a failed write never leaves a partial export."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise click.ClickException(f"Could not write “{path}”: {exc.strerror or exc}.") from None
