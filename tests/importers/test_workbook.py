from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from importers import ImportReport, Workbook, read_workbook
from importers.workbook import OLE2_MAGIC
from tests.importers.fixtures import rezip, set_cell_xml, sheet_part, write_ods, write_workbook, write_xls


def _codes(result) -> list[str]:
    assert isinstance(result, ImportReport), result
    return [i.code for i in result.issues]


def test_true_coordinates_keep_leading_empty_rows_and_columns(tmp_path: Path):
    path = write_workbook(tmp_path / "a.xlsx", {"基本情况": {"D12": 42, "C5": "x"}})
    wb = read_workbook(path.read_bytes(), path.name)
    sheet = wb.sheet("基本情况")
    assert sheet.get(11, 3) == 42.0 and sheet.get(4, 2) == "x"
    assert sheet.get(0, 0) == "" and sheet.get(500, 500) == ""


def test_recognised_by_content_not_extension(tmp_path: Path):
    path = write_workbook(tmp_path / "a.xlsx", {"S": {"A1": 1}})
    wb = read_workbook(path.read_bytes(), "renamed.xls")
    assert isinstance(wb, Workbook) and wb.format == "xlsx"
    assert wb.filename == "renamed.xls"
    import hashlib
    assert wb.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_xls_and_ods(tmp_path: Path):
    rows = [["代码", "值"], ["tenants", 24], ["name", "东莞"]]
    xls = read_workbook(write_xls(tmp_path / "a.xls", {"S": rows}).read_bytes(), "a.xlsx")
    ods = read_workbook(write_ods(tmp_path / "a.ods", {"S": rows}).read_bytes(), "a.bin")
    assert (xls.format, ods.format) == ("xls", "ods")
    assert xls.sheet("S").rows == ods.sheet("S").rows == [["代码", "值"], ["tenants", 24.0], ["name", "东莞"]]


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty-file"),
    (b"name,uscc\n", "not-a-spreadsheet"),
    (b"%PDF-1.7 ...", "not-a-spreadsheet"),
    (OLE2_MAGIC + b"\0" * 600, "not-a-spreadsheet"),  # e.g. a legacy .doc
    (OLE2_MAGIC + b"\0" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 100, "encrypted-file"),
    (b"PK\x03\x04" + b"\0" * 100, "corrupt-file"),
])
def test_unreadable_files_become_file_issues(data: bytes, code: str):
    result = read_workbook(data, "upload.xlsx")
    assert _codes(result) == [code]
    issue = result.issues[0]
    assert (issue.sheet, issue.cell) == (None, None)
    assert "upload.xlsx" in issue.message("zh_CN") or code == "too-large"


def test_zip_that_is_not_a_spreadsheet():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert _codes(read_workbook(out.getvalue(), "a.xlsx")) == ["not-a-spreadsheet"]


