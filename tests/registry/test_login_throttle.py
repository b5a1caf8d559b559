"""Failed logins slow the guesser down, never lock the owner out, and say nothing about which accounts exist.

Through the real login form, with real failure rows; time is moved by moving those rows back.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry import create_app
from registry.extensions import db
from registry.models import LoginFailure
from tests.factories import make_user
from tests.registry.test_review_fixtures import app  # noqa: F401

PASSWORD = "correct horse battery"


def _post(client, username: str, password: str, ip: str = "198.51.100.7", **headers):  # noqa: ANN001, ANN202
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, headers=headers)


def _earlier(seconds: int) -> None:
    """Every recorded failure happened `seconds` earlier (as if the guesser had waited)."""
    for failure in db.session.scalars(select(LoginFailure)):  # in Python: SQLite has no datetime arithmetic
        failure.at -= timedelta(seconds=seconds)
    db.session.commit()


def _flash(response) -> str:  # noqa: ANN001
    """The page's message with the number of seconds blanked (what tells accounts apart, if anything)."""
    found = re.search(r'class="flash[^"]*"[^>]*>(.*?)<', response.get_data(as_text=True), re.S)
    return re.sub(r"\d+", "N", found.group(1).strip()) if found else ""


@pytest.fixture
def owner(app, session):  # noqa: ANN001, ANN201
    make_user("admin", username="admin")
    session.commit()
    return app.test_client()


def test_guessing_one_account_gets_growing_waits_for_the_guesser_only(app, session, owner):  # noqa: ANN001
    app.config["LOGIN_DELAY_BASE"] = timedelta(minutes=1)  # long enough that the test's own pace does not matter
    guesser = app.test_client()
    for _ in range(app.config["LOGIN_FREE_PER_ACCOUNT_ADDRESS"]):
        assert _post(guesser, "admin", "guess").status_code == 401
    waits = []
    for nominal in (60, 120, 240, 480):
        refused = _post(guesser, "admin", PASSWORD)  # even the right password is not checked while waiting
        assert refused.status_code == 429
        assert "登录失败次数过多" in refused.get_data(as_text=True)
        waits.append(int(refused.headers["Retry-After"]))
        assert nominal - 10 < waits[-1] <= nominal  # less the seconds this test itself took
        _earlier(nominal + 1)
        assert _post(guesser, "admin", "guess").status_code == 401
    # the owner, elsewhere, is not kept out by someone else's guesses
    assert _post(owner, "admin", PASSWORD, ip="192.0.2.10").status_code == 302


def test_the_refusal_is_the_same_whether_or_not_the_account_exists(app, session, owner):  # noqa: ANN001
    answers = {}
    for name in ("admin", "nobody-here"):
        client = app.test_client()
        attempts = [_post(client, name, "guess") for _ in range(8)]
        answers[name] = [(r.status_code, _flash(r), r.headers.get("Retry-After") is not None) for r in attempts]
    assert answers["admin"] == answers["nobody-here"]
    assert [status for status, _, _ in answers["admin"]] == [401] * 3 + [429] * 5
    assert answers["admin"][0][1] == "用户名或密码错误。"


def test_spraying_many_names_from_one_address_is_slowed_other_addresses_are_not(app, session, owner):  # noqa: ANN001
    sprayer = app.test_client()
    for i in range(app.config["LOGIN_FREE_PER_ADDRESS"]):
        assert _post(sprayer, f"user{i}", "guess").status_code == 401
    assert _post(sprayer, "someone-new", "guess").status_code == 429
    assert _post(owner, "admin", PASSWORD, ip="192.0.2.10").status_code == 302


