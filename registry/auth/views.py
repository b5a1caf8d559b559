from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from registry.auth import bp
from registry.auth.forms import LoginForm
from registry.auth.operations import LoginRefused, authenticate
from registry.audit import remember_request_user
from registry.extensions import db
from registry.security import start_session


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
def login():
    if current_user.is_authenticated:
        return redirect(url_for("institutions.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, ip=request.remote_addr)
        except LoginRefused as refused:
            db.session.commit()  # keep the failure count
            if refused.reason == "throttled":
                flash(_("Too many failed logins from your address. Please wait a few minutes and try again."),
                      "danger")
                return render_template("auth/login.html", form=form), 429
            if refused.reason == "locked":
                flash(_("Too many failed attempts: this account is locked for a while. Try again later."), "danger")
            else:
                flash(_("Wrong username or password."), "danger")
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        _clear_session()  # no pre-login session data survives into the authenticated session
        login_user(user)
        start_session()
        remember_request_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    _clear_session()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))
