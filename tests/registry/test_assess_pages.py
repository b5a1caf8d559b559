"""Assessment pages: who may see them, and what a bureau officer sees on each."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from flask import render_template_string

from registry.assessments.operations import run_assessment
from registry.extensions import db
from tests.factories import login, make_user
from tests.registry.assess_helpers import add_report, applicant, declared_values, recognised

INC = ("incubator", "comprehensive")


@pytest.fixture
def assessed(app):
    """Two runs over a small registry; returns ids to look things up by."""
    with app.app_context():
        star = recognised(*INC, name="星光孵化器")
        add_report(star, 2018, declared_values(*INC, 2018))  # the registry's figures start in 2018
        add_report(star, 2019, declared_values(*INC, 2019))
        weak = recognised(*INC, name="微光孵化器", is_hardship_area=True)
        add_report(weak, 2019, declared_values(*INC, 2019, tenants=12, events=None, graduates_cum=3))
        newcomer = applicant(*INC, name="新芽孵化器")
        add_report(newcomer, 2019, declared_values(*INC, 2019))
        silent = recognised(*INC, name="沉默孵化器", since=dt.date(2015, 1, 1))  # never reported
        db.session.flush()
        run = run_assessment(2019, label="test").run
        db.session.commit()
        from sqlalchemy import select

        from registry.models import AssessmentResult

        ids = {r.institution_id: r.id for r in db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == run.id))}
        return {"run": run.id, "star": (star.id, ids[star.id]), "weak": (weak.id, ids[weak.id]),
                "newcomer": (newcomer.id, ids[newcomer.id]), "silent": (silent.id, ids[silent.id])}


def _client(app, role: str, institution_id: int | None = None):
    with app.app_context():
        from registry.models import Institution

        inst = db.session.get(Institution, institution_id) if institution_id else None
        user = make_user(role, institution=inst)
        db.session.commit()
        name = user.username
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_staff_and_reviewers_see_every_page(app, assessed, role):
    client = _client(app, role)
    inst_id, result_id = assessed["star"]
    for url in ("/assessments/", f"/assessments/runs/{assessed['run']}", f"/assessments/results/{result_id}",
                "/assessments/recommendations?year=2019", f"/assessments/gaps/{inst_id}?level=national_candidate",
                f"/assessments/compare?a={assessed['run']}&b={assessed['run']}"):
        assert client.get(url).status_code == 200, url


def test_institution_accounts_are_refused(app, assessed):
    inst_id, result_id = assessed["star"]
    client = _client(app, "institution", inst_id)
    for url in ("/assessments/", f"/assessments/runs/{assessed['run']}", f"/assessments/results/{result_id}",
                "/assessments/recommendations", f"/assessments/gaps/{inst_id}?level=provincial"):
        assert client.get(url).status_code == 403, url
    anonymous = app.test_client().get("/assessments/")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]


def test_runs_list_and_menu(app, assessed, admin_client):
    page = admin_client.get("/assessments/").get_data(as_text=True)
    assert f'data-run="{assessed["run"]}"' in page
    assert "考核批次" in page and "孵化器·综合 2019" in page and "<td>test</td>" in page
    assert 'href="/assessments/recommendations"' in page  # menu entry appears once the endpoint exists


def test_run_page_filters_sorts_and_charts(app, assessed, admin_client):
    run = assessed["run"]
    page = admin_client.get(f"/assessments/runs/{run}").get_data(as_text=True)
    assert "等级分布" in page and "<svg" in page and 'aria-label="等级分布"' in page
    assert page.count('data-result="') == 4
    d_only = admin_client.get(f"/assessments/runs/{run}?grade=D").get_data(as_text=True)
    grades = re.findall(r'data-grade="([^"]*)"', d_only)
    assert grades and set(grades) == {"D"} and "沉默孵化器" in d_only  # no figures at all: grade D
    by_rec = admin_client.get(f"/assessments/runs/{run}?recommendation=recognise").get_data(as_text=True)
    assert by_rec.count('data-result="') == 1 and "新芽孵化器" in by_rec
    by_name = admin_client.get(f"/assessments/runs/{run}?sort=name&order=asc").get_data(as_text=True)
    names = re.findall(r"<td>(\S+孵化器) <div", by_name)
    assert names == sorted(names)
    assert admin_client.get(f"/assessments/runs/{run}?grade=Z").status_code == 200  # a bad filter is ignored
    assert admin_client.get("/assessments/runs/999").status_code == 404


def test_result_page_explains_with_source_cells_and_history(app, assessed, admin_client):
    _inst, result_id = assessed["weak"]
    page = admin_client.get(f"/assessments/results/{result_id}").get_data(as_text=True)
    assert "微光孵化器" in page
    assert "孵化资金规模" in page and "孵化资金!D" in page  # indicator label and the input's source cell
    assert 'id="standing"' in page and "市级" in page and "艰苦边远地区" in page  # standing from the registry
    assert "sha256" in page and "badge-provisional" in page and "暂定" in page
    assert "缺失" in page and "记零分" in page  # events is missing: policy zero applied
    assert 'id="history"' in page and 'data-year="2019"' in page
    # the full-marks institution: the bands rule rendered as a sentence, the quota explained
    star = admin_client.get(f"/assessments/results/{assessed['star'][1]}").get_data(as_text=True)
    assert "达到“不低于 500”档" in star and "比例限制" in star
    assert admin_client.get("/assessments/results/99999").status_code == 404


def test_recommendations_are_grouped_with_their_rules(app, assessed, admin_client):
    page = admin_client.get("/assessments/recommendations?year=2019").get_data(as_text=True)
    for kind in ("recognise", "upgrade", "rectify", "exit", "keep"):
        assert f'id="rec-{kind}"' in page
    exit_section = page.split('id="rec-exit"')[1].split("</section>")[0]
    assert "沉默孵化器" in exit_section and "连续未报送" in exit_section and "consecutive-unreported" not in exit_section and "连续" in exit_section
    recognise = page.split('id="rec-recognise"')[1].split("</section>")[0]
    assert "新芽孵化器" in recognise and "已满足认定条件" in recognise
    assert f'/assessments/results/{assessed["newcomer"][1]}' in page


def test_gap_list_page(app, assessed, admin_client):
    inst_id, _ = assessed["weak"]
    page = admin_client.get(f"/assessments/gaps/{inst_id}?level=national_candidate").get_data(as_text=True)
    assert "差距清单" in page and "在孵企业数" in page
    assert 'class="unmet"' in page and 'class="met"' in page
    assert "艰苦边远地区" in page  # hardship relief noted
    from assessment import load_criteria

    from assessment.glossary import public_reference

    clauses = [public_reference(c.reference) for c in load_criteria("incubator_national_candidate_comprehensive", 2019).criteria]
    assert all(c in page for c in clauses)  # each criterion's source clause, as a reader may see it
    assert "domain.md" not in page
    assert admin_client.get(f"/assessments/gaps/{inst_id}?level=galactic").status_code == 404


def test_compare_page_shows_why(app, assessed, admin_client):
    with app.app_context():
        from sqlalchemy import update

        from registry.models import Institution, SelfReport

        inst_id = assessed["star"][0]
        db.session.execute(update(SelfReport).where(SelfReport.institution_id == inst_id).values(is_current=False))
        add_report(db.session.get(Institution, inst_id), 2019, declared_values(*INC, 2019, tenants=0), version=2)
        db.session.flush()
        second = run_assessment(2019, label="again").run.id
        db.session.commit()
    page = admin_client.get(f"/assessments/compare?a={assessed['run']}&b={second}").get_data(as_text=True)
    assert "星光孵化器" in page and "数据 在孵企业数：60 → 0" in page
    assert "<code>tenants</code>" not in page  # labels, not codes


def test_institution_panel(app, assessed):
    client = _client(app, "admin")
    inst_id, result_id = assessed["weak"]
    with app.test_request_context():
        from flask_login import login_user

        from registry.models import Institution, User

        from sqlalchemy import select

        login_user(db.session.scalar(select(User).where(User.role == "admin")))
        html = render_template_string('{% include "assessments/_institution_panel.html" %}',
                                      institution=db.session.get(Institution, inst_id))
    assert 'id="assessment-panel"' in html and f"/assessments/results/{result_id}" in html
    # a municipal incubator: gap lists for the levels above it that have criteria (no provincial criteria on file)
    assert f"/assessments/gaps/{inst_id}?level=national_candidate" in html and "level=provincial" not in html
    assert client is not None


def test_compact_stored_outcome_is_explained_with_the_pinned_files_parameters(app, assessed, admin_client):
    """Results store no band tables, labels or clauses; the page shows them from the pinned system and criteria files."""
    from assessment import load_system
    from assessment.outcome import STORED_FORM
    from registry.models import AssessmentResult

    with app.app_context():
        star = db.session.get(AssessmentResult, assessed["star"][1])
        newcomer = db.session.get(AssessmentResult, assessed["newcomer"][1])
        assert star.outcome["form"] == newcomer.outcome["form"] == STORED_FORM
        assert '"bands":' not in json.dumps(star.outcome) and "indicators" not in star.outcome
        stored_rows = newcomer.outcome["recommendation"]["gaps"]["rows"]
        assert stored_rows and not any("label" in r or "reference" in r for r in stored_rows)
    fund = next(i for i in load_system("incubator", 2019, "comprehensive").indicators if i.code == "incubation_fund")
    page = admin_client.get(f"/assessments/results/{assessed['star'][1]}").get_data(as_text=True)
    article = re.search(r'<article class="indicator[^"]*" id="ind-incubation_fund">(.*?)</article>', page, re.S).group(1)
    bands = re.findall(r'<tr class="(matched)?"><td>≥ ([^<]+)</td><td class="num">([^<]+)</td></tr>', article)
    assert bands == [("matched" if n == 0 else "", f"{lo}{fund.unit or ''}", str(pts))
                     for n, (lo, pts) in enumerate(fund.params["bands"])]
    assert f"/ {fund.weight}" in article and fund.reference in article and "孵化资金!D" in article
    assert "sha256 不一致" not in page  # the pinned file is the one on disk
    gaps = admin_client.get(f"/assessments/results/{assessed['newcomer'][1]}").get_data(as_text=True)
    assert 'id="gap-list"' in gaps and "在孵企业" in gaps  # criterion labels re-joined from the criteria file
