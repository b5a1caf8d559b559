"""Counting a workbook's cells before loading it, so no upload can cost more than a legitimate report.

The reader (python-calamine) turns each sheet into a dense grid from A1 to the last used cell, so
memory follows the *area* of the used range, not the file size or the compression ratio: two
sheets of 50,000 × 256 digits are 18 MB on disk and 25.6 million cells (over 1 GB) once loaded.
Each format is counted the cheap way before anything is loaded:

* .xlsx — each worksheet's XML is streamed from the zip in row-aligned blocks; the `<dimension>`
  claim, the row numbers and the cell references (or, for cells without references, the number
  of cells in a row) give the used area. Counting stops as soon as the budget is passed, so a
  hostile sheet costs a few megabytes of decompression, whatever its size.
* .xls — the BIFF8 record stream (olefile reads the compound file) is walked record by record:
  every cell record carries its row and column.
* .ods — content.xml is pulled element by element; rows and cells carry repeat counts.

A `Budget` names the sheets to read (a template's own sheets: others are never loaded) and the
total area accepted; `template_budget(spec)` derives it from the template: a few times the
largest report the template allows.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from importers import limits

if TYPE_CHECKING:
    from importers.spec import TemplateSpec

#: Block size when streaming sheet XML out of the zip.
_CHUNK = 1 << 20
#: A "row" longer than this without a row end is counted as it is (hostile XML; no row is this long).
_MAX_CARRY = 8 << 20


@dataclass(frozen=True, slots=True)
class Budget:
    """Which sheets to read (None: every worksheet) and how many grid cells they may span in total."""

    cells: int = limits.MAX_CELLS
    sheets: frozenset[str] | None = None

    def reads(self, sheet: str) -> bool:
        return self.sheets is None or sheet in self.sheets


def template_budget(spec: TemplateSpec) -> Budget:
    """The template's sheets, and `limits.BUDGET_FACTOR` × the largest area a complete report can fill.

    Key/value sheet: a header, a section row per section and a row per field, 7 columns; each
    table: its title, code and header rows plus `max_rows` data rows, one column per declared
    column; the identity sheet: a handful of cells.
    """
    from importers.self_report import META_SHEET  # local: self_report imports workbook, which imports us
    from importers.spec import KV_SHEET

    sections = len({f.section for f in spec.fields})
    legit = (3 + sections + len(spec.fields)) * 7 + 2 * 16
    legit += sum((3 + t.max_rows) * max(1, len(t.columns)) for t in spec.tables)
    cells = max(limits.BUDGET_FACTOR * legit, limits.MIN_TEMPLATE_CELLS)
    return Budget(cells=cells, sheets=frozenset({KV_SHEET, META_SHEET, *(t.label for t in spec.tables)}))


@dataclass(frozen=True, slots=True)
class OverBudget:
    """What was found when counting stopped: the sheet, the area counted so far (at least), the budget."""

    sheet: str
    cells: int
    limit: int


@dataclass(frozen=True, slots=True)
class SheetSize:
    """A sheet's used area: last row and column (1-based) and the number of cell elements."""

    rows: int
    columns: int
    cells: int

    @property
    def area(self) -> int:
        return self.rows * self.columns


# --- .xlsx -------------------------------------------------------------------------------------

_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")
_LETTERS_REF = re.compile(rb'\sr="([A-Z]{1,3})\d')


