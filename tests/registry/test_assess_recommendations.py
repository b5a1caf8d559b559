"""The recommendations page at any size: counts per group, each group paged, light columns only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, select

from registry.assessments import views
from registry.assessments.operations import run_assessment
from registry.extensions import db
from tests.registry.assess_helpers import add_report, applicant, declared_values, recognised

INC = ("incubator", "comprehensive")


@pytest.fixture
def run_ids(app):
    """2019: five silent institutions (exit), three applicants meeting the criteria (recognise), one strong keeper."""
    with app.app_context():
        for n in range(5):
            recognised(*INC, name=f"沉默{n}号孵化器", since=dt.date(2015, 1, 1))
        for n in range(3):
            add_report(applicant(*INC, name=f"新芽{n}号孵化器"), 2019, declared_values(*INC, 2019))
        star = recognised(*INC, name="星光孵化器")
        add_report(star, 2018, declared_values(*INC, 2018))
        add_report(star, 2019, declared_values(*INC, 2019))
        db.session.flush()
        older = run_assessment(2019, label="first", force=True, note="测试：沉默机构").run.id
        newer = run_assessment(2019, label="second", force=True, note="测试：沉默机构").run.id
        db.session.commit()
        return older, newer


def _rows(page: str) -> list[str]:
    return re.findall(r'data-result="(\d+)"', page)


def test_counts_per_group_match_the_run(app, run_ids, admin_client):
    from registry.models import AssessmentResult

    _older, newer = run_ids
    page = admin_client.get("/assessments/recommendations").get_data(as_text=True)
    assert f'<option value="{newer}" selected' in page  # the latest run of the latest year by default
    with app.app_context():
        stored = {}
        for rec in db.session.scalars(select(AssessmentResult.recommendation).where(AssessmentResult.run_id == newer)):
            stored[rec or "none"] = stored.get(rec or "none", 0) + 1
    assert stored["exit"] == 5 and stored["recognise"] == 3
    for kind, n in stored.items():
        assert re.search(rf'data-group="{kind}">.*?<span class="count">{n}</span>', page), kind
    exit_section = page.split('id="rec-exit"')[1].split("</section>")[0]
    assert len(_rows(exit_section)) == 5 and "连续" in exit_section  # the rule's sentence, from the params column


def test_each_group_is_paged(app, run_ids, admin_client, monkeypatch):
    _older, newer = run_ids
    monkeypatch.setattr(views, "GROUP_PREVIEW", 2)
    monkeypatch.setattr(views, "PER_PAGE", 2)
    overview = admin_client.get(f"/assessments/recommendations?run={newer}").get_data(as_text=True)
    exit_section = overview.split('id="rec-exit"')[1].split("</section>")[0]
    assert len(_rows(exit_section)) == 2 and "本组全部 5 条" in exit_section
    seen = []
    for page in (1, 2, 3):
        html = admin_client.get(f"/assessments/recommendations?run={newer}&group=exit&page={page}").get_data(as_text=True)
        assert 'id="rec-recognise"' not in html  # only the group asked for
        assert f"第 {page} 页，共 3 页" in html
        seen += _rows(html)
    assert len(seen) == len(set(seen)) == 5  # every exit once, across the pages
    assert admin_client.get(f"/assessments/recommendations?run={newer}&group=bogus").status_code == 404
    assert admin_client.get("/assessments/recommendations?run=99999").status_code == 404


def test_an_older_run_and_a_year_can_be_chosen(app, run_ids, admin_client):
    older, newer = run_ids
    html = admin_client.get(f"/assessments/recommendations?run={older}").get_data(as_text=True)
    assert f'<option value="{older}" selected' in html
    by_year = admin_client.get("/assessments/recommendations?year=2019").get_data(as_text=True)
    assert f'<option value="{newer}" selected' in by_year


def test_the_page_never_reads_stored_outcomes(app, run_ids, admin_client):
    """The lists read the recommendation's columns (its parameters included), never the outcome JSON."""
    from registry.models import AssessmentResult

    _older, newer = run_ids
    with app.app_context():
        for r in db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == newer)):
            assert r.recommendation_params == ((r.outcome.get("recommendation") or {}).get("params") if r.recommendation
                                               else None)
        statements: list[str] = []
        engine = db.engine

    def seen(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        for url in (f"/assessments/recommendations?run={newer}", f"/assessments/recommendations?run={newer}&group=exit",
                    f"/assessments/runs/{newer}"):
            assert admin_client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    reads = [s for s in statements if "assessment_results" in s]
    assert reads and not [s for s in reads if re.search(r"assessment_results\.outcome\b", s)]


def test_a_reviewer_does_not_see_a_conflicted_institution_in_lists_or_counts(app, run_ids):
    from registry.models import AssessmentRun, ConflictOfInterest, Institution
    from tests.factories import login, make_user

    _older, newer = run_ids
    with app.app_context():
        silent = db.session.scalar(select(Institution).where(Institution.name == "沉默0号孵化器"))
        reviewer = make_user("reviewer")
        db.session.add(ConflictOfInterest(reviewer_id=reviewer.id, institution_id=silent.id, reason="曾任顾问"))
        run = db.session.get(AssessmentRun, newer)
        assert run.counts["recommendation"]["exit"] == 5 and sum(run.counts["grade"].values()) == run.result_count
        db.session.commit()
        name = reviewer.username
    client = app.test_client()
    assert login(client, name).status_code == 302
    page = client.get(f"/assessments/recommendations?run={newer}").get_data(as_text=True)
    assert re.search(r'data-group="exit">.*?<span class="count">4</span>', page) and "沉默0号孵化器" not in page
    results = client.get(f"/assessments/runs/{newer}?recommendation=exit").get_data(as_text=True)
    assert len(_rows(results)) == 4 and "沉默0号孵化器" not in results

