"""Engine behaviour beyond single cases: traces, serialisation, strict mode, quotas, gap lists."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from assessment import (
    MissingInputError,
    Outcome,
    Standing,
    apply_quota,
    check_criteria,
    decide,
    evaluate,
    flatten,
    load_criteria,
    load_system,
)

NATIONAL = Standing("recognised", "national")


def test_trace_records_inputs_with_sources_parameters_and_intermediates(inputs_for):
    system = load_system("incubator", 2019, "comprehensive")
    inputs = inputs_for("incubator", tenants=49)
    outcome = evaluate(system, 2019, inputs, standing=NATIONAL)
    flat = outcome.flat_trace()
    node = flat["financed_tenant_share<2019>"]
    assert node["rule"] == "ratio_bands"
    assert node["value"] == "5.00"
    assert node["parameters"]["bands"] == [{"min": "20", "points": "5"}, {"min": "10", "points": "3"}, {"min": "5", "points": "1"}]
    assert node["parameters"]["weight"] == "5"
    assert node["inputs"] == {"financed_tenants": {"value": 12, "source": inputs["financed_tenants"].source},
                              "tenants": {"value": 49, "source": inputs["tenants"].source}}
    assert node["detail"] == {"numerator": 12, "denominator": 49, "ratio": "24.4898", "matched": 0}
    assert flat["score<2019>"]["dependencies"][:3] == ["service_capability<2019>", "incubation_performance<2019>", "sustainability<2019>"]
    assert flat["grade<2019>"]["value"] == "A"
    assert flat["grade<2019>"]["dependencies"] == ["score<2019>"]
    assert flat["outcome<2019>"]["parameters"]["sha256"] == system.sha256
    assert flat["recommendation<2019>"]["rule"] == "keep"
    json.dumps(flat)  # plain data


def test_trace_shows_missing_inputs_and_the_policy(inputs_for):
    system = load_system("incubator", 2019, "comprehensive")
    inputs = inputs_for("incubator")
    del inputs["tenant_revenue_prev"]
    node = evaluate(system, 2019, inputs, standing=NATIONAL).trace.find("tenant_revenue_growth")
    assert node is not None and node.value is None
    assert node.detail == {"unusable": {"tenant_revenue_prev": "missing"}, "policy": "exclude"}
    assert [(i.code, i.value, i.source) for i in node.inputs][1] == ("tenant_revenue_prev", None, None)
    score = evaluate(system, 2019, inputs, standing=NATIONAL).trace.find("score")
    assert score is not None and score.detail["excluded_weight"] == 7


def test_outcome_round_trips_through_json(inputs_for):
    system = load_system("incubator", 2019, "comprehensive")
    outcome = evaluate(system, 2019, inputs_for("incubator", tenants=46), standing=Standing("recognised", "national_candidate"))
    data = json.loads(json.dumps(outcome.to_dict()))
    again = Outcome.from_dict(data)
    assert again.to_dict() == data
    assert again.score == D("101.00") and again.recommendation is not None
    assert again.recommendation.gaps is not None and again.recommendation.gaps.unmet()[0].code == "tenants"
    assert data["system"]["source"] == "incubator/comprehensive/2019.toml"
    assert data["indicators"][0] == {"code": "incubation_fund", "group": "service_capability", "rule": "bands",
                                     "weight": "5", "points": "5.00", "status": "scored", "provisional": True}


def test_strict_mode_lists_every_missing_error_input(inputs_for):
    system = load_system("maker_space", 2018)
    inputs = inputs_for("maker_space")
    del inputs["expert_review_score"]
    outcome = evaluate(system, 2018, inputs, standing=NATIONAL)
    assert outcome.status == "incomplete" and outcome.score is None
    with pytest.raises(MissingInputError) as err:
        evaluate(system, 2018, inputs, standing=NATIONAL, strict=True)
    assert err.value.codes == ["expert_review_score"]


def test_incomplete_outcome_still_exits_on_a_veto(inputs_for):
    system = load_system("maker_space", 2018)
    inputs = inputs_for("maker_space", integrity_flags="falsified_data")
    del inputs["expert_review_score"]
    outcome = evaluate(system, 2018, inputs, standing=NATIONAL)
    assert outcome.status == "incomplete"
    assert outcome.recommendation is not None and outcome.recommendation.kind == "exit"


def _cohort(inputs_for, tenant_counts):
    system = load_system("incubator", 2019, "comprehensive")
    return system, [evaluate(system, 2019, inputs_for("incubator", tenants=n), standing=NATIONAL, decide=False)
                    for n in tenant_counts]


def test_quota_keeps_the_top_share_and_demotes_the_rest(inputs_for):
    # 10 outcomes, all A: 20 % → 2 keep A. Scores: 104 (60, 55 tenants) then 101 (49, 48 …)
    system, outcomes = _cohort(inputs_for, [60, 49, 48, 55, 40, 47, 46, 45, 44, 43])
    assert {o.grade for o in outcomes} == {"A"}
    after = apply_quota(outcomes, system)
    assert [o.grade for o in after] == ["A", "B", "B", "A", "B", "B", "B", "B", "B", "B"]
    kept = after[0].quota
    assert kept is not None and (kept["allowed"], kept["cohort"], kept["kept"]) == (2, 10, True)
    demoted = after[1].quota
    assert demoted is not None and demoted["kept"] is False and demoted["rank"] >= 3
    node = after[1].trace.find("grade")
    assert node is not None and node.value == "B" and node.detail["before_quota"] == "A"
    assert flatten(after[1].trace, 2019)["quota<2019>"]["detail"]["kept"] is False
    assert outcomes[1].grade == "A"  # inputs are not mutated


def test_recommendation_is_decided_from_the_grade_after_the_quota(inputs_for):
    system, outcomes = _cohort(inputs_for, [60, 49, 48, 55, 40, 47, 46, 45, 44, 43])
    assert all(not o.decided and o.recommendation is None for o in outcomes)
    decided = [decide(o) for o in apply_quota(outcomes, system)]
    demoted = decided[1]
    assert demoted.grade == "B" and demoted.quota is not None and demoted.quota["kept"] is False
    assert demoted.recommendation is not None and demoted.recommendation.params["grade"] == "B"
    rec_node = demoted.trace.find("recommendation")
    assert rec_node is not None and rec_node.children[0].value == "B"
    assert rec_node.children[0].detail["before_quota"] == "A"
    assert decided[0].recommendation is not None and decided[0].recommendation.params["grade"] == "A"


def test_quota_refuses_outcomes_already_decided(inputs_for):
    system = load_system("incubator", 2019, "comprehensive")
    decided = [evaluate(system, 2019, inputs_for("incubator", tenants=n), standing=NATIONAL) for n in (60, 49)]
    with pytest.raises(ValueError, match="before deciding"):
        apply_quota(decided, system)
    with pytest.raises(ValueError, match="already decided"):
        decide(decided[0])


def test_an_undecided_outcome_cannot_be_stored(inputs_for):
    system, outcomes = _cohort(inputs_for, [60])
    with pytest.raises(ValueError, match="not decided"):
        outcomes[0].to_dict()


def test_quota_demotes_a_tie_that_straddles_the_limit(inputs_for):
    system, outcomes = _cohort(inputs_for, [60, 60, 60, 49, 49, 48, 47, 46, 45, 44])
    after = apply_quota(outcomes, system)
    assert [o.grade for o in after][:3] == ["B", "B", "B"]  # three tied at 104 for two places


def test_quota_refuses_mixed_cohorts(inputs_for):
    system, outcomes = _cohort(inputs_for, [60])
    other = load_system("incubator", 2019, "specialised")
    with pytest.raises(ValueError):
        apply_quota(outcomes, other)


def test_gap_list_rows(inputs_for):
    crit = load_criteria("incubator_national_comprehensive", 2019)
    gaps = check_criteria(crit, inputs_for("incubator", tenants=0), year=2019)
    rows = {r.code: r for r in gaps.rows}
    assert rows["tenants"].required == 50 and rows["tenants"].actual == 0 and not rows["tenants"].met
    assert rows["tenants"].reference.startswith("国科发区〔2018〕300号")
    assert rows["financed_share"].zero_denominator and rows["financed_share"].actual is None
    assert rows["ip"].alternatives and not rows["ip"].met
    assert rows["operating_years"].actual == D("7.00")
    assert not gaps.met
    relieved = check_criteria(crit, inputs_for("incubator"), hardship_area=True, year=2019)
    r = {x.code: x for x in relieved.rows}
    assert (r["tenants"].required, r["tenants"].relieved) == (40, True)
    assert (r["controlled_area"].required, r["tenant_density"].relieved) == (8000, False)
    assert str(r["incubation_fund"].required) == "400"


def test_gap_list_reports_missing_inputs_instead_of_failing(inputs_for):
    crit = load_criteria("maker_space_national_filing", 2020)
    inputs = inputs_for("maker_space")
    del inputs["mentors"]
    inputs.pop("report_year")
    gaps = check_criteria(crit, inputs)  # no year: months-since rows cannot be judged
    rows = {r.code: r for r in gaps.rows}
    assert rows["mentors"].missing == ("mentors",) and not rows["mentors"].met
    assert rows["operating_months"].missing == ("report_year",)


def test_fast_constructors_match_their_dataclasses():
    """trace.node and criteria._row write slots in a fixed order; a new field must be added there too."""
    import dataclasses

    from assessment.criteria import _ROW_FIELDS, GapRow
    from assessment.trace import TraceNode, node

    assert tuple(f.name for f in dataclasses.fields(GapRow)) == _ROW_FIELDS
    assert tuple(f.name for f in dataclasses.fields(TraceNode)) == ("code", "value", "rule", "parameters", "inputs", "detail", "children")
    assert node("a", D(1), "r", {"w": 1}, (), {"x": 2}) == TraceNode("a", D(1), "r", {"w": 1}, (), {"x": 2})
