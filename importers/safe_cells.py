"""Text that came from people is written as text: never a live formula in a workbook or a CSV we produce.

Spreadsheet programs treat a cell beginning with = + - @ (and, in CSV, a leading tab or carriage
return) as a formula: an institution name ``=HYPERLINK("http://evil", "点击")`` in the roster
would otherwise become a working link in every template and export (OWASP "CSV injection").

* openpyxl: `set_text(cell, value)`, `text_cell(ws, row, column, value)` and `append_row(ws, values)`
  keep such strings as plain text cells (data type "s", with Excel's quote prefix so editing the
  cell keeps it text); `write_only_cell(ws, value)` does the same for write-only workbooks.
* CSV: `csv_safe(value)` prefixes such strings with an apostrophe, and `csv_row(values)` maps a row.

Numbers, dates and booleans are written as they are; only strings are neutralised.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: first characters that make Excel, WPS or LibreOffice evaluate a cell
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """True for a string a spreadsheet program would read as a formula."""
    return isinstance(value, str) and value[:1] in FORMULA_TRIGGERS


def set_text(cell: Any, value: object) -> Any:
    """Assign `value` to an openpyxl cell; a formula-like string stays a text cell. Returns the cell."""
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"  # openpyxl made it "f" when the string began with "="
        cell.quotePrefix = True
    return cell


def text_cell(ws: Any, row: int, column: int, value: object) -> Any:
    """`ws.cell(row, column, value)` that never creates a formula from `value`."""
    return set_text(ws.cell(row=row, column=column), value)


def write_only_cell(ws: Any, value: object) -> Any:
    """A cell for `ws.append` in a write-only workbook; formula-like strings stay text."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def append_row(ws: Any, values: Iterable[object]) -> None:
    """`ws.append(values)` keeping formula-like strings as text (normal and write-only worksheets)."""
    values = list(values)
    if getattr(ws.parent, "write_only", False):
        ws.append([write_only_cell(ws, v) if is_formula_like(v) else v for v in values])
        return
    ws.append([None if is_formula_like(v) else v for v in values])
    row = ws.max_row
    for c, v in enumerate(values, start=1):
        if is_formula_like(v):
            set_text(ws.cell(row=row, column=c), v)


def csv_safe(value: object) -> object:
    """A CSV field that no spreadsheet program evaluates: formula-like strings get a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value  # type: ignore[operator]


def csv_row(values: Iterable[object]) -> list[object]:
    """`csv_safe` applied to every field of a row."""
    return [csv_safe(v) for v in values]
