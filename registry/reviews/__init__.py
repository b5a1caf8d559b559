"""Review rounds: assignments, conflicts of interest, scoring sheets, aggregation, sign-off."""

from flask import Blueprint

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
