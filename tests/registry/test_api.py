"""The read-only JSON API, tested against its own OpenAPI document (openapi-core validates every
request and answer made here), plus tokens: the CLI, the admin page, hashing and the audit log."""

from __future__ import annotations

import json
from datetime import date

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate as validate_document
from sqlalchemy import select

from registry.extensions import db
from registry.institutions.operations import record_recognition
from registry.models import ApiToken, AuditEntry, CarrierType, Level
from tests.factories import make_uscc
from tests.registry.test_exports_national_incubators import export, history, make_institution  # noqa: F401


def _create_token(runner, name: str = "统计平台") -> str:  # noqa: ANN001
    result = runner.invoke(args=["api-tokens", "create", "--name", name])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def token(runner) -> str:  # noqa: ANN001
    return _create_token(runner)


@pytest.fixture
def api(app, client, token):  # noqa: ANN001, ANN201
    """GET an API path with the token; every request and answer is validated against the served document."""
    document = client.get("/api/v1/openapi.json").get_json()
    openapi = OpenAPI.from_dict(document)

    def get(path: str, *, auth: str | None = token, expect: int = 200):  # noqa: ANN202
        headers = {"Authorization": f"Bearer {auth}"} if auth else {}
        response = client.get(path, headers=headers)
        assert response.status_code == expect, response.get_data(as_text=True)
        request = WerkzeugOpenAPIRequest(response.request)
        if expect < 400:  # a request the API refuses may well break the document's parameter rules
            openapi.validate_request(request)
        openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
        return response.get_json()

    return get


