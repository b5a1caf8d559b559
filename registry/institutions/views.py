"""Registry pages: list, detail, firm path; admin forms for institutions, recognitions, status, tenants.

Views load through registry.access (scoped queries), validate with a form, call one operation,
commit once and redirect. A RegistryError is shown on its field, nothing is written (rollback),
and the form comes back with 422.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from registry.access import admin_required, get_institution_or_404, institution_scope, institutions_query, sees_all_institutions
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.institutions import bp, operations
from registry.institutions.forms import (
    EndRecognitionForm,
    EndTenancyForm,
    InstitutionForm,
    NewInstitutionForm,
    RecognitionForm,
    RegistryFilterForm,
    StatusChangeForm,
    TenancyForm,
    enum_choices,
    subclass_map,
)
from registry.institutions.queries import (
    FLAG_COLUMNS,
    NO_LEVEL,
    SORT_KEYS,
    RegistryFilters,
    current_tenants_select,
    firm_path_select,
    levels_in_force,
    past_tenants_select,
    registry_count_select,
    registry_ids_select,
    registry_rows_select,
    tenant_counts,
)
from registry.i18n import town_name
from registry.labels import label_for
from registry.models import (
    CarrierType,
    Firm,
    Institution,
    Level,
    Recognition,
    Status,
    Subclass,
    Tenancy,
    Town,
    Zone,
)

#: ids in URLs are bounded so a huge number is a plain 404, never a database overflow
ID = "id"
#: beyond this a page number is certainly past the end; it is clamped before any OFFSET is computed
MAX_PAGE = 100_000
TENANTS_PER_PAGE = 20

#: reasons the operations record as codes on status changes
_STATUS_REASON_CODES = {"registered": _l("Registered in the registry"), "recognised": _l("Recognition recorded")}


# ---------------------------------------------------------------------------------------------- helpers

def render_error(err: RegistryError) -> str:
    """A RegistryError in the user's language, with enum codes shown as their labels."""
    params: dict[str, Any] = {}
    for key, value in err.params.items():
        if value is None:
            value = ""
        elif isinstance(value, enum.Enum) or key in ("level", "current") or (key == "value" and err.field == "status"):
            value = label_for(value)
        elif isinstance(value, date):
            value = value.isoformat()
        params[key] = value
    return _(err.message, **params)


def attach_error(form, err: RegistryError, aliases: dict[str, str] | None = None) -> None:  # noqa: ANN001
    """Show a RegistryError on the field it names, or above the form when no field matches."""
    name = (aliases or {}).get(err.field or "", err.field or "")
    target = form._fields.get(name)
    message = render_error(err)
    if isinstance(target, Field):
        target.errors = [*target.errors, message]
    else:
        form.form_errors.append(message)
    form._errors = None  # WTForms caches form.errors; recompute with the new message


def _int_arg(name: str, default: int = 1) -> int:
    """A positive page number from the query string; anything else is the first page."""
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, 1), MAX_PAGE)


