"""Merged input cells are refused in .ods as in .xlsx and .xls (calamine reports .ods merges not at all)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from importers import parse_self_report, read_workbook
from importers.ods_merges import ods_merged_ranges
from tests.importers.fixtures import GOOD_INCUBATOR_VALUES, good_tenants, grid_from_template, write_ods, write_xls

T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def _merge_in_ods(path: Path, sheet: str, row: int, col: int, rows: int, cols: int) -> None:
    """Merge a block as LibreOffice saves it: a spanning cell, then covered cells (which keep their text)."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    for prefix, uri in (("office", "urn:oasis:names:tc:opendocument:xmlns:office:1.0"), ("table", T),
                        ("text", "urn:oasis:names:tc:opendocument:xmlns:text:1.0")):
        ET.register_namespace(prefix, uri)
    root = ET.fromstring(parts["content.xml"])
    table = next(t for t in root.iter(f"{{{T}}}table") if t.get(f"{{{T}}}name") == sheet)
    table_rows = list(table.iter(f"{{{T}}}table-row"))
    for r in range(row, row + rows):
        cells = list(table_rows[r])
        while len(cells) < col + cols:  # pad short rows so the merged block exists
            ET.SubElement(table_rows[r], f"{{{T}}}table-cell")
            cells = list(table_rows[r])
        for c in range(col, col + cols):
            if (r, c) == (row, col):
                cells[c].set(f"{{{T}}}number-columns-spanned", str(cols))
                cells[c].set(f"{{{T}}}number-rows-spanned", str(rows))
            else:
                cells[c].tag = f"{{{T}}}covered-table-cell"
    parts["content.xml"] = ET.tostring(root, xml_declaration=True, encoding="UTF-8")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), parts.pop("mimetype"))
        for name, data in parts.items():
            zf.writestr(name, data, zipfile.ZIP_DEFLATED)


def _row_of(grid: dict, code: str) -> int:
    return next(i for i, row in enumerate(grid["基本情况"]) if row and row[0] == code)


def test_merged_input_cells_are_refused_in_ods_as_in_xls(tmp_path: Path, template: bytes, spec) -> None:  # noqa: ANN001
    grid = grid_from_template(template, GOOD_INCUBATOR_VALUES, {"在孵企业": good_tenants()})
    r = _row_of(grid, "staff_total")
    ods = write_ods(tmp_path / "merged.ods", grid)
    _merge_in_ods(ods, "基本情况", r, 3, 1, 2)  # D:E of the staff row, as in the .xlsx test
    _merge_in_ods(ods, "在孵企业", 4, 6, 2, 1)  # G5:G6
    assert ods_merged_ranges(ods.read_bytes()) == {"基本情况": ((r, 3, r, 4),), "在孵企业": ((4, 6, 5, 6),)}
    report = parse_self_report(read_workbook(ods.read_bytes(), ods.name), spec)
    merged = [(i.sheet, i.cell, i.params["range"]) for i in report.issues if i.code == "merged-input-cell"]
    assert merged == [("基本情况", f"D{r + 1}", f"D{r + 1}:E{r + 1}"), ("在孵企业", "G5", "G5:G6")]
    assert not report.valid


def test_repeated_rows_and_cells_are_counted_when_placing_a_merge(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "x.ods", {"S": [["a"], ["b"]]})
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    content = parts["content.xml"].decode()
    content = content.replace(
        "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>b</text:p></table:table-cell></table:table-row>",
        '<table:table-row table:number-rows-repeated="3"><table:table-cell/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="4"/>'
        '<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>m</text:p></table:table-cell>'
        "<table:covered-table-cell/></table:table-row>")
    parts["content.xml"] = content.encode()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), parts.pop("mimetype"))
        for name, data in parts.items():
            zf.writestr(name, data)
    assert ods_merged_ranges(path.read_bytes()) == {"S": ((4, 4, 4, 5),)}


def test_files_without_merges_cost_nothing_extra(tmp_path: Path) -> None:
    plain = write_ods(tmp_path / "p.ods", {"S": [["a", 1]]})
    assert ods_merged_ranges(plain.read_bytes()) == {}
    assert ods_merged_ranges(write_xls(tmp_path / "p.xls", {"S": [["a"]]}).read_bytes()) == {}
    assert ods_merged_ranges(io.BytesIO(b"not a zip").getvalue()) == {}
