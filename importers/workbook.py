"""read_workbook: bytes → a grid per sheet in true Excel coordinates, or a report with a file issue.

Files are recognised by content, not by extension: an .xlsx renamed .xls still opens, and a Word
document renamed .xlsx is refused. python-calamine reads the cells (fast); for .xlsx we also scan
the sheet XML ourselves for what calamine hides: Excel error values (#DIV/0!), formulas saved
without a calculated value, and percent number formats (35% is stored as 0.35).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import python_calamine

from importers import budget as cell_budget
from importers import limits
from importers.budget import Budget, OverBudget, SheetSize
from importers.cells import to_grid
from importers.issues import (COMPRESSION_RATIO, CORRUPT_FILE, EMPTY_FILE, ENCRYPTED_FILE, NOT_A_SPREADSHEET,
                              PART_TOO_LARGE, TOO_LARGE, TOO_MANY_CELLS, TOO_MANY_COLUMNS, TOO_MANY_ROWS,
                              UNCOMPRESSED_TOO_LARGE, Issue, file_issue)

if TYPE_CHECKING:
    from importers.report import ImportReport

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
#: OLE2 directory entries are UTF-16LE names; an encrypted OOXML file is an OLE2 container
#: holding "EncryptedPackage" (and "EncryptionInfo").
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))

Position = tuple[int, int]


@dataclass(slots=True)
class Sheet:
    """One sheet as a grid whose indices match what the user sees (row 0 = Excel row 1)."""

    name: str
    rows: list[list[object]]
    visibility: str = "visible"  #: "visible", "hidden" or "veryhidden"
    merged: tuple[tuple[int, int, int, int], ...] = ()  #: 0-based inclusive (r0, c0, r1, c1)
    errors: dict[Position, str] = field(default_factory=dict)  #: Excel error values: "#DIV/0!"
    formulas_without_value: set[Position] = field(default_factory=set)
    percent_cells: set[Position] = field(default_factory=set)  #: cells with a percent number format

    @property
    def nrows(self) -> int:
        return len(self.rows)

    @property
    def ncols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def get(self, row: int, col: int) -> object:
        """The value at a 0-based position; "" outside the used area."""
        if 0 <= row < len(self.rows):
            line = self.rows[row]
            if 0 <= col < len(line):
                return line[col]
        return ""

    def merged_range_at(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        for rng in self.merged:
            if rng[0] <= row <= rng[2] and rng[1] <= col <= rng[3] and (rng[0], rng[1]) != (rng[2], rng[3]):
                return rng
        return None


@dataclass(slots=True)
class Workbook:
    """A readable spreadsheet: its sheets, its format and the original bytes' identity."""

    filename: str
    sha256: str
    format: str  #: "xlsx", "xlsm", "xlsb", "xls" or "ods"
    data: bytes = field(repr=False)
    sheets: dict[str, Sheet]
    #: worksheets present in the file but not read (not among the template's sheets)
    unread: tuple[str, ...] = ()

    def sheet(self, name: str) -> Sheet | None:
        return self.sheets.get(name)

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)


