"""Logging out ends the session on the server; pages for a signed-in user are never cached."""

from __future__ import annotations

from registry.extensions import db
from tests.factories import make_user
from tests.registry.test_access_routes import ADMIN, PARAMS, POLICY, PUBLIC, USERNAMES, _routes
from tests.registry.test_review_fixtures import World, app, client_for, world  # noqa: F401


def test_a_copied_session_cookie_is_dead_after_logout(app, session):  # noqa: ANN001
    make_user("reviewer", username="rev")
    session.commit()
    browser = client_for(app, "rev")
    stolen = browser.get_cookie("session").value
    assert browser.post("/auth/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/reviews/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client_for(app, "rev").get("/reviews/").status_code == 200  # logging in again works


def test_every_page_for_a_signed_in_user_says_no_store(app, world: World):  # noqa: ANN001
    with app.app_context():
        client = client_for(app, USERNAMES[ADMIN])
        cached = []
        for endpoint, method, rule in _routes(app):
            if method != "GET" or endpoint == "static" or (POLICY[endpoint][method] != PUBLIC
                                                           and ADMIN not in POLICY[endpoint][method]):
                continue
            url = rule.build({a: PARAMS[a](world, ADMIN)[0] for a in rule.arguments}, append_unknown=False)[1]
            response = client.get(url)
            db.session.remove()
            if "no-store" not in response.headers.get("Cache-Control", ""):
                cached.append(f"{url} ({response.status_code}): {response.headers.get('Cache-Control')}")
        assert not cached, "\n".join(cached)
        assert "no-store" not in app.test_client().get("/auth/login").headers.get("Cache-Control", "")
