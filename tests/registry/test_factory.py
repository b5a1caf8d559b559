"""The app factory: configuration sources and refusal of unsafe defaults."""

from __future__ import annotations

import pytest

from registry import create_app


def test_testing_config_applied(app):
    assert app.testing
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"


def test_refuses_dev_secret_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("FUHUA_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="FUHUA_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}", "AUTO_MIGRATE": False})


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FUHUA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    app = create_app({"TESTING": True, "AUTO_MIGRATE": False})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_security_headers_and_chinese_default(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "登录" in response.get_data(as_text=True)


def test_english_available(client):
    response = client.get("/auth/login?lang=en")
    assert "Log in" in response.get_data(as_text=True)


def test_unknown_page_is_friendly_404_in_chinese(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
