"""The tracker's list as .xlsx, in the bureau's list style (registry.exports.sheets: title, header, notes)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from registry.exports.sheets import Column, ListSheet, sheet_name, workbook_bytes
from registry.labels import label_for


def tracker_xlsx(season: Any, rows: list[Any]) -> bytes:
    from registry.seasons.views import STATE_LABELS

    title = _("Reporting season %(year)s: filings (deadline %(deadline)s)", year=season.year,
              deadline=season.deadline.isoformat())
    columns = [Column("#", "int", 6), Column(_("Institution"), "text", 40), Column(_("Credit code"), "text", 22),
               Column(_("Category"), "text", 16), Column(_("Town"), "text", 14), Column(_("State"), "text", 16),
               Column(_("Submitted at"), "text", 18), Column(_("Town's comment"), "text", 40)]
    data = [[n, r.name, r.uscc, label_for(r.category), r.town, str(STATE_LABELS.get(r.shown, r.shown)),
             r.submitted_at.strftime("%Y-%m-%d %H:%M") if r.submitted_at else "", r.town_comment or ""]
            for n, r in enumerate(rows, start=1)]
    sheet = ListSheet(name=sheet_name(str(season.year)), title=title, columns=columns, rows=data,
                      notes=[_("%(n)s institutions", n=len(rows))], freeze_column=3)
    return workbook_bytes([sheet], title=title)
