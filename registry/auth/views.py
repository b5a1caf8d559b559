from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from registry.auth import bp
from registry.auth.forms import LoginForm
from registry.auth.operations import LoginRefused, authenticate
from registry.extensions import db


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so ?next= cannot send users elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("institutions.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("institutions.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except LoginRefused as refused:
            db.session.commit()  # keep the failure count
            if refused.reason == "locked":
                flash(_("Too many failed attempts: this account is locked for a while. Try again later."), "danger")
            else:
                flash(_("Wrong username or password."), "danger")
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))
