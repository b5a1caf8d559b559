"""Accounts and sessions: creation (CLI and admin page), throttling, CSRF, expiry, logout everywhere."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from registry import create_app
from registry.extensions import db
from registry.models import Role, User
from tests.factories import login, make_institution, make_user
from tests.registry.test_review_fixtures import add_stand_ins, app, client_for  # noqa: F401


def _user(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


# --- fuhua users ----------------------------------------------------------------------------


def test_cli_creates_an_institution_account_bound_by_credit_code(app, session, runner, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    inst = make_institution(name="甲孵化器")
    session.commit()
    result = runner.invoke(args=["users", "create", "--role", "institution", "--username", "jia",
                                 "--institution", inst.uscc, "--password-stdin"], input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    assert "for 甲孵化器" in result.output
    user = _user("jia")
    assert user.role is Role.INSTITUTION and user.institution_id == inst.id
    assert user.password_hash.startswith("scrypt:") and user.check_password("a long enough secret")


def test_cli_prompts_for_the_password_twice(runner, session):
    result = runner.invoke(args=["users", "create", "--role", "admin", "--username", "chief"],
                           input="a long enough secret\na long enough secret\n")
    assert result.exit_code == 0, result.output
    assert _user("chief").role is Role.ADMIN


@pytest.mark.parametrize("args, stdin, message", [
    (["--role", "institution", "--username", "nobody"], "a long enough secret\n",
     "An institution account must be bound to an institution."),
    (["--role", "reviewer", "--username", "short"], "short\n", "The password must have at least 10 characters."),
    (["--role", "reviewer", "--username", "x"], "a long enough secret\n", "“x” is not a valid username"),
    (["--role", "institution", "--username", "ghost", "--institution", "91440000000000000Y"], "",
     "No institution in the registry has the credit code 91440000000000000Y."),
    (["--role", "institution", "--username", "byid", "--institution", "123"], "a long enough secret\n",
     "--institution takes the institution's unified social credit code (18 characters). “123” is not a unified social credit code: 18 characters are expected."),
    (["--role", "institution", "--username", "letter", "--institution", "91441900497465075O"], "a long enough secret\n",
     "--institution takes the institution's unified social credit code (18 characters)."),
    (["--role", "boss", "--username", "someone"], "a long enough secret\n", "Invalid value for '--role'"),
])
def test_cli_refuses_bad_accounts_clearly(runner, session, args, stdin, message, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    before = session.scalar(select(func.count(User.id)))
    result = runner.invoke(args=["users", "create", *args, "--password-stdin"], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert session.scalar(select(func.count(User.id))) == before


def test_cli_speaks_chinese_by_default_and_refuses_an_id_for_a_credit_code(app, session, runner, monkeypatch):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    inst = make_institution(name="丙孵化器")
    session.commit()
    result = runner.invoke(args=["users", "create", "--role", "institution", "--username", "bing",
                                 "--institution", str(inst.id), "--password-stdin"], input="a long enough secret\n")
    assert result.exit_code != 0
    assert "统一社会信用代码" in result.output and "应为 18 位" in result.output, result.output
    assert _user_or_none("bing") is None  # never bound to the institution with that id
    result = runner.invoke(args=["users", "create", "--role", "institution", "--username", "bing",
                                 "--institution", inst.uscc.lower(), "--password-stdin"], input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    assert "已为丙孵化器创建机构账号“bing”。" in result.output


def _user_or_none(username: str):  # noqa: ANN202
    from registry.extensions import db

    return db.session.scalar(select(User).where(User.username == username))


def test_cli_refuses_a_taken_username(runner, session, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    make_user("admin", username="taken")
    session.commit()
    result = runner.invoke(args=["users", "create", "--role", "reviewer", "--username", "TAKEN", "--password-stdin"],
                           input="a long enough secret\n")
    assert result.exit_code != 0 and "already taken" in result.output


# --- admin pages ----------------------------------------------------------------------------


def test_admin_creates_changes_resets_and_disables_accounts(app, session):
    make_user("admin", username="boss")
    inst = make_institution(name="乙孵化器")
    session.commit()
    admin = client_for(app, "boss")
    page = admin.get("/admin/users/new").get_data(as_text=True)
    assert "新建账号" in page

    response = admin.post("/admin/users/new", data={"username": "yiyi", "role": "institution", "institution": "",
                                                    "password": "a long enough secret", "confirm": "a long enough secret"})
    assert response.status_code == 422
    assert "机构账号必须绑定一个机构" in response.get_data(as_text=True)
    assert _user("yiyi") is None

    response = admin.post("/admin/users/new", data={"username": "yiyi", "role": "institution", "institution": inst.uscc,
                                                    "password": "a long enough secret", "confirm": "a long enough secret"})
    assert response.status_code == 302
    yi = _user("yiyi")
    assert yi.institution_id == inst.id

    own_client = client_for(app, "yiyi", "a long enough secret")
    assert own_client.get("/reviews/my-results").status_code == 200

    # a role change ends the account's sessions everywhere
    admin.post(f"/admin/users/{yi.id}", data={"role": "reviewer", "institution": "", "display_name": "乙"})
    assert _user("yiyi").role is Role.REVIEWER
    assert own_client.get("/reviews/my-results").status_code == 302  # back to the login page

    admin.post(f"/admin/users/{yi.id}/password", data={"password": "the new long secret", "confirm": "the new long secret"})
    assert login(app.test_client(), "yiyi").status_code == 401
    assert login(app.test_client(), "yiyi", "the new long secret").status_code == 302

    admin.post(f"/admin/users/{yi.id}/enabled", data={"enabled": "0"})
    assert _user("yiyi").is_enabled is False
    assert login(app.test_client(), "yiyi", "the new long secret").status_code == 401


def test_admin_cannot_disable_or_demote_themselves(app, session):
    boss = make_user("admin", username="boss")
    session.commit()
    admin = client_for(app, "boss")
    response = admin.post(f"/admin/users/{boss.id}/enabled", data={"enabled": "0"}, follow_redirects=True)
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    response = admin.post(f"/admin/users/{boss.id}", data={"role": "reviewer", "institution": ""})
    assert response.status_code == 422
    assert _user("boss").role is Role.ADMIN and _user("boss").is_enabled


def test_log_out_everywhere_ends_other_sessions(app, session):
    make_user("admin", username="boss")
    rev = make_user("reviewer", username="rev")
    session.commit()
    first, second = client_for(app, "rev"), client_for(app, "rev")
    assert first.get("/reviews/").status_code == 200
    client_for(app, "boss").post(f"/admin/users/{rev.id}/sessions")
    assert first.get("/reviews/").status_code == 302
    assert second.get("/reviews/").status_code == 302
    assert client_for(app, "rev").get("/reviews/").status_code == 200  # a new login works


# --- throttling: tests/registry/test_login_throttle.py ---------------------------------------


# --- CSRF and cookies -----------------------------------------------------------------------


@pytest.fixture
def csrf_app(tmp_path):
    from tests.conftest import _database_url, reset_schema

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
                      "SHOW_DEMO_BANNER": False, "SESSION_COOKIE_SECURE": True})
    add_stand_ins(app)
    with app.app_context():
        reset_schema()
        make_user("admin", username="boss")
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_forged_post_without_token_is_refused_and_changes_nothing(csrf_app):
    client = csrf_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # Secure cookies travel over HTTPS only
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/auth/login", data={"username": "boss", "password": "correct horse battery",
                                                "csrf_token": token})
    assert response.status_code == 302
    forged = client.post("/admin/users/new", data={"username": "mallory", "role": "admin",
                                                   "password": "a long enough secret", "confirm": "a long enough secret"})
    assert forged.status_code == 400
    assert "表单已过期或并非从本站提交" in forged.get_data(as_text=True)
    with csrf_app.app_context():
        assert _user("mallory") is None


def test_session_cookie_is_httponly_samesite_and_secure_when_configured(csrf_app):
    client = csrf_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # Secure cookies travel over HTTPS only
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/auth/login", data={"username": "boss", "password": "correct horse battery",
                                                "csrf_token": token})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie and "Expires=" in cookie


# --- expiry and tampering -------------------------------------------------------------------


def test_idle_session_expires(app, session):
    make_user("reviewer", username="rev")
    session.commit()
    client = client_for(app, "rev")
    with client.session_transaction() as s:
        s["seen_at"] = int(time.time()) - int(app.config["SESSION_IDLE_TIMEOUT"].total_seconds()) - 5
    response = client.get("/reviews/", follow_redirects=True)
    assert "会话已过期" in response.get_data(as_text=True)
    assert response.request.path == "/auth/login"


def test_session_older_than_its_lifetime_expires_even_when_active(app, session):
    make_user("reviewer", username="rev")
    session.commit()
    client = client_for(app, "rev")
    with client.session_transaction() as s:
        s["login_at"] = int(time.time()) - int(app.permanent_session_lifetime.total_seconds()) - 5
    assert client.get("/reviews/").status_code == 302


def test_tampered_session_cookie_is_anonymous(app, session):
    make_user("reviewer", username="rev")
    session.commit()
    client = client_for(app, "rev")
    cookie = client.get_cookie("session")
    payload, _, signature = cookie.value.rpartition(".")
    client.set_cookie("session", payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:])
    response = client.get("/reviews/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_session_signed_with_another_key_is_rejected(app, session):
    """A cookie minted with a guessed key (here: the development key) carries no identity."""
    from flask.sessions import SecureCookieSessionInterface

    rev = make_user("reviewer", username="rev")
    session.commit()
    forged_app = create_app({"TESTING": True, "SECRET_KEY": "dev", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                             "AUTO_MIGRATE": False})
    serializer = SecureCookieSessionInterface().get_signing_serializer(forged_app)
    now = int(time.time())
    value = serializer.dumps({"_user_id": f"{rev.id}:1", "_fresh": True, "login_at": now, "seen_at": now})
    client = app.test_client()
    client.set_cookie("session", value)
    assert client.get("/reviews/").status_code == 302


