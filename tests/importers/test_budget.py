"""Cells are counted before anything is loaded: a workbook larger than the template allows is refused fast.

The hostile corpus of issue 12: an 18.3 MB .xlsx of two 50,000 × 256 sheets of digits (367 MB of
XML, 25.6 million cells) and its 7 MB sibling pass every byte and ratio limit; counted, they are
refused (or, when their sheets are not the template's, never loaded at all).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from importers import ImportReport, Workbook, parse_self_report, read_workbook
from importers.budget import Budget, count_xls, template_budget
from importers.spec import KV_SHEET
from tests.importers.fixtures import rezip, sheet_part, write_ods, write_xls
from tests.importers.hostile import digits_workbook

TEMPLATE_SHEETS = (KV_SHEET, "在孵企业")


def _codes(result) -> list[str]:
    assert isinstance(result, ImportReport), result
    return [i.code for i in result.issues]


@pytest.fixture(scope="module")
def issue_12_workbook() -> bytes:
    data = digits_workbook()
    assert 18_000_000 < len(data) < 19_000_000  # the issue's 18.3 MB
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        unpacked = sum(i.file_size for i in zf.infolist())
    assert 19 < unpacked / len(data) < 22  # ratio ~20:1: no zip-bomb limit applies
    return data


def test_issue_12_workbook_is_refused_by_the_cell_budget(issue_12_workbook: bytes):
    result = read_workbook(issue_12_workbook, "digits.xlsx")
    assert _codes(result) == ["too-many-cells"]
    assert result.issues[0].message("zh_CN") == (
        "工作表“Sheet1”（连同此前读取的工作表）的已用区域至少有 12,800,000 个单元格，超过本文件允许的 1,000,000 个。"
        "请删除模板范围以外的行、列或工作表后重新上传。")


def test_issue_12_workbook_against_a_template_is_never_loaded(issue_12_workbook: bytes, spec):
    """Its sheets are not the template's: not one of their cells is read, and the report says what is wrong."""
    workbook = read_workbook(issue_12_workbook, "digits.xlsx", budget=template_budget(spec))
    assert isinstance(workbook, Workbook)
    assert workbook.sheets == {} and workbook.unread == ("Sheet1", "Sheet2")
    assert "not-a-template" in _codes(parse_self_report(workbook, spec))


@pytest.mark.parametrize("dimension", [True, False])
def test_template_named_sheets_of_digits_are_refused_while_streaming(spec, dimension: bool):
    """Same sheets under the template's names, with or without a <dimension> claim: counting stops at the budget."""
    data = digits_workbook(sheets=TEMPLATE_SHEETS, dimension=dimension)
    result = read_workbook(data, "digits.xlsx", budget=template_budget(spec))
    assert _codes(result) == ["too-many-cells"]
    issue = result.issues[0]
    assert issue.sheet == KV_SHEET
    assert int(str(issue.params["limit"]).replace(",", "")) == template_budget(spec).cells


def test_the_7_mb_variant(spec):
    data = digits_workbook(sheets=TEMPLATE_SHEETS, rows=19_000, dimension=False)
    assert 6_500_000 < len(data) < 7_500_000
    assert _codes(read_workbook(data, "digits7.xlsx", budget=template_budget(spec))) == ["too-many-cells"]
    assert _codes(read_workbook(data, "digits7.xlsx")) == ["too-many-cells"]


def test_cells_with_references_are_located_by_them():
    data = digits_workbook(sheets=("S",), rows=40, columns=30, dimension=False, refs=True)
    assert b'r="AD40"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert _codes(read_workbook(data, "r.xlsx", budget=Budget(cells=40 * 30 - 1))) == ["too-many-cells"]
    assert isinstance(read_workbook(data, "r.xlsx", budget=Budget(cells=40 * 30)), Workbook)


def test_one_far_cell_counts_its_whole_area(tmp_path: Path):
    """calamine's grid is dense: A1 and Z5000 cost 130,000 cells although the file holds two."""
    from tests.importers.fixtures import write_workbook

    data = write_workbook(tmp_path / "far.xlsx", {"S": {"A1": 1, "Z5000": 2}}).read_bytes()
    part = sheet_part(data, "S")
    data = rezip(data, {part: lambda x: re.sub(rb"<dimension[^>]*/>", b"", x)})  # no claim to go by
    result = read_workbook(data, "far.xlsx", budget=Budget(cells=100_000))
    assert _codes(result) == ["too-many-cells"]
    assert result.issues[0].params["cells"] == "130,000"


