"""No internal code in anything a user reads: every page, as every role, in Chinese.

The demo city is loaded once (with a 2020 run, the simulated review round, an accepted, a pending
and a rejected upload), then every GET route of app.url_map is requested as each role with ids that
role may see, plus the filtered variants users reach from the pages. The visible text (tags
stripped, tooltips and placeholders kept) must hold no snake_case, dotted or kebab-case code and no
Python None/True/False. A new route without test values fails the walk, so new pages are covered.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from registry import create_app
from registry.extensions import db
from tests.conftest import _database_url, reset_schema
from tests.registry.page_text import internal_codes, visible_text

ROLES = ("admin", "reviewer", "institution", "town-songshanhu")
PASSWORDS = {"admin": "fuhua-admin-2020", "reviewer": "fuhua-reviewer-2020", "institution": "fuhua-institution-2020",
             "town-songshanhu": "fuhua-town-2020"}
#: routes that answer with a file or a redirect, not a page (their content is tested elsewhere)
NOT_PAGES = {"static", "reports.download", "reports.annotated", "reports.template", "admin.audit_export", "root",
             # xlsx downloads and the JSON API (read back cell by cell / against the OpenAPI document elsewhere)
             "institutions.index_download", "assessments.run_download", "assessments.recommendations_download",
             "assessments.gaps_download", "assessments.pipeline_download", "api.openapi", "api.definitions",
             "api.counts", "api.count_institutions", "api.institutions", "api.institution",
             "seasons.export", "seasons.download_summary", "assessments.job_status"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict]]:
    tmp = tmp_path_factory.mktemp("page-text")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": _database_url(Path(tmp)), "SHOW_DEMO_BANNER": True})
    with app.app_context():
        reset_schema()
        from registry.assessments.operations import run_assessment
        from registry.demo.cli import load_demo

        load_demo("city", 2020, progress=False)
        run_assessment(2019)
        run_assessment(2020)
        db.session.commit()
        ids = _ids()
    _uploads(app, ids)
    yield app, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _ids() -> dict:
    """Realistic ids for every URL parameter: the institution account's own records where it has any."""
    from registry import models as m

    own = db.session.scalar(select(m.User.institution_id).where(m.User.username == "institution"))
    reviewer = db.session.scalar(select(m.User).where(m.User.username == "reviewer"))
    runs = list(db.session.scalars(select(m.AssessmentRun.id).order_by(m.AssessmentRun.id)))
    tenancy = db.session.scalar(select(m.Tenancy).where(m.Tenancy.carrier_id == own).order_by(m.Tenancy.id))
    assignment = db.session.scalar(select(m.ReviewAssignment).where(m.ReviewAssignment.reviewer_id == reviewer.id)
                                   .order_by(m.ReviewAssignment.id))
    rd = db.session.scalar(select(m.Institution.id).where(m.Institution.category == "rd_institution")
                           .order_by(m.Institution.id))
    season = db.session.scalar(select(m.ReportingSeason.id))
    filing = db.session.scalar(select(m.Filing.id).where(m.Filing.institution_id == own))
    return {
        "season_id": season, "filing_id": filing,
        "institution_id": own, "rd_institution_id": rd, "run_id": runs[-1], "runs": runs,
        "result_id": db.session.scalar(select(m.AssessmentResult.id).where(
            m.AssessmentResult.institution_id == own, m.AssessmentResult.run_id == runs[-1])),
        "recognition_id": db.session.scalar(select(m.Recognition.id).where(m.Recognition.institution_id == own)),
        "tenancy_id": tenancy.id, "firm_id": tenancy.firm_id, "round_id": assignment.round_id,
        "assignment_id": assignment.id, "user_id": reviewer.id, "year": 2020, "number": 1, "filename": "fuhua.css",
        "code": "national-incubators", "token_id": 1,
    }


