from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from registry import access
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.inputs import db_int
from registry.labels import label_for
from registry.models import CarrierType, Institution, Role, User
from registry.models.reviews import ConflictOfInterest, ReviewAssignment, ReviewDecision, ReviewRound
from registry.reviews import bp
from registry.reviews import operations as ops
from registry.reviews.forms import (
    ActionForm,
    AssignForm,
    ConflictForm,
    DecisionForm,
    RoundForm,
    WaiveForm,
    sheet_form,
)


def _get_round(round_id: int) -> ReviewRound:
    rnd = db.session.get(ReviewRound, round_id)
    if rnd is None:
        abort(404)
    return rnd


def _flash_form_errors(form) -> None:  # noqa: ANN001
    for name, errors in form.errors.items():
        label = getattr(getattr(form, name, None), "label", None)
        for e in errors:
            flash(f"{label.text}: {e}" if label is not None else e, "danger")


@bp.route("/")
@access.staff_required
def index():
    if current_user.role is Role.ADMIN:
        rounds = db.session.scalars(select(ReviewRound).order_by(ReviewRound.year.desc(), ReviewRound.category)).all()
        form = RoundForm()
        form.category.choices = [SelectChoice(c.value, label_for(c)) for c in CarrierType]
        return render_template("reviews/index_admin.html", rounds=rounds, form=form)
    sheets = db.session.scalars(access.assignments_query().join(ReviewRound)
                                .order_by(ReviewRound.year.desc(), ReviewAssignment.id)).all()
    return render_template("reviews/index_reviewer.html", sheets=sheets, is_open=ops.is_open)


@bp.route("/rounds/new", methods=["POST"])
@access.admin_required
def round_new():
    form = RoundForm()
    form.category.choices = [SelectChoice(c.value, label_for(c)) for c in CarrierType]
    if form.validate_on_submit():
        try:
            rnd = ops.create_round(year=form.year.data, category=form.category.data, opens_on=form.opens_on.data,
                                   closes_on=form.closes_on.data, cap_per_reviewer=form.cap_per_reviewer.data,
                                   reviewers_per_institution=form.reviewers_per_institution.data)
        except RegistryError as error:
            db.session.rollback()
            target = form._fields.get(error.field or "")
            if target is None:
                flash(error.render(), "danger")
                return redirect(url_for("reviews.index"))
            target.errors = [*target.errors, error.render()]  # shown on the field, the form kept as filled in
            rounds = db.session.scalars(select(ReviewRound).order_by(ReviewRound.year.desc(), ReviewRound.category)).all()
            return render_template("reviews/index_admin.html", rounds=rounds, form=form), 422
        else:
            db.session.commit()
            flash(_("Review round created."), "success")
            return redirect(url_for("reviews.round", round_id=rnd.id))
    else:
        _flash_form_errors(form)
    return redirect(url_for("reviews.index"))


#: institutions per page of a round (a national round has thousands)
ROUND_PAGE = 50


