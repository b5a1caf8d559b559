"""Exports: count tables as .xlsx, .csv and .json downloads (and `fuhua export`)."""

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/exports")

from registry.exports import views  # noqa: E402,F401
