"""Write a CountTable as .xlsx (styled for the bureau's reports), .csv (UTF-8 with BOM) or .json.

Every writer returns bytes: the caller writes them in one go, so a failure leaves no partial file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from importers.safe_cells import csv_row
from registry.exports.counts import CountTable
from registry.exports.sheets import ListSheet, Styles, sheet_name, workbook_bytes, write_notes, write_text

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def _table_rows(table: CountTable) -> list[list[object]]:
    """Header, data rows and the total row: the same cells in every format."""
    return ([[table.group_header, *table.years]]
            + [[text, *counts] for _code, text, counts in table.rows]
            + [[table.total_label, *table.total]])


def _count_sheet(table: CountTable) -> Callable[[Any, Styles], None]:
    """Writes the count table as the workbook's first sheet: title, header, one row per group, the total, notes."""

    def write(wb: Any, styles: Styles) -> None:
        ws = wb.add_worksheet(sheet_name(_("Counts by year")))
        width = 1 + len(table.years)
        rows = _table_rows(table)
        if width > 1:
            ws.merge_range(0, 0, 0, width - 1, "", styles.title)
        write_text(ws, 0, 0, table.title, styles.title)
        ws.set_row(0, 24)
        header_row = 2
        for c, value in enumerate(rows[0]):
            if c == 0:
                write_text(ws, header_row, c, value, styles.header_left)
            else:
                ws.write_number(header_row, c, value, styles.header)
        count = styles.kinds["int"]
        for r, values in enumerate(rows[1:-1], start=header_row + 1):
            write_text(ws, r, 0, values[0])
            for c, value in enumerate(values[1:], start=1):
                ws.write_number(r, c, value, count)
        total_row = header_row + len(rows) - 1
        write_text(ws, total_row, 0, rows[-1][0], styles.total)
        for c, value in enumerate(rows[-1][1:], start=1):
            ws.write_number(total_row, c, value, styles.total_count)
        write_notes(ws, total_row + 2, table.notes, width, styles, 9 * width)
        ws.freeze_panes(header_row + 1, 1)  # header row and the group column stay visible
        ws.set_column(0, 0, max(18, min(40, 2 + max(len(str(v[0])) * 2 for v in rows))))
        ws.set_column(1, width - 1, 10)
        ws.repeat_rows(header_row)

    return write


def to_xlsx(table: CountTable) -> bytes:
    """The count table on the first sheet; the institutions behind it on a second one when the table has them."""
    sheets = [_members_sheet(table)] if table.members is not None else []
    return workbook_bytes(sheets, title=table.title, before=_count_sheet(table))


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
    writer.writerows(csv_row(row) for row in _table_rows(table))
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
