"""One styled list sheet for every list a user can take away (runs, recommendations, gap lists, the
registry, the institutions behind a count), laid out like the count export: a bold title, a blank
row, a tinted frozen header, typed cells with number formats, then "Notes" stating the rule and
the data's date. Sheet names are in the user's language.

Text that somebody typed (names, document numbers, reasons) is always written as a text cell:
a value starting with "=" stays the characters it is and is never evaluated as a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

TITLE_ROW = 1
HEADER_ROW = 3
HEADER_FILL = PatternFill("solid", start_color="E6F4EF", end_color="E6F4EF")
GROUP_FILL = PatternFill("solid", start_color="F2F4F7", end_color="F2F4F7")
THIN = Side(style="thin", color="9AA5B1")

#: column kinds → Excel number format
FORMATS = {
    "int": "#,##0",
    "decimal": "#,##0.00",
    "points": "0.00",
    "date": "yyyy-mm-dd",
    "text": "@",
    "general": "General",
}
#: characters Excel refuses in sheet names, and its length limit
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET_NAME = 31


@dataclass(frozen=True)
class Column:
    header: str
    #: "text", "int", "decimal", "points" or "date"
    kind: str = "text"
    width: int = 14


@dataclass
class ListSheet:
    """A titled table with notes; `groups` (optional) are heading rows inserted before rows[i]."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: list[Sequence[Any]]
    notes: list[str] = field(default_factory=list)
    #: row index → heading(s) written across the table before that row (e.g. a recommendation and its count)
    groups: dict[int, list[str]] = field(default_factory=dict)
    #: columns left of this stay visible when scrolling right (1 = none)
    freeze_column: int = 1


def sheet_name(text: str) -> str:
    """A valid, unique-enough sheet name: Excel's forbidden characters removed, at most 31 characters."""
    return _BAD_SHEET_CHARS.sub(" ", text).strip()[:MAX_SHEET_NAME] or "Sheet"


def set_text(cell: Any, value: Any) -> None:
    """Write user text as a text cell: never a formula, whatever it starts with."""
    cell.value = "" if value is None else str(value)
    cell.data_type = TYPE_STRING


def _write_value(cell: Any, value: Any, kind: str) -> None:
    if value is None:
        return
    if kind == "text":
        set_text(cell, value)
        return
    if kind in ("int", "decimal", "points", "general") and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        cell.value = value if not isinstance(value, Decimal) else float(value)
    elif kind == "date" and isinstance(value, (date, datetime)):
        cell.value = value
    else:  # a number column holding a word ("—", "not reported"): still text, never a formula
        set_text(cell, value)
        return
    cell.number_format = FORMATS[kind]


def write_sheet(ws: Worksheet, sheet: ListSheet) -> None:
    ws.title = sheet_name(sheet.name)
    width = len(sheet.columns)
    last_col = get_column_letter(width)
    title = ws.cell(TITLE_ROW, 1)
    set_text(title, sheet.title)
    title.font = Font(bold=True, size=14)
    ws.merge_cells(f"A{TITLE_ROW}:{last_col}{TITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 24

    for c, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(HEADER_ROW, c)
        set_text(cell, column.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=THIN)
        ws.column_dimensions[get_column_letter(c)].width = column.width

    row = HEADER_ROW + 1
    bold = Font(bold=True)
    for i, values in enumerate(sheet.rows):
        for heading in sheet.groups.get(i, ()):
            row = _group_row(ws, row, heading, width, bold)
        for c, (column, value) in enumerate(zip(sheet.columns, values), start=1):
            _write_value(ws.cell(row, c), value, column.kind)
        row += 1
    for heading in sheet.groups.get(len(sheet.rows), ()):  # headings with nothing after them (empty groups)
        row = _group_row(ws, row, heading, width, bold)

    note_row = row + 1
    set_text(ws.cell(note_row, 1), _("Notes"))
    ws.cell(note_row, 1).font = bold
    for i, note in enumerate(sheet.notes, start=1):
        r = note_row + i
        cell = ws.cell(r, 1)
        set_text(cell, note)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(f"A{r}:{last_col}{r}")
        ws.row_dimensions[r].height = 15 * max(1, -(-len(note) // max(40, sum(c.width for c in sheet.columns))))

    ws.freeze_panes = ws.cell(HEADER_ROW + 1, sheet.freeze_column)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    if sheet.rows:
        headings = sum(len(h) for h in sheet.groups.values())
        ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{HEADER_ROW + len(sheet.rows) + headings}"


def _group_row(ws: Worksheet, row: int, heading: str, width: int, bold: Font) -> int:
    cell = ws.cell(row, 1)
    set_text(cell, heading)
    cell.font = bold
    for c in range(1, width + 1):
        ws.cell(row, c).fill = GROUP_FILL
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    return row + 1


def workbook_bytes(sheets: Iterable[ListSheet], *, title: str | None = None, first: Workbook | None = None) -> bytes:
    """Write the sheets into one workbook (after `first`'s own sheets, when given) and return its bytes."""
    wb = first or Workbook()
    reuse = first is None  # a new workbook's empty default sheet takes the first list
    for sheet in sheets:
        ws = wb.active if reuse else wb.create_sheet()
        reuse = False
        write_sheet(ws, sheet)
    if title:
        wb.properties.title = title
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def data_date_note(when: datetime | None = None) -> str:
    """The notes' last line: where the figures come from and when they were read."""
    when = when or datetime.now().replace(microsecond=0)
    return _("Source: Fuhua registry; data as of %(when)s.", when=when.strftime("%Y-%m-%d %H:%M"))


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
