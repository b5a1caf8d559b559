"""Veto items do what their system file declares, and the pages say so with the clause."""

from __future__ import annotations

from sqlalchemy import select

from registry.assessments.operations import run_assessment
from registry.extensions import db
from registry.models import AssessmentResult
from tests.registry.assess_helpers import add_report, declared_values, recognised

INC = ("incubator", "comprehensive")


def _result(run_id: int, inst_id: int) -> AssessmentResult:
    return db.session.scalar(select(AssessmentResult).where(AssessmentResult.run_id == run_id,
                                                            AssessmentResult.institution_id == inst_id))


def test_statistics_not_filed_is_a_d_then_exit_on_the_second_year(session, admin_client):
    inst = recognised(*INC, level="national")
    add_report(inst, 2019, declared_values(*INC, 2019, torch_stats_filed=False))
    add_report(inst, 2020, declared_values(*INC, 2020, torch_stats_filed=False))
    falsifier = recognised(*INC, level="national")
    add_report(falsifier, 2019, declared_values(*INC, 2019, integrity_flags="falsified_data"))
    session.commit()

    first = run_assessment(2019, label="test").run.id
    session.commit()
    r = _result(first, inst.id)
    assert (r.grade, r.recommendation, r.recommendation_rule) == ("D", "rectify", "single-fail")
    page = admin_client.get(f"/assessments/results/{r.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    rec = page.split('id="recommendation"', 1)[1].split("</dd>", 1)[0]
    assert "限期 6 个月整改" in rec and "D 等级来自一票否决项：未按时报送火炬统计（当年评为D）" in rec
    vetoes = page.split('id="group-vetoes"', 1)[1]
    assert "触发后果: 当年评为D（不合格），再按常规规则处理" in vetoes
    assert "后果依据条款: 本年度评为D(不合格)，计入连续两年不合格规则" in vetoes

    f = _result(first, falsifier.id)
    assert (f.grade, f.recommendation, f.recommendation_rule) == ("D", "exit", "veto")
    page = admin_client.get(f"/assessments/results/{f.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    rec = page.split('id="recommendation"', 1)[1].split("</dd>", 1)[0]
    assert "数据弄虚作假（丧失资格）" in rec and "2 年内不得再次申报。" in rec
    assert "国科发区〔2018〕300号《科技企业孵化器管理办法》 第十六条：取消评审资格，2年内不得再次申报" in page

    listing = admin_client.get("/assessments/recommendations?year=2019",
                               headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "触发一票否决事项：数据弄虚作假（丧失资格）。 2 年内不得再次申报。" in listing
    assert "D 等级来自一票否决项：未按时报送火炬统计（当年评为D）" in listing

    second = run_assessment(2020, label="test").run.id
    session.commit()
    r2 = _result(second, inst.id)
    assert (r2.grade, r2.recommendation, r2.recommendation_rule) == ("D", "exit", "consecutive-fails")
    assert r2.outcome["recommendation"]["params"]["years"] == [2019, 2020]
