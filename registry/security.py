"""Security headers, session expiry, the session's user loader, and login throttling settings.

Sessions: the cookie is HttpOnly and SameSite=Lax; set FUHUA_SESSION_COOKIE_SECURE=true when
served over HTTPS. A login makes the session permanent, so it expires after
PERMANENT_SESSION_LIFETIME (Flask also refuses older signed cookies), and it ends after
SESSION_IDLE_TIMEOUT without a request. A cookie that was tampered with fails its signature and
the request is anonymous.

Throttling (registry.auth.operations): failed logins make the next attempt wait, growing per
username and address, per address and per username; login POSTs are also rate-limited per
address (Flask-Limiter). Behind a reverse proxy set FUHUA_TRUSTED_PROXIES (ProxyFix, in
registry.create_app) so the address is the client's.
"""

from __future__ import annotations

import time

from flask import Flask, Request, Response, flash, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user

from registry.extensions import db, login_manager

#: no inline script anywhere: pages load /static/*.js files
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class TokenApiSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions, except under /api/: there the cookie is neither read nor (re)set, so a
    logged-in browser's session grants nothing to the API and API answers never carry a cookie."""

    def open_session(self, app: Flask, request: Request):  # noqa: ANN201
        if request.path.startswith(API_PREFIX):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response: Response) -> None:  # noqa: ANN001
        from flask import request

        if request.path.startswith(API_PREFIX):
            return
        super().save_session(app, session, response)


API_PREFIX = "/api/"


def init_app(app: Flask) -> None:
    from registry import audit

    audit.install()
    app.session_interface = TokenApiSessionInterface()

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static" and current_user.is_authenticated:
            # pages for a signed-in user must not stay in a browser's or proxy's cache after logout
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response

    @app.before_request
    def _expire_sessions() -> None:
        if "_user_id" not in session:
            return
        now = int(time.time())
        login_at = session.get("login_at")
        seen_at = session.get("seen_at")
        lifetime = app.permanent_session_lifetime.total_seconds()
        idle = app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
        if (not isinstance(login_at, int) or not isinstance(seen_at, int)
                or now - login_at > lifetime or now - seen_at > idle):
            logout_user()
            session.clear()
            from flask_babel import gettext as _

            flash(_("Your session has expired. Please log in again."), "info")
            return
        session["seen_at"] = now


def start_session() -> None:
    """Call right after login_user: the session expires by lifetime and by idleness from now."""
    now = int(time.time())
    session.permanent = True
    session["login_at"] = now
    session["seen_at"] = now


@login_manager.user_loader
def load_user(user_id: str):  # noqa: ANN201
    """Sessions carry "id:session_version"; a bumped version (password change, lock) logs the session out."""
    from registry.audit import remember_request_user
    from registry.models import User

    try:
        raw_id, raw_version = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or str(user.session_version) != raw_version or not user.is_enabled:
        return None
    remember_request_user(user)
    return user

