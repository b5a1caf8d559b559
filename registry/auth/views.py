from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from registry.auth import bp
from registry.auth.forms import LoginForm
from registry.auth.operations import LoginRefused, authenticate, end_sessions
from registry.audit import remember_request_user
from registry.extensions import db, limiter
from registry.security import start_session

#: a browser that logged into an account keeps this signed cookie (usernames, newest first), so
#: strangers failing on that account from elsewhere do not slow its owner down
DEVICE_COOKIE = "fuhua_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
DEVICE_ACCOUNTS = 5


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="fuhua-known-device")


def _known_accounts() -> list[str]:
    try:
        names = _device_signer().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _remember_device(response: Response, username: str) -> None:
    names = [username.lower()] + [n for n in _known_accounts() if n != username.lower()]
    response.set_cookie(DEVICE_COOKIE, _device_signer().dumps(names[:DEVICE_ACCOUNTS]), max_age=DEVICE_MAX_AGE,
                        httponly=True, samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so ?next= cannot send users elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("institutions.index")


def _clear_session() -> None:
    """Drop everything but the language choice."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("institutions.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = (form.username.data or "").strip()
        try:
            user = authenticate(username, form.password.data, ip=request.remote_addr,
                                known_device=username.lower() in _known_accounts())
        except LoginRefused as refused:
            db.session.commit()  # keep the failure count
            if refused.reason == "wait":  # the same words whether or not the account exists
                flash(_("Too many failed logins. Please wait %(seconds)s seconds and try again.",
                        seconds=refused.retry_after), "danger")
                response = make_response(render_template("auth/login.html", form=form), 429)
                response.headers["Retry-After"] = str(refused.retry_after)
                return response
            flash(_("Wrong username or password."), "danger")
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        _clear_session()  # no pre-login session data survives into the authenticated session
        login_user(user)
        start_session()
        remember_request_user(user)
        response = redirect(_safe_next(request.args.get("next")))
        _remember_device(response, user.username)
        return response
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session on the server too: a copy of the cookie (another tab, a shared computer's
    cache, a stolen cookie) carries the old session version and is refused from now on."""
    end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    _clear_session()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))
