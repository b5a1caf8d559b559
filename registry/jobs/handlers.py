"""What each kind of job does. A handler gets the Job and a progress reporter and returns
(result dict, summary message); it flushes, the runner commits or rolls back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.models import Job

Handler = Callable[[Job, Callable[[int, str], Any]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}

ASSESSMENT_RUN = "assessment_run"


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


@handler(ASSESSMENT_RUN)
def assessment_run(job: Job, progress: Callable[[int, str], Any]) -> dict[str, Any]:
    """One immutable assessment run (registry.assessments.operations.run_assessment), credited to
    the account that started the job (or the command's label)."""
    from registry.assessments.operations import run_assessment
    from registry.extensions import db
    from registry.models import User

    params = job.params or {}
    user = db.session.get(User, job.started_by_id) if job.started_by_id else None
    summary = run_assessment(int(params["year"]), category=params.get("category") or None, started_by=user,
                             label=None if user is not None else job.started_by_label, note=params.get("note"),
                             progress=progress)
    run = summary.run
    return {
        "run_id": run.id, "year": run.year, "result_count": run.result_count,
        "by_grade": {str(k or "none"): v for k, v in summary.by_grade.items()},
        "by_recommendation": {str(k or "none"): v for k, v in summary.by_recommendation.items()},
        "skipped": dict(summary.skipped), "incomplete": summary.incomplete,
        "seconds": round(sum(summary.timings.values()), 2),
    }
