"""Merged cells of an OpenDocument spreadsheet, which calamine does not report for .ods.

A merge in .ods is a cell with table:number-columns-spanned / number-rows-spanned followed by
covered cells; positions must count the repeat attributes (a run of empty cells is one element).
Read only when the file mentions a span, streaming content.xml so big files stay cheap.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import iterparse

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")

Range = tuple[int, int, int, int]  #: 0-based inclusive (r0, c0, r1, c1), as Sheet.merged


def ods_merged_ranges(data: bytes) -> dict[str, tuple[Range, ...]]:
    """Sheet name → its merged ranges; empty when the file has none (or is not a readable .ods)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            content = zf.read("content.xml")
    except (zipfile.BadZipFile, KeyError):
        return {}
    if b"-spanned" not in content:
        return {}
    found: dict[str, list[Range]] = {}
    sheet: str | None = None
    row = col = 0
    row_repeat = 1
    for event, el in iterparse(io.BytesIO(content), events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag == f"{_TABLE}table":
                sheet, row = el.get(f"{_TABLE}name", ""), 0
            elif tag == f"{_TABLE}table-row":
                col, row_repeat = 0, int(el.get(f"{_TABLE}number-rows-repeated", "1") or 1)
            elif tag in _CELLS and sheet is not None:
                cols = int(el.get(f"{_TABLE}number-columns-spanned", "1") or 1)
                rows = int(el.get(f"{_TABLE}number-rows-spanned", "1") or 1)
                if tag == _CELLS[0] and (cols > 1 or rows > 1):
                    found.setdefault(sheet, []).append((row, col, row + rows - 1, col + cols - 1))
                col += int(el.get(f"{_TABLE}number-columns-repeated", "1") or 1)
        else:
            if tag == f"{_TABLE}table-row":
                row += row_repeat
            el.clear()
    return {name: tuple(ranges) for name, ranges in found.items()}
