"""Self-report checks users tripped over: the report year, the header's credit code, a renamed
sheet, year-on-year comparisons. Real .xlsx and .ods files through the real import paths."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

import importers
from registry.extensions import db
from registry.models import Institution, SelfReport
from registry.reports.issues import render_issue
from registry.reports.operations import import_file, spec_for
from tests.factories import make_institution
from tests.importers.fixtures import grid_from_template, write_ods
from tests.registry.test_reports_support import YEAR, filled_report, tenant_rows, valid_values


@pytest.fixture
def inst(app):
    with app.app_context():
        institution = make_institution(name="东莞示例孵化器有限公司")
        db.session.commit()
        return institution.id


def _messages(result) -> list[tuple[str | None, str]]:  # noqa: ANN001
    return [(i.location, render_issue(i)) for i in result.report.issues if i.severity == "error"]


def _stored() -> int:
    return db.session.scalar(select(func.count(SelfReport.id)))


def test_a_retyped_report_year_is_an_error_on_its_cell_and_nothing_is_stored(app, inst):
    with app.test_request_context("/"):
        institution = db.session.get(Institution, inst)
        data = filled_report(institution, YEAR, overrides={"report_year": YEAR + 1})
        result = import_file(data, "自评.xlsx")
        found = [(loc, msg) for loc, msg in _messages(result) if "报告年度" in msg]
        assert found, _messages(result)
        location, message = found[0]
        assert location.startswith("基本情况!D")
        assert message == (f"“报告年度”填写为 {YEAR + 1}，但本文件是 {YEAR} 年度模板。请填写 {YEAR}；"
                           f"如要报送 {YEAR + 1} 年度，请下载 {YEAR + 1} 年度模板。")
        assert result.self_report is None and _stored() == 0


def test_the_same_in_an_ods_file(app, inst, tmp_path):
    """A template re-saved as .ods (LibreOffice) with the year retyped: refused the same way."""
    with app.test_request_context("/"):
        institution = db.session.get(Institution, inst)
        spec = spec_for(institution, YEAR)
        values = valid_values(spec, name=institution.name, uscc=institution.uscc, tenants=2)
        values["report_year"] = YEAR + 1
        from tests.factories import make_uscc

        grid = grid_from_template(importers.build_template(spec), values, tenant_rows(spec, [make_uscc(), make_uscc()]))
        path = write_ods(tmp_path / "自评.ods", grid)
        result = import_file(path.read_bytes(), path.name)
        assert any("报告年度" in msg and loc and loc.startswith("基本情况!D") for loc, msg in _messages(result)), \
            _messages(result)
        assert _stored() == 0


def test_a_letter_o_in_the_header_credit_code_is_explained_at_its_cell(app, inst):
    with app.test_request_context("/"):
        institution = db.session.get(Institution, inst)
        data = filled_report(institution, YEAR, uscc="91441900497465075O")
        result = import_file(data, "自评.xlsx")
        [(location, message)] = _messages(result)
        assert location.startswith("基本情况!D")
        assert message == ("“91441900497465075O”不是统一社会信用代码：第 18 位是字母“O”，"
                           "统一社会信用代码只能使用数字和除 I、O、S、V、Z 以外的大写字母。")
        assert result.report.issues[0].code != "no-credit-code"


def test_a_wrong_check_digit_in_the_header_says_which_digit_is_expected(app, inst):
    with app.test_request_context("/"):
        institution = db.session.get(Institution, inst)
        wrong = institution.uscc[:17] + ("0" if institution.uscc[17] != "0" else "1")
        result = import_file(filled_report(institution, YEAR, uscc=wrong), "自评.xlsx")
        [(location, message)] = _messages(result)
        assert location.startswith("基本情况!D") and f"校验位（最后一位）应为 {institution.uscc[17]}" in message


def test_a_renamed_header_sheet_is_named_as_missing(app, inst):
    with app.test_request_context("/"):
        institution = db.session.get(Institution, inst)
        wb = openpyxl.load_workbook(io.BytesIO(filled_report(institution, YEAR)))
        wb["基本情况"].title = "基本信息"
        out = io.BytesIO()
        wb.save(out)
        result = import_file(out.getvalue(), "自评.xlsx")
        [(location, message)] = _messages(result)
        assert message == f"缺少工作表“基本情况”，请使用 {YEAR} 年度模板。"


def test_last_years_figure_is_compared_with_last_years_report_of_the_same_field(app, inst):
    """上年孵化器总收入 this year restates last year's 孵化器总收入: equal figures raise nothing."""
    with app.app_context():
        spec = spec_for(db.session.get(Institution, inst), YEAR)
    report_now = importers.ImportReport(filename="x", sha256="x")
    now = {"inc_revenue_total": "1650", "inc_revenue_total_prev": "1000"}
    for code, value in now.items():
        from decimal import Decimal

        report_now.values[code] = importers.CellValue(Decimal(value), value, "基本情况", "D40")
    from importers.self_report import _plausibility

    last_year = {"inc_revenue_total": "1000", "inc_revenue_total_prev": "606"}
    flagged = {i.field for i in _plausibility(spec, report_now, last_year)}
    assert "inc_revenue_total_prev" not in flagged  # 1000 restates last year's 1000 exactly
    assert "inc_revenue_total" in flagged  # +65 % against last year's total is a real jump
    last_year["inc_revenue_total"] = "500"
    assert "inc_revenue_total_prev" in {i.field for i in _plausibility(spec, report_now, last_year)}


def test_the_template_lists_the_registrys_tenants_with_last_years_figures(app, inst, admin_client):
    """The clerk downloads a tenants sheet already holding the firms hosted that year; it imports as is."""
    import datetime as dt

    from registry.institutions.operations import add_tenancy, get_or_create_firm
    from registry.models import SelfReport
    from tests.factories import make_uscc

    with app.app_context():
        institution = db.session.get(Institution, inst)
        firms = [get_or_create_firm(name=f"东莞示例在孵企业{i}", uscc=make_uscc(), established_on=dt.date(2016, 3, i + 1))
                 for i in range(3)]
        add_tenancy(institution, firms[0], entered_on=dt.date(2017, 5, 1))
        add_tenancy(institution, firms[1], entered_on=dt.date(2018, 2, 1))
        add_tenancy(institution, firms[2], entered_on=dt.date(2014, 1, 1), exited_on=dt.date(2017, 12, 31),
                    exit_reason="graduated", graduation_criterion="high_tech")  # gone before the year
        db.session.add(SelfReport(institution_id=inst, year=YEAR - 1, version=1, is_current=True, source="cli",
                                  values={}, tables={"tenants": [{
                                      "uscc": {"value": firms[0].uscc}, "name": {"value": "旧名称"},
                                      "revenue": {"value": "712345.60"}, "employees": {"value": "37"},
                                      "is_hte": {"value": "true"}}]}))
        db.session.commit()
        codes = [f.uscc for f in firms]
    data = admin_client.get(f"/reports/{inst}/{YEAR}/template").data
    sheet = openpyxl.load_workbook(io.BytesIO(data))["在孵企业"]
    header = [c.value for c in sheet[2]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=4) if row[0].value]
    assert [r["uscc"] for r in rows] == codes[:2]  # hosted during the year, in order of entry; not the graduate
    first = rows[0]
    assert first["name"] == "东莞示例在孵企业0"  # the registry's name wins over last year's text
    assert first["revenue"] == pytest.approx(712345.60) and first["employees"] == 37 and first["is_hte"] == "是"
    assert first["entered_on"].date() == dt.date(2017, 5, 1)
    assert rows[1]["revenue"] is None  # no figures last year: left for the clerk
