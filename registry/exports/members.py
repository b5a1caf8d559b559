"""The institutions behind a count: one row per year and institution, so filtering a year in Excel
gives exactly the institutions that make up that year's figure (name, credit code, town, level,
recognition date and document number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement

from registry.exports.sheets import Column, ListSheet
from registry.extensions import db
from registry.i18n import is_english
from registry.labels import label_for
from registry.stats.definitions import CountDefinition
from registry.stats.queries import count_dates


@dataclass(frozen=True, slots=True)
class Member:
    year: int
    counted_on: date
    institution_id: int
    name: str
    uscc: str
    subclass: str | None
    town: str
    level: Any
    recognised_on: date
    doc_no: str | None


def count_members(definition: CountDefinition, years: range | list[int], *, as_of: date | None = None,
                  scope: ColumnElement[bool] | None = None) -> list[Member]:
    """Every institution counted under `definition` in each year, at its highest qualifying level.

    `scope` (a condition on Institution: registry.access.institution_scope) limits the rows to what the
    user may see.
    """
    pairs = count_dates(years, as_of)
    if not pairs:
        return []
    stmt = definition.members_select(pairs)
    if scope is not None:
        stmt = stmt.where(scope)
    english = is_english()
    best: dict[tuple[int, int], Member] = {}
    for year, day, inst_id, name, uscc, subclass, town, town_en, level, since, doc_no in db.session.execute(stmt):
        key = (int(year), inst_id)
        held = best.get(key)
        if held is not None and (held.level.rank, held.recognised_on) >= (level.rank, since):
            continue
        best[key] = Member(int(year), _as_date(day), inst_id, name, uscc, subclass, town_en if english else town,
                           level, since, doc_no)
    return list(best.values())  # insertion order is the query's: year, town, name


def members_sheet(definition: CountDefinition, members: list[Member], *, first: int, last: int,
                  notes: list[str]) -> ListSheet:
    columns = [Column(_("Year"), "int", 8), Column(_("Name"), "text", 36), Column(_("Credit code"), "text", 22),
               Column(_("Town"), "text", 14), Column(_("Subclass"), "text", 12), Column(_("Level"), "text", 14),
               Column(_("Recognised on"), "date", 13), Column(_("Document number"), "text", 26)]
    labels: dict[Any, str] = {None: ""}  # a few distinct codes, thousands of rows: translate each once

    def text(code: Any) -> str:
        if code not in labels:
            labels[code] = label_for(code)
        return labels[code]

    rows = [[m.year, m.name, m.uscc, m.town, text(m.subclass), text(m.level), m.recognised_on, m.doc_no or ""]
            for m in members]
    title = _("%(title)s, %(first)s–%(last)s: the institutions counted", title=definition.title, first=first, last=last)
    return ListSheet(name=_("Institutions counted"), title=title, columns=columns, rows=rows, notes=notes,
                     freeze_column=3)


def members_dicts(members: list[Member]) -> list[dict[str, Any]]:
    """JSON-ready rows (codes, not labels), for `--list --format json` and the API."""
    return [{"year": m.year, "counted_on": m.counted_on.isoformat(), "name": m.name, "uscc": m.uscc,
             "town": m.town, "subclass": m.subclass, "level": m.level.value,
             "recognised_on": m.recognised_on.isoformat(), "doc_no": m.doc_no} for m in members]


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
