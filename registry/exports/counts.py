"""A published count's table (group × year) that every export format, the statistics page and the API
are written from, with (for the xlsx and `--list`) the institutions behind each figure.

Labels and notes are translated in the current locale (Chinese by default), so the same table
serves the web download (user's language) and the CLI (`--lang`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from registry.exports.params import CountRequest
from registry.extensions import db
from registry.i18n import is_english, label
from registry.models import Town, Zone
from registry.models.enums import SUBCLASSES_BY_CATEGORY
from registry.stats.definitions import NATIONAL_INCUBATORS, CountDefinition
from registry.stats.queries import count_dates, has_synthetic_data


@dataclass(frozen=True)
class CountTable:
    """A finished table: rows of (code, label, counts per year), the city total, and the notes."""

    title: str
    request: CountRequest
    years: list[int]
    counted_on: dict[int, date]
    group_header: str
    rows: list[tuple[str | None, str, list[int]]]
    total_label: str
    total: list[int]
    notes: list[str]
    is_synthetic: bool
    generated_at: datetime
    definition: CountDefinition = NATIONAL_INCUBATORS
    #: the institutions behind the figures (registry.exports.members.Member), when asked for
    members: list[Any] | None = None


def _groups(by: str | None, definition: CountDefinition = NATIONAL_INCUBATORS) -> list[tuple[str | None, str]]:
    """Every group in display order, so groups with no institution still get a row of zeros."""
    english = is_english()
    if by == "town":
        return [(t.code, t.name_en if english else t.name)
                for t in db.session.scalars(select(Town).order_by(Town.sort_order))]
    if by == "zone":
        zones = [(z.code, z.name_en if english else z.name) for z in db.session.scalars(select(Zone).order_by(Zone.id))]
        return zones + [(None, _("Towns outside these zones"))]
    if by == "subclass":
        subclasses = dict.fromkeys(s for c in definition.categories for s in SUBCLASSES_BY_CATEGORY.get(c, ()))
        return [(s.value, label(s)) for s in subclasses] + [(None, _("No subclass"))]
    return []


def _group_header(by: str | None) -> str:
    return {"town": _("Town"), "zone": _("Zone"), "subclass": _("Subclass")}.get(by or "", _("Area"))


def build_count_table(request: CountRequest, definition: CountDefinition = NATIONAL_INCUBATORS, *,
                      with_members: bool = False, scope: Any = None) -> CountTable:
    """Run the definition's count queries for the request and lay the result out as a group × year table.

    with_members: also list the institutions behind each year's figure (limited to `scope`, the ids
    the user may see, when given).
    """
    pairs = count_dates(request.years, request.as_of)
    years = [y for y, _day in pairs]
    column = {y: i for i, y in enumerate(years)}
    groups = _groups(request.by, definition)
    rows: list[tuple[str | None, str, list[int]]] = []
    total = [0] * len(years)
    if request.by:
        grid: dict[str, list[int]] = {}
        for r in definition.counts(request.years, as_of=request.as_of, by=request.by):
            grid.setdefault(r.group or "", [0] * len(years))[column[r.year]] += r.count
            total[column[r.year]] += r.count
        for code, text in groups:
            if code is None and not any(grid.get("", ())):
                continue  # "outside these zones" / "no subclass" only when somebody is there
            rows.append((code, text, grid.get(code or "", [0] * len(years))))
    if request.by not in ("town", "subclass"):
        # zones overlap, so their cells do not add up to the city total: count it on its own. A town
        # or a subclass holds each institution exactly once, so their cells sum to it.
        total = [0] * len(years)
        for r in definition.counts(request.years, as_of=request.as_of):
            total[column[r.year]] = r.count

    if definition is NATIONAL_INCUBATORS:
        title = _("National-level technology business incubators, %(first)s–%(last)s",
                  first=request.from_year, last=request.to_year)
    else:
        title = _("%(title)s, %(first)s–%(last)s", title=definition.title, first=request.from_year, last=request.to_year)
    synthetic = has_synthetic_data()
    generated_at = datetime.now().replace(microsecond=0)
    members = None
    if with_members:
        from registry.exports.members import count_members

        members = count_members(definition, request.years, as_of=request.as_of, scope=scope)
    return CountTable(title=title, request=request, years=years, counted_on=dict(pairs),
                      group_header=_group_header(request.by), rows=rows,
                      total_label=_("City total (each institution once)"), total=total,
                      notes=_notes(request, pairs, synthetic, generated_at, definition), is_synthetic=synthetic,
                      generated_at=generated_at, definition=definition, members=members)


def _notes(request: CountRequest, pairs: list[tuple[int, date]], synthetic: bool, generated_at: datetime,
           definition: CountDefinition = NATIONAL_INCUBATORS) -> list[str]:
    notes = [_("Counting rule (version %(version)s): %(rule)s", version=definition.version, rule=definition.rule)]
    if request.as_of is not None:
        last_year, last_day = pairs[-1]
        if last_day != date(last_year, 12, 31):
            notes.append(_("As-of date: the figure for %(year)s is counted on %(date)s, not on 31 December.",
                           year=last_year, date=last_day.isoformat()))
    if request.by == "zone":
        notes.append(_("Zones overlap (a town can belong to several), so zone figures do not add up to the city total."))
    notes.append(_("Source: Fuhua registry, recognitions recorded by the bureau; generated %(when)s.",
                   when=generated_at.isoformat(sep=" ")))
    if synthetic:
        notes.append(_("This database contains synthetic demo data: these figures are not real."))
    return notes

