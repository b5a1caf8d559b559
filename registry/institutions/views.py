from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import login_required

from registry.institutions import bp


@bp.route("/")
@login_required
def index():
    return render_template("institutions/index.html")


@bp.app_url_value_preprocessor
def _noop(endpoint, values):  # noqa: ANN001, ANN202
    return None


def root():  # registered below
    return redirect(url_for("institutions.index"))


bp.record_once(lambda state: state.app.add_url_rule("/", "root", root))