def _paginate(stmt, page: int, per_page: int):  # noqa: ANN001, ANN202
    """db.paginate, but a page past the end shows the last page instead of an empty one."""
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if pagination.pages and page > pagination.pages:
        pagination = db.paginate(stmt, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination


class _RegistryPage(Pagination):
    """A page of the registry list: counted first (so a page past the end is clamped before any
    row is read), then cut from the ordered ids, then the page's rows loaded by id."""

    def _query_items(self) -> list[Institution]:
        ids_stmt = self._query_args["ids"].limit(self.per_page).offset(self._query_offset)
        ids = list(db.session.scalars(ids_stmt))
        if not ids:
            return []
        rows = {inst.id: inst for inst in db.session.scalars(registry_rows_select(ids))}
        return [rows[i] for i in ids if i in rows]

    def _query_count(self) -> int:
        return self._query_args["total"]


def _registry_page(filters: RegistryFilters, page: int, per_page: int, on: date) -> _RegistryPage:
    base = institutions_query()
    total = db.session.scalar(registry_count_select(filters, base=base, on=on)) or 0
    last = max(1, -(-total // per_page))
    return _RegistryPage(page=min(page, last), per_page=per_page, max_per_page=None, error_out=False,
                         ids=registry_ids_select(filters, base=base, on=on), total=total)


def _towns() -> list[Town]:
    return list(db.session.scalars(select(Town).order_by(Town.sort_order, Town.id)))


def _town_choices() -> list[tuple[str, str]]:
    return [SelectChoice("", "")] + [SelectChoice(str(t.id), town_name(t)) for t in _towns()]


def _level_choices(category: CarrierType | None) -> list[tuple[str, Any]]:
    levels = [lv for lv in Level
              if not (lv is Level.NATIONAL_FILED and category not in (None, CarrierType.MAKER_SPACE))
              and not (lv is Level.NATIONAL_CANDIDATE and category not in (None, CarrierType.INCUBATOR))]
    return enum_choices(levels, blank="")


def _load_recognition(inst: Institution, recognition_id: int) -> Recognition:
    rec = db.session.scalar(select(Recognition).where(Recognition.id == recognition_id,
                                                      Recognition.institution_id == inst.id))
    if rec is None:
        abort(404)
    return rec


def _load_tenancy(inst: Institution, tenancy_id: int) -> Tenancy:
    tenancy = db.session.scalar(select(Tenancy).where(Tenancy.id == tenancy_id, Tenancy.carrier_id == inst.id))
    if tenancy is None:
        abort(404)
    return tenancy


# ---------------------------------------------------------------------------------------------- list

def _filters_from(form: RegistryFilterForm) -> tuple[RegistryFilters, list[str]]:
    """Filters from the validated GET form; fields that did not validate are dropped and named."""
    bad = set(form.errors)
    ignored = [str(form[name].label.text) for name in form.errors if name in form._fields]

    def value(name: str) -> str | None:
        return None if name in bad else (form[name].data or None)

    town = value("town")
    zone = value("zone")
    status = value("status")
    category = value("category")
    sort = request.args.get("sort", "name")
    if sort not in SORT_KEYS:
        ignored.append(str(_l("Sort order")))
        sort = "name"
    if "page" in request.args and not request.args["page"].strip().isdigit():
        ignored.append(str(_l("Page")))
    filters = RegistryFilters(
        q=value("q"),
        category=CarrierType(category) if category else None,
        subclass=value("subclass"),
        level=value("level"),
        status=Status(status) if status else None,
        town_id=int(town) if town else None,
        zone_id=int(zone) if zone else None,
        flags=tuple(name for name in FLAG_COLUMNS if form[name].data),
        sort=sort,
        descending=request.args.get("dir") == "desc",
    )
    return filters, ignored


def registry_filter_form() -> RegistryFilterForm:
    """The list's filter form read from the query string (shared by the page and its xlsx download)."""
    form = RegistryFilterForm(formdata=request.args)
    form.category.choices = enum_choices(CarrierType, blank=_l("All"))
    form.subclass.choices = enum_choices(Subclass, blank=_l("All"))
    form.level.choices = enum_choices(Level, blank=_l("All")) + [SelectChoice(NO_LEVEL, _l("No recognition in force"))]
    form.status.choices = enum_choices(Status, blank=_l("All"))
    form.town.choices = [SelectChoice("", _l("All"))] + [SelectChoice(str(t.id), town_name(t)) for t in _towns()]
    form.zone.choices = [SelectChoice("", _l("All"))] + [SelectChoice(str(z.id), z.name) for z in db.session.scalars(
        select(Zone).order_by(Zone.id))]
    form.validate()
    return form


@bp.route("/")
@login_required
def index():
    form = registry_filter_form()
    filters, ignored = _filters_from(form)
    today = date.today()
    pagination = _registry_page(filters, _int_arg("page"), current_app.config["PAGE_SIZE"], today)
    levels = levels_in_force((i.id for i in pagination.items), today)
    return render_template("institutions/index.html", form=form, page=pagination, levels=levels,
                           filters=filters, ignored=ignored, today=today)


# ---------------------------------------------------------------------------------------------- detail

def _timeline(inst: Institution) -> list[dict[str, Any]]:
    """Recognitions (start and end) and status changes merged in date order."""
    events: list[dict[str, Any]] = []
    for rec in inst.recognitions:
        events.append({"on": rec.effective_from, "kind": "recognised", "recognition": rec, "order": 1})
        if rec.ended_on is not None:
            events.append({"on": rec.ended_on, "kind": "recognition_ended", "recognition": rec, "order": 0})
    for change in inst.status_changes:
        reason = _STATUS_REASON_CODES.get(change.reason or "", change.reason)
        events.append({"on": change.effective_on, "kind": "status", "change": change, "reason": reason, "order": 2})
    events.sort(key=lambda e: (e["on"], e["order"]))
    return events


@bp.route(f"/<{ID}:institution_id>")
@login_required
def detail(institution_id: int):
    inst = get_institution_or_404(institution_id)
    today = date.today()
    hosts_tenants = inst.category is not CarrierType.RD_INSTITUTION
    context: dict[str, Any] = {"inst": inst, "today": today, "level": inst.level_on(today),
                               "timeline": _timeline(inst), "hosts_tenants": hosts_tenants,
                               "end_form": EndRecognitionForm()}
    if hosts_tenants:
        context["counts"] = tenant_counts(inst.id, today)
        context["current"] = _paginate(current_tenants_select(inst.id, today), _int_arg("cp"), TENANTS_PER_PAGE)
        context["past"] = _paginate(past_tenants_select(inst.id, today), _int_arg("pp"), TENANTS_PER_PAGE)
    return render_template("institutions/detail.html", **context)


@bp.route(f"/firms/<{ID}:firm_id>")
@login_required
def firm(firm_id: int):
    """A firm's path along the chain, through the carriers the user may see (a firm seen at none is a 404)."""
    found = db.get_or_404(Firm, firm_id)
    stays = list(db.session.scalars(firm_path_select(found.id).where(institution_scope())))
    partial = not sees_all_institutions()
    if partial and not stays:
        abort(404)
    return render_template("institutions/firm.html", firm=found, stays=stays, partial=partial)


# ---------------------------------------------------------------------------------------------- institution forms

def _institution_fields(form: InstitutionForm) -> dict[str, Any]:
    fields = {name: form[name].data for name in InstitutionForm.PLAIN_FIELDS}
    fields["town"] = db.session.get(Town, int(form.town.data))
    return fields


def _institution_form_data(inst: Institution) -> dict[str, Any]:
    data = {name: getattr(inst, name) for name in InstitutionForm.PLAIN_FIELDS}
    data["category"] = inst.category.value
    data["legal_form"] = inst.legal_form.value
    data["subclass"] = inst.subclass or ""
    data["town"] = str(inst.town_id)
    return data


def _render_institution_form(form: InstitutionForm, inst: Institution | None, status: int = 200):  # noqa: ANN202
    return render_template("institutions/form.html", form=form, inst=inst, subclass_map=subclass_map()), status


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = NewInstitutionForm()
    form.town.choices = _town_choices()
    if form.validate_on_submit():
        status_on = form.status_on.data or form.established_on.data or date.today()
        try:
            inst = operations.register_institution(recorded_by=current_user, status_on=status_on,
                                                   **_institution_fields(form))
        except RegistryError as err:
            db.session.rollback()
            attach_error(form, err)
            return _render_institution_form(form, None, 422)
        db.session.commit()
        flash(_("Institution “%(name)s” registered.", name=inst.name), "success")
        return redirect(url_for("institutions.detail", institution_id=inst.id))
    return _render_institution_form(form, None, 422 if form.is_submitted() else 200)


@bp.route(f"/<{ID}:institution_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(institution_id: int):
    inst = get_institution_or_404(institution_id)
    form = InstitutionForm(data=_institution_form_data(inst))
    form.town.choices = _town_choices()
    if form.validate_on_submit():
        try:
            operations.update_institution(inst, **_institution_fields(form))
        except RegistryError as err:
            db.session.rollback()
            attach_error(form, err)
            return _render_institution_form(form, db.session.get(Institution, institution_id), 422)
        db.session.commit()
        flash(_("Changes to “%(name)s” saved.", name=inst.name), "success")
        return redirect(url_for("institutions.detail", institution_id=inst.id))
    return _render_institution_form(form, inst, 422 if form.is_submitted() else 200)


# ---------------------------------------------------------------------------------------------- recognitions

@bp.route(f"/<{ID}:institution_id>/recognitions/new", methods=["GET", "POST"])
@admin_required
def add_recognition(institution_id: int):
    inst = get_institution_or_404(institution_id)
    form = RecognitionForm()
    form.level.choices = _level_choices(inst.category)
    if form.validate_on_submit():
        try:
            operations.record_recognition(
                inst, level=form.level.data, effective_from=form.effective_from.data, ended_on=form.ended_on.data,
                end_reason=form.end_reason.data or None, doc_no=form.doc_no.data, note=form.note.data or None,
                recorded_by=current_user)
        except RegistryError as err:
            db.session.rollback()
            attach_error(form, err)
            inst = db.session.get(Institution, institution_id)
            return render_template("institutions/recognition_form.html", form=form, inst=inst), 422
        db.session.commit()
        flash(_("Recognition recorded."), "success")
        return redirect(url_for("institutions.detail", institution_id=inst.id))
    status = 422 if form.is_submitted() else 200
    return render_template("institutions/recognition_form.html", form=form, inst=inst), status


@bp.route(f"/<{ID}:institution_id>/recognitions/<{ID}:recognition_id>/end", methods=["GET", "POST"])
@admin_required
def end_recognition(institution_id: int, recognition_id: int):
    inst = get_institution_or_404(institution_id)
    rec = _load_recognition(inst, recognition_id)
    form = EndRecognitionForm()
    if form.validate_on_submit():
        try:
            operations.end_recognition(rec, ended_on=form.ended_on.data, reason=form.reason.data,
                                       doc_no=form.doc_no.data, recorded_by=current_user)
        except RegistryError as err:
            db.session.rollback()
            attach_error(form, err)
            inst = db.session.get(Institution, institution_id)
            rec = db.session.get(Recognition, recognition_id)
            return render_template("institutions/end_recognition.html", form=form, inst=inst, rec=rec), 422
        db.session.commit()
        flash(_("The recognition was ended."), "success")
        return redirect(url_for("institutions.detail", institution_id=inst.id))
    status = 422 if form.is_submitted() else 200
    return render_template("institutions/end_recognition.html", form=form, inst=inst, rec=rec), status


# ---------------------------------------------------------------------------------------------- status

@bp.route(f"/<{ID}:institution_id>/status", methods=["GET", "POST"])
@admin_required
def change_status(institution_id: int):
    inst = get_institution_or_404(institution_id)
    form = StatusChangeForm()
    form.status.choices = enum_choices([s for s in Status if s is not inst.status], blank="")
    if form.validate_on_submit():
        try:
            operations.change_status(inst, form.status.data, effective_on=form.effective_on.data,
                                     reason=(form.reason.data or "").strip() or None,
                                     doc_no=(form.doc_no.data or "").strip() or None, recorded_by=current_user)
        except RegistryError as err:
            db.session.rollback()
            attach_error(form, err)
            inst = db.session.get(Institution, institution_id)
            return render_template("institutions/status_form.html", form=form, inst=inst), 422
        db.session.commit()
        flash(_("Status changed to %(status)s.", status=label_for(inst.status)), "success")
        return redirect(url_for("institutions.detail", institution_id=inst.id))
    status = 422 if form.is_submitted() else 200
    return render_template("institutions/status_form.html", form=form, inst=inst), status


# ---------------------------------------------------------------------------------------------- tenants

@bp.route(f"/<{ID}:institution_id>/tenants/new", methods=["GET", "POST"])
@admin_required
def add_tenant(institution_id: int):
    inst = get_institution_or_404(institution_id)
    form = TenancyForm()
    if form.validate_on_submit():
        try:
            found = operations.get_or_create_firm(name=form.firm_name.data, uscc=form.firm_uscc.data)
            operations.add_tenancy(inst, found, entered_on=form.entered_on.data, exited_on=form.exited_on.data,
                                   exit_reason=form.exit_reason.data or None,
                                   graduation_criterion=form.graduation_criterion.data or None)
        except RegistryError as err:
            db.session.rollback()
            attach_error(form, err)
            inst = db.session.get(Institution, institution_id)
            return render_template("institutions/tenant_form.html", form=form, inst=inst), 422
        firm_name = found.name
        db.session.commit()
        if firm_name != form.firm_name.data.strip():
            flash(_("The credit code belongs to “%(name)s”, already in the registry; that firm was used.",
                    name=firm_name), "warning")
        flash(_("Tenant “%(name)s” added.", name=firm_name), "success")
        return redirect(url_for("institutions.detail", institution_id=inst.id))
    status = 422 if form.is_submitted() else 200
    return render_template("institutions/tenant_form.html", form=form, inst=inst), status


@bp.route(f"/<{ID}:institution_id>/tenants/<{ID}:tenancy_id>/end", methods=["GET", "POST"])
@admin_required
def end_tenancy(institution_id: int, tenancy_id: int):
    inst = get_institution_or_404(institution_id)
    tenancy = _load_tenancy(inst, tenancy_id)
    form = EndTenancyForm()
    if form.validate_on_submit():
        try:
            operations.end_tenancy(tenancy, exited_on=form.exited_on.data, exit_reason=form.exit_reason.data,
                                   graduation_criterion=form.graduation_criterion.data or None)
        except RegistryError as err:
            db.session.rollback()
            attach_error(form, err)
            inst = db.session.get(Institution, institution_id)
            tenancy = db.session.get(Tenancy, tenancy_id)
            return render_template("institutions/end_tenancy.html", form=form, inst=inst, tenancy=tenancy), 422
        db.session.commit()
        flash(_("The tenancy was ended."), "success")
        return redirect(url_for("institutions.detail", institution_id=inst.id))
    status = 422 if form.is_submitted() else 200
    return render_template("institutions/end_tenancy.html", form=form, inst=inst, tenancy=tenancy), status


def root():
    return redirect(url_for("institutions.index"))


bp.record_once(lambda state: state.app.add_url_rule("/", "root", root))
