"""Friendly error pages, in the user's language, for every error a user can reach."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from registry.extensions import db

bp = Blueprint("errors", __name__)

_TITLES = {
    400: _l("Bad request"),
    401: _l("Please log in"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("File too large"),
    422: _l("The submission could not be processed"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}


def _render(code: int, description: str | None = None):  # noqa: ANN202
    title = str(_TITLES.get(code, _l("Error")))
    return render_template("errors/error.html", code=code, title=title, description=description), code


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):  # noqa: ANN201
    if error.code is None or error.code < 400:
        return error
    if request.path.startswith("/api/"):
        from registry.api.views import json_http_error

        return json_http_error(error)
    description = None
    if error.code == 413:
        from flask import current_app

        limit_mb = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        description = _("Uploads are limited to %(mb)s MB.", mb=limit_mb)
    elif error.code == 400 and "CSRF" in (error.description or ""):
        description = _("The form expired or was not sent from this site. Please reload the page and try again.")
    elif error.code == 429:
        description = _("Please wait a minute and try again.")
        window = getattr(getattr(getattr(error, "limit", None), "limit", None), "get_expiry", None)
        if window is not None:  # Flask-Limiter's refusal: retry after its window
            body, code = _render(429, description)
            return body, code, {"Retry-After": str(window())}
    return _render(error.code, description)


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception):  # noqa: ANN201
    from flask import current_app

    db.session.rollback()
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    if current_app.testing and current_app.config.get("PROPAGATE_TEST_ERRORS", True):
        raise error
    if request.path.startswith("/api/"):
        from registry.api.views import json_unexpected_error

        return json_unexpected_error()
    return _render(500)
