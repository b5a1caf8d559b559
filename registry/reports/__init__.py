"""Self-reports: template download, upload → preview → confirm, versions, differences, duplicates."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from registry.reports import views  # noqa: E402,F401
