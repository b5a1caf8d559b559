"""Shared fixtures: a fresh app and database per test, on SQLite or on PostgreSQL.

Set FUHUA_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the
suite on PostgreSQL. Commits are real: all-or-nothing behaviour is what many tests check.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, request_started
from flask.testing import FlaskClient

from registry import create_app
from registry.extensions import db


def _database_url(tmp_path: Path) -> str:
    from registry.config import Config  # noqa: F401 — imported for symmetry with the app

    url = os.environ.get("FUHUA_TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


def reset_schema() -> None:
    """Drop everything (including tables other tests' models left behind) and create the schema."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    else:
        db.drop_all()
    db.create_all()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
        "SHOW_DEMO_BANNER": False,
    })
    with app.app_context():
        reset_schema()
        from registry.reference_data import ensure_reference_data

        ensure_reference_data()
        db.session.commit()
    # Requests made while a test holds an app context (the `session` fixture) would share that
    # context's `g`, so Flask-Login would keep the first request's user for every later request.
    # In production each request has a fresh `g`; give each test request one too.
    request_started.connect(_fresh_request_globals, app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _fresh_request_globals(sender: Flask, **_extra: object) -> None:
    from flask import g

    for name in ("_login_user", "fuhua_actor"):
        g.pop(name, None)
    db.session.expire_all()  # no stale rows from the previous request's identity map


@pytest.fixture
def session(app: Flask) -> Iterator:
    """The database session inside an app context; use for direct model assertions."""
    with app.app_context():
        yield db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    """A client logged in as a bureau administrator."""
    from tests.factories import login, make_user

    with app.app_context():
        make_user("admin", username="staff")
        db.session.commit()
    client = app.test_client()
    assert login(client, "staff").status_code == 302
    return client
