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

from importers import limits
from importers.cells import to_grid
from importers.issues import (CORRUPT_FILE, ENCRYPTED_FILE, NOT_A_SPREADSHEET, TOO_LARGE, TOO_MANY_COLUMNS,
                              TOO_MANY_ROWS, Issue, file_issue)

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


def read_workbook(data: bytes, filename: str) -> Workbook | ImportReport:
    """Read an uploaded spreadsheet; anything unreadable comes back as a report with one file issue."""
    from importers.report import ImportReport

    sha256 = hashlib.sha256(data).hexdigest()
    try:
        return _read(data, filename, sha256)
    except _FileProblem as problem:
        return ImportReport(filename=filename, sha256=sha256, issues=[problem.issue])


def _read(data: bytes, filename: str, sha256: str) -> Workbook:
    if len(data) > limits.MAX_UPLOAD_BYTES:
        raise _FileProblem(file_issue(TOO_LARGE, size=limits.human_size(len(data)),
                                      limit=limits.human_size(limits.MAX_UPLOAD_BYTES)))
    fmt, scans = _sniff(data, filename)
    try:
        book = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data))
        sheets: dict[str, Sheet] = {}
        for meta in book.sheets_metadata:
            if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
                continue
            sheets[meta.name] = _load_sheet(book, meta, scans.get(meta.name))
    except _FileProblem:
        raise
    except python_calamine.PasswordError as exc:
        raise _FileProblem(file_issue(ENCRYPTED_FILE, filename=filename)) from exc
    except BaseException as exc:  # calamine raises assorted errors, and Rust panics as BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)):
            raise
        raise _FileProblem(file_issue(CORRUPT_FILE, filename=filename, detail=_detail(exc))) from exc
    if fmt == "ods":  # calamine reports merged cells for .xlsx and .xls only
        from importers.ods_merges import ods_merged_ranges

        for name, ranges in ods_merged_ranges(data).items():
            if name in sheets and not sheets[name].merged:
                sheets[name].merged = ranges
    return Workbook(filename=filename, sha256=sha256, format=fmt, data=data, sheets=sheets)


