"""Every route, for every role: no one reads or changes what their role does not allow.

The test walks app.url_map, so routes added later are covered automatically — but only once
they are classified: a route (or a method, or a URL parameter) missing from the tables below
fails the test with a list of what needs an explicit decision.

For each role the test requests every route with ids the role may see, and — where the role
may use the route — again with ids it may not see (another institution's id, another
reviewer's sheet, an institution the reviewer is conflicted with). A refusal is 403 or 404
(logged-in) or a redirect to the login page (anonymous), and it must leave the audit log, and
therefore every audited table, unchanged.
"""

from __future__ import annotations

from typing import Callable

import pytest
from flask import Flask

from registry.extensions import db
from registry.models import Institution
from tests.registry.test_review_fixtures import World, app, audit_count, client_for, world  # noqa: F401

ANON, ADMIN, REVIEWER, INSTITUTION, TOWN = "anonymous", "admin", "reviewer", "institution", "town_officer"
ROLES = (ANON, ADMIN, REVIEWER, INSTITUTION, TOWN)
USERS = frozenset({ADMIN, REVIEWER, INSTITUTION, TOWN})
#: who sees institutions, each in its own scope (a town officer: its town's)
SCOPED = frozenset({ADMIN, REVIEWER, INSTITUTION, TOWN})
SEASON_VIEWERS = frozenset({ADMIN, TOWN})
FILERS = frozenset({ADMIN, INSTITUTION})
STAFF = frozenset({ADMIN, REVIEWER})
ADMINS = frozenset({ADMIN})
PUBLIC = "public"  # anyone, logged in or not (only checked not to fail)
TOKEN = "token"  # the JSON API: a bearer token only; every session (any role) and no token get 401

