"""Statistics: year-end counts derived from dated recognitions, and progress against the plan's targets."""

from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/stats")

from registry.stats import summary, views  # noqa: E402,F401