class XlsxSheetCounter:
    """Feed row-aligned blocks of one worksheet's XML; `size` is the used area found so far.

    Element starts are counted with bytes.count (C speed): "<c" counts every cell (and the odd
    <cols>/<cfRule> outside the sheet data, which only errs on the safe side), "<row" every row.
    """

    def __init__(self, prefix: bytes = b"") -> None:
        self.set_prefix(prefix)
        self.max_row = 0  #: largest r="…" on a row
        self.row_elements = 0  #: rows without r count by position
        self.max_col = 0
        self.cells = 0

    def set_prefix(self, prefix: bytes) -> None:
        self._cell_open = b"<" + prefix + b"c"
        self._row_open = b"<" + prefix + b"row"
        self._row_number = re.compile(rb"<" + re.escape(prefix) + rb'row\b[^>]*?\br="(\d+)"')

    def feed(self, block: bytes) -> None:
        cells = block.count(self._cell_open)
        self.cells += cells
        self.row_elements += block.count(self._row_open)
        numbers = self._row_number.findall(block)
        if numbers:
            self.max_row = max(self.max_row, max(map(int, numbers)))
        refs = _LETTERS_REF.findall(block)
        if refs:
            self.max_col = max(self.max_col, _widest(refs))
        if cells > len(refs):  # cells without a reference sit after the previous cell of their row
            self.max_col = max(self.max_col, self._refless_width(block, bool(refs)))

    def _refless_width(self, block: bytes, with_refs: bool) -> int:
        widest = 0
        count = self._cell_open
        for piece in block.split(self._row_open):
            if with_refs:
                refs = _LETTERS_REF.findall(piece)
                widest = max(widest, (_widest(refs) if refs else 0) + piece.count(count) - len(refs))
            else:
                widest = max(widest, piece.count(count))
        return widest

    @property
    def size(self) -> SheetSize:
        rows = max(self.max_row, self.row_elements)
        return SheetSize(rows, self.max_col if rows else 0, self.cells)


def _widest(letters: list[bytes]) -> int:
    return column_number(max(set(letters), key=lambda s: (len(s), s)))


