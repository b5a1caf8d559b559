"""Review rounds: assignments, conflicts of interest, scoring sheets, aggregation, sign-off."""

from flask import Blueprint

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.context_processor
def _helpers() -> dict:
    from flask import current_app

    from registry.reviews.forms import DECISION_LABELS

    return {"decision_label": lambda code: str(DECISION_LABELS.get(code, code or "—")),
            "has_result_page": "assessments.result" in current_app.view_functions}

from registry.reviews import views  # noqa: E402,F401
