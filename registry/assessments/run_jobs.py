"""Assessment runs started from the web: the start form, the jobs' progress, retrying a failed one.

The run itself is a background job (registry.jobs); these views only record and queue it and
show the job's row, which the worker keeps up to date.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from assessment import CATEGORIES
from registry.access import admin_required, roles_required
from registry.assessments import bp
from registry.assessments.forms import StartRunForm
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.jobs.dispatch import retry_job, start_assessment_run
from registry.jobs.handlers import ASSESSMENT_RUN
from registry.jobs.runner import job_summary
from registry.labels import label_for as label
from registry.models import Job, Role

RECENT_JOBS = 10


def start_form() -> StartRunForm:
    form = StartRunForm()
    form.category.choices = [SelectChoice("", _("All assessable categories"))] + [SelectChoice(c, label(c))
                                                                                   for c in CATEGORIES]
    return form


def recent_jobs() -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.kind == ASSESSMENT_RUN)
                                   .order_by(Job.id.desc()).limit(RECENT_JOBS)))


@bp.route("/runs/start", methods=["POST"])
@admin_required
def start_run():
    form = start_form()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            for e in errors:
                flash(f"{getattr(form, field).label.text}: {e}", "danger")
        return redirect(url_for("assessments.index"))
    try:
        job = start_assessment_run(form.year.data, category=form.category.data or None, note=form.note.data,
                                   user=current_user, force=bool(form.force.data))
    except RegistryError as exc:
        flash(exc.render(), "danger")
        return redirect(url_for("assessments.index"))
    flash(_("Assessment run for %(year)s queued as job #%(job)s.", year=form.year.data, job=job.id), "success")
    return redirect(url_for("assessments.index", _anchor=f"job-{job.id}"))


@bp.route("/jobs/<id:job_id>/retry", methods=["POST"])
@admin_required
def retry_run(job_id: int):
    job = db.session.get(Job, job_id)
    if job is None or job.kind != ASSESSMENT_RUN:
        return redirect(url_for("assessments.index"))
    try:
        new = retry_job(job, user=current_user)
    except RegistryError as exc:
        flash(exc.render(), "danger")
        return redirect(url_for("assessments.index"))
    flash(_("Retrying as job #%(job)s.", job=new.id), "success")
    return redirect(url_for("assessments.index", _anchor=f"job-{new.id}"))


@bp.route("/jobs/<id:job_id>.json")
@roles_required(Role.ADMIN, Role.REVIEWER)
def job_status(job_id: int):
    job = db.session.get(Job, job_id)
    if job is None or job.kind != ASSESSMENT_RUN:
        return jsonify({"error": "not found"}), 404
    data = job_summary(job)
    data["status_label"] = str(JOB_STATUS_LABELS.get(job.status, ""))
    data["phase_label"] = str(JOB_PHASE_LABELS.get(job.phase or "", ""))
    return jsonify(data)


JOB_STATUS_LABELS = {"queued": _l("Queued"), "running": _l("Running"), "succeeded": _l("Finished"),
                     "failed": _l("Failed")}
#: the phases run_assessment reports progress for
JOB_PHASE_LABELS = {"evaluating": _l("scoring institutions"), "storing": _l("storing results"),
                    "reading": _l("reading figures")}


@bp.app_context_processor
def _job_labels() -> dict[str, object]:
    return {"job_status_label": lambda s: str(JOB_STATUS_LABELS.get(s, "")),
            "job_phase_label": lambda p: str(JOB_PHASE_LABELS.get(p or "", ""))}