#: endpoint → method → who may use it. Everyone else must be refused.
POLICY: dict[str, dict[str, frozenset[str] | str]] = {
    "static": {"GET": PUBLIC},
    "root": {"GET": PUBLIC},  # a redirect to the registry
    "health.healthz": {"GET": PUBLIC},  # database reachability for the proxy: no data
    "auth.login": {"GET": PUBLIC, "POST": PUBLIC},
    "auth.logout": {"POST": USERS},
    "institutions.index": {"GET": USERS},
    "institutions.index_download": {"GET": USERS},
    "institutions.detail": {"GET": USERS},
    "institutions.firm": {"GET": USERS},
    "institutions.create": {"GET": ADMINS, "POST": ADMINS},
    "institutions.edit": {"GET": ADMINS, "POST": ADMINS},
    "institutions.add_recognition": {"GET": ADMINS, "POST": ADMINS},
    "institutions.end_recognition": {"GET": ADMINS, "POST": ADMINS},
    "institutions.change_status": {"GET": ADMINS, "POST": ADMINS},
    "institutions.add_tenant": {"GET": ADMINS, "POST": ADMINS},
    "institutions.end_tenancy": {"GET": ADMINS, "POST": ADMINS},
    "stats.index": {"GET": STAFF},
    "assessments.index": {"GET": STAFF},
    "assessments.run": {"GET": STAFF},
    "assessments.result": {"GET": STAFF},
    "assessments.recommendations": {"GET": STAFF},
    "assessments.gaps": {"GET": STAFF},
    "assessments.compare": {"GET": STAFF},
    "assessments.start_run": {"POST": ADMINS},
    "assessments.retry_run": {"POST": ADMINS},
    "assessments.job_status": {"GET": STAFF},
    "seasons.index": {"GET": frozenset({ADMIN, TOWN, INSTITUTION})},  # an institution is sent to its own page
    "seasons.open_season": {"POST": ADMINS},
    "seasons.tracker": {"GET": SEASON_VIEWERS},
    "seasons.export": {"GET": SEASON_VIEWERS},
    "seasons.remind": {"POST": ADMINS},
    "seasons.filing": {"GET": frozenset({ADMIN, TOWN, INSTITUTION})},
    "seasons.upload_summary": {"POST": FILERS},
    "seasons.submit": {"POST": FILERS},
    "seasons.decide": {"POST": frozenset({TOWN})},
    "seasons.override": {"POST": ADMINS},
    "seasons.reopen": {"POST": ADMINS},
    "seasons.download_summary": {"GET": frozenset({ADMIN, TOWN, INSTITUTION})},
    "notifications.index": {"GET": USERS},
    "notifications.open_notice": {"POST": USERS},
    "notifications.read_all": {"POST": USERS},
    "assessments.run_download": {"GET": STAFF},
    "assessments.recommendations_download": {"GET": STAFF},
    "assessments.gaps_download": {"GET": STAFF},
    "assessments.pipeline_download": {"GET": STAFF},
    "assessments.void": {"POST": ADMINS},
    "reports.mine": {"GET": frozenset({INSTITUTION})},
    "reports.template": {"GET": USERS},
    "reports.upload": {"GET": frozenset({ADMIN, INSTITUTION}), "POST": frozenset({ADMIN, INSTITUTION})},
    "reports.preview": {"GET": USERS},
    "reports.confirm": {"POST": frozenset({ADMIN, INSTITUTION})},
    "reports.versions": {"GET": USERS},
    "reports.version_detail": {"GET": USERS},
    "reports.diff": {"GET": USERS},
    "reports.download": {"GET": USERS},
    "reports.annotated": {"GET": USERS},
    "exports.national_incubators": {"GET": STAFF},
    "exports.count": {"GET": STAFF},
    "admin.users": {"GET": ADMINS},
    "admin.user_new": {"GET": ADMINS, "POST": ADMINS},
    "admin.user_edit": {"GET": ADMINS, "POST": ADMINS},
    "admin.user_password": {"POST": ADMINS},
    "admin.user_enabled": {"POST": ADMINS},
    "admin.user_sessions": {"POST": ADMINS},
    "admin.audit": {"GET": ADMINS},
    "admin.audit_export": {"GET": ADMINS},
    "reviews.index": {"GET": STAFF},
    "reviews.round_new": {"POST": ADMINS},
    "reviews.round": {"GET": ADMINS},
    "reviews.assign": {"POST": ADMINS},
    "reviews.auto_assign": {"POST": ADMINS},
    "reviews.unassign": {"POST": ADMINS},
    "reviews.sheet": {"GET": STAFF, "POST": frozenset({REVIEWER})},
    "reviews.reopen": {"POST": ADMINS},
    "reviews.conflicts": {"GET": STAFF, "POST": frozenset({REVIEWER})},
    "reviews.waive": {"POST": ADMINS},
    "reviews.decide": {"GET": ADMINS, "POST": ADMINS},
    "reviews.sign": {"POST": ADMINS},
    "reviews.publish": {"POST": ADMINS},
    "reviews.my_results": {"GET": frozenset({INSTITUTION})},
    "api.openapi": {"GET": PUBLIC},
    "api.definitions": {"GET": TOKEN},
    "api.counts": {"GET": TOKEN},
    "api.count_institutions": {"GET": TOKEN},
    "api.institutions": {"GET": TOKEN},
    "api.institution": {"GET": TOKEN},
    "api_tokens.index": {"GET": ADMINS, "POST": ADMINS},
    "api_tokens.revoke": {"POST": ADMINS},
}

#: URL parameter → (world, role) → (an id the role may see, an id it may not see or None)
PARAMS: dict[str, Callable[[World, str], tuple[object, object | None]]] = {
    "filename": lambda w, role: ("fuhua.css", None),
    "institution_id": lambda w, role: (w.own, {INSTITUTION: w.other, REVIEWER: w.conflicted, TOWN: w.other}.get(role)),
    "assignment_id": lambda w, role: (w.sheet, w.other_sheet if role == REVIEWER else None),
    "round_id": lambda w, role: (w.round, None),
    "user_id": lambda w, role: (w.reviewer2, None),
    "conflict_id": lambda w, role: (w.conflict, w.other_conflict if role == REVIEWER else None),
    "result_id": lambda w, role: (w.result, None),
    "year": lambda w, role: (2020, None),
    "recognition_id": lambda w, role: (w.recognition, None),
    "tenancy_id": lambda w, role: (w.tenancy, None),
    "upload_id": lambda w, role: (w.upload, {INSTITUTION: w.other_upload, REVIEWER: w.conflicted_upload,
                                             TOWN: w.other_upload}.get(role)),
    "number": lambda w, role: (1, None),
    "run_id": lambda w, role: (w.run, None),
    "firm_id": lambda w, role: (w.firm, w.other_firm if role in (INSTITUTION, TOWN) else None),
    "season_id": lambda w, role: (EXTRA["season"], None),
    "filing_id": lambda w, role: (EXTRA["filing"], EXTRA["other_filing"] if role in (INSTITUTION, TOWN) else None),
    "summary_id": lambda w, role: (EXTRA["summary"], EXTRA["other_summary"] if role in (INSTITUTION, TOWN) else None),
    "notice_id": lambda w, role: (EXTRA["notices"].get(role) or EXTRA["notices"][ADMIN], EXTRA["notices"][ADMIN] if role != ADMIN else None),
    "job_id": lambda w, role: (_failed_job(), None),
    "code": lambda w, role: ("national-incubators", None),
    "uscc": lambda w, role: (db.session.get(Institution, w.own).uscc, None),
    "token_id": lambda w, role: (API_TOKEN["id"], None),
}