def iter_row_blocks(zf: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """A worksheet's XML in blocks of about 1 MB that end at a row end, decompressed as it is read."""
    carry = b""
    with zf.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            buffer = carry + chunk
            cut = buffer.rfind(b"row>")
            if cut < 0 and len(buffer) < _MAX_CARRY:
                carry = buffer
                continue
            cut = len(buffer) if cut < 0 else cut + 4
            carry = buffer[cut:]
            yield buffer[:cut]
    if carry:
        yield carry


def count_xlsx(zf: zipfile.ZipFile, budget: Budget) -> tuple[dict[str, SheetSize], OverBudget | None]:
    """Used area of every worksheet part in the zip (named by part), stopping past the budget."""
    sizes: dict[str, SheetSize] = {}
    spent = 0
    for part in zf.namelist():
        if not (part.startswith("xl/worksheets/") and part.endswith(".xml")):
            continue
        counter = XlsxSheetCounter()
        first = True
        for block in iter_row_blocks(zf, part):
            if first:
                counter.set_prefix(worksheet_prefix(block))
                first = False
            counter.feed(block)
            if spent + counter.size.area > budget.cells:
                return sizes, OverBudget(part, spent + counter.size.area, budget.cells)
        sizes[part] = counter.size
        spent += counter.size.area
    return sizes, None


def worksheet_prefix(first_block: bytes) -> bytes:
    """The namespace prefix the sheet XML uses for its elements ("" or e.g. "x:")."""
    m = _PREFIX.search(first_block, 0, 4096)
    return m.group(1) or b"" if m else b""


def column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


# --- .ods --------------------------------------------------------------------------------------

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE, _ROW = f"{{{_TABLE_NS}}}table", f"{{{_TABLE_NS}}}table-row"
_CELLS = (f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell")
_ROWS_REPEATED, _COLS_REPEATED = f"{{{_TABLE_NS}}}number-rows-repeated", f"{{{_TABLE_NS}}}number-columns-repeated"
_VALUE_TYPE, _NAME = f"{{{_OFFICE_NS}}}value-type", f"{{{_TABLE_NS}}}name"


def count_ods(zf: zipfile.ZipFile, budget: Budget) -> tuple[dict[str, SheetSize], OverBudget | None]:
    """Used area of every table in content.xml (the reader loads them all), stopping past the budget.

    Runs of *empty* rows and cells (LibreOffice pads sheets with a million of them) cost nothing;
    a run that ends in a value counts in full. Every element parsed also counts, so a flood of
    empty elements without repeat counts is refused too.
    """
    from xml.etree.ElementTree import iterparse

    sizes: dict[str, SheetSize] = {}
    total = elements = 0
    name, table = "", None
    row_index = last_row = widest = cells = 0
    with zf.open("content.xml") as stream:
        for event, el in iterparse(stream, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == _TABLE:
                    name, table = el.get(_NAME, ""), el
                    row_index = last_row = widest = cells = 0
                continue
            if tag in _CELLS:
                elements += 1
                if elements > 2 * budget.cells:  # a flood of cells without repeat counts
                    return sizes, OverBudget(name, elements, budget.cells)
                continue  # counted with its row
            if tag == _ROW:
                repeat = _int(el.get(_ROWS_REPEATED))
                col = row_width = valued = 0
                for cell in el:
                    span = _int(cell.get(_COLS_REPEATED))
                    col += span
                    if cell.get(_VALUE_TYPE) is not None or len(cell):
                        row_width, valued = col, valued + span
                elements += 1
                if valued:
                    last_row, widest = row_index + repeat, max(widest, row_width)
                    cells += valued * repeat
                row_index += repeat
                el.clear()  # keep memory flat: parsed rows are dropped
                if table is not None:
                    del table[:]
                area = last_row * widest
                if total + area > budget.cells or elements > 2 * budget.cells:
                    return sizes, OverBudget(name, max(total + area, elements), budget.cells)
            elif tag == _TABLE:
                sizes[name] = SheetSize(last_row, widest, cells)
                total += last_row * widest
                table = None
    return sizes, None


def _int(text: str | None) -> int:
    try:
        return max(1, int(text)) if text else 1
    except ValueError:
        return 1


# --- .xls --------------------------------------------------------------------------------------

#: BIFF8 record types that describe one cell (row, column first) or a run of cells in one row.
_CELL_RECORDS = {0x0006, 0x00FD, 0x0203, 0x0204, 0x027E, 0x0201, 0x0205, 0x00D6}
_MULTI_RECORDS = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, …, last column
_BOUNDSHEET, _BOF, _EOF = 0x0085, 0x0809, 0x000A


def count_xls(data: bytes, budget: Budget) -> tuple[dict[str, SheetSize], OverBudget | None]:
    """Used area of every worksheet in a BIFF8 workbook stream (the reader loads them all).

    Raises ValueError when the compound file or its record stream is broken.
    """
    import io

    import olefile

    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        stream_name = "Workbook" if ole.exists("Workbook") else "Book"
        stream = ole.openstream(stream_name).read()
    names: dict[int, str] = {}
    sizes: dict[str, SheetSize] = {}
    total = records = 0
    pos, end = 0, len(stream)
    sheet: str | None = None
    rows = cols = cells = 0
    unpack = struct.unpack_from
    while pos + 4 <= end:
        rtype, length = unpack("<HH", stream, pos)
        body = pos + 4
        records += 1
        if rtype in _CELL_RECORDS and length >= 4:
            row, col = unpack("<HH", stream, body)
            rows, cols, cells = max(rows, row + 1), max(cols, col + 1), cells + 1
        elif rtype in _MULTI_RECORDS and length >= 6:
            row, first = unpack("<HH", stream, body)
            (last,) = unpack("<H", stream, body + length - 2)
            rows, cols, cells = max(rows, row + 1), max(cols, last + 1), cells + max(0, last - first + 1)
        elif rtype == _BOUNDSHEET and length >= 8:
            names[unpack("<I", stream, body)[0]] = _sheet_name(stream, body, length)
        elif rtype == _BOF:
            sheet, rows, cols, cells = names.get(pos, ""), 0, 0, 0
        elif rtype == _EOF and sheet is not None:
            if sheet in names.values():
                sizes[sheet] = SheetSize(rows, cols, cells)
                total += rows * cols
            sheet = None
        if sheet is not None and (total + rows * cols > budget.cells or records > 4 * budget.cells):
            return sizes, OverBudget(sheet, max(total + rows * cols, records), budget.cells)
        pos = body + length
    return sizes, None


def _sheet_name(stream: bytes, body: int, length: int) -> str:
    """BOUNDSHEET: offset (4), state (1), type (1), then a short XLUnicodeString name."""
    if length < 10:
        return ""
    count, flags = stream[body + 6], stream[body + 7]
    raw = stream[body + 8: body + length]
    return raw[: 2 * count].decode("utf-16-le", "replace") if flags & 1 else raw[:count].decode("latin-1")
