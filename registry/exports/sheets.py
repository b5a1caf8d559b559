"""One styled list sheet for every list a user can take away (runs, recommendations, gap lists, the
registry, the institutions behind a count), laid out like the count export: a bold title, a blank
row, a tinted frozen header, typed cells with number formats, then "Notes" stating the rule and
the data's date. Sheet names are in the user's language.

Written with XlsxWriter, which streams cells straight into the file: a 6,400-row list takes a
fraction of the time openpyxl needs to build the same workbook in memory (bench/bench_api_exports.py).
Text that somebody typed (names, document numbers, reasons) is always written with write_string:
a value starting with "=" stays the characters it is and is never evaluated as a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from flask_babel import gettext as _
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

#: 0-based rows: title, blank, header, data …
TITLE_ROW = 0
HEADER_ROW = 2
HEADER_COLOR = "#E6F4EF"
GROUP_COLOR = "#F2F4F7"
LINE_COLOR = "#9AA5B1"

#: column kinds → Excel number format
FORMATS = {
    "int": "#,##0",
    "decimal": "#,##0.00",
    "points": "0.00",
    "date": "yyyy-mm-dd",
    "text": None,
    "general": None,
}
#: characters Excel refuses in sheet names, and its length limit
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET_NAME = 31
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    #: "text", "int", "decimal", "points", "date" or "general" (numbers as numbers, no format)
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
    """A valid sheet name: Excel's forbidden characters removed, at most 31 characters."""
    return _BAD_SHEET_CHARS.sub(" ", text).strip()[:MAX_SHEET_NAME] or "Sheet"


class Styles:
    """The workbook's formats, created once per workbook (XlsxWriter formats belong to one workbook)."""

    def __init__(self, wb: Workbook) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 14, "valign": "vcenter"})
        self.header = wb.add_format({"bold": True, "bg_color": HEADER_COLOR, "pattern": 1, "align": "center",
                                     "valign": "vcenter", "text_wrap": True, "bottom": 1, "bottom_color": LINE_COLOR})
        self.header_left = wb.add_format({"bold": True, "bg_color": HEADER_COLOR, "pattern": 1, "align": "left",
                                          "valign": "vcenter", "bottom": 1, "bottom_color": LINE_COLOR})
        self.group = wb.add_format({"bold": True, "bg_color": GROUP_COLOR, "pattern": 1})
        self.total = wb.add_format({"bold": True, "bg_color": GROUP_COLOR, "pattern": 1, "top": 1,
                                    "top_color": LINE_COLOR})
        self.total_count = wb.add_format({"bold": True, "bg_color": GROUP_COLOR, "pattern": 1, "top": 1,
                                          "top_color": LINE_COLOR, "num_format": FORMATS["int"]})
        self.bold = wb.add_format({"bold": True})
        self.note = wb.add_format({"text_wrap": True, "valign": "top"})
        self.kinds = {kind: wb.add_format({"num_format": fmt}) for kind, fmt in FORMATS.items() if fmt}


#: day 0 of Excel's (1900) date system, counting its phantom 29 February 1900
EXCEL_EPOCH = datetime(1899, 12, 30)


def excel_serial(value: date | datetime) -> float:
    """A date as Excel's day number (what write_datetime stores, without its per-cell cost)."""
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - EXCEL_EPOCH
        return delta.days + delta.seconds / 86400
    return float((value - EXCEL_EPOCH.date()).days)


def new_workbook(buffer: io.BytesIO) -> Workbook:
    # write_string is used for all text anyway; these stop XlsxWriter's own guessing elsewhere
    return xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})


