from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from assessment.inputs import InputSet
from importers import TemplateSpec, build_template, catalogue, parse_self_report, read_workbook
from tests.importers.fixtures import (GOOD_INCUBATOR_VALUES, INCUBATOR_SET, VALID_USCC, fill_template,
                                      grid_from_template, good_tenants, incubator_spec, make_uscc, rd_spec,
                                      set_cell_xml, tenant_row, write_ods, write_workbook, write_xls)


def parse(path: Path, spec: TemplateSpec, **kw):
    return parse_self_report(read_workbook(path.read_bytes(), path.name), spec, **kw)


@pytest.fixture(scope="module")
def at(template: bytes):
    """field code → its value cell ("D25") in the template."""
    ws = openpyxl.load_workbook(io.BytesIO(template))["基本情况"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    return lambda code: f"D{rows[code]}"


def test_a_good_report(filled, spec, at):
    report = parse(filled(), spec)
    assert report.valid and report.issues == []
    assert report.values["tenants"].value == 3
    assert report.values["tenants"].cell == at("tenants")
    assert report.values["incubation_fund_own"].value == Decimal("800.50")
    assert report.values["incubator_type"].value == "comprehensive"
    assert report.values["torch_stats_filed"].value is True
    assert report.values["established_on"].value == dt.date(2015, 6, 1)
    tenants = report.tables["tenants"]
    assert len(tenants) == 3
    assert tenants[1]["uscc"].value == make_uscc(1) and tenants[1]["uscc"].cell == "B5"
    assert tenants[2]["revenue"].value == Decimal("1500.5")
    assert report.identity.uscc == VALID_USCC and report.identity.year == 2019
    assert report.identity.template_version == spec.template_version
    assert report.filename == "report.xlsx" and len(report.sha256) == 64


def test_every_bad_cell_is_reported_at_once(filled, spec, at):
    report = parse(filled({
        "uscc": "91110000600037341X", "tenants": "二十四", "gross_floor_area": "2万元",
        "incubation_fund_own": "1,200,000元", "established_on": "5/1/2019", "torch_stats_filed": "可能",
        "filer": None, "pro_staff_ratio": 0.8, "staff_total": 20.5,
    }), spec)
    assert not report.valid
    assert report.flatten("severity", "code", "cell") == [
        ("error", "required", at("filer")),
        ("error", "not-a-number", at("tenants")),
        ("error", "not-an-integer", at("staff_total")),
        ("error", "wrong-unit", at("gross_floor_area")),
        ("error", "wrong-unit", at("incubation_fund_own")),
        ("error", "ambiguous-date", at("established_on")),
        ("error", "not-a-boolean", at("torch_stats_filed")),
        ("error", "uscc-checksum", at("uscc")),
        ("warning", "percent-as-fraction", at("pro_staff_ratio")),
    ]
    assert {i.sheet for i in report.issues} == {"基本情况"}
    by_code = {i.code: i for i in report.issues}
    assert by_code["not-a-number"].message("zh_CN") == "“在孵企业数”应填写数字，实际为“二十四”。"
    assert report.issues[3].message("zh_CN") == "“场地建筑总面积”的单位为m²，但填写的“2万元”单位为万元，请换算为m²后只填数字。"
    assert report.issues[4].message("zh_CN") == ("“孵化基金总额（自有）”的单位为万元，但填写的“1,200,000元”单位为元，"
                                                 "请换算为万元后只填数字。")
    assert by_code["not-a-number"].label == "在孵企业数" and by_code["not-a-number"].expected == "integer ≥ 0 家"
    assert report.values["pro_staff_ratio"].value == Decimal("80.0")  # accepted, with the warning


def test_people_typing_is_normalised_and_raw_text_kept(filled, spec):
    report = parse(filled({"tenants": "３", "incubation_fund_own": "８００．５万元", "tenant_revenue": "12,345.6",
                           "established_on": "2015年6月1日", "torch_stats_filed": "✓", "incubator_type": "综合 ",
                           "uscc": " 9111 0000 6000 3734 1l"}), spec)
    assert report.valid, report.issues
    assert report.values["tenants"].value == 3 and report.values["tenants"].raw == "３"
    assert report.values["incubation_fund_own"].value == Decimal("800.50")
    assert report.values["incubation_fund_own"].raw == "８００．５万元"
    assert report.values["tenant_revenue"].value == Decimal("12345.60")
    assert report.values["established_on"].value == dt.date(2015, 6, 1)
    assert report.values["uscc"].value == VALID_USCC


def test_percent_cell_format_means_fraction(filled, spec):
    report = parse(filled({"pro_staff_ratio": 0.8}, percent_format=["pro_staff_ratio"]), spec)
    assert report.valid and report.issues == []
    assert report.values["pro_staff_ratio"].value == Decimal("80.0")


def test_tenant_rows(filled, spec, at):
    rows = [
        tenant_row(0),
        tenant_row(1, uscc="91441900MA00000011"),  # wrong check digit
        tenant_row(2, uscc=make_uscc(0).lower()),  # duplicate of row 4, typed in lower case
        tenant_row(3, entered_on="2020-01-15", employees="十二"),
        tenant_row(4, name=None, tech_field="人工智能", revenue="1,500.5"),
        [None] * 10,  # blank rows are skipped
        tenant_row(5, established_on=dt.date(2016, 1, 1), area="120 平方米"),
    ]
    report = parse(filled({"tenants": 6, "tenant_employees": 80}, tenants=rows), spec)
    assert report.flatten("code", "sheet", "cell") == [
        ("required", "在孵企业", "A8"),
        ("not-a-number", "在孵企业", "I7"),
        ("date-outside-year", "在孵企业", "D7"),
        ("not-a-choice", "在孵企业", "E8"),
        ("uscc-checksum", "在孵企业", "B5"),
        ("duplicate-row-key", "在孵企业", "B6"),
    ]
    dup = next(i for i in report.issues if i.code == "duplicate-row-key")
    assert dup.message("zh_CN") == f"“统一社会信用代码”“{make_uscc(0).lower()}”重复，已在第 4 行出现。"
    tenants = report.tables["tenants"]
    assert tenants.row_numbers == [4, 5, 6, 7, 8, 10]
    assert tenants[5]["area"].value == Decimal("120.0") and tenants[4]["revenue"].value == Decimal("1500.5")


def test_row_count_must_match_declared_count(filled, spec, at):
    report = parse(filled({"tenants": 5}), spec)
    assert report.flatten("code", "cell", "value") == [("row-count-mismatch", at("tenants"), "5")]
    assert report.issues[0].message("zh_CN") == "工作表“在孵企业”列出 3 行，但“在孵企业数”填报为 5。"


def test_consistency_checks(filled, spec, at):
    report = parse(filled({"tenant_area": 18000, "public_service_area": 3000, "graduates_year": 30,
                           "tenant_employees": 2, "pro_staff": 25}), spec)
    assert report.flatten("severity", "code", "field", "cell") == [
        ("error", "check-failed", "areas-within-total", at("tenant_area")),  # grouped by rule, then reading order
        ("error", "check-failed", "pro-staff-within-staff", at("pro_staff")),
        ("error", "check-failed", "graduates-within-cumulative", at("graduates_year")),
        ("error", "check-failed", "employees-cover-tenants", at("tenant_employees")),
        ("warning", "check-failed", "tenant-employees-match", None),
    ]
    assert report.issues[0].message("zh_CN") == (
        "在孵企业用房与公共服务用房之和不应超过场地建筑总面积（在孵企业用房面积 + 公共服务用房面积 = 21000.00"
        " ≤ 场地建筑总面积 20000.00 不成立）。")
    assert report.issues[0].message("en").startswith("Tenant and public-service areas must not exceed")


def test_checks_skip_fields_that_are_already_wrong(filled, spec):
    report = parse(filled({"tenant_area": "很多"}), spec)
    assert [i.code for i in report.issues] == ["not-a-number"]


def test_plausibility_jump_asks_for_a_note(filled, spec, at):
    previous = {"tenants": 1, "gross_floor_area": "20000", "staff_total": 19, "incubation_fund_own": Decimal("100")}
    report = parse(filled(), spec, previous=previous)
    assert report.valid
    assert report.flatten("severity", "code", "cell") == [("warning", "implausible-jump", at("incubation_fund_own")),
                                                          ("warning", "implausible-jump", at("tenants"))]
    assert report.issues[1].message("zh_CN") == (
        "“在孵企业数”由上年 1 变为 3（+200%），变化超过 ±50%，请在“备注”列说明原因。")
    explained = parse(filled(notes={"tenants": "新楼启用，入驻企业增加", "incubation_fund_own": "新增合作基金"}), spec,
                      previous=previous)
    assert explained.issues == []
    assert explained.notes["tenants"].value == "新楼启用，入驻企业增加" and explained.notes["tenants"].cell.startswith("F")


def test_wrong_category_or_year_stops_early(filled):
    path = filled({"tenants": "bad"})
    report = parse(path, rd_spec())
    assert report.flatten("code", "sheet", "cell") == [("wrong-template", None, None)]
    assert report.issues[0].message("zh_CN") == "该文件是“2019年度 科技企业孵化器（综合）”模板，应使用“2021年度 新型研发机构”模板。"
    assert parse(path, incubator_spec(year=2020)).flatten("code") == [("wrong-template",)]
    assert parse(path, incubator_spec(subclass="specialised")).flatten("code") == [("wrong-template",)]


def test_outdated_template_is_an_error_but_still_read(tmp_path):
    old_input = replace(INCUBATOR_SET.inputs[-3], label="创新创业活动次数")
    old = TemplateSpec.from_input_set(InputSet(INCUBATOR_SET.inputs[:-3] + (old_input,) + INCUBATOR_SET.inputs[-2:],
                                               INCUBATOR_SET.tables, INCUBATOR_SET.checks),
                                      category="incubator", year=2019, subclass="comprehensive")
    current = incubator_spec()
    path = fill_template(build_template(old), tmp_path / "old.xlsx", GOOD_INCUBATOR_VALUES | {"tenants": "x"},
                         {"在孵企业": good_tenants()})
    report = parse(path, current)
    assert report.flatten("code") == [("outdated-template",), ("not-a-number",)]
    assert report.issues[0].params == {"found": old.template_version, "expected": current.template_version}
    assert report.values["gross_floor_area"].value == Decimal("20000.00")


def test_a_plain_workbook_is_not_a_template(tmp_path, spec):
    path = write_workbook(tmp_path / "mine.xlsx", {"Sheet1": {"A1": "在孵企业数", "B1": 24}})
    report = parse(path, spec)
    assert report.flatten("code", "sheet") == [("not-a-template", None), ("missing-sheet", "基本情况"),
                                               ("missing-sheet", "在孵企业")]
    assert report.issues[2].message("zh_CN") == "缺少工作表“在孵企业”，请使用 2019 年度模板。"


def test_missing_field_row_and_missing_column(tmp_path, template, spec):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["基本情况"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "graduates_cum")
    ws.delete_rows(row)
    wb["在孵企业"]["I2"] = None  # someone cleared the employees column code and header
    wb["在孵企业"]["I3"] = None
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    report = parse(path, spec)
    missing = [(i.code, i.field, i.sheet) for i in report.issues if i.code.startswith("missing")]
    assert missing == [("missing-field", "graduates_cum", "基本情况"), ("missing-column", "employees", "在孵企业")]
    assert report.issues[0].message("zh_CN") == ("工作表“基本情况”中缺少“累计毕业企业数”（代码 graduates_cum）这一行，"
                                                 "请使用最新模板。")


def test_merged_cells_over_inputs(tmp_path, template, spec, at):
    wb = openpyxl.load_workbook(io.BytesIO(fill_template(template, tmp_path / "a.xlsx", GOOD_INCUBATOR_VALUES,
                                                         {"在孵企业": good_tenants()}).read_bytes()))
    cell = at("staff_total")
    wb["基本情况"].merge_cells(f"{cell}:E{cell[1:]}")
    wb["在孵企业"].merge_cells("G5:G6")
    wb.save(tmp_path / "merged.xlsx")
    report = parse(tmp_path / "merged.xlsx", spec)
    merged = [(i.sheet, i.cell, i.params["range"]) for i in report.issues if i.code == "merged-input-cell"]
    assert merged == [("基本情况", cell, f"{cell}:E{cell[1:]}"), ("在孵企业", "G5", "G5:G6")]


def test_excel_errors_and_uncalculated_formulas(tmp_path, filled, spec, at):
    path = filled({"tenant_revenue": "=1/0", "events": "=SUM(1,2)"})  # written by a script: no cached values
    wb = openpyxl.load_workbook(path)
    wb["在孵企业"]["I5"] = "=I4*2"
    wb.save(path)
    # what Excel saves for a formula that evaluates to an error: the error as the cached value
    data = set_cell_xml(path.read_bytes(), "基本情况", at("tenant_revenue"),
                        f'<c r="{at("tenant_revenue")}" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    data = set_cell_xml(data, "在孵企业", "G6", '<c r="G6" t="e"><v>#REF!</v></c>')
    report = parse_self_report(read_workbook(data, "errors.xlsx"), spec)
    assert report.flatten("code", "sheet", "cell", "value") == [
        ("excel-error", "基本情况", at("tenant_revenue"), "#DIV/0!"),
        ("excel-error", "在孵企业", "G6", "#REF!"),
        ("formula-without-value", "基本情况", at("events"), None),
        ("formula-without-value", "在孵企业", "I5", None),
    ]
    assert report.issues[0].message("zh_CN") == "“在孵企业总收入”的单元格显示错误值 #DIV/0!，请修正公式或直接填写数值。"


def test_table_row_limit(tmp_path):
    table = replace(INCUBATOR_SET.tables[0], max_rows=2)
    spec = TemplateSpec.from_input_set(InputSet(INCUBATOR_SET.inputs, (table,)), category="incubator", year=2019,
                                       subclass="comprehensive")
    path = fill_template(build_template(spec), tmp_path / "a.xlsx", GOOD_INCUBATOR_VALUES, {"在孵企业": good_tenants(3)})
    report = parse(path, spec)
    assert report.flatten("code", "sheet") == [("too-many-rows", "在孵企业")]
    assert report.issues[0].message("zh_CN") == "工作表“在孵企业”有 3 行，最多接受 2 行。"


@pytest.mark.parametrize("writer", [write_xls, write_ods])
def test_legacy_and_open_document_copies_parse_the_same(tmp_path, template, spec, writer):
    grid = grid_from_template(template, GOOD_INCUBATOR_VALUES | {"tenants": "二十四"}, {"在孵企业": good_tenants()})
    path = writer(tmp_path / "copy.bin", grid)
    report = parse(path, spec)
    assert report.flatten("code", "sheet") == [("not-a-number", "基本情况")]
    assert report.tables["tenants"][0]["uscc"].value == make_uscc(0)


def test_unreadable_file_passes_through(spec):
    report = parse_self_report(read_workbook(b"not a spreadsheet", "x.xlsx"), spec)
    assert report.flatten("code") == [("not-a-spreadsheet",)] and not report.valid


def test_rd_institution_report_with_projects(tmp_path):
    spec = rd_spec()
    values = {"org_name": "东莞示例研究院", "uscc": VALID_USCC, "filer": "王五", "phone": "0769-1", "rd_class": "技术创新类",
              "functional_focus": "前沿技术研究、成果转化", "has_board": "是", "employees_total": 120,
              "resident_rd_staff": 130, "equipment_value": 560, "research_floor_area": 3000, "total_revenue": 5000,
              "rd_expenditure": 1200, "rd_intensity": "24%", "projects_count": 2}
    projects = [["P-1", "新材料项目", "省级", 300, dt.date(2021, 3, 1)], ["P-1", "芯片项目", "国家", "50万元", "2022-01-01"]]
    path = fill_template(build_template(spec), tmp_path / "rd.xlsx", values, {"研发项目": projects})
    report = parse(path, spec)
    assert report.flatten("code", "cell") == [("date-outside-year", "E5"), ("not-a-choice", "C5"),
                                              ("duplicate-row-key", "A5"),
                                              ("check-failed", report.values["resident_rd_staff"].cell)]
    assert report.values["functional_focus"].value == ("frontier", "transfer")
    assert report.values["rd_intensity"].value == Decimal("24.0")
    assert report.tables["projects"][1]["funds"].value == Decimal("50.00")


def test_to_dict_is_json_ready(filled, spec):
    report = parse(filled({"tenants": "二十四"}), spec)
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["valid"] is False
    assert data["issues"][0]["code"] == "not-a-number"
    assert data["issues"][0]["message_zh"] == "“在孵企业数”应填写数字，实际为“二十四”。"
    assert data["values"]["incubation_fund_own"] == {"value": "800.50", "raw": "800.5", "sheet": "基本情况",
                                                     "cell": report.values["incubation_fund_own"].cell}
    assert data["tables"]["tenants"]["rows"][0]["established_on"]["value"] == "2017-03-01"
    assert data["identity"]["category"] == "incubator"


@pytest.mark.parametrize("issue_type", catalogue(), ids=lambda t: t.code)
def test_every_message_renders_in_both_languages(issue_type):
    from importers import Issue

    context = {k: "X" for k in ("filename", "detail", "size", "limit", "rows", "columns", "expected", "found",
                                "year", "range", "unit", "found_unit", "read", "first_row", "message", "message_en",
                                "left", "op", "right", "other", "previous", "change", "expected_zh")}
    issue = Issue(issue_type, sheet="基本情况", cell="D12", field="f", label="标签", value="v", params=context)
    en, zh = issue.message("en"), issue.message("zh_CN")
    assert "%(" not in en and "%(" not in zh
    assert en != zh
    assert issue_type.code == issue_type.code.lower() and " " not in issue_type.code
