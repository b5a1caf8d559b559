from __future__ import annotations

import io

import openpyxl

from importers import annotate_workbook, parse_self_report, read_workbook
from importers.annotate import ERROR_FILL, SUMMARY_SHEET, WARNING_FILL
from tests.importers.fixtures import (GOOD_INCUBATOR_VALUES, grid_from_template, good_tenants, rd_spec, tenant_row,
                                      write_xls)


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_problem_cells_are_filled_and_explained_in_chinese(filled, spec):
    path = filled({"tenants": "二十四", "pro_staff_ratio": 0.8},
                  tenants=[tenant_row(0), tenant_row(1, uscc="91441900MA00000011"), tenant_row(2)])
    original = path.read_bytes()
    report = parse_self_report(read_workbook(original, path.name), spec)
    wb = _load(annotate_workbook(original, report))
    kv = wb["基本情况"]
    bad = report.values["tenants"].cell
    assert kv[bad].value == "二十四"  # the filer's own content is untouched
    assert kv[bad].fill.fgColor.rgb == ERROR_FILL.fgColor.rgb
    assert kv[bad].comment.text == "【错误】“在孵企业数”应填写数字，实际为“二十四”。"
    ratio = report.values["pro_staff_ratio"].cell
    assert kv[ratio].fill.fgColor.rgb == WARNING_FILL.fgColor.rgb
    assert kv[ratio].comment.text.startswith("【提示】“专业孵化服务人员占比”按小数读取为 80.0%")
    assert wb["在孵企业"]["B5"].comment.text == "【错误】“91441900MA00000011”不是有效的统一社会信用代码：校验位（最后一位）应为 0（校验位错误）。"
    good = report.values["staff_total"].cell
    assert kv[good].comment is None
    summary = wb[SUMMARY_SHEET]
    assert wb.sheetnames[0] == SUMMARY_SHEET
    assert summary["A1"].value == "共发现 2 个错误、1 个提示。红色单元格为错误，黄色为提示，鼠标移到单元格上可查看说明。"
    listed = [(r[1], r[2], r[3], r[4]) for r in summary.iter_rows(min_row=4, values_only=True)]
    assert listed == [("错误", "不是数字", "基本情况", bad), ("错误", "统一社会信用代码校验位错误", "在孵企业", "B5"),
                      ("提示", "百分数按小数填写", "基本情况", ratio)]  # the rule by name, never its code


def test_several_issues_on_one_cell_share_a_comment(filled, spec):
    path = filled({"tenants": 5}, tenants=good_tenants(3))
    report = parse_self_report(read_workbook(path.read_bytes(), path.name), spec, previous={"tenants": 1})
    cell = report.values["tenants"].cell
    comment = _load(annotate_workbook(path.read_bytes(), report))["基本情况"][cell].comment.text
    assert comment.splitlines()[0].startswith("【错误】工作表“在孵企业”列出 3 行")
    assert comment.splitlines()[1].startswith("【提示】“在孵企业数”由上年 1 变为 5")


def test_file_level_issues_only_in_the_summary(filled):
    path = filled()
    report = parse_self_report(read_workbook(path.read_bytes(), path.name), rd_spec())
    wb = _load(annotate_workbook(path.read_bytes(), report))
    assert [r[2] for r in wb[SUMMARY_SHEET].iter_rows(min_row=4, values_only=True)] == ["模板类别不符"]
    assert [r[3] for r in wb[SUMMARY_SHEET].iter_rows(min_row=4, values_only=True)] == ["（文件）"]


def test_xls_upload_comes_back_as_annotated_xlsx(tmp_path, template, spec):
    grid = grid_from_template(template, GOOD_INCUBATOR_VALUES | {"tenants": "二十四"}, {"在孵企业": good_tenants()})
    original = write_xls(tmp_path / "old.xls", grid).read_bytes()
    report = parse_self_report(read_workbook(original, "old.xls"), spec)
    out = annotate_workbook(original, report)
    assert out[:4] == b"PK\x03\x04"
    wb = _load(out)
    cell = report.values["tenants"].cell
    assert wb["基本情况"][cell].value == "二十四"
    assert wb["基本情况"][cell].fill.fgColor.rgb == ERROR_FILL.fgColor.rgb
    assert wb["在孵企业"]["A4"].value == "东莞示例科技有限公司0"
    assert read_workbook(out, "back.xlsx").format == "xlsx"


def test_clean_report_gets_a_no_problem_summary(filled, spec):
    path = filled()
    report = parse_self_report(read_workbook(path.read_bytes(), path.name), spec)
    wb = _load(annotate_workbook(path.read_bytes(), report))
    assert wb[SUMMARY_SHEET]["A1"].value == "未发现问题。"


def test_annotated_file_can_be_fixed_and_uploaded_again(tmp_path, filled, spec):
    path = filled({"tenants": "二十四"})
    report = parse_self_report(read_workbook(path.read_bytes(), path.name), spec)
    wb = _load(annotate_workbook(path.read_bytes(), report))
    wb["基本情况"][report.values["tenants"].cell] = 3  # the filer fixes the red cell in the returned file
    wb.save(tmp_path / "fixed.xlsx")
    again = parse_self_report(read_workbook((tmp_path / "fixed.xlsx").read_bytes(), "fixed.xlsx"), spec)
    assert again.valid and again.issues == [] and again.values["tenants"].value == 3
