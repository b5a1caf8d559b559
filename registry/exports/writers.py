"""Write a CountTable as .xlsx (styled for the bureau's reports), .csv (UTF-8 with BOM) or .json.

Every writer returns bytes: the caller writes them in one go, so a failure leaves no partial file.
"""

from __future__ import annotations

import csv
import io
import json

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from registry.exports.counts import CountTable
from registry.exports.sheets import ListSheet, sheet_name, workbook_bytes

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}

#: layout of the sheet: title, blank, header, data …, total, blank, notes
TITLE_ROW = 1
HEADER_ROW = 3
HEADER_FILL = PatternFill("solid", start_color="E6F4EF", end_color="E6F4EF")
TOTAL_FILL = PatternFill("solid", start_color="F2F4F7", end_color="F2F4F7")
THIN = Side(style="thin", color="9AA5B1")
COUNT_FORMAT = "#,##0"


def _table_rows(table: CountTable) -> list[list[object]]:
    """Header, data rows and the total row: the same cells in every format."""
    return ([[table.group_header, *table.years]]
            + [[text, *counts] for _code, text, counts in table.rows]
            + [[table.total_label, *table.total]])


def to_xlsx(table: CountTable) -> bytes:
    """The count table on the first sheet; the institutions behind it on a second one when the table has them."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name(_("Counts by year"))
    wb.properties.title = table.title
    width = 1 + len(table.years)
    last_col = get_column_letter(width)

    ws.cell(TITLE_ROW, 1, table.title).font = Font(bold=True, size=14)
    ws.merge_cells(f"A{TITLE_ROW}:{last_col}{TITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 24

    rows = _table_rows(table)
    for r_offset, values in enumerate(rows):
        row = HEADER_ROW + r_offset
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row, c, value)
            if r_offset == 0:
                cell.font = Font(bold=True)
                cell.fill = HEADER_FILL
                cell.alignment = Alignment(horizontal="center" if c > 1 else "left", vertical="center")
                cell.border = Border(bottom=THIN)
            elif c > 1:
                cell.number_format = COUNT_FORMAT
    total_row = HEADER_ROW + len(rows) - 1
    for c in range(1, width + 1):
        cell = ws.cell(total_row, c)
        cell.font = Font(bold=True)
        cell.fill = TOTAL_FILL
        cell.border = Border(top=THIN)

    note_row = total_row + 2
    ws.cell(note_row, 1, _("Notes")).font = Font(bold=True)
    for i, note in enumerate(table.notes, start=1):
        row = note_row + i
        ws.cell(row, 1, note).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(f"A{row}:{last_col}{row}")
        ws.row_dimensions[row].height = 15 * max(1, -(-len(note) // max(40, 9 * width)))

    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 2)  # header row and the group column stay visible
    ws.column_dimensions["A"].width = max(18, min(40, 2 + max(len(str(v[0])) * 2 for v in rows)))
    for c in range(2, width + 1):
        ws.column_dimensions[get_column_letter(c)].width = 10
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    if table.members is not None:
        return workbook_bytes([_members_sheet(table)], first=wb, title=table.title)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _members_sheet(table: CountTable) -> ListSheet:
    from registry.exports.members import members_sheet

    req = table.request
    per_year = ", ".join(f"{y}: {n:,}" for y, n in zip(table.years, table.total))
    notes = [table.notes[0],
             _("One row per year and institution: filter the Year column to see the institutions behind that "
               "year's figure (%(per_year)s). An institution holding several qualifying recognitions is listed "
               "once, at its highest level.", per_year=per_year),
             *table.notes[1:]]
    listed = len(table.members or [])
    if listed != sum(table.total):
        notes.insert(2, _("%(hidden)s rows are not listed because your account may not see those institutions.",
                          hidden=f"{sum(table.total) - listed:,}"))
    return members_sheet(table.definition, table.members or [], first=req.from_year, last=req.to_year, notes=notes)


def members_to_xlsx(table: CountTable) -> bytes:
    """`fuhua export … --list`: the institutions behind the figures alone."""
    return workbook_bytes([_members_sheet(table)], title=table.title)


def members_to_csv(table: CountTable) -> bytes:
    sheet = _members_sheet(table)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in sheet.columns])
    writer.writerows([[v.isoformat() if hasattr(v, "isoformat") else v for v in row] for row in sheet.rows])
    return buffer.getvalue().encode("utf-8-sig")


def members_to_json(table: CountTable) -> bytes:
    from registry.exports.members import members_dicts

    data = {"definition": {"code": table.definition.code, "version": table.definition.version},
            "title": table.title, "years": table.years,
            "counted_on": {str(y): d.isoformat() for y, d in table.counted_on.items()},
            "total": dict(zip(map(str, table.years), table.total)),
            "institutions": members_dicts(table.members or []), "notes": table.notes}
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def to_csv(table: CountTable) -> bytes:
    """The table only (no title or notes, so it loads as data); BOM so Excel reads the Chinese correctly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(_table_rows(table))
    return buffer.getvalue().encode("utf-8-sig")


def count_dict(table: CountTable) -> dict:
    """The JSON export's content as data (the API answers with exactly this)."""
    req = table.request
    return {
        "indicator": table.definition.code,
        "definition": {"code": table.definition.code, "version": table.definition.version},
        "title": table.title,
        "from": req.from_year,
        "to": req.to_year,
        "by": req.by,
        "as_of": req.as_of.isoformat() if req.as_of else None,
        "years": table.years,
        "counted_on": {str(y): d.isoformat() for y, d in table.counted_on.items()},
        "rows": [{"code": code, "label": text, "counts": dict(zip(map(str, table.years), counts))}
                 for code, text, counts in table.rows],
        "total": dict(zip(map(str, table.years), table.total)),
        "synthetic": table.is_synthetic,
        "generated_at": table.generated_at.astimezone().isoformat(),  # RFC 3339: with its UTC offset
        "notes": table.notes,
    }


def to_json(table: CountTable) -> bytes:
    return json.dumps(count_dict(table), ensure_ascii=False, indent=2).encode("utf-8")


WRITERS = {"xlsx": to_xlsx, "csv": to_csv, "json": to_json}
LIST_WRITERS = {"xlsx": members_to_xlsx, "csv": members_to_csv, "json": members_to_json}


def render_export(table: CountTable, *, members_only: bool = False) -> bytes:
    return (LIST_WRITERS if members_only else WRITERS)[table.request.fmt](table)
