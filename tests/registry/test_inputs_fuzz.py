"""Random strings at every route's parameters, for every role: never a 500.

Hypothesis draws a route, a value for each of its path parameters (text, numbers beyond the
database's integer range, NUL bytes) and a query string over every parameter name any page reads;
each request must answer below 500. Explicit cases pin the findings: NUL bytes in the login name
and in q/table/record/user, ids beyond the integer range, every integer route using <id:…>.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from registry.extensions import db
from registry.inputs import DB_INT_MAX, IdConverter
from tests.registry.test_access_routes import ADMIN, INSTITUTION, POLICY, PUBLIC, REVIEWER, USERNAMES, _routes
from tests.registry.test_review_fixtures import World, app, client_for, world  # noqa: F401

#: every query-string name a page reads (request.args and the GET filter forms)
QUERY_NAMES = ("year", "a", "b", "page", "cp", "pp", "sort", "dir", "order", "next", "level", "lang", "format", "by",
               "from", "to", "as_of", "q", "category", "subclass", "status", "town", "zone", "venture", "internet_plus",
               "urban_renewal", "strata_title", "hmt_base", "grade", "recommendation", "table", "record", "user",
               "date_from", "date_to", "entry")

nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("0123456789-+ .e\x00%/\\'\"<>&;,"), max_size=25),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
    st.sampled_from(["\x00", "1\x00", "99999999999", str(DB_INT_MAX + 1), "-1", "0", "NaN", "1e9", "２０２０", "", " "]),
)


def _path(rule, values: dict[str, str]) -> str:  # noqa: ANN001
    """The rule's URL with raw (percent-encoded) text in place of each parameter, valid or not."""
    url = rule.rule
    for arg, value in values.items():
        url, n = re.subn(r"<(?:[^:>]+:)?" + arg + ">", lambda _m: quote(value, safe="") or "%20", url)
        assert n == 1, (rule.rule, arg)
    return url


def _get_routes(app, role: str) -> list:  # noqa: ANN001
    return [rule for endpoint, method, rule in _routes(app)
            if method == "GET" and endpoint != "static" and (POLICY[endpoint][method] == PUBLIC
                                                            or role in POLICY[endpoint][method])]


@pytest.mark.parametrize("role", (ADMIN, REVIEWER, INSTITUTION))
def test_random_parameters_never_cause_a_server_error(app, world: World, role: str) -> None:  # noqa: ANN001
    with app.app_context():
        client = client_for(app, USERNAMES[role])
        rules = _get_routes(app, role)

        @settings(max_examples=150, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
        @given(data=st.data())
        def probe(data) -> None:  # noqa: ANN001
            rule = data.draw(st.sampled_from(rules), label="route")
            path = _path(rule, {arg: data.draw(nasty_text, label=arg) for arg in sorted(rule.arguments)})
            query = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES), nasty_text, max_size=4), label="query")
            url = path + ("?" + urlencode(query) if query else "")
            response = client.get(url)
            response.close()
            db.session.remove()
            assert response.status_code < 500, f"{role} GET {url}: {response.status_code}"

        probe()


@given(username=nasty_text, password=nasty_text)
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_random_login_posts_never_cause_a_server_error(app, username: str, password: str) -> None:  # noqa: ANN001
    app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
    with app.app_context():
        response = app.test_client().post("/auth/login", data={"username": username, "password": password})
        db.session.remove()
    assert response.status_code < 500


@pytest.mark.parametrize("url", [
    "/reports/uploads/99999999999/preview", f"/institutions/{DB_INT_MAX + 1}", "/institutions/firms/99999999999",
    "/assessments/runs/99999999999", "/reports/99999999999/2020/", "/reports/1/99999999999/",
    "/institutions/0", "/institutions/-1",
])
def test_ids_beyond_the_integer_range_are_not_found(app, world: World, url: str) -> None:  # noqa: ANN001
    with app.app_context():
        assert client_for(app, USERNAMES[ADMIN]).get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/institutions/?q=%00", "/institutions/?q=%E7%94%B2%00", "/admin/audit?table=%00", "/admin/audit?record=1%00",
    "/admin/audit?user=%00admin", "/admin/audit?user=99999999999", "/assessments/recommendations?year=99999999999",
    "/assessments/compare?a=99999999999&b=1", "/institutions/?town=99999999999", "/institutions/?zone=%00",
    "/assessments/runs/1?page=2147483647", "/assessments/gaps/1?level=national&year=99999999999",
    "/reports/1/2020/diff?a=99999999999&b=1", "/institutions/?page=99999999999999",
])
def test_nul_bytes_and_huge_numbers_in_query_strings(app, world: World, url: str) -> None:  # noqa: ANN001
    with app.app_context():
        response = client_for(app, USERNAMES[ADMIN]).get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    if "%00" in url:
        assert response.status_code == 400


def test_a_nul_byte_in_the_login_name_is_a_plain_refusal(app, world: World) -> None:  # noqa: ANN001
    response = app.test_client().post("/auth/login", data={"username": "boss\x00", "password": "x"})
    assert response.status_code == 400
    assert "请求有误" in response.get_data(as_text=True) or "错误" in response.get_data(as_text=True)


def test_every_integer_in_a_route_uses_the_bounded_converter(app) -> None:  # noqa: ANN001
    loose = [f"{rule.rule} <{name}>" for rule in app.url_map.iter_rules()
             for name, converter in (rule._converters or {}).items()
             if isinstance(converter, IntegerConverter) and not isinstance(converter, IdConverter)]
    assert loose == [], "use <id:…> for these: " + ", ".join(loose)


def test_confirming_an_upload_id_beyond_the_integer_range_is_not_found(app, world: World) -> None:  # noqa: ANN001
    with app.app_context():
        response = client_for(app, USERNAMES[ADMIN]).post(f"/reports/{world.own}/2020/confirm",
                                                          data={"upload_id": "99999999999"})
    assert response.status_code == 404
