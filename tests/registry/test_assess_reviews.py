"""Reviewer-scored inputs reach the run in bulk from the review rounds; without them the declared policy applies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from registry.assessments.explain import explain, explanation_lines
from registry.assessments.operations import run_assessment
from registry.models import AssessmentResult
from registry.reviews import operations as reviews
from tests.factories import make_user
from tests.registry.assess_helpers import add_report, declared_values, recognised

RD = ("rd_institution", "tech_innovation")


def _sheet(rnd, reviewer, inst, score: str, *, submit: bool = True) -> None:
    sheet = reviews.assign(rnd, reviewer, inst)
    reviews.save_sheet(sheet, values={"expert_review_score": score}, comments={}, expected_version=sheet.version,
                       submit=submit)


def test_run_uses_the_aggregated_reviewer_scores_and_explains_their_source(app, session, admin_client):
    reviewed = recognised(*RD, name="评审研究院")
    drafted = recognised(*RD, name="草稿研究院")  # one sheet, never submitted
    unreviewed = recognised(*RD, name="无评审研究院")
    for inst in (reviewed, drafted, unreviewed):
        add_report(inst, 2019, declared_values(*RD, 2019))
    today = dt.date.today()
    rnd = reviews.create_round(year=2019, category="rd_institution", opens_on=today - dt.timedelta(days=1),
                               closes_on=today + dt.timedelta(days=5))
    experts = [make_user("reviewer", username=f"expert{n}") for n in range(3)]
    _sheet(rnd, experts[0], reviewed, "6")
    _sheet(rnd, experts[1], reviewed, "8.5")
    _sheet(rnd, experts[2], drafted, "9", submit=False)
    session.commit()
    ids = (reviewed.id, drafted.id, unreviewed.id)

    # one bulk read, the same figures as the per-institution aggregation the review pages show
    bulk = reviews.reviewer_inputs_for_year(2019, set(ids))
    assert bulk == {reviewed.id: reviews.aggregated_reviewer_inputs(rnd, reviewed)}
    assert bulk[reviewed.id] == {"expert_review_score": (Decimal("7.25"), "专家评审：2 位专家，平均")}

    run = run_assessment(2019, label="test").run
    session.commit()
    rows = {r.institution_id: r for r in session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id))}

    r = rows[reviewed.id]
    assert r.grade is not None and r.missing_count == 0
    with app.test_request_context():
        e = explain(r.outcome)
        lines = "\n".join(explanation_lines(e))
    expert = next(i for g in e.groups for i in g.indicators if i.code == "expert_review")
    assert [(i.code, i.value, i.source) for i in expert.inputs] == [
        ("expert_review_score", "7.25", "专家评审：2 位专家，平均")]
    assert expert.points == "7.25" and expert.status == "scored"
    page = admin_client.get(f"/assessments/results/{r.id}").get_data(as_text=True)
    assert "专家评审：2 位专家，平均" in page and "7.25" in page
    assert "专家评审：2 位专家，平均" in lines

    # no submitted sheet: the indicator's declared policy ("error") applies and says which input is missing
    for inst in (drafted, unreviewed):
        res = rows[inst.id]
        assert (res.grade, res.recommendation_rule, res.missing_count) == (None, "incomplete", 1)
        with app.test_request_context():
            missing = explain(res.outcome).missing
        assert res.outcome["missing"] == [
            {"indicator": "expert_review", "code": "expert_review_score", "reason": "missing", "policy": "error"}]
        assert len(missing) == 1 and "专家评议得分" in missing[0]
