from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from importers.safe_cells import append_row, csv_row
from registry.access import admin_required
from registry.admin import bp
from registry.admin.audit_view import entry_views, raw_entry
from registry.admin.forms import ActionForm, AuditFilterForm, PasswordForm, UserCreateForm, UserEditForm
from registry.audit import AUDITED_TABLES
from registry.auth import operations as accounts
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.inputs import DB_INT_MAX, db_int
from registry.labels import term
from registry.models import AuditEntry, Institution, User

#: marks a message for extraction (tools/i18n.sh); RegistryError.render() translates it when shown
N_ = str


def _form_error(form, error: RegistryError) -> None:  # noqa: ANN001
    target = getattr(form, error.field or "", None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.render()]
    else:
        flash(error.render(), "danger")


def _institution(form, name: str) -> Institution | None:  # noqa: ANN001
    raw = (getattr(form, name).data or "").strip()
    if not raw:
        return None
    found = accounts.find_institution(raw)
    if found is None:
        raise RegistryError(name, N_("No institution has the credit code or id “%(value)s”."), raw)
    return found


@bp.route("/users")
@admin_required
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(username=form.username.data, role=form.role.data, password=form.password.data,
                                        institution=_institution(form, "institution"),
                                        affiliation=_institution(form, "affiliation"),
                                        display_name=form.display_name.data)
        except RegistryError as error:
            db.session.rollback()
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_new.html", form=form), 422 if form.errors else 200


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = _get_user(user_id)
    form = UserEditForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.role.data = user.role.value
        form.institution.data = user.institution.uscc if user.institution else ""
        form.affiliation.data = user.affiliation.uscc if user.affiliation else ""
    if form.validate_on_submit():
        try:
            accounts.update_user(user, role=form.role.data, institution=_institution(form, "institution"),
                                 affiliation=_institution(form, "affiliation"), display_name=form.display_name.data,
                                 acting=current_user)
        except RegistryError as error:
            db.session.rollback()
            user = _get_user(user_id)
            _form_error(form, error)
        else:
            db.session.commit()
            flash(_("Account %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_edit.html", user=user, form=form, password_form=PasswordForm(),
                           action=ActionForm()), 422 if form.errors else 200


@bp.route("/users/<id:user_id>/password", methods=["POST"])
@admin_required
def user_password(user_id: int):
    user = _get_user(user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "danger")
        else:
            db.session.commit()
            flash(_("The password of %(name)s was reset; the account's sessions have ended.", name=user.username),
                  "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    else:
        for errors in form.errors.values():
            for e in errors:
                flash(e, "danger")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.route("/users/<id:user_id>/enabled", methods=["POST"])
@admin_required
def user_enabled(user_id: int):
    user = _get_user(user_id)
    if ActionForm().validate_on_submit():
        enable = request.form.get("enabled") == "1"
        try:
            accounts.set_enabled(user, enable, acting=current_user)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "danger")
        else:
            db.session.commit()
            flash(_("Account enabled.") if enable else _("Account disabled; its sessions have ended."), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.route("/users/<id:user_id>/sessions", methods=["POST"])
@admin_required
def user_sessions(user_id: int):
    user = _get_user(user_id)
    if ActionForm().validate_on_submit():
        accounts.end_sessions(user)
        db.session.commit()
        flash(_("%(name)s has been logged out everywhere.", name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


# --- audit log ------------------------------------------------------------------------------


def _audit_query(form: AuditFilterForm):  # noqa: ANN202
    stmt = select(AuditEntry)
    entry = request.args.get("entry", type=db_int)
    if entry:
        stmt = stmt.where(AuditEntry.id == entry)
    if form.table.data:
        stmt = stmt.where(AuditEntry.table_name == form.table.data)
    if form.record.data:
        stmt = stmt.where(AuditEntry.record_id == form.record.data.strip())
    if form.user.data:
        who = form.user.data.strip()
        named = select(User.id).where(or_(User.display_name.ilike(f"%{who}%"), User.username.ilike(f"%{who}%")))
        cond = or_(AuditEntry.actor_label.ilike(f"%{who}%"), AuditEntry.actor_id.in_(named))
        if who.isdigit() and int(who) <= DB_INT_MAX:
            cond = or_(cond, AuditEntry.actor_id == int(who))
        stmt = stmt.where(cond)
    if form.date_from.data:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(form.date_from.data, time.min) - timedelta(hours=8))
    if form.date_to.data:
        stmt = stmt.where(AuditEntry.at < datetime.combine(form.date_to.data, time.min) + timedelta(hours=16))
    return stmt


def _audit_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.table.choices = [SelectChoice("", _("All tables"))] + sorted(
        (SelectChoice(t, term("table", t)) for t in AUDITED_TABLES), key=lambda c: c.label)
    form.validate()
    return form


@bp.route("/audit")
@admin_required
def audit():
    form = _audit_form()
    page = db.paginate(_audit_query(form).order_by(AuditEntry.id.desc()), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    return render_template("admin/audit.html", form=form, page=page, entries=entry_views(page.items))


EXPORT_COLUMNS = ("id", "at", "actor_id", "actor_label", "action", "table_name", "record_id", "before", "after",
                  "prev_hash", "hash")


def _export_rows(form: AuditFilterForm):  # noqa: ANN202
    stmt = _audit_query(form).order_by(AuditEntry.id).execution_options(yield_per=2000)
    result = db.session.scalars(stmt)
    try:
        yield from (_export_row(e) for e in result)
    finally:
        result.close()


def _export_row(e: AuditEntry) -> list:
    import json

    return [e.id, e.at.isoformat() + "Z", e.actor_id, e.actor_label, e.action, e.table_name, e.record_id,
            None if e.before is None else json.dumps(e.before, ensure_ascii=False, sort_keys=True),
            None if e.after is None else json.dumps(e.after, ensure_ascii=False, sort_keys=True),
            e.prev_hash, e.hash]


@bp.route("/audit/export")
@admin_required
def audit_export():
    form = _audit_form()
    fmt = request.args.get("format", "csv")
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("audit")
        ws.append(list(EXPORT_COLUMNS))
        for row in _export_rows(form):
            append_row(ws, row)  # names and record text are people's input: never formulas
        out = io.BytesIO()
        wb.save(out)
        return Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=audit-{stamp}.xlsx"})
    if fmt == "json":
        import json

        entries = db.session.scalars(_audit_query(form).order_by(AuditEntry.id).limit(10_000))
        body = json.dumps([raw_entry(e) for e in entries], ensure_ascii=False, indent=1, sort_keys=True)
        return Response(body, mimetype="application/json; charset=utf-8")
    if fmt != "csv":
        abort(404)
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(csv_row(row) for row in _export_rows(form))
    return Response(buf.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=audit-{stamp}.csv"})