#: the API token of the walk (set by the `api_token` fixture)
API_TOKEN: dict[str, object] = {}


def _failed_job() -> int:
    """A failed assessment-run job (made once per test) to read and retry."""
    from sqlalchemy import select

    from registry.models import Job

    found = db.session.scalar(select(Job.id).where(Job.status == "failed").limit(1))
    if found is None:
        job = Job(kind="assessment_run", params={"year": 2020}, status="failed", message="test")
        db.session.add(job)
        db.session.commit()
        found = job.id
    return found

USERNAMES = {ADMIN: "boss", REVIEWER: "rev", INSTITUTION: "inst", TOWN: "town"}
EXTRA: dict = {}


@pytest.fixture
def season_world(app: Flask, world: World) -> World:  # noqa: F811
    """The review world plus a reporting season: `other` and `conflicted` moved to another town
    (大朗镇), a town officer of 松山湖 (where `own` is), filings, work summaries, a notice per account."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from registry.models import Institution, Jurisdiction, Role, Town, User
    from registry.notifications import notify
    from registry.seasons import operations as seasons

    with app.app_context():
        dalang = db.session.scalar(select(Town).where(Town.code == "dalang"))
        for inst_id in (world.other, world.conflicted):
            db.session.get(Institution, inst_id).town_id = dalang.id
        jur = db.session.scalar(select(Jurisdiction).join(Town, Town.id == Jurisdiction.town_id)
                                .where(Town.code == "songshanhu"))
        officer = User(username="town", role=Role.TOWN_OFFICER, jurisdiction_id=jur.id)
        officer.set_password("correct horse battery")
        db.session.add(officer)
        db.session.flush()
        today = date.today()
        season = seasons.open_season(2020, ["incubator"], today - timedelta(days=30), today + timedelta(days=30))
        own, other = (db.session.get(Institution, i) for i in (world.own, world.other))
        pdf = b"%PDF-1.4\n%%EOF\n"
        summary = seasons.store_work_summary(own, 2020, pdf, "own.pdf")
        other_summary = seasons.store_work_summary(other, 2020, pdf, "other.pdf")
        filing, other_filing = (seasons.filing_for(i, 2020) for i in (world.own, world.other))
        notices = {}
        for role, username in USERNAMES.items():
            uid = db.session.scalar(select(User.id).where(User.username == username))
            notify([uid], "reminder", "测试", "测试")
            notices[role] = db.session.scalar(select(db.func.max(db.text("id"))).select_from(db.text("notifications")))
        db.session.commit()
        EXTRA.update(season=season.id, filing=filing.id, other_filing=other_filing.id, summary=summary.id,
                     other_summary=other_summary.id, notices=notices)
    return world


def _routes(app: Flask) -> list[tuple[str, str, object]]:
    """(endpoint, method, rule) of every route; fails listing anything not classified above."""
    missing: list[str] = []
    found = []
    for rule in app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        policy = POLICY.get(rule.endpoint)
        if policy is None:
            missing.append(f"route {rule.endpoint} ({rule.rule}) has no access policy")
            continue
        for method in methods:
            if method not in policy:
                missing.append(f"method {method} of {rule.endpoint} has no access policy")
            found.append((rule.endpoint, method, rule))
        for arg in rule.arguments:
            if arg not in PARAMS:
                missing.append(f"URL parameter <{arg}> of {rule.endpoint} has no test value")
    assert not missing, "Classify these in tests/registry/test_access_routes.py:\n" + "\n".join(missing)
    return found


def _refused(response, role: str) -> bool:
    if role == ANON:
        return response.status_code in (302, 401) and "/auth/login" in response.headers.get("Location", "/auth/login")
    return response.status_code in (403, 404)


@pytest.fixture
def api_token(app: Flask) -> str:
    """A valid read token (its id is the walk's <token_id>); returns the secret."""
    from registry.api.tokens import create_token

    with app.app_context():
        new = create_token("walk", label="test")
        db.session.commit()
        API_TOKEN["id"] = new.token.id
        return new.secret


@pytest.mark.parametrize("role", ROLES)
def test_every_route_respects_the_role(app: Flask, season_world: World, role: str, api_token: str) -> None:
    world = season_world
    with app.app_context():
        routes = _routes(app)
        client = app.test_client() if role == ANON else client_for(app, USERNAMES[role])
        failures: list[str] = []

        def check(endpoint: str, method: str, rule, values: dict, allowed: bool) -> None:  # noqa: ANN001
            url = rule.build(values, append_unknown=False)[1]
            before = audit_count()
            response = client.open(url, method=method, data={})
            response.close()
            db.session.remove()
            changed = audit_count() != before
            if allowed:
                if response.status_code >= 500 or response.status_code in (401, 403) or (
                        role != ANON and "/auth/login" in response.headers.get("Location", "")):
                    failures.append(f"{role} {method} {url} ({endpoint}) should be allowed, got {response.status_code}")
                elif method == "GET" and response.status_code == 404:
                    failures.append(f"{role} GET {url} ({endpoint}) should be visible, got 404")
            else:
                if not _refused(response, role):
                    failures.append(f"{role} {method} {url} ({endpoint}) should be refused, got {response.status_code}")
                if changed:
                    failures.append(f"{role} {method} {url} ({endpoint}) was refused but changed data")

        # reads before writes, refusals before permitted writes: a permitted write cannot mask a refusal
        ordered = sorted(routes, key=lambda r: (r[1] != "GET", r[0]))
        allowed_writes = []
        for endpoint, method, rule in ordered:
            who = POLICY[endpoint][method]
            if who == TOKEN:  # a session, whatever its role, never opens the API
                own = {a: PARAMS[a](world, role)[0] for a in rule.arguments}
                check_token_only(client, rule.build(own, append_unknown=False)[1], method, failures, role)
                continue
            if who == PUBLIC:
                if method == "GET":
                    own = {a: PARAMS[a](world, role)[0] for a in rule.arguments}
                    response = client.get(rule.build(own, append_unknown=False)[1])
                    response.close()
                    assert response.status_code < 500
                continue
            allowed = role in who
            own = {a: PARAMS[a](world, role)[0] for a in rule.arguments}
            if allowed and method != "GET":
                allowed_writes.append((endpoint, method, rule, own))
            else:
                check(endpoint, method, rule, own, allowed)
            if allowed:
                for arg in rule.arguments:
                    forbidden = PARAMS[arg](world, role)[1]
                    if forbidden is not None:
                        check(endpoint, method, rule, {**own, arg: forbidden}, allowed=False)
        for endpoint, method, rule, own in allowed_writes:
            if endpoint != "auth.logout":  # logging out would end the walk
                check(endpoint, method, rule, own, allowed=True)
        assert not failures, "\n".join(failures)


def test_policy_table_has_no_stale_entries(app: Flask) -> None:
    """An entry for a route that no longer exists is a decision nobody is checking."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(set(POLICY) - endpoints) == []


def check_token_only(client, url: str, method: str, failures: list[str], role: str,  # noqa: ANN001
                     headers: dict[str, str] | None = None, expect: int = 401) -> None:
    before = audit_count()
    response = client.open(url, method=method, headers=headers or {})
    body = response.get_json(silent=True) or {}
    response.close()
    db.session.remove()
    if response.status_code != expect or (expect >= 400 and "error" not in body):
        failures.append(f"{role} {method} {url}: expected JSON {expect}, got {response.status_code} {body}")
    if "Set-Cookie" in response.headers:
        failures.append(f"{role} {method} {url}: the API set a cookie")
    if audit_count() != before:
        failures.append(f"{role} {method} {url}: the API changed audited data")


def test_api_tokens_in_the_walk(app: Flask, world: World, api_token: str) -> None:
    """No token → 401; a revoked token → 401; a valid token reaches every API read and nothing else."""
    from registry.api.tokens import create_token, revoke_token

    with app.app_context():
        revoked = create_token("revoked", label="test")
        revoke_token(revoked.token, label="test")
        db.session.commit()
        routes = _routes(app)
        client = app.test_client()
        failures: list[str] = []
        api_routes = [(e, m, r) for e, m, r in routes if POLICY[e][m] == TOKEN]
        assert {e for e, _m, _r in api_routes} == {"api.definitions", "api.counts", "api.count_institutions",
                                                   "api.institutions", "api.institution"}
        for endpoint, method, rule in api_routes:
            url = rule.build({a: PARAMS[a](world, ADMIN)[0] for a in rule.arguments}, append_unknown=False)[1]
            check_token_only(client, url, method, failures, "no token")
            check_token_only(client, url, method, failures, "revoked", {"Authorization": f"Bearer {revoked.secret}"})
            check_token_only(client, url, method, failures, "wrong", {"Authorization": f"Bearer {api_token}x"})
            check_token_only(client, url + "?from=2016&to=2020", method, failures, "valid",
                             {"Authorization": f"Bearer {api_token}"}, expect=200)
            for write in ("POST", "PUT", "PATCH", "DELETE"):
                check_token_only(client, url, write, failures, "valid", {"Authorization": f"Bearer {api_token}"},
                                 expect=405)
        # the token opens nothing outside the API: every other route treats its bearer as anonymous
        bearer = {"Authorization": f"Bearer {api_token}"}
        for endpoint, method, rule in routes:
            who = POLICY[endpoint][method]
            if who in (TOKEN, PUBLIC):
                continue
            url = rule.build({a: PARAMS[a](world, ADMIN)[0] for a in rule.arguments}, append_unknown=False)[1]
            before = audit_count()
            response = client.open(url, method=method, headers=bearer, data={})
            response.close()
            db.session.remove()
            if not _refused(response, ANON):
                failures.append(f"token {method} {url} ({endpoint}) should be refused, got {response.status_code}")
            if audit_count() != before:
                failures.append(f"token {method} {url} ({endpoint}) changed data")
        assert not failures, "\n".join(failures)
# --- what pages SHOW ---------------------------------------------------------------------------

@pytest.fixture
def exposed(app: Flask, world: World) -> dict[str, object]:
    """The world plus rows that put out-of-scope institutions on list pages: results of the conflicted
    and the other institution in two runs (recommendations, run pages, compare), a stay of the walk's firm
    at the conflicted carrier (firm path), and tenants of `own`'s current report that the conflicted and
    the other carrier host too (duplicates on the versions page). Returns extra URLs with query strings."""
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import select

    from registry.institutions.operations import add_tenancy, get_or_create_firm
    from registry.models import AssessmentResult, AssessmentRun, Firm, Institution, SelfReport
    from tests.factories import make_uscc
    from tests.registry.test_review_fixtures import _engine_outcome

    with app.app_context():
        outcome = _engine_outcome(2020)
        second = AssessmentRun(year=2020, category="incubator", started_by_label="test")
        db.session.add(second)
        db.session.flush()
        grades = {world.run: {world.other: ("A", "upgrade"), world.conflicted: ("C", "rectify")},
                  second.id: {world.own: ("A", "upgrade"), world.other: ("B", "keep"), world.conflicted: ("D", "exit")}}
        for run_id, by_inst in grades.items():
            for inst_id, (grade, rec) in by_inst.items():
                db.session.add(AssessmentResult(run_id=run_id, institution_id=inst_id, year=2020, category="incubator",
                                                subclass="comprehensive", system_version=2019, system_sha256="0" * 64,
                                                score=Decimal("70"), grade=grade, recommendation=rec, outcome=outcome))
        firm = db.session.get(Firm, world.firm)
        conflicted, other = db.session.get(Institution, world.conflicted), db.session.get(Institution, world.other)
        add_tenancy(conflicted, firm, entered_on=date(2015, 1, 1), exited_on=date(2018, 12, 31), exit_reason="moved_on")
        shared = [get_or_create_firm(name=name, uscc=make_uscc()) for name in ("己在孵企业", "庚在孵企业")]
        add_tenancy(conflicted, shared[0], entered_on=date(2019, 6, 1))
        add_tenancy(other, shared[1], entered_on=date(2019, 6, 1))
        report = db.session.scalar(select(SelfReport).where(SelfReport.institution_id == world.own,
                                                            SelfReport.year == 2020))
        report.tables = {"tenants": [{"uscc": {"value": f.uscc, "cell": f"B{3 + i}"}, "name": {"value": f.name}}
                                     for i, f in enumerate(shared)]}
        db.session.commit()
        return {"urls": ["/assessments/recommendations?year=2020", f"/assessments/compare?a={world.run}&b={second.id}",
                         f"/assessments/runs/{second.id}?sort=name", f"/assessments/runs/{world.run}?grade=C",
                         "/institutions/?q=孵化器", "/institutions/?sort=town&dir=desc",
                         f"/institutions/firms/{shared[0].id}", f"/institutions/firms/{shared[1].id}",
                         "/exports/national-incubators?from=2018&to=2020&by=town&format=csv",
                         "/exports/national-incubators?from=2018&to=2020&by=subclass&format=xlsx"]}


def _hidden_from(world: World, role: str) -> dict[str, str]:
    """Name or credit code → whose: what must never appear on a page `role` reads."""
    from registry.models import Institution

    if role == REVIEWER:
        # hard conflicts: its employer and an institution run by the same operating entity. (The
        # institution it declared a conflict with stays on its own declarations page.)
        ids = [world.affiliation, world.conflicted]
    elif role == INSTITUTION:
        ids = [world.other, world.conflicted, world.affiliation]
    else:
        return {}
    out = {}
    for inst_id in ids:
        inst = db.session.get(Institution, inst_id)
        out[inst.name] = out[inst.uscc] = f"{inst.name} ({inst.uscc})"
    return out


def _text(response) -> str:  # noqa: ANN001
    """What a person reads in the response: the page, the CSV, or every cell of an xlsx."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
                         if v is not None)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", (ADMIN, REVIEWER, INSTITUTION))