def test_many_addresses_on_one_account_cannot_keep_its_owner_out(app, session, owner):  # noqa: ANN001
    """Distributed guessing slows strangers (at most LOGIN_ACCOUNT_DELAY_MAX); the owner's browser, which
    logged in before, is exempt."""
    assert _post(owner, "admin", PASSWORD, ip="192.0.2.10").status_code == 302
    owner.post("/auth/logout")
    for i in range(app.config["LOGIN_FREE_PER_ACCOUNT"] + 10):
        _post(app.test_client(), "admin", "guess", ip=f"203.0.113.{i}")
    stranger = _post(app.test_client(), "admin", PASSWORD, ip="198.51.100.200")
    assert stranger.status_code == 429
    assert int(stranger.headers["Retry-After"]) <= app.config["LOGIN_ACCOUNT_DELAY_MAX"].total_seconds()
    assert _post(owner, "admin", PASSWORD, ip="192.0.2.10").status_code == 302
    forger = app.test_client()  # a device cookie not signed by the app does not exempt anyone
    forger.set_cookie("fuhua_device", owner.get_cookie("fuhua_device").value[:-4] + "AAAA")
    assert _post(forger, "admin", PASSWORD, ip="198.51.100.201").status_code == 429


def test_a_successful_login_and_a_password_reset_clear_the_failures(app, session, owner):  # noqa: ANN001
    from registry.auth.operations import set_password
    from registry.models import User

    for _ in range(2):
        _post(owner, "admin", "guess")
    assert _post(owner, "admin", PASSWORD).status_code == 302
    assert session.scalars(select(LoginFailure)).all() == []
    for i in range(3):
        _post(app.test_client(), "admin", "guess", ip=f"203.0.113.{i}")
    set_password(session.scalar(select(User).where(User.username == "admin")), "another long secret")
    session.commit()
    assert session.scalars(select(LoginFailure)).all() == []


def test_login_posts_are_rate_limited_per_address(app, session, owner):  # noqa: ANN001
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert _post(owner, "admin", PASSWORD, ip="192.0.2.50").status_code == 302
        owner.post("/auth/logout")
    flood = _post(owner, "admin", PASSWORD, ip="192.0.2.50")
    assert flood.status_code == 429 and "请求过于频繁" in flood.get_data(as_text=True)
    assert flood.headers["Retry-After"] == "60"
    assert _post(app.test_client(), "admin", PASSWORD, ip="192.0.2.51").status_code == 302


@pytest.fixture
def proxied_app(tmp_path):  # noqa: ANN001, ANN201
    from tests.conftest import _database_url, reset_schema

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False, "SHOW_DEMO_BANNER": False,
                      "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path), "TRUSTED_PROXIES": 1})
    with app.app_context():
        reset_schema()
        make_user("admin", username="admin")
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_behind_a_trusted_proxy_each_client_is_its_own_address(proxied_app):  # noqa: ANN001
    """Every request comes from the proxy (127.0.0.1); X-Forwarded-For tells the clients apart."""
    sprayer, owner = proxied_app.test_client(), proxied_app.test_client()
    for i in range(proxied_app.config["LOGIN_FREE_PER_ADDRESS"]):
        _post(sprayer, f"user{i}", "guess", ip="127.0.0.1", **{"X-Forwarded-For": "203.0.113.5"})
    assert _post(sprayer, "x-y-z", "guess", ip="127.0.0.1", **{"X-Forwarded-For": "203.0.113.5"}).status_code == 429
    assert _post(owner, "admin", PASSWORD, ip="127.0.0.1", **{"X-Forwarded-For": "192.0.2.10"}).status_code == 302
    with proxied_app.app_context():
        assert set(db.session.scalars(select(LoginFailure.ip))) == {"203.0.113.5"}


def test_without_trusted_proxies_a_forged_forwarded_header_is_ignored(app, session):  # noqa: ANN001
    client = app.test_client()
    for i in range(app.config["LOGIN_FREE_PER_ADDRESS"]):
        _post(client, f"user{i}", "guess", **{"X-Forwarded-For": f"203.0.113.{i}"})  # a new "address" each time
    assert _post(client, "x-y-z", "guess", **{"X-Forwarded-For": "203.0.113.250"}).status_code == 429


def test_trusted_proxies_must_be_a_count(tmp_path):  # noqa: ANN001
    with pytest.raises(RuntimeError, match="FUHUA_TRUSTED_PROXIES"):
        create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://", "TRUSTED_PROXIES": "yes"})
