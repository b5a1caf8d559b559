"""Warming the caches loads every shipped system and criteria file and compiles every template."""

from __future__ import annotations

import assessment
from registry.warmup import warm_caches


def test_warm_caches_loads_systems_criteria_and_templates(app):
    warm_caches(app)
    cached = app.jinja_env.cache
    assert cached is not None
    names = app.jinja_env.list_templates(extensions=("html",))
    assert names and all(any(key[1] == name for key in cached) for name in names)
    # what the engine cached is what a later call returns, without re-reading files
    category, subclass, version = assessment.all_systems()[0]
    assert assessment.load_version(category, version, subclass) is assessment.load_version(category, version, subclass)


def test_only_a_server_warms_the_caches(monkeypatch):
    """`fuhua assess run` must not compile every template at start; gunicorn and `fuhua run` do."""
    import sys

    import registry

    monkeypatch.delitem(sys.modules, "gunicorn", raising=False)
    monkeypatch.setattr(sys, "argv", ["fuhua", "assess", "run", "--year", "2020"])
    assert registry._migrating() and not registry._serving()
    monkeypatch.setattr(sys, "argv", ["fuhua", "run"])
    assert registry._serving()
    monkeypatch.setattr(sys, "argv", ["fuhua", "db", "upgrade"])
    assert not registry._migrating() and not registry._serving()
    monkeypatch.setitem(sys.modules, "gunicorn", object())
    monkeypatch.setattr(sys, "argv", ["gunicorn", "-w", "2", "registry:create_app()"])
    assert registry._migrating() and registry._serving()
