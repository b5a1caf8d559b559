"""A run's stored times are in order: started before the work, finished after its results are stored."""

from __future__ import annotations

from datetime import datetime, timezone

from registry.assessments.operations import run_assessment
from registry.extensions import db
from registry.models import AssessmentRun
from tests.registry.assess_helpers import add_report, declared_values, recognised

INC = ("incubator", "comprehensive")


def _naive(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def test_finished_at_never_precedes_started_at(session):  # noqa: ANN001
    for _ in range(3):
        add_report(recognised(*INC), 2019, declared_values(*INC, 2019))
    session.commit()
    before = _naive(datetime.now(timezone.utc))
    run_id = run_assessment(2019, label="test").run.id
    session.commit()
    after = _naive(datetime.now(timezone.utc))
    db.session.expire_all()
    run = db.session.get(AssessmentRun, run_id)  # as stored, not as held in memory
    started, finished = _naive(run.started_at), _naive(run.finished_at)
    assert before <= started <= finished <= after, (before, started, finished, after)
