"""The registry: list, detail, create and edit institutions; recognitions, status and tenants."""

from flask import Blueprint

bp = Blueprint("institutions", __name__, url_prefix="/institutions")

from registry.institutions import views  # noqa: E402,F401
from registry.institutions import downloads  # noqa: E402,F401
