"""One outcome per result: over a whole demo-city run, no text states a grade other than the final one.

The grade quota (A ≤ 20 %) settles each grade before anything is recommended, so a result the
quota lowered to B must never read "考核为 A". The test walks every stored result of a real run
on the demo city and reads the rendered sentences (explanation, recommendation, the pages), not
only the stored fields.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from registry.assessments.explain import explain, recommendation_sentence
from registry.assessments.operations import run_assessment
from registry.demo.cli import load_demo
from registry.models import AssessmentResult
from registry.assessments import queries

#: every way the Chinese interface states an institution's grade (quota sentences state the quota's grade)
GRADE_STATED = re.compile(r"(?:考核为|等级为|等级|最终等级为) ?([ABCD])")


def stated_grades(text: str) -> set[str]:
    return set(GRADE_STATED.findall(text))


def test_no_result_of_a_demo_run_states_a_grade_other_than_its_final_grade(app, session, admin_client) -> None:
    load_demo("city", 2020, progress=False)
    summary = run_assessment(2020, label="test")
    session.commit()
    run_id = summary.run.id

    rows = list(session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run_id)))
    assert len(rows) > 100
    demoted = []
    checked_sentences = 0
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        for row in rows:
            res = queries.result_with_outcome(row.id)
            outcome = res.outcome
            e = explain(outcome)
            rec = outcome.get("recommendation") or {}
            params = rec.get("params") or {}
            assert outcome["grade"] == row.grade
            if "grade" in params:
                assert params["grade"] == row.grade, (row.id, params, row.grade)
            for text in (e.recommendation_sentence, e.grade_sentence,
                         recommendation_sentence(row.recommendation_rule, row.recommendation, params)):
                grades = stated_grades(text)
                if grades:
                    checked_sentences += 1
                    assert grades == {row.grade}, (row.id, text, row.grade)
            quota = outcome.get("quota") or {}
            if quota and not quota.get("kept"):
                demoted.append(row)
    # the case the rule exists for really occurs in this run, and was read
    assert demoted, "the demo run should demote some A grades under the 20 % quota"
    assert checked_sentences > len(rows)

    for row in demoted[:5]:  # the pages people read: the result page and the recommendations list
        page = admin_client.get(f"/assessments/results/{row.id}", headers={"Accept-Language": "zh-CN"})
        text = page.get_data(as_text=True)
        rec_block = text.split('id="recommendation"', 1)[1].split("</dd>", 1)[0]
        assert stated_grades(rec_block) <= {row.grade}, rec_block
        grade_block = text.split('id="grade"', 1)[1].split('class="quota"', 1)[0]
        assert stated_grades(re.sub(r"<[^>]+>", " ", grade_block)) == {row.grade}, grade_block
    rows_html = []
    for group in ("keep", "upgrade", "rectify", "exit"):
        html = admin_client.get(f"/assessments/recommendations?run={run_id}&group={group}",
                                headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        rows_html += re.findall(r'<td class="grade-([ABCD])">\1.*?</td>\s*<td>(.*?)</td>', html, re.S)
    assert len(rows_html) > 50
    for grade, sentence in rows_html:
        assert stated_grades(re.sub(r"<[^>]+>", " ", sentence)) <= {grade}, sentence
