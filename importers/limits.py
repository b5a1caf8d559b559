"""Limits checked before a workbook is loaded, so a hostile or broken upload cannot exhaust memory."""

from __future__ import annotations

#: Largest upload accepted, in bytes.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Total uncompressed size of all members of an .xlsx / .ods zip.
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
#: Largest compression ratio accepted for a member bigger than RATIO_MIN_SIZE (zip-bomb guard;
#: real sheet XML compresses 10–60×).
MAX_COMPRESSION_RATIO = 200
RATIO_MIN_SIZE = 1024 * 1024
#: Rows / columns a sheet may claim (or contain). Table sheets have their own, lower max_rows.
MAX_SHEET_ROWS = 50_000
MAX_SHEET_COLUMNS = 256
#: Rows scanned for a table's code row / header row.
HEADER_SCAN_ROWS = 20


def human_size(size: int) -> str:
    """"20 MB"-style size for messages."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"