@bp.route("/rounds/<id:round_id>")
@access.admin_required
def round(round_id: int):  # noqa: A001 — the endpoint name users see in URLs
    rnd = _get_round(round_id)
    page = max(request.args.get("page", 1, type=db_int), 1)
    total = ops.round_institution_count(rnd)
    institutions = ops.round_institutions(rnd, limit=ROUND_PAGE, offset=(page - 1) * ROUND_PAGE)
    ids = [i.id for i in institutions]
    sheets = db.session.scalars(select(ReviewAssignment).where(
        ReviewAssignment.round_id == rnd.id, ReviewAssignment.institution_id.in_(ids))
        .options(selectinload(ReviewAssignment.reviewer)).order_by(ReviewAssignment.id)).all() if ids else []
    by_inst: dict[int, list[ReviewAssignment]] = {}
    for s in sheets:
        by_inst.setdefault(s.institution_id, []).append(s)
    decisions = {d.institution_id: d for d in db.session.scalars(
        select(ReviewDecision).where(ReviewDecision.round_id == rnd.id, ReviewDecision.institution_id.in_(ids)))}
    summaries = ops.sheet_summaries(rnd, institutions, sheets)
    form = _assign_form(rnd)
    return render_template("reviews/round.html", round=rnd, institutions=institutions, by_inst=by_inst,
                           decisions=decisions, summaries=summaries, form=form, action=ActionForm(),
                           is_open=ops.is_open(rnd), page=page, pages=max((total + ROUND_PAGE - 1) // ROUND_PAGE, 1),
                           total=total)


def _assign_form(rnd: ReviewRound) -> AssignForm:
    form = AssignForm()
    reviewers = db.session.scalars(select(User).where(User.role == Role.REVIEWER, User.is_enabled.is_(True))
                                   .order_by(User.username)).all()
    form.reviewer_id.choices = [SelectChoice(u.id, u.display_name or u.username) for u in reviewers]
    return form


def _named_institution(form_field) -> Institution | None:  # noqa: ANN001
    """The institution a form names by credit code or full name, among those the user may see; else an error on the field."""
    text = (form_field.data or "").strip()
    found = db.session.scalars(access.institutions_query().where(
        or_(Institution.uscc == text.upper(), Institution.name == text)).limit(2)).all()
    if len(found) != 1:
        form_field.errors = [*form_field.errors, _("No institution has the credit code or full name “%(value)s”.", value=text)
                             if not found else _("Several institutions are named “%(value)s”: give the credit code.", value=text)]
        return None
    return found[0]


@bp.route("/rounds/<id:round_id>/assign", methods=["POST"])
@access.admin_required
def assign(round_id: int):
    rnd = _get_round(round_id)
    form = _assign_form(rnd)
    institution = _named_institution(form.institution_id) if form.validate_on_submit() else None
    if institution is not None:
        try:
            ops.assign(rnd, db.session.get(User, form.reviewer_id.data), institution, by=current_user)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "danger")
        else:
            db.session.commit()
            flash(_("Reviewer assigned."), "success")
    else:
        _flash_form_errors(form)
    return redirect(url_for("reviews.round", round_id=round_id))


@bp.route("/rounds/<id:round_id>/auto-assign", methods=["POST"])
@access.admin_required
def auto_assign(round_id: int):
    rnd = _get_round(round_id)
    if ActionForm().validate_on_submit():
        try:
            report = ops.auto_assign(rnd, by=current_user)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "danger")
        else:
            db.session.commit()
            flash(ngettext("%(num)s assignment made.", "%(num)s assignments made.", report.created), "success")
            if report.short:
                names = "、".join(f"{inst.name} ({missing})" for inst, missing in report.short)
                flash(_("Not enough eligible reviewers for: %(names)s", names=names), "warning")
    return redirect(url_for("reviews.round", round_id=round_id))


@bp.route("/assignments/<id:assignment_id>/withdraw", methods=["POST"])
@access.admin_required
def unassign(assignment_id: int):
    assignment = access.get_assignment_or_404(assignment_id)
    round_id = assignment.round_id
    if ActionForm().validate_on_submit():
        try:
            ops.unassign(assignment)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "danger")
        else:
            db.session.commit()
            flash(_("Assignment withdrawn."), "success")
    return redirect(url_for("reviews.round", round_id=round_id))


# --- scoring sheets -------------------------------------------------------------------------


def _sheet_data(assignment: ReviewAssignment, items) -> dict:  # noqa: ANN001
    data = {"version": assignment.version}
    for d in items:
        data[f"score_{d.code}"] = assignment.value(d.code)
        data[f"comment_{d.code}"] = assignment.comment(d.code)
    return data