def test_only_the_template_sheets_are_read(spec, template: bytes):
    """An extra sheet of 12.8 million cells next to the template's own is ignored, not loaded."""
    big = digits_workbook(sheets=("草稿",))
    with zipfile.ZipFile(io.BytesIO(big)) as zf:
        draft = zf.read("xl/worksheets/sheet1.xml")

    data = _with_extra_sheet(template, "草稿", draft)
    workbook = read_workbook(data, "t.xlsx", budget=template_budget(spec))
    assert isinstance(workbook, Workbook)
    assert "草稿" in workbook.unread and set(workbook.sheets) <= set(template_budget(spec).sheets)
    assert KV_SHEET in workbook.sheets
    assert _codes(read_workbook(data, "t.xlsx")) == ["too-many-cells"]  # without a template: everything counts


def _with_extra_sheet(data: bytes, name: str, xml: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                content = content.replace(b"</sheets>", f'<sheet name="{name}" sheetId="99" r:id="rId99"/></sheets>'.encode())
                if b"xmlns:r=" not in content:
                    content = content.replace(b"<workbook ", b'<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ', 1)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.'
                                          b'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                                          b'Target="worksheets/extra.xml"/></Relationships>')
            elif info.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", b'<Override PartName="/xl/worksheets/extra.xml" ContentType='
                                          b'"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                                          b"</Types>")
            dst.writestr(info, content)
        dst.writestr("xl/worksheets/extra.xml", xml)
    return out.getvalue()


def test_ods_value_after_a_run_of_empty_rows_counts_the_whole_area(tmp_path: Path):
    """40,000 empty rows then one row of 256 values: 10 million grid cells, though the XML is tiny."""
    path = write_ods(tmp_path / "r.ods", {"S": [["a", 1]]})
    hostile = ('<table:table-row table:number-rows-repeated="40000"><table:table-cell/></table:table-row>'
               '<table:table-row><table:table-cell table:number-columns-repeated="256" office:value-type="float" '
               'office:value="1"/></table:table-row>')
    data = rezip(path.read_bytes(), {"content.xml": lambda c: c.replace(b"</table:table>",
                                                                        hostile.encode() + b"</table:table>")})
    assert len(data) < 5000
    result = read_workbook(data, "r.ods")
    assert _codes(result) == ["too-many-cells"]
    assert result.issues[0].params["cells"] == f"{40_002 * 256:,}"


def test_xls_records_are_counted(tmp_path: Path):
    rows = [[r * c for c in range(12)] for r in range(50)]
    data = write_xls(tmp_path / "a.xls", {"一": [["x"]], "二": rows}).read_bytes()
    sizes, over = count_xls(data, Budget())
    assert over is None
    assert {n: (s.rows, s.columns) for n, s in sizes.items()} == {"一": (1, 1), "二": (50, 12)}
    result = read_workbook(data, "a.xls", budget=Budget(cells=500))
    assert _codes(result) == ["too-many-cells"] and result.issues[0].sheet == "二"
    assert isinstance(read_workbook(data, "a.xls", budget=Budget(cells=601)), Workbook)


def test_broken_files_are_explained_in_chinese_without_library_text(tmp_path: Path, template: bytes):
    truncated = read_workbook(template[: len(template) // 2], "截断")
    part = sheet_part(template, KV_SHEET)
    entity = read_workbook(rezip(template, {part: lambda x: x.replace(b"<t>", b"<t>&bogus;", 1)}),
                           "实体")
    not_zip = read_workbook(b"PK\x03\x04" + b"\0" * 100, "坏压缩包")
    for result, reason in ((truncated, "压缩结构已损坏"), (entity, "工作表内容（XML）格式错误"),
                           (not_zip, "压缩结构已损坏")):
        assert _codes(result) == ["corrupt-file"]
        zh = result.issues[0].message("zh_CN")
        assert reason in zh, zh
        assert not re.search(r"[A-Za-z]{4,}", zh.replace("Excel", "")), zh  # no English library text


def test_empty_file_has_its_own_message():
    result = read_workbook(b"", "空.xlsx")
    assert _codes(result) == ["empty-file"]
    assert result.issues[0].message("zh_CN") == "“空.xlsx”是空文件（0 字节），请选择已填写的模板。"


def test_size_and_ratio_messages_are_distinct(tmp_path: Path, template: bytes):
    ratio = read_workbook(rezip(template, {"xl/media/a.bin": b"\0" * (8 * 1024 * 1024)}), "r.xlsx")
    assert _codes(ratio) == ["compression-ratio"] and "压缩比" in ratio.issues[0].message("zh_CN")
    import os

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        with zipfile.ZipFile(io.BytesIO(template)) as src:
            for info in src.infolist():
                zf.writestr(info, src.read(info.filename))
        for i in range(3):
            zf.writestr(f"xl/media/{i}.bin", os.urandom(1024))  # incompressible: only the total is too big
    from importers import limits

    original = limits.MAX_UNCOMPRESSED_BYTES
    limits.MAX_UNCOMPRESSED_BYTES = len(template) // 2
    try:
        size = read_workbook(out.getvalue(), "s.xlsx")
    finally:
        limits.MAX_UNCOMPRESSED_BYTES = original
    assert _codes(size) == ["uncompressed-too-large"]
    assert "解压后" in size.issues[0].message("zh_CN") and "压缩比" not in size.issues[0].message("zh_CN")


def test_issues_per_column_are_capped_and_the_rest_counted(filled, spec):
    """A bad value in every cell of a long table: the first errors per column, then the rest only counted."""
    from importers import limits
    from tests.importers.fixtures import tenant_row

    n = limits.MAX_COLUMN_ISSUES + 50
    path = filled({"tenants": n}, tenants=[tenant_row(i, employees="很多") for i in range(n)])
    report = parse_self_report(read_workbook(path.read_bytes(), path.name, budget=template_budget(spec)), spec)
    employees = [i for i in report.issues if i.field == "employees"]
    assert [i.code for i in employees].count("not-a-number") == limits.MAX_COLUMN_ISSUES
    rest = [i for i in employees if i.code == "unchecked-rest"]
    assert len(rest) == 1 and rest[0].severity == "error" and not report.valid
    assert rest[0].message("zh_CN") == (
        f"工作表“在孵企业”的“从业人员”列（I 列）错误过多：已列出前 {limits.MAX_COLUMN_ISSUES} 个，其后 50 个已填写的单元格"
        "未再逐一检查，请整体更正该列。")


def test_warnings_past_the_cap_are_counted_and_every_value_kept(filled, spec):
    """Warnings alone never stop the checking: the report stays acceptable with all its values."""
    from importers import limits
    from importers.tables import _Capped

    issues: list = []
    capped = _Capped(issues)
    for _ in range(limits.MAX_COLUMN_ISSUES + 7):
        capped.add("warning")
    assert not capped.given_up and capped.more == limits.MAX_COLUMN_ISSUES + 7
    capped.close("在孵企业", spec.tables[0].columns[0], 0)
    assert [(i.code, i.severity, i.params["more"]) for i in issues] == [
        ("more-issues", "warning", limits.MAX_COLUMN_ISSUES + 7)]


def test_highlighted_copy_of_a_large_bad_table_is_small(filled, spec):
    """Over the openpyxl limit the copy is streamed: header rows and the rows with a problem, original row numbers."""
    import openpyxl

    from importers import annotate_workbook, limits
    from tests.importers.fixtures import tenant_row

    n = 2_100  # 21,000 cells in the tenants sheet: over FULL_COPY_CELLS
    bad = {5, 1_900}
    path = filled({"tenants": n}, tenants=[tenant_row(i, employees="很多" if i in bad else 3) for i in range(n)])
    data = path.read_bytes()
    report = parse_self_report(read_workbook(data, path.name, budget=template_budget(spec)), spec)
    original = limits.OPENPYXL_CELLS
    limits.OPENPYXL_CELLS = 10_000
    try:
        copy = annotate_workbook(data, report, budget=template_budget(spec))
    finally:
        limits.OPENPYXL_CELLS = original
    wb = openpyxl.load_workbook(io.BytesIO(copy))
    ws = wb["在孵企业"]
    kept = [row[0].row for row in ws.iter_rows() if any(c.value is not None for c in row)]
    assert kept == [1, 2, 3, 4 + 5, 4 + 1_900]  # title, codes, headers, and the two problem rows
    assert ws["I9"].comment.text.startswith("【错误】“从业人员”应填写数字")
    assert "较大的工作表只保留表头和有问题的行" in wb["问题清单"]["A1"].value


def test_oversized_shared_strings_are_refused_before_loading(template: bytes):
    """The reader loads every shared string at once: 63 MB of them cost 2.3 s and 160 MB, whatever the cells."""
    import random

    from importers import limits

    rng = random.Random(3)
    strings = b"".join(b"<si><t>%d</t></si>" % rng.randrange(10**9) for _ in range(limits.MAX_PART_BYTES // 20))
    assert len(strings) > limits.MAX_PART_BYTES
    result = read_workbook(rezip(template, {"xl/sharedStrings.xml": strings}), "s.xlsx")
    assert _codes(result) == ["part-too-large"]
    assert result.issues[0].message("zh_CN") == "文件中的“xl/sharedStrings.xml”解压后为 19.9 MB，超过上限 16.0 MB。"
