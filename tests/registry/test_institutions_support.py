"""Shared fixtures and helpers for the registry page tests (imported by test_institutions*.py)."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.extensions import db
from tests.factories import login, make_institution, make_user


@pytest.fixture(autouse=True)
def stats_placeholder(app: Flask) -> None:
    """base.html links to stats.index, built on another branch; stand in for it until the merge."""
    if "stats.index" not in app.view_functions:
        app.add_url_rule("/stats/", "stats.index", lambda: "statistics")


def client_as(app: Flask, role: str, institution_id: int | None = None) -> FlaskClient:
    """A client logged in through the real login form with a fresh account of `role`."""
    with app.app_context():
        from registry.models import Institution

        inst = db.session.get(Institution, institution_id) if institution_id else None
        user = make_user(role, institution=inst)
        username = user.username
        db.session.commit()
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def alerts(response) -> list[str]:  # noqa: ANN001
    """The error messages shown next to fields or above the form (role=alert), unescaped."""
    text = response.get_data(as_text=True)
    return [html.unescape(m.strip()) for m in re.findall(r'<div class="error" role="alert">([^<]*)</div>', text)] + \
        [html.unescape(m.strip()) for m in re.findall(r'role="alert">[^<]*\n\s*<div>([^<]*)</div>', text)]


def listed_ids(response) -> list[int]:  # noqa: ANN001
    """Institution ids in the order the list page shows them."""
    return [int(i) for i in re.findall(r'<td><a href="/institutions/(\d+)">', response.get_data(as_text=True))]


def count(model) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(model))


def institution(**overrides):  # noqa: ANN003, ANN201
    """An institution established in 2010 and in the registry since then (so history can be backfilled)."""
    overrides.setdefault("established_on", date(2010, 1, 1))
    overrides.setdefault("status_on", overrides["established_on"])
    return make_institution(**overrides)