@bp.route("/sheets/<id:assignment_id>", methods=["GET", "POST"])
@access.staff_required
def sheet(assignment_id: int):
    assignment = access.get_assignment_or_404(assignment_id)
    try:
        items = ops.sheet_items(assignment)
    except RegistryError as error:
        flash(error.render(), "danger")
        return render_template("reviews/sheet.html", assignment=assignment, form=None, items=(), editable=False,
                               conflict=None), 422
    editable = (current_user.role is Role.REVIEWER and assignment.status == "draft" and ops.is_open(assignment.round))
    form = sheet_form(items, data=_sheet_data(assignment, items))
    if request.method == "POST":
        if current_user.role is not Role.REVIEWER:
            abort(403)  # admins read sheets; only the reviewer scores
        if not form.validate_on_submit():
            return render_template("reviews/sheet.html", assignment=assignment, form=form, items=items,
                                   editable=editable, conflict=None), 422
        submit = request.form.get("action") == "submit"
        values = {d.code: form[f"score_{d.code}"].data for d in items}
        comments = {d.code: form[f"comment_{d.code}"].data or "" for d in items}
        try:
            expected = int(form.version.data)
        except (TypeError, ValueError):
            abort(400)
        try:
            ops.save_sheet(assignment, values=values, comments=comments, expected_version=expected, submit=submit,
                           items=items)
        except ops.EditConflict as clash:
            db.session.rollback()
            assignment = access.get_assignment_or_404(assignment_id)
            saved = _sheet_data(assignment, items)
            changes = [(d, clash.attempted[d.code]["value"], saved[f"score_{d.code}"],
                        clash.attempted[d.code]["comment"], saved[f"comment_{d.code}"]) for d in items]
            form.version.data = assignment.version  # the next save, if the editor confirms, goes over this one
            flash(_("Someone else saved this sheet after you opened it. Nothing of yours was saved: compare below, "
                    "then save again."), "danger")
            return render_template("reviews/sheet.html", assignment=assignment, form=form, items=items,
                                   editable=assignment.status == "draft", conflict=changes), 409
        except RegistryError as error:
            db.session.rollback()
            assignment = access.get_assignment_or_404(assignment_id)
            field = form._fields.get(f"score_{error.field}")
            if field is not None:
                field.errors = [*field.errors, error.render()]
            else:
                flash(error.render(), "danger")
            for code in getattr(error, "codes", ()):  # a submission with blanks: mark each blank item
                blank = form._fields[f"score_{code}"]
                blank.errors = [*blank.errors, _("Score this item before submitting.")]
            return render_template("reviews/sheet.html", assignment=assignment, form=form, items=items,
                                   editable=editable, conflict=None), 422
        db.session.commit()
        flash(_("Sheet submitted. Thank you.") if submit else _("Draft saved."), "success")
        return redirect(url_for("reviews.sheet", assignment_id=assignment_id))
    return render_template("reviews/sheet.html", assignment=assignment, form=form, items=items, editable=editable,
                           conflict=None, action=ActionForm())


@bp.route("/sheets/<id:assignment_id>/reopen", methods=["POST"])
@access.admin_required
def reopen(assignment_id: int):
    assignment = access.get_assignment_or_404(assignment_id)
    if ActionForm().validate_on_submit():
        try:
            ops.reopen_sheet(assignment)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "danger")
        else:
            db.session.commit()
            flash(_("Sheet reopened: the reviewer can edit it again."), "success")
    return redirect(url_for("reviews.sheet", assignment_id=assignment_id))


# --- conflicts of interest ------------------------------------------------------------------


@bp.route("/conflicts", methods=["GET", "POST"])
@access.staff_required
def conflicts():
    form = ConflictForm()
    if request.method == "POST":
        if current_user.role is not Role.REVIEWER:
            abort(403)
        institution = _named_institution(form.institution_id) if form.validate_on_submit() else None
        if institution is not None:
            try:
                ops.declare_conflict(current_user, institution, form.reason.data)
            except RegistryError as error:
                db.session.rollback()
                flash(error.render(), "danger")
            else:
                db.session.commit()
                flash(_("Conflict of interest declared. You will not be assigned to this institution."), "success")
                return redirect(url_for("reviews.conflicts"))
        else:
            _flash_form_errors(form)
    rows = db.session.scalars(access.conflicts_query().order_by(ConflictOfInterest.declared_at.desc())).all()
    return render_template("reviews/conflicts.html", form=form, conflicts=rows, waive_form=WaiveForm())


@bp.route("/conflicts/<id:conflict_id>/waive", methods=["POST"])
@access.admin_required
def waive(conflict_id: int):
    conflict = db.session.scalar(access.conflicts_query().where(ConflictOfInterest.id == conflict_id))
    if conflict is None:
        abort(404)
    form = WaiveForm()
    if form.validate_on_submit():
        try:
            ops.waive_conflict(conflict, reason=form.waived_reason.data, by=current_user)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "danger")
        else:
            db.session.commit()
            flash(_("Conflict waived."), "success")
    else:
        _flash_form_errors(form)
    return redirect(url_for("reviews.conflicts"))