def test_the_document_is_valid_openapi_generated_from_the_views(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate_document(document)
    assert document["openapi"] == "3.0.3"
    assert set(document["paths"]) == {"/api/v1/definitions", "/api/v1/counts/{code}", "/api/v1/counts/{code}/institutions",
                                      "/api/v1/institutions", "/api/v1/institutions/{uscc}"}
    counts = document["paths"]["/api/v1/counts/{code}"]["get"]
    assert {p["name"] for p in counts["parameters"]} == {"from", "to", "as_of", "by", "lang", "code"}
    assert set(counts["responses"]) == {"200", "400", "401", "404"}
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    by = next(p for p in counts["parameters"] if p["name"] == "by")
    assert by["schema"]["enum"] == ["town", "zone", "subclass"]


def test_counts_answer_the_same_figures_as_the_export(api, runner, tmp_path, history):  # noqa: F811
    result, path = export(runner, tmp_path, "--from", "2016", "--to", "2020", "--by", "town", name="e.json")
    assert result.exit_code == 0, result.output
    exported = json.loads(path.read_text(encoding="utf-8"))
    answer = api("/api/v1/counts/national-incubators?from=2016&to=2020&by=town")
    for key in ("indicator", "definition", "years", "counted_on", "rows", "total", "by", "as_of", "title"):
        assert answer[key] == exported[key], key
    assert answer["total"] == {"2016": 1, "2017": 3, "2018": 2, "2019": 2, "2020": 2}
    assert answer["definition"] == {"code": "national-incubators", "version": 1}
    assert answer["notes"][0].startswith("统计口径（第1版）")
    result, path = export(runner, tmp_path, "--from", "2016", "--to", "2020", "--list", name="l.json")
    listed = json.loads(path.read_text(encoding="utf-8"))
    behind = api("/api/v1/counts/national-incubators/institutions?from=2016&to=2020")
    assert behind["institutions"] == listed["institutions"] and behind["total"] == answer["total"]
    assert len(behind["institutions"]) == sum(answer["total"].values())
    english = api("/api/v1/counts/national-incubators?from=2019&to=2019&as_of=2019-06-30&lang=en")
    assert english["total"] == {"2019": 1} and english["counted_on"] == {"2019": "2019-06-30"}
    assert english["notes"][0].startswith("Counting rule (version 1)")


def test_other_definitions_count_with_their_own_rule(api, app):
    with app.app_context():
        rd = make_institution(category=CarrierType.RD_INSTITUTION, subclass="tech_innovation", town="dalang")
        record_recognition(rd, level=Level.MUNICIPAL, effective_from=date(2018, 1, 1))
        record_recognition(rd, level=Level.PROVINCIAL, effective_from=date(2019, 1, 1))
        acc = make_institution(category=CarrierType.ACCELERATOR, subclass=None, town="humen")
        record_recognition(acc, level=Level.MUNICIPAL, effective_from=date(2019, 6, 1))
        db.session.commit()
    rd_counts = api("/api/v1/counts/rd-institutions?from=2017&to=2020&by=subclass")
    assert rd_counts["total"] == {"2017": 0, "2018": 1, "2019": 1, "2020": 1}  # two levels, counted once
    assert [r["code"] for r in rd_counts["rows"] if any(r["counts"].values())] == ["tech_innovation"]
    inc = api("/api/v1/counts/incubators-and-accelerators?from=2018&to=2019")
    assert inc["total"] == {"2018": 0, "2019": 1}
    assert api("/api/v1/counts/national-incubators?from=2019&to=2019")["total"] == {"2019": 0}
    bad = api("/api/v1/counts/maker-spaces?from=2019&to=2019&by=subclass", expect=400)
    assert bad["error"]["code"] == "invalid_parameter" and "by" in bad["error"]["fields"]


def test_definitions_are_served_with_rule_version_and_target(api):
    data = api("/api/v1/definitions")
    by_code = {d["code"]: d for d in data["definitions"]}
    assert list(by_code)[:3] == ["national-incubators", "national-candidate-incubators", "incubators-and-accelerators"]
    national = by_code["national-incubators"]
    assert national["version"] == 1 and national["levels"] == ["national"]
    assert national["title"] == {"zh_CN": "国家级科技企业孵化器", "en": "National-level technology business incubators"}
    assert national["rule"]["zh_CN"].startswith("孵化器的国家级认定在当年12月31日")
    assert national["target"] == {"year": 2020, "value": 20, "comparator": ">", "provisional": True}
    assert by_code["incubators-and-accelerators"]["levels"] is None
    assert by_code["rd-institutions"]["target"]["value"] == 50


def test_errors_are_json_with_stable_codes(api, client, runner, token):
    missing = api("/api/v1/counts/national-incubators?from=2016&to=2020", auth=None, expect=401)
    assert missing["error"]["code"] == "token_missing"
    assert api("/api/v1/definitions", auth="fuhua_nonsense", expect=401)["error"]["code"] == "token_invalid"
    bad = api("/api/v1/counts/national-incubators?from=2020&to=2016&by=city", expect=400)
    assert bad["error"]["code"] == "invalid_parameter"
    assert set(bad["error"]["fields"]) == {"from", "by"}
    assert "起始年份（2020）晚于截止年份（2016）" in bad["error"]["message"]
    assert api("/api/v1/counts/no-such-count?from=2016&to=2020", expect=404)["error"]["code"] == "not_found"
    assert api("/api/v1/institutions/91441900000000000X", expect=404)["error"]["code"] == "not_found"
    paging = api("/api/v1/institutions?page=0&category=spaceship", expect=400)
    assert set(paging["error"]["fields"]) == {"page", "category"}
    assert api("/api/v1/institutions?town=atlantis", expect=400)["error"]["fields"] == {"town": ["未知代码“atlantis”。"]}
    post = client.post("/api/v1/definitions", headers={"Authorization": f"Bearer {token}"})
    assert post.status_code == 405 and post.get_json()["error"]["code"] == "method_not_allowed"
    nowhere = client.get("/api/v1/nothing-here", headers={"Authorization": f"Bearer {token}"})
    assert nowhere.status_code == 404 and nowhere.get_json()["error"]["code"] == "not_found"


def test_registry_list_and_public_record(api, app, history):  # noqa: F811
    with app.app_context():
        maker = make_institution(name="松湖创客", category=CarrierType.MAKER_SPACE, subclass=None, town="dalang",
                                 uscc=make_uscc())
        record_recognition(maker, level=Level.MUNICIPAL, effective_from=date(2019, 1, 1), doc_no="东科〔2019〕1号")
        db.session.commit()
        maker_uscc = maker.uscc
    everything = api("/api/v1/institutions")
    assert everything["total"] == 4 and len(everything["items"]) == 4
    page = api("/api/v1/institutions?per_page=1&page=2")
    assert page["total"] == 4 and [i["uscc"] for i in page["items"]] == [everything["items"][1]["uscc"]]
    national = api("/api/v1/institutions?level=national&sort=town")
    assert [i["town"]["code"] for i in national["items"]] == ["guancheng", "songshanhu"]
    assert national["items"][0]["level_label"] == "国家级"
    makers = api("/api/v1/institutions?category=maker_space&town=dalang&lang=en")
    assert [(i["name"], i["town"]["name"], i["level"]) for i in makers["items"]] == [("松湖创客", "Dalang", "municipal")]
    assert api("/api/v1/institutions?flags=venture&flags=hmt_base")["total"] == 0
    with app.app_context():
        from registry.models import Institution

        db.session.get(Institution, db.session.scalar(select(Institution.id).where(Institution.uscc == maker_uscc))
                       ).has_venture_model = True
        db.session.commit()
    assert [i["uscc"] for i in api("/api/v1/institutions?flags=venture")["items"]] == [maker_uscc]
    record = api(f"/api/v1/institutions/{maker_uscc.lower()}")
    assert record["uscc"] == maker_uscc and record["category_label"] == "众创空间·前孵化器"
    assert record["recognitions"] == [{"level": "municipal", "level_label": "市级", "effective_from": "2019-01-01",
                                       "ended_on": None, "end_reason": None, "doc_no": "东科〔2019〕1号"}]


def test_the_session_cookie_opens_nothing_and_is_never_set(app, admin_client, token):
    response = admin_client.get("/api/v1/definitions")  # logged in as an administrator, no token
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "token_missing"
    assert "Set-Cookie" not in response.headers
    with_token = admin_client.get("/api/v1/definitions", headers={"Authorization": f"Bearer {token}"})
    assert with_token.status_code == 200
    assert "Set-Cookie" not in with_token.headers and "Cookie" not in with_token.headers.get("Vary", "")
    assert admin_client.get("/institutions/").status_code == 200  # the session itself still works on pages


def test_cli_tokens_are_shown_once_stored_hashed_listed_revoked_and_audited(app, runner, client):
    secret = _create_token(runner, "市统计局数据平台")
    assert secret.startswith("fuhua_") and len(secret) > 40
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.scope == "read" and stored.revoked_at is None
        assert secret not in (stored.token_hash, stored.prefix) and secret.startswith(stored.prefix)
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "api_tokens")))
        assert [e.action for e in entries] == ["insert"]
        assert entries[0].after["token_hash"] == "***" and entries[0].actor_label.startswith("cli:")
        token_id, prefix = stored.id, stored.prefix
    assert client.get("/api/v1/definitions", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = runner.invoke(args=["api-tokens", "list"])
    assert f"#{token_id}\t{prefix}…\t市统计局数据平台\tactive" in listing.output
    assert secret not in listing.output
    assert "last used 20" in listing.output  # the request above was noted
    revoked = runner.invoke(args=["api-tokens", "revoke", prefix])
    assert revoked.exit_code == 0, revoked.output
    again = runner.invoke(args=["api-tokens", "revoke", f"#{token_id}"])
    assert again.exit_code == 1 and "already revoked" in again.output
    assert runner.invoke(args=["api-tokens", "revoke", "nope"]).exit_code == 1
    response = client.get("/api/v1/definitions", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "token_invalid"
    with app.app_context():
        actions = [(e.action, e.after) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "api_tokens").order_by(AuditEntry.id))]
        assert [a for a, _after in actions] == ["insert", "update"]
        assert set(actions[1][1]) == {"revoked_at", "revoked_by_label"}  # use (last_used_at) is not an audited change
    assert "revoked" in runner.invoke(args=["api-tokens", "list"]).output
    assert runner.invoke(args=["api-tokens", "create", "--name", "  "]).exit_code == 1


def test_admin_page_creates_a_token_shown_once_and_revokes_it(app, admin_client, client):
    page = admin_client.get("/admin/api-tokens/")
    assert page.status_code == 200 and "API 令牌" in page.get_data(as_text=True)
    created = admin_client.post("/admin/api-tokens/", data={"name": "区县数据看板"})
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and "仅显示这一次" in html
    secret = html.split('id="new-token"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    assert client.get("/api/v1/definitions", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    again = admin_client.get("/admin/api-tokens/").get_data(as_text=True)
    assert "区县数据看板" in again and secret not in again  # never shown again
    assert admin_client.post("/admin/api-tokens/", data={"name": ""}).status_code == 422
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "api_tokens"))
        assert entry.actor_label == "staff"
    done = admin_client.post(f"/admin/api-tokens/{token_id}/revoke", follow_redirects=True)
    assert "已撤销" in done.get_data(as_text=True)
    assert client.get("/api/v1/definitions", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
