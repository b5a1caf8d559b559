"""The tracker's list as .xlsx, styled like the bureau's other exports (registry.exports.writers)."""

from __future__ import annotations

import io
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font

from registry.exports.writers import HEADER_FILL, THIN
from registry.labels import label_for

TITLE_ROW, HEADER_ROW = 1, 3
WIDTHS = (8, 40, 22, 16, 14, 18, 20, 40)


def tracker_xlsx(season: Any, rows: list[Any]) -> bytes:
    from registry.seasons.views import STATE_LABELS

    wb = Workbook()
    ws = wb.active
    ws.title = str(season.year)
    title = _("Reporting season %(year)s: filings (deadline %(deadline)s)", year=season.year,
              deadline=season.deadline.isoformat())
    wb.properties.title = title
    ws.cell(TITLE_ROW, 1, title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=len(WIDTHS))
    headers = ["#", _("Institution"), _("Credit code"), _("Category"), _("Town"), _("State"), _("Submitted at"),
               _("Town's comment")]
    for c, text in enumerate(headers, start=1):
        cell = ws.cell(HEADER_ROW, c, text)
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, Border(bottom=THIN)
        cell.alignment = Alignment(horizontal="center" if c != 2 else "left", vertical="center")
        ws.column_dimensions[cell.column_letter].width = WIDTHS[c - 1]
    for n, r in enumerate(rows, start=1):
        values = [n, r.name, r.uscc, label_for(r.category), r.town, str(STATE_LABELS.get(r.shown, r.shown)),
                  r.submitted_at.strftime("%Y-%m-%d %H:%M") if r.submitted_at else "", r.town_comment or ""]
        for c, value in enumerate(values, start=1):
            ws.cell(HEADER_ROW + n, c, value)
    ws.cell(HEADER_ROW + len(rows) + 2, 1, _("%(n)s institutions", n=len(rows))).font = Font(bold=True)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 3)
    ws.auto_filter.ref = f"A{HEADER_ROW}:H{HEADER_ROW + max(len(rows), 1)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
