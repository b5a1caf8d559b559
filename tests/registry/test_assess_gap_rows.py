"""Gap lists that stand alone: each row names the criterion, required and actual with their unit,
the shortfall, every figure read with its self-report cell (linked to the report version), the
clause, and the criteria file's version and sha256; either-or rows show both alternatives."""

from __future__ import annotations

import re

from flask_babel import gettext
from sqlalchemy import select

from assessment import load_criteria
from registry.assessments.explain import explain, explanation_lines
from registry.assessments.operations import run_assessment
from registry.extensions import db
from registry.models import AssessmentResult
from tests.registry.assess_helpers import add_report, declared_values, recognised

INC = ("incubator", "comprehensive")
#: inputs no indicator reads, only the recognition criteria
CRITERIA_ONLY = ("operating_since", "torch_stats_years", "tenant_area", "public_service_area", "fund_use_cases",
                 "tenants_with_patent_apps")


def _applicant_result(session):
    inst = recognised(*INC, level="national_candidate")  # checked against the national criteria, the next level
    values = declared_values(*INC, 2019, tenants=40, tenants_with_patent_apps=12, tenants_with_valid_ip=8,
                             fund_use_cases=2)
    report = add_report(inst, 2019, values)
    session.commit()
    run = run_assessment(2019, label="test").run
    session.commit()
    res = db.session.scalar(select(AssessmentResult).where(AssessmentResult.run_id == run.id,
                                                           AssessmentResult.institution_id == inst.id))
    return inst, report, values, res


def test_stored_gap_rows_carry_figures_cells_clause_and_file(app, session, admin_client):
    inst, report, values, res = _applicant_result(session)
    gaps = res.outcome["recommendation"]["gaps"]
    assert gaps is not None
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        e = explain(res.outcome, report_url="/reports/x")
        lines = {line.code: line for line in e.gap_lines}
        crit = load_criteria(gaps["code"], 2019)
        for line in lines.values():
            assert line.criteria_source == crit.source and line.criteria_version == crit.version
            assert line.criteria_sha256 == crit.sha256 and len(line.criteria_sha256) == 64
            assert line.label and "None" not in line.sentence and line.clause and line.clause != "—"

        tenants = lines["tenants"]
        assert (tenants.required_text, tenants.actual_text, tenants.met) == ("≥ 50家", "40家", False)
        assert tenants.shortfall_text == "差 10家（为要求的 20.0%）"
        assert [(i.label, i.value_text, i.source) for i in tenants.inputs] == [
            ("在孵企业数", "40家", values["tenants"]["cell"])]
        assert tenants.inputs[0].url == "/reports/x"

        ip = lines["ip"]
        assert ip.required_text == gettext("any one of the alternatives") and not ip.met
        alts = {a.code: a for a in ip.alternatives}
        assert (alts["patent_share"].required_text, alts["patent_share"].actual_text) == ("≥ 50.0%", "30.0%")
        assert (alts["valid_ip_share"].required_text, alts["valid_ip_share"].actual_text) == ("≥ 30.0%", "20.0%")
        assert {i.code for i in alts["patent_share"].inputs} == {"tenants_with_patent_apps", "tenants"}

        # inputs only the criteria read carry their cell like any other input
        seen = {i.code: i for line in lines.values() for a in (line.alternatives or (line,)) for i in a.inputs}
        for code in CRITERIA_ONLY:
            assert seen[code].source == values[code]["cell"], code
            assert seen[code].url == "/reports/x"

        text = "\n".join(explanation_lines(e))
        assert "None" not in text
        assert f"认定条件《{crit.title}》，第 {crit.version} 版，sha256 {crit.sha256}" in text
        assert all(line.criteria_title == crit.title for line in lines.values())
        assert f"在孵企业数 = 40家（来源：{values['tenants']['cell']}）" in text

    page = admin_client.get(f"/assessments/results/{res.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    section = page.split('id="gap-list"', 1)[1].split("</section>", 1)[0]
    assert "None" not in section
    row = re.search(r'data-criterion="fund_use_cases".*?</tr>', section, re.S).group(0)
    assert "≥ 3个" in row and "2个" in row and "差 1个（为要求的 33.3%）" in row
    assert f'href="/reports/{inst.id}/2019/v1"' in row and values["fund_use_cases"]["cell"] in row
    assert crit_sha_prefix(gaps["sha256"]) in row and "国科发区〔2018〕300号" in row
    ip_row = re.search(r'data-criterion="ip".*?</tr>', section, re.S).group(0)
    assert 'data-alternative="patent_share"' in ip_row and 'data-alternative="valid_ip_share"' in ip_row
    assert "实际 30.0%" in ip_row and "实际 20.0%" in ip_row and "差 20.0%（为要求的 40.0%）" in ip_row


def crit_sha_prefix(sha: str) -> str:
    return sha[:12]


def test_a_gap_list_whose_criteria_file_cannot_be_read_never_prints_none(app, session, monkeypatch):
    _inst, _report, _values, res = _applicant_result(session)
    import assessment.outcome as outcome_mod

    monkeypatch.setattr(outcome_mod, "_gap_templates", lambda *a: None)  # the file is gone or changed
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        e = explain(res.outcome)
        assert e.gaps["labels_joined"] is False
        text = "\n".join(explanation_lines(e))
    assert "None" not in text and "条件名称不可用" in text
    assert "警告：无法读取该差距清单所用的认定条件文件" in text


def test_the_live_gap_page_shows_the_same_rows(session, admin_client):
    inst, _report, values, _res = _applicant_result(session)
    page = admin_client.get(f"/assessments/gaps/{inst.id}?level=national&year=2019",
                            headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    row = re.search(r'data-criterion="tenant_area_share".*?</tr>', page, re.S).group(0)
    for code in ("tenant_area", "public_service_area", "controlled_incubation_area"):
        assert values[code]["cell"] in row, code
    assert "None" not in page