def _client(app: Flask, role: str):  # noqa: ANN202
    client = app.test_client()
    response = client.post("/auth/login", data={"username": role, "password": PASSWORDS[role]})
    assert response.status_code == 302
    return client


def _uploads(app: Flask, ids: dict) -> None:
    """A pending upload (preview), a rejected one (grouped errors) by the institution account, for 2021."""
    from registry.models import Institution, Upload
    from tests.registry.test_reports_support import filled_report

    client = _client(app, "institution")
    with app.app_context():
        inst = db.session.get(Institution, ids["institution_id"])
        good = filled_report(inst, 2020, overrides={"inc_revenue_total": "712,345.60"})
        bad = filled_report(inst, 2020, overrides={"staff_total": "二十", "tenants": 5, "pro_staff": 99})
    for data, expected in ((good, 302), (bad, 422)):
        response = client.post(f"/reports/{ids['institution_id']}/2020/upload",
                               data={"file": (io.BytesIO(data), "自评报表.xlsx")}, content_type="multipart/form-data")
        assert response.status_code == expected, response.get_data(as_text=True)[:3000]
    with app.app_context():
        uploads = list(db.session.scalars(select(Upload).order_by(Upload.id)))
        ids["upload_id"] = uploads[0].id
        ids["rejected_upload_id"] = uploads[-1].id


def _urls(app: Flask, ids: dict, role: str) -> list[str]:
    """Every page route with the role's ids, and the filtered variants the pages link to."""
    missing, urls = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
            continue
        if any(a not in ids for a in rule.arguments):
            missing.append(f"{rule.endpoint}: {sorted(set(rule.arguments) - set(ids))}")
            continue
        urls.append(rule.build({a: ids[a] for a in rule.arguments}, append_unknown=False)[1])
    assert not missing, "give test values for: " + "; ".join(missing)
    inst, rd, run = ids["institution_id"], ids["rd_institution_id"], ids["run_id"]
    urls += [
        f"/reports/uploads/{ids['rejected_upload_id']}/preview",
        f"/reports/{inst}/2020/diff?a=1&b=2",
        f"/institutions/{rd}", f"/assessments/gaps/{rd}", f"/assessments/gaps/{inst}?level=national",
        "/institutions/?category=incubator&level=national", "/institutions/?category=rd_institution&sort=name",
        "/institutions/?q=东莞&status=rectifying", "/institutions/?town=1",
        f"/assessments/runs/{run}?category=rd_institution", f"/assessments/runs/{run}?recommendation=upgrade",
        f"/assessments/runs/{run}?grade=D&sort=missing", f"/seasons/{ids['season_id']}/?state=late",
        f"/seasons/{ids['season_id']}/?state=returned", "/inbox/", f"/assessments/compare?a={ids['runs'][0]}&b={run}",
        "/assessments/recommendations?year=2020", "/assessments/recommendations?year=2019",
        "/stats/?by=town", "/stats/?by=zone", "/stats/?by=subclass", "/stats/?year=2016",
        "/admin/audit?table=institutions", "/admin/audit?table=review_assignments", "/admin/audit?table=users",
        "/admin/audit?page=2", "/admin/audit?user=admin",
    ]
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_no_internal_code_on_any_page(demo: tuple[Flask, dict], role: str) -> None:
    app, ids = demo
    client = _client(app, role)
    client.get("/?lang=zh_CN")
    leaks: list[str] = []
    pages = 0
    for url in _urls(app, ids, role):
        response = client.get(url)
        if response.status_code >= 500:
            leaks.append(f"{url}: HTTP {response.status_code}")
        if response.status_code not in (200, 422) or "html" not in response.headers.get("Content-Type", ""):
            continue
        pages += 1
        for leak in internal_codes(visible_text(response.get_data(as_text=True))):
            leaks.append(f"{url}: {leak}")
    assert pages >= {"admin": 30, "reviewer": 15, "institution": 8, "town-songshanhu": 6}[role]
    assert not leaks, f"{len(leaks)} internal codes shown to {role}:\n" + "\n".join(leaks[:80])


