"""assessments blueprint."""

from flask import Blueprint

bp = Blueprint("assessments", __name__, url_prefix="/assessments")
