"""assessments blueprint: runs, results with their explanations, recommendations, gap lists."""

from flask import Blueprint
from sqlalchemy import event

from registry.models import AssessmentResult, AssessmentRun

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


def _immutable(mapper, connection, target) -> None:  # noqa: ANN001
    raise RuntimeError(f"{type(target).__name__} #{target.id} is immutable: re-scoring creates a new run")


# stored runs and results are never changed or removed through the ORM (style.md §G)
for _model in (AssessmentRun, AssessmentResult):
    event.listen(_model, "before_update", _immutable)
    event.listen(_model, "before_delete", _immutable)

from registry.assessments import run_jobs, views  # noqa: E402,F401
from registry.assessments import downloads  # noqa: E402,F401