def test_truncated_xlsx_is_corrupt(tmp_path: Path):
    data = write_workbook(tmp_path / "a.xlsx", {"S": {"A1": 1}}).read_bytes()
    result = read_workbook(data[: len(data) // 2], "a.xlsx")
    assert _codes(result) == ["corrupt-file"]
    assert "Excel" in result.issues[0].message()


def test_upload_size_cap():
    result = read_workbook(b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024 + 1), "big.xlsx")
    assert _codes(result) == ["too-large"]
    assert result.issues[0].message("zh_CN") == "文件过大：20.0 MB，上限为 20.0 MB。"


def test_zip_bomb_member_refused_before_loading(tmp_path: Path):
    data = write_workbook(tmp_path / "a.xlsx", {"S": {"A1": 1}}).read_bytes()
    bomb = rezip(data, {"xl/media/image1.bin": b"\0" * (60 * 1024 * 1024)})
    result = read_workbook(bomb, "a.xlsx")
    assert _codes(result) == ["compression-ratio"]
    assert result.issues[0].message("zh_CN") == (
        "文件中的“xl/media/image1.bin”压缩比为 1,028:1（解压后 60.0 MB），超过压缩比上限 200:1，正常的电子表格不会有如此高的压缩比。")


def test_sheet_claiming_a_million_rows(tmp_path: Path):
    data = write_workbook(tmp_path / "a.xlsx", {"在孵企业": {"A1": 1, "B2": 2}}).read_bytes()
    part = sheet_part(data, "在孵企业")
    lying = rezip(data, {part: lambda x: x.replace(b'<dimension ref="A1:B2"', b'<dimension ref="A1:J1048576"')})
    result = read_workbook(lying, "a.xlsx")
    assert _codes(result) == ["too-many-rows"]
    assert result.issues[0].message("zh_CN") == "工作表“在孵企业”有 1048576 行，最多接受 50000 行。"
    far = set_cell_xml(data, "在孵企业", "B2", '<c r="B900000" t="n"><v>1</v></c>')
    far = rezip(far, {part: lambda x: x.replace(b'<row r="2"', b'<row r="900000"')})
    assert _codes(read_workbook(far, "a.xlsx")) == ["too-many-rows"]


def test_excel_errors_formulas_and_percent_formats_are_seen(tmp_path: Path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["B2"], ws["C2"], ws["D2"], ws["E2"] = 1, "=1/0", "=SUM(B2)", 0.35
    ws["E2"].number_format = "0.0%"
    ws["F2"] = 0.5
    path = tmp_path / "f.xlsx"
    wb.save(path)
    data = set_cell_xml(path.read_bytes(), "S", "C2", '<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    sheet = read_workbook(data, "f.xlsx").sheet("S")
    assert sheet.errors == {(1, 2): "#DIV/0!"}
    assert sheet.formulas_without_value == {(1, 3)}
    assert sheet.percent_cells == {(1, 4)}
    assert sheet.get(1, 4) == 0.35


def test_merged_ranges_in_grid_coordinates(tmp_path: Path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["D12"] = 5
    wb.active.merge_cells("D12:E13")
    path = tmp_path / "m.xlsx"
    wb.save(path)
    sheet = next(iter(read_workbook(path.read_bytes(), "m.xlsx").sheets.values()))
    assert sheet.merged == ((11, 3, 12, 4),)
    assert sheet.merged_range_at(12, 4) == (11, 3, 12, 4)
    assert sheet.merged_range_at(11, 2) is None


def _ods_with(tmp_path: Path, extra_rows: str) -> bytes:
    path = write_ods(tmp_path / "r.ods", {"S": [["a", 1]]})
    return rezip(path.read_bytes(), {"content.xml": lambda c: c.replace(b"</table:table>",
                                                                        extra_rows.encode() + b"</table:table>")})


def test_ods_repeat_counts_are_limited_before_loading(tmp_path: Path):
    many_rows = ('<table:table-row table:number-rows-repeated="200000"><table:table-cell office:value-type="float" '
                 'office:value="1"/></table:table-row>')
    refused = read_workbook(_ods_with(tmp_path, many_rows), "r.ods")
    assert _codes(refused) == ["too-many-rows"]
    assert refused.issues[0].message("zh_CN") == "工作表“S”有 200001 行，最多接受 50000 行。"
    wide = ('<table:table-row><table:table-cell table:number-columns-repeated="16000" office:value-type="float" '
            'office:value="1"/></table:table-row>')
    assert _codes(read_workbook(_ods_with(tmp_path, wide), "r.ods")) == ["too-many-columns"]
    # LibreOffice pads sheets with huge runs of EMPTY rows and cells: those are fine
    padding = ('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
               'table:number-columns-repeated="1024"/></table:table-row>')
    wb = read_workbook(_ods_with(tmp_path, padding), "r.ods")
    assert isinstance(wb, Workbook) and wb.sheet("S").rows[0] == ["a", 1.0]
