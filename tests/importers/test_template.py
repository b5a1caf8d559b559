from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal

import openpyxl
import pytest

from assessment.inputs import InputSet
from importers import TemplateSpec, build_template, parse_self_report, read_workbook
from importers.self_report import META_SHEET, read_identity
from importers.spec import KV_SHEET, template_version
from tests.importers.fixtures import INCUBATOR_SET, TENANT_COLUMNS, incubator_spec, rd_spec


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _codes(ws) -> list[str]:
    return [ws.cell(row=r, column=1).value for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=1).value]


def test_rows_come_from_the_declarations_only(template: bytes, spec: TemplateSpec):
    ws = _load(template)[KV_SHEET]
    declared = [d.code for d in INCUBATOR_SET.self_reported()]
    assert _codes(ws) == ["org_name", "uscc", "head", "filer", "phone", *declared]
    assert "expert_score" not in _codes(ws)  # reviewer-scored
    assert "recognition_level" not in _codes(ws)  # the registry knows it
    assert [c.value for c in ws[3]][:7] == ["代码", "项目", "单位", "填报值", "上年值（2018）", "备注（变化说明）", "填报说明"]


def test_sheets_and_hidden_identity(template: bytes, spec: TemplateSpec):
    wb = _load(template)
    assert wb.sheetnames == ["说明", "基本情况", "在孵企业", META_SHEET, "_lists"]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    identity = read_identity(read_workbook(template, "t.xlsx"))
    assert identity == {"category": "incubator", "subclass": "comprehensive", "year": "2019",
                        "system_version": "2019.1", "template_version": spec.template_version,
                        "generator": "fuhua.importers"}


def test_table_sheet_has_code_row_above_chinese_header(template: bytes):
    ws = _load(template)["在孵企业"]
    assert [c.value for c in ws[2]] == [c.code for c in TENANT_COLUMNS]
    assert ws["B3"].value == "统一社会信用代码 *"
    assert ws["G3"].value == "总收入（千元） *"
    assert ws.column_dimensions["B"].number_format == "@"  # credit codes stay text
    assert ws.column_dimensions["B"].protection.locked is False
    assert ws["B3"].protection.locked is True


def test_protection_without_password_and_unlocked_inputs(template: bytes):
    ws = _load(template)[KV_SHEET]
    assert ws.protection.sheet is True
    assert not ws.protection.password
    row = _codes(ws).index("tenants") + 4 + 6  # six section rows precede it
    assert ws.cell(row=row, column=1).value == "tenants"
    assert ws.cell(row=row, column=4).protection.locked is False
    assert ws.cell(row=row, column=2).protection.locked is True


def test_data_validation_matches_types(template: bytes):
    wb = _load(template)
    ws = wb[KV_SHEET]
    rows = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_cell[rng.coord] = dv
    tenants = by_cell[f"D{rows['tenants']}"]
    assert (tenants.type, tenants.formula1) == ("whole", "0")
    ratio = by_cell[f"D{rows['pro_staff_ratio']}"]
    assert (ratio.type, ratio.formula1, ratio.formula2) == ("decimal", "0", "100")
    kind = by_cell[f"D{rows['incubator_type']}"]
    assert (kind.type, kind.formula1) == ("list", '"综合,专业"')
    assert by_cell[f"D{rows['established_on']}"].type == "date"
    assert by_cell[f"D{rows['torch_stats_filed']}"].formula1 == '"是,否"'
    table_dvs = {str(dv.sqref): dv for dv in wb["在孵企业"].data_validations.dataValidation}
    assert table_dvs["E4:E20003"].type == "list"
    assert table_dvs["I4:I20003"].type == "whole"


def test_prefill_and_last_year(spec: TemplateSpec):
    data = build_template(spec, prefill={"org_name": "东莞示例孵化器", "uscc": "91110000600037341L"},
                          last_year={"tenants": 48, "incubation_fund_own": Decimal("650.50"),
                                     "incubator_type": "specialised", "torch_stats_filed": True})
    ws = _load(data)[KV_SHEET]
    rows = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    assert ws.cell(row=rows["org_name"], column=4).value == "东莞示例孵化器"
    assert ws.cell(row=rows["uscc"], column=4).value == "91110000600037341L"
    assert ws.cell(row=rows["tenants"], column=5).value == 48
    assert ws.cell(row=rows["incubation_fund_own"], column=5).value == 650.5
    assert ws.cell(row=rows["incubator_type"], column=5).value == "专业"
    assert ws.cell(row=rows["torch_stats_filed"], column=5).value == "是"
    assert ws.cell(row=rows["tenants"], column=4).value is None


def test_template_version_follows_the_declarations():
    base = incubator_spec()
    relabelled = replace(INCUBATOR_SET.inputs[10], label="在孵企业数量")
    changed = InputSet(INCUBATOR_SET.inputs[:10] + (relabelled,) + INCUBATOR_SET.inputs[11:], INCUBATOR_SET.tables,
                       INCUBATOR_SET.checks)
    other = TemplateSpec.from_input_set(changed, category="incubator", year=2019, subclass="comprehensive")
    assert other.template_version != base.template_version
    helped = replace(INCUBATOR_SET.inputs[10], help="另一段说明")
    same = InputSet(INCUBATOR_SET.inputs[:10] + (helped,) + INCUBATOR_SET.inputs[11:], INCUBATOR_SET.tables)
    assert template_version(TemplateSpec.from_input_set(same, category="x", year=1).fields,
                            base.tables) == base.template_version  # guidance text is not structure
    assert len(base.template_version) == 10


def test_empty_template_reads_back_with_required_issues_only(template: bytes, spec: TemplateSpec):
    report = parse_self_report(read_workbook(template, "blank.xlsx"), spec)
    codes = {i.code for i in report.issues}
    assert codes == {"required", "table-required"}
    assert ("基本情况", "tenants") in {(i.sheet, i.field) for i in report.issues}


def test_rd_institution_template_with_projects_table():
    spec = rd_spec()
    wb = _load(build_template(spec))
    assert wb.sheetnames[:3] == ["说明", "基本情况", "研发项目"]
    assert [c.value for c in wb["研发项目"][2]] == ["project_no", "title", "level", "funds", "started_on"]
    focus_row = next(r for r in range(1, 60) if wb[KV_SHEET].cell(row=r, column=1).value == "functional_focus")
    assert "可多选" in wb[KV_SHEET].cell(row=focus_row, column=7).value


@pytest.mark.parametrize("factory", [incubator_spec, rd_spec])
def test_instructions_sheet_is_chinese(factory):
    ws = _load(build_template(factory()))["说明"]
    text = "\n".join(str(c.value) for c in ws["A"] if c.value)
    assert "填报说明" in text and "撤销工作表保护" in text and "万元" in text