class _FileProblem(Exception):
    """Internal: carries a file-level issue out of the nested readers."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.code)
        self.issue = issue


def read_workbook(data: bytes, filename: str, *, budget: Budget | None = None) -> Workbook | ImportReport:
    """Read an uploaded spreadsheet; anything unreadable comes back as a report with one file issue.

    `budget` (default: every sheet, `limits.MAX_CELLS`) says which sheets to read and how many grid
    cells they may span; the cells are counted before anything is loaded (budget.py).
    """
    from importers.report import ImportReport

    sha256 = hashlib.sha256(data).hexdigest()
    try:
        return _read(data, filename, sha256, budget or Budget())
    except _FileProblem as problem:
        return ImportReport(filename=filename, sha256=sha256, issues=[problem.issue])


def _read(data: bytes, filename: str, sha256: str, budget: Budget) -> Workbook:
    if not data:
        raise _FileProblem(file_issue(EMPTY_FILE, filename=filename))
    if len(data) > limits.MAX_UPLOAD_BYTES:
        raise _FileProblem(file_issue(TOO_LARGE, size=limits.human_size(len(data)),
                                      limit=limits.human_size(limits.MAX_UPLOAD_BYTES)))
    fmt, scans = _sniff(data, filename, budget)
    unread: list[str] = []
    try:
        book = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data))
        sheets: dict[str, Sheet] = {}
        for meta in book.sheets_metadata:
            if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
                continue
            if not budget.reads(meta.name):
                unread.append(meta.name)
                continue
            sheets[meta.name] = _load_sheet(book, meta, scans.get(meta.name))
    except _FileProblem:
        raise
    except python_calamine.PasswordError as exc:
        raise _FileProblem(file_issue(ENCRYPTED_FILE, filename=filename)) from exc
    except BaseException as exc:  # calamine raises assorted errors, and Rust panics as BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)):
            raise
        raise _FileProblem(_corrupt(filename, _calamine_reason(exc))) from exc
    if fmt == "ods":  # calamine reports merged cells for .xlsx and .xls only
        from importers.ods_merges import ods_merged_ranges

        for name, ranges in ods_merged_ranges(data).items():
            if name in sheets and not sheets[name].merged:
                sheets[name].merged = ranges
    return Workbook(filename=filename, sha256=sha256, format=fmt, data=data, sheets=sheets, unread=tuple(unread))


# Why a file cannot be read, in words for people (never the library's English text): (English, Chinese)
_ZIP_DAMAGED = ("the zip structure is damaged; the file may be incomplete", "压缩结构已损坏，文件可能不完整")
_XML_DAMAGED = ("the sheet contents (XML) are malformed", "工作表内容（XML）格式错误")
_PART_MISSING = ("a required part of the workbook is missing", "工作簿缺少必要的组成部分")
_NO_WORKBOOK = ("the workbook part (xl/workbook.xml) is missing", "缺少工作簿主体（xl/workbook.xml）")
_XLS_DAMAGED = ("the legacy Excel (.xls) structure is damaged", "旧版 Excel（.xls）文件结构已损坏")
_CELLS_DAMAGED = ("the cell data cannot be decoded", "单元格数据无法解析")


def _corrupt(filename: str, reason: tuple[str, str]) -> Issue:
    return file_issue(CORRUPT_FILE, filename=filename, detail=reason[0], detail_zh=reason[1])


def _calamine_reason(exc: BaseException) -> tuple[str, str]:
    text = str(exc).lower()
    if "zip" in text or "eof" in text or "deflate" in text or "invalid checksum" in text:
        return _ZIP_DAMAGED
    if "xml" in text or "entity" in text or "tag" in text or "attribute" in text or "utf" in text:
        return _XML_DAMAGED
    if "not found" in text or "missing" in text:
        return _PART_MISSING
    if "cfb" in text or "xls" in text or "biff" in text or "record" in text:
        return _XLS_DAMAGED
    return _CELLS_DAMAGED


def _exception_reason(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError)):
        return _ZIP_DAMAGED
    if isinstance(exc, (ElementTree.ParseError, UnicodeDecodeError)):
        return _XML_DAMAGED
    if isinstance(exc, KeyError):
        return _PART_MISSING
    return _CELLS_DAMAGED


def _load_sheet(book: python_calamine.CalamineWorkbook, meta: object, scan: _SheetScan | None) -> Sheet:
    name = meta.name  # type: ignore[attr-defined]
    sheet = book.get_sheet_by_name(name)
    # calamine's range is dense: refuse oversized sheets before turning it into Python lists
    end = sheet.end
    if end is not None:
        _check_size(name, end[0] + 1, end[1] + 1)
    # calamine skips leading empty rows and columns by default; keep them so cells match Excel
    rows = sheet.to_python(skip_empty_area=False)
    merged = tuple((a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or ()))
    visibility = str(meta.visible).rsplit(".", 1)[-1].lower()  # type: ignore[attr-defined]
    result = Sheet(name=name, rows=rows, visibility=visibility, merged=merged)
    if scan is not None:
        result.errors = scan.errors
        result.formulas_without_value = scan.formulas_without_value
        result.percent_cells = scan.percent_cells
    return result


def _check_size(sheet: str, rows: int, columns: int) -> None:
    if rows > limits.MAX_SHEET_ROWS:
        raise _FileProblem(Issue(TOO_MANY_ROWS, sheet=sheet, params={"rows": rows, "limit": limits.MAX_SHEET_ROWS}))
    if columns > limits.MAX_SHEET_COLUMNS:
        raise _FileProblem(Issue(TOO_MANY_COLUMNS, sheet=sheet,
                                 params={"columns": columns, "limit": limits.MAX_SHEET_COLUMNS}))


# --- recognising the file ----------------------------------------------------------------------

def _sniff(data: bytes, filename: str, budget: Budget) -> tuple[str, dict[str, _SheetScan]]:
    """The format from the magic bytes, after counting its cells; for .xlsx, what the XML scan found per sheet."""
    head = data[:8]
    if head.startswith(OLE2_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise _FileProblem(file_issue(ENCRYPTED_FILE, filename=filename))
        if any(stream in data for stream in _XLS_STREAMS):
            try:
                sizes, over = cell_budget.count_xls(data, budget)
            except Exception as exc:  # noqa: BLE001 - olefile and struct report a broken file in many ways
                raise _FileProblem(_corrupt(filename, _XLS_DAMAGED)) from exc
            _check_counted(sizes, over)
            return "xls", {}
        raise _FileProblem(file_issue(NOT_A_SPREADSHEET, filename=filename))
    if not head.startswith(ZIP_MAGICS):
        raise _FileProblem(file_issue(NOT_A_SPREADSHEET, filename=filename))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            _check_zip_sizes(zf, len(data))
            if "xl/workbook.xml" in names:
                fmt = "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
                return fmt, _scan_xlsx(zf, budget)
            if "xl/workbook.bin" in names:
                return "xlsb", {}
            if "mimetype" in names and zf.read("mimetype").strip() == ODS_MIMETYPE:
                if "content.xml" in names:
                    _check_counted(*cell_budget.count_ods(zf, budget))
                return "ods", {}
            if any(n.startswith("xl/") for n in names):
                raise _FileProblem(_corrupt(filename, _NO_WORKBOOK))
    except _FileProblem:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError,
            NotImplementedError, ElementTree.ParseError, UnicodeDecodeError, RuntimeError, zlib.error) as exc:
        raise _FileProblem(_corrupt(filename, _exception_reason(exc))) from exc
    raise _FileProblem(file_issue(NOT_A_SPREADSHEET, filename=filename))


def _over_budget(over: OverBudget) -> _FileProblem:
    return _FileProblem(Issue(TOO_MANY_CELLS, sheet=over.sheet, params={
        "cells": f"{over.cells:,}", "limit": f"{over.limit:,}"}))


def _check_counted(sizes: dict[str, SheetSize], over: OverBudget | None) -> None:
    for name, size in sizes.items():
        _check_size(name, size.rows, size.columns)
    if over is not None:
        raise _over_budget(over)


#: Parts the reader loads whole besides the sheets (their size is not bounded by the cell count).
_WHOLE_PARTS = ("xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                "styles.xml", "meta.xml")


def _check_zip_sizes(zf: zipfile.ZipFile, packed: int) -> None:
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > limits.RATIO_MIN_SIZE and info.file_size > limits.MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise _FileProblem(file_issue(COMPRESSION_RATIO, part=info.filename,
                                          ratio=f"{info.file_size // max(info.compress_size, 1):,}",
                                          size=limits.human_size(info.file_size), limit=limits.MAX_COMPRESSION_RATIO))
        if info.filename in _WHOLE_PARTS and info.file_size > limits.MAX_PART_BYTES:
            raise _FileProblem(file_issue(PART_TOO_LARGE, part=info.filename, size=limits.human_size(info.file_size),
                                          limit=limits.human_size(limits.MAX_PART_BYTES)))
    if total > limits.MAX_UNCOMPRESSED_BYTES:
        raise _FileProblem(file_issue(UNCOMPRESSED_TOO_LARGE, size=limits.human_size(total),
                                      compressed=limits.human_size(packed),
                                      limit=limits.human_size(limits.MAX_UNCOMPRESSED_BYTES)))


# --- the .xlsx XML scan ------------------------------------------------------------------------

@dataclass(slots=True)
class _SheetScan:
    errors: dict[Position, str] = field(default_factory=dict)
    formulas_without_value: set[Position] = field(default_factory=set)
    percent_cells: set[Position] = field(default_factory=set)


_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_P = rb"(?:[\w.-]+:)?"  # optional namespace prefix (some writers use <x:c>)
_DIMENSION = re.compile(rb"<" + _P + rb'dimension\s+ref="([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?"')
_CELL_REF = re.compile(rb'\br="([A-Z]+\d+)"')
_ERROR_CELL = re.compile(rb"<" + _P + rb'c\b(?=[^>]*\bt="e")([^>]*)>(.*?)</' + _P + rb"c>", re.S)
_FORMULA_CELL = re.compile(
    rb"<" + _P + rb"c\b([^>]*)>\s*<" + _P + rb"f\b(?:[^>]*/>|[^>]*>[^<]*</" + _P + rb"f>)\s*"
    rb"(?:<" + _P + rb"v\s*/>|<" + _P + rb"v>([^<]*)</" + _P + rb"v>)?")
_VALUE = re.compile(rb"<" + _P + rb"v>([^<]*)</" + _P + rb"v>")


def _scan_xlsx(zf: zipfile.ZipFile, budget: Budget) -> dict[str, _SheetScan]:
    """Per worksheet to be read, streamed in row-aligned blocks: its used area against the budget,
    error cells, formulas without cached values, percent cells. Other worksheets are not opened."""
    parts = _sheet_parts(zf)
    percent_styles = _percent_styles(zf)
    percent_cell = (re.compile(rb"<" + _P + rb'c\b(?=[^>]*\bs="(?:' + b"|".join(percent_styles) + rb')")([^>]*)>')
                    if percent_styles else None)
    members = set(zf.namelist())
    scans: dict[str, _SheetScan] = {}
    spent = 0
    for name, part in parts.items():
        if part not in members or not budget.reads(name):
            continue
        counter = cell_budget.XlsxSheetCounter()
        scan = _SheetScan()
        first = True
        for block in cell_budget.iter_row_blocks(zf, part):
            if first:
                counter.set_prefix(cell_budget.worksheet_prefix(block))
                _check_dimension(name, block, budget.cells - spent)
                first = False
            counter.feed(block)
            size = counter.size
            _check_size(name, size.rows, size.columns)
            if spent + size.area > budget.cells:
                raise _over_budget(OverBudget(name, spent + size.area, budget.cells))
            _scan_block(block, scan, percent_cell)
        spent += counter.size.area
        scans[name] = scan
    return scans


def _scan_block(xml: bytes, scan: _SheetScan, percent_cell: re.Pattern[bytes] | None) -> None:
    if b't="e"' in xml:
        for m in _ERROR_CELL.finditer(xml):
            pos, value = _cell_pos(m.group(1)), _VALUE.search(m.group(2))
            if pos is not None:
                scan.errors[pos] = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
    if b"f>" in xml or b"<f " in xml or b":f " in xml:
        for m in _FORMULA_CELL.finditer(xml):
            attrs, value = m.group(1), m.group(2)
            if (value is None or value == b"") and b't="str"' not in attrs and b't="e"' not in attrs:
                pos = _cell_pos(attrs)
                if pos is not None:
                    scan.formulas_without_value.add(pos)
    if percent_cell is not None:
        for m in percent_cell.finditer(xml):
            pos = _cell_pos(m.group(1))
            if pos is not None:
                scan.percent_cells.add(pos)


def _cell_pos(attrs: bytes) -> Position | None:
    m = _CELL_REF.search(attrs)
    return to_grid(m.group(1).decode()) if m else None


def _check_dimension(name: str, head: bytes, cells_left: int) -> None:
    """Refuse a sheet whose `<dimension>` claims more rows, columns or cells than we accept."""
    dim = _DIMENSION.search(head, 0, 4096)
    if dim and dim.group(4):
        rows, columns = int(dim.group(4)), _col_count(dim.group(3))
        _check_size(name, rows, columns)
        if rows * columns > cells_left:
            raise _over_budget(OverBudget(name, rows * columns, cells_left))


def _col_count(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → zip member of its XML, from workbook.xml and its relationships."""
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels_xml = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels_xml:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = target
    parts = {}
    for el in book.iter():
        if el.tag.endswith("}sheet") and el.get(_NS_REL) in targets:
            parts[el.get("name", "")] = targets[el.get(_NS_REL)]
    return parts


_BUILTIN_PERCENT = {9, 10}
_QUOTED = re.compile(r'"[^"]*"|\\.')


def _percent_styles(zf: zipfile.ZipFile) -> list[bytes]:
    """Indices (as bytes, for the regex) of cell styles whose number format shows a percentage."""
    if "xl/styles.xml" not in zf.namelist():
        return []
    root = ElementTree.fromstring(zf.read("xl/styles.xml"))
    percent_fmts = set(_BUILTIN_PERCENT)
    for el in root.iter():
        if el.tag.endswith("}numFmt") and "%" in _QUOTED.sub("", el.get("formatCode", "")):
            percent_fmts.add(int(el.get("numFmtId", "-1")))
    result: list[bytes] = []
    for el in root.iter():
        if el.tag.endswith("}cellXfs"):
            for index, xf in enumerate(x for x in el if x.tag.endswith("}xf")):
                if int(xf.get("numFmtId", "0") or 0) in percent_fmts:
                    result.append(str(index).encode())
    return result