def _detail(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


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

def _sniff(data: bytes, filename: str) -> tuple[str, dict[str, _SheetScan]]:
    """The format from the magic bytes, plus (for .xlsx) what the XML scan found per sheet."""
    head = data[:8]
    if head.startswith(OLE2_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise _FileProblem(file_issue(ENCRYPTED_FILE, filename=filename))
        if any(stream in data for stream in _XLS_STREAMS):
            return "xls", {}
        raise _FileProblem(file_issue(NOT_A_SPREADSHEET, filename=filename))
    if not head.startswith(ZIP_MAGICS):
        raise _FileProblem(file_issue(NOT_A_SPREADSHEET, filename=filename))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            _check_zip_sizes(zf)
            if "xl/workbook.xml" in names:
                fmt = "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
                return fmt, _scan_xlsx(zf)
            if "xl/workbook.bin" in names:
                return "xlsb", {}
            if "mimetype" in names and zf.read("mimetype").strip() == ODS_MIMETYPE:
                if "content.xml" in names:
                    _check_ods_claims(zf.read("content.xml"))
                return "ods", {}
            if any(n.startswith("xl/") for n in names):
                raise _FileProblem(file_issue(CORRUPT_FILE, filename=filename, detail="xl/workbook.xml missing"))
    except _FileProblem:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError,
            NotImplementedError, ElementTree.ParseError, UnicodeDecodeError, RuntimeError, zlib.error) as exc:
        raise _FileProblem(file_issue(CORRUPT_FILE, filename=filename, detail=_detail(exc))) from exc
    raise _FileProblem(file_issue(NOT_A_SPREADSHEET, filename=filename))


def _check_zip_sizes(zf: zipfile.ZipFile) -> None:
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > limits.RATIO_MIN_SIZE and info.file_size > limits.MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise _FileProblem(file_issue(TOO_LARGE, size=f"{info.filename} {limits.human_size(info.file_size)}",
                                          limit=f"{limits.MAX_COMPRESSION_RATIO}:1"))
    if total > limits.MAX_UNCOMPRESSED_BYTES:
        raise _FileProblem(file_issue(TOO_LARGE, size=limits.human_size(total),
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
_ROW_NUMBER = re.compile(rb"<" + _P + rb'row\b[^>]*?\br="(\d+)"')
# starts with a literal so the regex engine can skip ahead quickly over multi-megabyte sheets
_WIDE_REF = re.compile(rb'r="((?:[J-Z][A-Z]|I[W-Z]|[A-Z]{3})[A-Z]*)\d')
_CELL_REF = re.compile(rb'\br="([A-Z]+\d+)"')
_ERROR_CELL = re.compile(rb"<" + _P + rb'c\b(?=[^>]*\bt="e")([^>]*)>(.*?)</' + _P + rb"c>", re.S)
_FORMULA_CELL = re.compile(
    rb"<" + _P + rb"c\b([^>]*)>\s*<" + _P + rb"f\b(?:[^>]*/>|[^>]*>[^<]*</" + _P + rb"f>)\s*"
    rb"(?:<" + _P + rb"v\s*/>|<" + _P + rb"v>([^<]*)</" + _P + rb"v>)?")
_VALUE = re.compile(rb"<" + _P + rb"v>([^<]*)</" + _P + rb"v>")


def _scan_xlsx(zf: zipfile.ZipFile) -> dict[str, _SheetScan]:
    """Per worksheet: size claims, error cells, formulas without cached values, percent cells."""
    parts = _sheet_parts(zf)
    percent_styles = _percent_styles(zf)
    percent_cell = (re.compile(rb"<" + _P + rb'c\b(?=[^>]*\bs="(?:' + b"|".join(percent_styles) + rb')")([^>]*)>')
                    if percent_styles else None)
    scans: dict[str, _SheetScan] = {}
    for name, part in parts.items():
        if part not in zf.namelist():
            continue
        xml = zf.read(part)
        _check_claims(name, xml)
        scan = _SheetScan()
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
        scans[name] = scan
    return scans


def _cell_pos(attrs: bytes) -> Position | None:
    m = _CELL_REF.search(attrs)
    return to_grid(m.group(1).decode()) if m else None


def _check_claims(name: str, xml: bytes) -> None:
    """Refuse a sheet that claims (or holds) more rows or columns than we accept, before loading it."""
    dim = _DIMENSION.search(xml, 0, 4096)
    if dim and dim.group(4):
        _check_size(name, int(dim.group(4)), _col_count(dim.group(3)))
    tail = xml[-65536:]
    last_rows = _ROW_NUMBER.findall(tail)
    if last_rows:
        _check_size(name, max(int(r) for r in last_rows), 1)
    wide = _WIDE_REF.search(xml)
    if wide:
        _check_size(name, 1, _col_count(wide.group(1)))


_ODS_ROW_REPEAT = re.compile(rb'<table:table-row\b[^>]*?number-rows-repeated="(\d+)"[^>]*>')
_ODS_COL_REPEAT = re.compile(rb'<table:table-cell\b(?=[^>]*value-type)[^>]*?number-columns-repeated="(\d+)"')


_ODS_TABLE = re.compile(rb'<table:table\b[^>]*?table:name="([^"]*)"')


def _check_ods_claims(content: bytes) -> None:
    """ODS compresses runs as repeat counts: refuse valued cells repeated past the limits (calamine's grid is dense)."""
    if b"repeated" not in content:
        return
    starts = list(_ODS_TABLE.finditer(content))
    for i, table in enumerate(starts):
        name = table.group(1).decode("utf-8", "replace")
        part = content[table.end(): starts[i + 1].start() if i + 1 < len(starts) else len(content)]
        rows = part.count(b"<table:table-row")
        for m in _ODS_ROW_REPEAT.finditer(part):
            end = part.find(b"</table:table-row>", m.end())
            if b"value-type" in part[m.end(): end if end >= 0 else None]:
                rows += int(m.group(1)) - 1
        if rows > limits.MAX_SHEET_ROWS:
            raise _FileProblem(Issue(TOO_MANY_ROWS, sheet=name, params={"rows": rows, "limit": limits.MAX_SHEET_ROWS}))
        for m in _ODS_COL_REPEAT.finditer(part):
            if int(m.group(1)) > limits.MAX_SHEET_COLUMNS:
                raise _FileProblem(Issue(TOO_MANY_COLUMNS, sheet=name, params={
                    "columns": int(m.group(1)), "limit": limits.MAX_SHEET_COLUMNS}))


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
