"""Assessment runs over a small seeded registry: stored outcomes, immutability, history, quota, errors."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from assessment import load_system
from assessment.outcome import STORED_FORM, expand_stored
from assessment.trace import jsonable
from registry.assessments.operations import NoSystemInForce, run_assessment
from registry.extensions import db
from registry.models import AssessmentResult, AssessmentRun
from tests.registry.assess_helpers import add_report, applicant, declared_values, recognised

INC = ("incubator", "comprehensive")


def poor(year: int) -> dict:
    """An incubator report whose figures are all present but earn almost nothing (grade D)."""
    zeros = {k: 0 for k in ("incubation_fund_own", "incubation_fund_partner", "financed_tenants", "incubator_investment",
                            "mentors", "pro_staff", "events", "public_platforms", "graduates_year", "graduates_cum",
                            "tenants_with_valid_ip", "valid_invention", "tenants_hte", "tenant_employees",
                            "tenant_fresh_grads", "tenant_rd", "inc_rev_service", "inc_rev_investment", "fund_use_cases",
                            "tenants_with_mentor", "valid_ip", "tenants_with_patent_apps", "tenants_with_ip_apps",
                            "competitions_hosted", "hmt_cooperation", "graduates_to_accelerator_or_park",
                            "financing_amount", "tenant_tax", "tenant_college", "staff_trained", "new_tenants")}
    return declared_values(*INC, year, tenants=5, tenant_revenue=Decimal(100), tenant_revenue_prev=Decimal(200),
                           has_public_tech_platform=False, public_duties=False, **zeros)


def results(run_id: int) -> dict[int, AssessmentResult]:
    rows = db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run_id)
                              .execution_options(populate_existing=True))
    return {r.institution_id: r for r in rows}


def test_run_stores_outcomes_with_traces_sources_and_pinned_systems(session):
    good = recognised(*INC)
    add_report(good, 2019, declared_values(*INC, 2019))
    rd = recognised("rd_institution", "tech_innovation", level="municipal")
    add_report(rd, 2019, declared_values("rd_institution", "tech_innovation", 2019))
    newcomer = applicant(*INC)
    add_report(newcomer, 2019, declared_values(*INC, 2019, tenants=4))
    session.commit()

    summary = run_assessment(2019, label="test")
    session.commit()
    run = summary.run
    assert run.result_count == 3 and run.started_by_label == "test" and run.finished_at is not None
    used = {(s["category"], s["subclass"]): s for s in run.systems}
    assert used[INC]["version"] == 2019 and len(used[INC]["sha256"]) == 64 and used[INC]["count"] == 2
    assert used[("rd_institution", "tech_innovation")]["version"] == 2018  # carried forward into 2019

    rows = results(run.id)
    r = rows[good.id]
    # full marks (100) plus the 4 bonus points; alone in its cohort, the A quota (20 % of 1 = 0 places) lowers it to B
    assert r.score == Decimal("104.00") and r.grade == "B" and r.system_version == 2019
    assert r.outcome["quota"]["kept"] is False and r.outcome["quota"]["allowed"] == 0
    trace = json.dumps(r.outcome["trace"], ensure_ascii=False)
    assert "孵化资金!D" in trace  # every input keeps its source cell
    # stored compact: the file's bands are not repeated in every result, but re-joined from the pinned file
    assert r.outcome["form"] == STORED_FORM and '"bands":' not in json.dumps(r.outcome)
    full = expand_stored(r.outcome)
    assert full["parameters_verified"] is True
    fund_node = next(n for n in _nodes(full["trace"]) if n["code"] == "incubation_fund")
    declared = next(i for i in load_system("incubator", 2019, "comprehensive").indicators if i.code == "incubation_fund")
    assert fund_node["parameters"] == jsonable(declared.parameters) and fund_node["detail"]["matched"] == 0
    assert fund_node["parameters"]["bands"][0] == {"min": "500", "points": "5"}
    fund = next(i for i in full["indicators"] if i["code"] == "incubation_fund")
    assert fund == {"code": "incubation_fund", "group": "service_capability", "rule": "bands", "weight": "5",
                    "points": "5.00", "status": "scored", "provisional": True}
    assert r.outcome["registry"]["self_report_id"] == r.self_report_id is not None
    # the registry, not the report, supplies the standing: status and the level in force on 31 December
    assert r.outcome["standing"] == {"status": "recognised", "level": "municipal", "hardship_area": False,
                                     "provincial_status_lost": False}

    # R&D institutions need the reviewers' score (policy "error"): until reviews supply it, the result is
    # incomplete and says exactly which input is missing and which policy applied
    rd_result = rows[rd.id]
    assert (rd_result.grade, rd_result.recommendation, rd_result.recommendation_rule) == (None, None, "incomplete")
    assert rd_result.outcome["missing"] == [{"indicator": "expert_review", "code": "expert_review_score",
                                             "reason": "missing", "policy": "error"}]
    # the applicant misses the municipal tenant count (4 < 10): not recognised, with its gap list
    a = rows[newcomer.id]
    assert (a.recommendation, a.recommendation_rule) == ("do_not_recognise", "criteria-unmet")
    gaps = a.outcome["recommendation"]["gaps"]
    unmet = [row for row in gaps["rows"] if not row["met"]]
    assert [row["code"] for row in unmet] == a.outcome["recommendation"]["params"]["unmet"] and unmet


def _nodes(node):
    if "ref" in node:
        return
    yield node
    for c in node.get("children", ()):
        yield from _nodes(c)


def test_second_run_creates_a_new_run_and_never_touches_the_first(session):
    inst = recognised(*INC)
    report = add_report(inst, 2019, declared_values(*INC, 2019))
    session.commit()
    first = run_assessment(2019, label="first").run
    session.commit()
    before = {r.id: json.dumps([r.score and str(r.score), r.grade, r.recommendation, r.outcome], sort_keys=True)
              for r in results(first.id).values()}

    # new figures: a second version of the report becomes current
    session.execute(SelfReport_update(report.id))
    add_report(inst, 2019, declared_values(*INC, 2019, tenants=12, graduates_cum=5), version=2)
    session.commit()
    second = run_assessment(2019, label="second").run
    session.commit()

    assert second.id != first.id
    after = {r.id: json.dumps([r.score and str(r.score), r.grade, r.recommendation, r.outcome], sort_keys=True)
             for r in results(first.id).values()}
    assert after == before
    new = results(second.id)[inst.id]
    assert new.score < results(first.id)[inst.id].score
    assert session.scalar(select(func.count()).select_from(AssessmentResult)) == 2

    # stored results refuse changes through the ORM
    stored = results(first.id)[inst.id]
    stored.grade = "A"
    with pytest.raises(RuntimeError, match="immutable"):
        session.flush()
    session.rollback()


def SelfReport_update(report_id: int):  # noqa: N802 — reads as the statement it builds
    from sqlalchemy import update

    from registry.models import SelfReport

    return update(SelfReport).where(SelfReport.id == report_id).values(is_current=False)


def test_two_consecutive_d_grades_recommend_exit(session):
    inst = recognised(*INC)
    add_report(inst, 2019, poor(2019))
    add_report(inst, 2020, poor(2020))
    session.commit()
    run_2019 = run_assessment(2019).run
    session.commit()
    r19 = results(run_2019.id)[inst.id]
    assert r19.grade == "D" and (r19.recommendation, r19.recommendation_rule) == ("rectify", "single-fail")

    run_2020 = run_assessment(2020).run  # the 2019 system, carried forward
    session.commit()
    r20 = results(run_2020.id)[inst.id]
    assert r20.system_version == 2019
    assert (r20.grade, r20.recommendation, r20.recommendation_rule) == ("D", "exit", "consecutive-fails")
    assert r20.outcome["recommendation"]["params"]["years"] == [2019, 2020]
    assert {"year": 2019, "grade": "D", "reported": True} in r20.outcome["registry"]["history"]


def test_consecutive_unreported_years_recommend_exit(session):
    silent = recognised(*INC, since=dt.date(2016, 3, 1))
    other = recognised(*INC)
    add_report(other, 2018, declared_values(*INC, 2018))  # the registry holds figures from 2018 on
    add_report(other, 2019, declared_values(*INC, 2019))
    session.commit()
    r = results(run_assessment(2019).run.id)[silent.id]
    session.commit()
    assert (r.recommendation, r.recommendation_rule) == ("exit", "consecutive-unreported")
    assert r.outcome["recommendation"]["params"]["years"] == [2018, 2019]  # 2016–2017 predate the registry's data
    assert r.outcome["reported"] is False and r.missing_count > 0 and r.self_report_id is None


def test_quota_keeps_the_best_and_lowers_the_rest(session):
    best = recognised(*INC)
    add_report(best, 2019, declared_values(*INC, 2019))
    others = [recognised(*INC) for _ in range(5)]
    for inst in others:
        add_report(inst, 2019, declared_values(*INC, 2019, events=12))  # 2 points fewer: 102, still A on score
    session.commit()
    rows = results(run_assessment(2019).run.id)
    session.commit()
    assert rows[best.id].grade == "A" and rows[best.id].outcome["quota"]["kept"] is True
    for inst in others:
        r = rows[inst.id]
        assert r.score == Decimal("102.00") and r.grade == "B"
        q = r.outcome["quota"]
        assert (q["cohort"], q["allowed"], q["kept"], q["demote_to"]) == (6, 1, False, "B")


def test_provincial_status_revoked_during_the_year_recommends_exit(session):
    from registry.institutions.operations import end_recognition, record_recognition

    inst = recognised("rd_institution", "comprehensive", level="municipal", since=dt.date(2015, 1, 1))
    prov = record_recognition(inst, level="provincial", effective_from=dt.date(2017, 1, 1))
    end_recognition(prov, ended_on=dt.date(2019, 6, 30), reason="revoked")
    add_report(inst, 2019, declared_values("rd_institution", "comprehensive", 2019))
    session.commit()
    r = results(run_assessment(2019).run.id)[inst.id]
    session.commit()
    assert (r.recommendation, r.recommendation_rule) == ("exit", "provincial-status-lost")


def test_missing_and_malformed_figures_give_results_that_say_so(session):
    bad = recognised(*INC)
    add_report(bad, 2019, declared_values(*INC, 2019, tenants="sixty", events=None, graduates_cum="-3"))
    nothing = recognised(*INC)
    session.commit()
    rows = results(run_assessment(2019).run.id)
    session.commit()
    missing = {(m["code"], m["reason"], m["policy"]) for m in rows[bad.id].outcome["missing"]}
    assert ("tenants", "malformed", "zero") in missing
    assert ("events", "missing", "zero") in missing
    assert ("graduates_cum", "out-of-range", "zero") in missing
    assert rows[bad.id].missing_count == len(rows[bad.id].outcome["missing"]) and rows[bad.id].grade is not None
    empty = rows[nothing.id]
    assert empty.outcome["reported"] is False and empty.missing_count > 20 and empty.self_report_id is None


def test_year_without_a_system_stops_and_writes_nothing(session):
    recognised(*INC)
    session.commit()
    with pytest.raises(NoSystemInForce) as info:
        run_assessment(2010)
    session.rollback()
    assert 2018 in info.value.available_years and "2010" in str(info.value)
    assert session.scalar(select(func.count()).select_from(AssessmentRun)) == 0
    assert session.scalar(select(func.count()).select_from(AssessmentResult)) == 0


def test_stored_outcome_matches_the_generic_serialisation(session):
    """The fast Outcome.to_dict gives exactly what converting every field generically gives."""
    from assessment import Outcome, Standing, evaluate, load_system
    from assessment.trace import jsonable
    from registry.assessments.operations import InstitutionFacts, build_inputs

    system = load_system("incubator", 2019, "comprehensive")
    facts = InstitutionFacts(1, "x", "x", "incubator", "comprehensive", "applicant", True)
    for overrides in ({}, {"tenants": "oops"}, {"events": None}):
        inputs = build_inputs(system, declared_values(*INC, 2019, **overrides), facts)
        o = evaluate(system, 2019, inputs, standing=Standing("applicant", "municipal", hardship_area=True))

        def node(n, seen):
            if n.code in seen:
                return {"ref": n.code}
            seen.add(n.code)
            return {"code": n.code, "value": jsonable(n.value), "rule": n.rule, "parameters": jsonable(n.parameters),
                    "inputs": [{"code": i.code, "value": jsonable(i.value), "source": i.source} for i in n.inputs],
                    "detail": jsonable(n.detail), "children": [node(c, seen) for c in n.children]}
        generic = {"system": o.system.to_dict(), "year": o.year, "status": o.status, "score": jsonable(o.score),
                   "base_score": jsonable(o.base_score), "bonus": str(o.bonus), "grade": o.grade,
                   "recommendation": {"kind": o.recommendation.kind, "rule": o.recommendation.rule,
                                      "params": jsonable(o.recommendation.params),
                                      "gaps": o.recommendation.gaps.to_dict()},
                   "indicators": [i.to_dict() for i in o.indicators], "missing": [m.to_dict() for m in o.missing],
                   "vetoes": [v.to_dict() for v in o.vetoes], "reported": o.reported, "quota": jsonable(o.quota),
                   "standing": jsonable(o.standing), "trace": node(o.trace, set())}
        assert json.dumps(o.to_dict(), ensure_ascii=False) == json.dumps(generic, ensure_ascii=False)
        assert Outcome.from_dict(json.loads(json.dumps(o.to_dict()))).to_dict() == json.loads(json.dumps(o.to_dict()))
