"""The administrator's page for API tokens: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from registry.access import admin_required
from registry.api import tokens as ops
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import ApiToken

bp = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")

#: ids in URLs are bounded so a huge number is a plain 404
ID = "id"  # registry.inputs: the bounded id converter


class TokenForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=120)])


class RevokeForm(FlaskForm):
    pass


@bp.route("/", methods=["GET", "POST"])
@admin_required
def index():
    form = TokenForm()
    new = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                new = ops.create_token(form.name.data, created_by=current_user)
            except RegistryError as error:
                db.session.rollback()
                form.name.errors = [error.render()]
            else:
                db.session.commit()
        else:
            form.name.errors = [_("Give the token a name that says who uses it.")]
    status = 200 if request.method == "GET" or new is not None else 422
    return render_template("api/tokens.html", form=form, tokens=ops.tokens(), new=new, revoke_form=RevokeForm()), status


@bp.route(f"/<{ID}:token_id>/revoke", methods=["POST"])
@admin_required
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        return render_template("errors/error.html", code=404, title=_("Page not found"), description=None), 404
    if RevokeForm().validate_on_submit():
        try:
            ops.revoke_token(token, label=current_user.username)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "warning")
        else:
            db.session.commit()
            flash(_("Token “%(name)s” revoked: it no longer opens the API.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