def test_login_page_is_clean(demo: tuple[Flask, dict]) -> None:
    app, _ = demo
    html = app.test_client().get("/auth/login").get_data(as_text=True)
    assert "登录" in html and not internal_codes(visible_text(html))


@pytest.mark.parametrize(("text", "codes"), [
    ("保留 keep 距国家级仅差 tenants / pro_staff_share", ["keep", "tenants", "pro_staff_share"]),
    ("认定条件 incubator_national_comprehensive，2018 版", ["incubator_national_comprehensive"]),
    ("计分规则: ratio_bands", ["ratio_bands"]),
    ("检查未通过 check-failed not-a-number", ["check-failed", "not-a-number"]),
    ("any None", ["any", "None"]),
    ("(sinovcc.com, domain.md §5.3) [C2]", ["domain.md"]),
    ("导出 xlsx · sha256 1ad16e9e50 · R&D投入 · GZ-007", []),
    ("统一社会信用代码 91441900497465075O · 文号 东科〔2020〕12号 · 2020-03-05 · 孵化器.xlsx", []),
])
def test_the_detector_finds_the_codes_users_reported(text: str, codes: list[str]) -> None:
    assert [leak.split(" in ")[0].strip("'") for leak in internal_codes(text)] == codes


def test_switching_language_keeps_the_page_and_its_filters(demo: tuple[Flask, dict]) -> None:
    import re

    app, _ = demo
    client = _client(app, "admin")
    url = "/institutions/?category=incubator&level=national"
    zh = client.get(url).get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" hreflang="en">English</a>', zh).group(1).replace("&amp;", "&")
    assert link.startswith("/institutions/?") and "category=incubator" in link and "level=national" in link
    en = client.get(link).get_data(as_text=True)
    count = lambda html: re.search(r'class="result-count">\D*(\d+)', html).group(1)  # noqa: E731
    assert count(en) == count(zh) and int(count(en)) < 198
    assert "institutions match." in en and "家机构符合条件" not in en


def test_english_pages_use_english_town_names_plurals_and_punctuation(demo: tuple[Flask, dict]) -> None:
    import re

    from registry.models import Town

    app, ids = demo
    client = _client(app, "admin")
    html = client.get("/institutions/?lang=en").get_data(as_text=True)
    with app.app_context():
        towns = list(db.session.scalars(select(Town)))
    shown = visible_text(html)
    assert any(t.name_en in shown for t in towns)
    table = shown.split("Established")[-1]  # the list itself, after its header
    assert not any(t.name in table for t in towns if t.name), "a Chinese town name in the English list"
    preview = visible_text(client.get(f"/reports/uploads/{ids['rejected_upload_id']}/preview").get_data(as_text=True))
    assert re.search(r"\b1 problem\b", preview) or "problems" in preview
    assert "1 problems" not in preview and not re.search(r"\b1 errors\b", preview)
    chrome = visible_text(client.get("/assessments/").get_data(as_text=True))
    assert not re.search(r"[、，。；：（）【】]", chrome), chrome[:500]  # “” are English quotes too


def test_the_preview_shows_the_value_as_understood_and_what_was_typed(demo: tuple[Flask, dict]) -> None:
    import re

    app, ids = demo
    client = _client(app, "institution")
    html = client.get(f"/reports/uploads/{ids['upload_id']}/preview").get_data(as_text=True)
    row = re.search(r'<tr data-field="inc_revenue_total">(.*?)</tr>', html, re.S).group(1)
    text = visible_text(row)
    assert "712,345.60千元" in text and "填写为“712,345.60”" in text
    plain = visible_text(re.search(r'<tr data-field="staff_total">(.*?)</tr>', html, re.S).group(1))
    assert "填写为" not in plain  # typed as understood: nothing beside it
    assert 'class="card' in html and "table-preview" in html  # the wide tenant table scrolls inside its card
