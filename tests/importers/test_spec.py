from __future__ import annotations

from types import SimpleNamespace

import pytest

import assessment
from importers import load_spec, render_issues
from importers.spec import describe
from tests.importers.fixtures import INCUBATOR_SET, RD_SET


def test_load_spec_bridges_to_the_indicator_system(monkeypatch):
    """assessment.load_system lands with the indicator systems; until then stand in a system object."""
    calls = []

    def load_system(category, year, subclass=None):
        calls.append((category, year, subclass))
        return SimpleNamespace(input_set=INCUBATOR_SET, category=category, subclass=subclass, version="2019.2",
                               sha256="ab" * 32)

    monkeypatch.setattr(assessment, "load_system", load_system, raising=False)
    spec = load_spec("incubator", 2020, "specialised")
    assert calls == [("incubator", 2020, "specialised")]
    assert (spec.category, spec.subclass, spec.year, spec.system_version) == ("incubator", "specialised", 2020, "2019.2")
    assert spec.title == "2020年度 科技企业孵化器（专业）"
    assert "expert_score" not in spec.by_code()


@pytest.mark.parametrize(("category", "subclass", "version"), assessment.all_systems())
def test_every_shipped_system_yields_a_template_that_reads_back(category, subclass, version):
    """Each system's template is a real workbook whose identity the reader accepts."""
    from importers import build_template, parse_self_report, read_workbook

    spec = load_spec(category, version, subclass)
    data = build_template(spec)
    report = parse_self_report(read_workbook(data, "template.xlsx"), spec)
    codes = {issue.code for issue in report.issues}
    assert not codes & {"wrong-template", "outdated-template", "not-a-template", "missing-sheet"}, codes
    assert "required" in codes  # an empty template is incomplete, and says so


@pytest.mark.parametrize(("decl", "en", "zh"), [
    (INCUBATOR_SET.by_code()["tenants"], "integer ≥ 0 家", "≥ 0 的整数 家"),
    (INCUBATOR_SET.by_code()["pro_staff_ratio"], "percentage between 0 and 100 (35 = 35%)", "0～100 的百分数（35 表示 35%）"),
    (INCUBATOR_SET.by_code()["torch_stats_filed"], "是 / 否", "“是”或“否”"),
    (RD_SET.by_code()["functional_focus"], "one or more of 前沿技术研究、产业技术开发、成果转化、企业技术服务、创办科技企业",
     "前沿技术研究、产业技术开发、成果转化、企业技术服务、创办科技企业（可多选，用顿号分隔）"),
])
def test_expected_descriptions(decl, en, zh):
    assert describe(decl) == (en, zh)


def test_cli_rendering(filled, spec):
    from importers import parse_self_report, read_workbook

    path = filled({"tenants": "二十四"})
    report = parse_self_report(read_workbook(path.read_bytes(), path.name), spec)
    cell = report.values["tenants"].cell
    assert render_issues(report.issues) == [f"错误 基本情况!{cell} [not-a-number] “在孵企业数”应填写数字，实际为“二十四”。"]
    assert render_issues(report.issues, "en") == [
        f"error 基本情况!{cell} [not-a-number] 在孵企业数 must be a number; found “二十四”."]
    assert render_issues(parse_self_report(read_workbook(b"x", "a.xlsx"), spec).issues) == [
        "错误 （文件） [not-a-spreadsheet] “a.xlsx”不是电子表格文件（应为 .xlsx、.xlsm、.xls 或 .ods）。"]