# --- decisions, sign-off, publication -------------------------------------------------------


def _decision_page(rnd: ReviewRound, inst: Institution, form: DecisionForm, status: int = 200):  # noqa: ANN202
    try:
        summary = ops.institution_scores(rnd, inst)
    except RegistryError as error:
        summary = error
    sheets = db.session.scalars(select(ReviewAssignment).where(
        ReviewAssignment.round_id == rnd.id, ReviewAssignment.institution_id == inst.id)).all()
    decision = db.session.scalar(select(ReviewDecision).where(
        ReviewDecision.round_id == rnd.id, ReviewDecision.institution_id == inst.id))
    result = ops.latest_result(inst, rnd.year)
    gaps = ops.decision_gaps(rnd, inst, result)
    from flask import current_app

    result_url = None
    if result is not None and "assessments.result" in current_app.view_functions:
        try:
            result_url = url_for("assessments.result", result_id=result.id)
        except Exception:  # noqa: BLE001 — the endpoint may take other arguments
            result_url = None
    return render_template("reviews/decide.html", round=rnd, institution=inst, summary=summary, sheets=sheets,
                           decision=decision, result=result, result_url=result_url, form=form, gaps=gaps,
                           action=ActionForm()), status


@bp.route("/rounds/<id:round_id>/institutions/<id:institution_id>", methods=["GET", "POST"])
@access.admin_required
def decide(round_id: int, institution_id: int):
    rnd = _get_round(round_id)
    inst = access.get_institution_or_404(institution_id)
    existing = db.session.scalar(select(ReviewDecision).where(
        ReviewDecision.round_id == rnd.id, ReviewDecision.institution_id == inst.id))
    form = DecisionForm(obj=existing if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            ops.record_decision(rnd, inst, decision=form.decision.data, reason=form.reason.data, by=current_user,
                                override_reason=form.override_reason.data)
        except RegistryError as error:
            db.session.rollback()
            rnd, inst = _get_round(round_id), access.get_institution_or_404(institution_id)
            target = getattr(form, error.field or "", None)
            if target is not None:
                target.errors = [*target.errors, error.render()]
            else:
                flash(error.render(), "danger")
            return _decision_page(rnd, inst, form, 422)
        db.session.commit()
        flash(_("Decision recorded. Sign it when it is final."), "success")
        return redirect(url_for("reviews.decide", round_id=round_id, institution_id=institution_id))
    return _decision_page(rnd, inst, form, 422 if form.errors else 200)


@bp.route("/rounds/<id:round_id>/institutions/<id:institution_id>/sign", methods=["POST"])
@access.admin_required
def sign(round_id: int, institution_id: int):
    rnd = _get_round(round_id)
    inst = access.get_institution_or_404(institution_id)
    decision = db.session.scalar(select(ReviewDecision).where(
        ReviewDecision.round_id == rnd.id, ReviewDecision.institution_id == inst.id))
    if decision is None:
        flash(_("Record a decision before signing it."), "danger")
    elif ActionForm().validate_on_submit():
        try:
            ops.sign_decision(decision, by=current_user)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "danger")
        else:
            db.session.commit()
            flash(_("Decision signed."), "success")
    return redirect(url_for("reviews.decide", round_id=round_id, institution_id=institution_id))


@bp.route("/rounds/<id:round_id>/publish", methods=["POST"])
@access.admin_required
def publish(round_id: int):
    rnd = _get_round(round_id)
    if ActionForm().validate_on_submit():
        try:
            ops.publish_round(rnd, by=current_user)
            from registry.notifications.publish import notify_results_published

            notify_results_published(rnd)
        except RegistryError as error:
            db.session.rollback()
            flash(error.render(), "danger")
        else:
            db.session.commit()
            from registry.jobs.handlers import queue_pending_emails

            queue_pending_emails()
            flash(_("The %(year)s results are published; institutions can see their own.", year=rnd.year), "success")
    return redirect(url_for("reviews.round", round_id=round_id))


@bp.route("/my-results")
@access.institution_required
def my_results():
    decisions = db.session.scalars(access.published_decisions_query().order_by(ReviewRound.year.desc())).all()
    return render_template("reviews/my_results.html", decisions=decisions)
