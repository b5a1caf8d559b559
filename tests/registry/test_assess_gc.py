"""A run switches the garbage collector off while it works, and always gives it back."""

from __future__ import annotations

import gc

import pytest

from registry.assessments import operations
from registry.assessments.operations import NoSystemInForce, run_assessment
from registry.extensions import db
from tests.registry.assess_helpers import add_report, declared_values, recognised


def test_collections_are_off_during_a_run_and_back_after(app, monkeypatch):
    seen = []
    real_evaluate = operations.evaluate

    def watching(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(operations, "evaluate", watching)
    with app.app_context():
        inst = recognised("incubator", "comprehensive", name="回收测试孵化器")
        add_report(inst, 2019, declared_values("incubator", "comprehensive", 2019))
        assert gc.isenabled()
        run_assessment(2019, label="test")
        db.session.rollback()
    assert seen and all(state == (False, True) for state in seen)  # off, with the loaded objects frozen
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_failing_run_gives_the_collector_back(app):
    with app.app_context(), pytest.raises(NoSystemInForce):
        run_assessment(1990, label="test")
    assert gc.isenabled() and gc.get_freeze_count() == 0
