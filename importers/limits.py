"""Limits checked before a workbook is loaded, so a hostile or broken upload cannot exhaust memory."""

from __future__ import annotations

#: Largest upload accepted, in bytes.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Total uncompressed size of all members of an .xlsx / .ods zip.
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
#: Uncompressed size of an XML part the reader loads whole (shared strings, styles, workbook, relationships).
MAX_PART_BYTES = 16 * 1024 * 1024
#: Grid cells (the used area, A1 to the last used cell, summed over the sheets read) when no template
#: says otherwise: python-calamine's dense grid costs ~70 bytes a cell between Rust and Python.
MAX_CELLS = 1_000_000
#: A template's budget is this many times the largest area a complete report can fill (budget.py) …
BUDGET_FACTOR = 3
#: … and never below this (room for notes, a stray cell or two outside the template's columns).
MIN_TEMPLATE_CELLS = 50_000
#: Largest compression ratio accepted for a member bigger than RATIO_MIN_SIZE (zip-bomb guard;
#: real sheet XML compresses 10–60×).
MAX_COMPRESSION_RATIO = 200
RATIO_MIN_SIZE = 1024 * 1024
#: Largest workbook (all sheets) the highlighted copy opens with openpyxl to mark in place (~1 KB a
#: cell); bigger ones come back as a streamed copy of their values (annotate.py).
OPENPYXL_CELLS = 100_000
#: In the streamed copy, a sheet larger than this keeps its header rows and the rows with a problem.
FULL_COPY_CELLS = 20_000
#: Rows / columns a sheet may claim (or contain). Table sheets have their own, lower max_rows.
MAX_SHEET_ROWS = 50_000
MAX_SHEET_COLUMNS = 256
#: Issues listed per table column; after that many errors the rest of the column is counted, not checked (tables.py).
MAX_COLUMN_ISSUES = 50
#: Rows scanned for a table's code row / header row.
HEADER_SCAN_ROWS = 20


def human_size(size: int) -> str:
    """"20 MB"-style size for messages."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"