def write_text(ws: Worksheet, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """User text as a text cell: never a formula, whatever it starts with."""
    ws.write_string(row, col, "" if value is None else str(value), fmt)


def _writer(ws: Worksheet, kind: str, styles: Styles) -> Callable[[int, int, Any], None]:
    fmt = styles.kinds.get(kind)

    if kind == "date":
        def write(r: int, c: int, v: Any) -> None:
            if isinstance(v, (date, datetime)):
                ws.write_number(r, c, excel_serial(v), fmt)
            elif v is not None:
                ws.write_string(r, c, str(v))
        return write
    if kind == "text":
        def write(r: int, c: int, v: Any) -> None:
            if v is not None and v != "":
                ws.write_string(r, c, str(v))
        return write

    def write(r: int, c: int, v: Any) -> None:
        if v is None:
            return
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            ws.write_number(r, c, float(v) if isinstance(v, Decimal) else v, fmt)
        else:  # a number column holding a word ("—"): still text, never a formula
            ws.write_string(r, c, str(v))
    return write


def write_notes(ws: Worksheet, row: int, notes: Sequence[str], width: int, styles: Styles, text_width: int) -> None:
    """"Notes" in bold at `row`, then one merged, wrapped row per note."""
    write_text(ws, row, 0, _("Notes"), styles.bold)
    for i, note in enumerate(notes, start=1):
        r = row + i
        if width > 1:
            ws.merge_range(r, 0, r, width - 1, "", styles.note)
        write_text(ws, r, 0, note, styles.note)
        ws.set_row(r, 15 * max(1, -(-len(note) // max(40, text_width))))


def write_sheet(ws: Worksheet, sheet: ListSheet, styles: Styles) -> None:
    width = len(sheet.columns)
    if width > 1:
        ws.merge_range(TITLE_ROW, 0, TITLE_ROW, width - 1, "", styles.title)
    write_text(ws, TITLE_ROW, 0, sheet.title, styles.title)
    ws.set_row(TITLE_ROW, 24)
    for c, column in enumerate(sheet.columns):
        write_text(ws, HEADER_ROW, c, column.header, styles.header)
        ws.set_column(c, c, column.width)
    writers = [_writer(ws, column.kind, styles) for column in sheet.columns]
    row = HEADER_ROW + 1
    groups = sheet.groups
    for i, values in enumerate(sheet.rows):
        if groups:
            for heading in groups.get(i, ()):
                row = _group_row(ws, row, heading, width, styles)
        for c, value in enumerate(values):
            writers[c](row, c, value)
        row += 1
    for heading in groups.get(len(sheet.rows), ()):  # headings with nothing after them (empty groups)
        row = _group_row(ws, row, heading, width, styles)
    if sheet.rows:
        ws.autofilter(HEADER_ROW, 0, row - 1, width - 1)
    write_notes(ws, row + 1, sheet.notes, width, styles, sum(c.width for c in sheet.columns))
    ws.freeze_panes(HEADER_ROW + 1, sheet.freeze_column - 1)
    ws.repeat_rows(HEADER_ROW)


def _group_row(ws: Worksheet, row: int, heading: str, width: int, styles: Styles) -> int:
    if width > 1:
        ws.merge_range(row, 0, row, width - 1, "", styles.group)
    write_text(ws, row, 0, heading, styles.group)
    return row + 1


def workbook_bytes(sheets: Iterable[ListSheet], *, title: str | None = None,
                   before: Callable[[Workbook, Styles], None] | None = None) -> bytes:
    """The sheets in one workbook (after the sheets `before` writes, when given), as bytes."""
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    styles = Styles(wb)
    if before is not None:
        before(wb, styles)
    for sheet in sheets:
        write_sheet(wb.add_worksheet(sheet_name(sheet.name)), sheet, styles)
    if title:
        wb.set_properties({"title": title})
    wb.close()
    return buffer.getvalue()


def data_date_note(when: datetime | None = None) -> str:
    """The notes' last line: where the figures come from and when they were read."""
    when = when or datetime.now().replace(microsecond=0)
    return _("Source: Fuhua registry; data as of %(when)s.", when=when.strftime("%Y-%m-%d %H:%M"))
