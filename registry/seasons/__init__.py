"""seasons blueprint: the annual reporting season (填报批次), its tracker and the town's first review."""

from flask import Blueprint

bp = Blueprint("seasons", __name__, url_prefix="/seasons")

from registry.seasons import views  # noqa: E402,F401