def test_no_page_shows_an_institution_out_of_scope(app: Flask, world: World, exposed: dict, role: str) -> None:
    """Every page and export the role may open, read in full: no conflicted or foreign institution's
    name or credit code appears (the walk's ids, plus list pages with filters, sorts and comparisons)."""
    with app.app_context():
        client = client_for(app, USERNAMES[role])
        urls = []
        for endpoint, method, rule in _routes(app):
            who = POLICY[endpoint][method]
            if method == "GET" and endpoint != "static" and (who == PUBLIC or role in who):
                urls.append(rule.build({a: PARAMS[a](world, role)[0] for a in rule.arguments}, append_unknown=False)[1])
        urls += [u for u in exposed["urls"] if not u.startswith(("/assessments", "/exports")) or role != INSTITUTION]
        hidden = _hidden_from(world, role)
        leaks, shown = [], 0
        for url in urls:
            response = client.get(url)
            db.session.remove()
            if response.status_code == 404 and url.startswith("/institutions/firms/") and role != ADMIN:
                continue  # a firm seen only at hidden carriers does not exist for this role
            assert response.status_code < 500 and response.status_code != 403, f"{role} GET {url}: {response.status_code}"
            text = _text(response)
            shown += text.count("甲孵化器")
            leaks += [f"{role} GET {url} shows {whose}" for needle, whose in hidden.items() if needle in text]
        assert not leaks, "\n".join(sorted(set(leaks)))
        assert shown > 10  # the pages did show rows: the own institution appears throughout
        if role == ADMIN:  # and the rows that are hidden from others really are on these pages
            text = client.get("/assessments/recommendations?year=2020").get_data(as_text=True)
            assert "丁孵化器" in text and "乙孵化器" in text


def test_a_reviewer_sees_institutions_that_record_no_operating_entity(app: Flask, world: World) -> None:
    """A conflict is a match, never a missing value: NULL entity or parent must not hide an institution."""
    from registry.access import institutions_query
    from registry.models import User
    from tests.factories import make_institution

    with app.app_context():
        plain = make_institution(name="己孵化器", operating_entity=None, parent_organisation=None)
        db.session.commit()
        reviewer = db.session.get(User, world.reviewer)
        visible = set(db.session.scalars(institutions_query(reviewer).with_only_columns(Institution.id)))
        assert plain.id in visible and world.own in visible
        assert world.conflicted not in visible and world.affiliation not in visible
