"""Security headers, the session's user loader, and login throttling helpers."""

from __future__ import annotations

from flask import Flask, Response

from registry.extensions import db, login_manager

#: no inline script anywhere: pages load /static/*.js files
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


@login_manager.user_loader
def load_user(user_id: str):  # noqa: ANN201
    """Sessions carry "id:session_version"; a bumped version (password change, lock) logs the session out."""
    from registry.models import User

    try:
        raw_id, raw_version = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or str(user.session_version) != raw_version or not user.is_enabled:
        return None
    return user
