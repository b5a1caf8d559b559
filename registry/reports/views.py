"""Self-report pages. Thin: load through access.py, call an operation, commit once."""

from __future__ import annotations

import io
import posixpath
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

import importers
from registry.access import get_institution_or_404, roles_required
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.inputs import DB_INT_MAX, db_int
from registry.models import Institution, Role, SelfReport, Upload, User
from registry.reports import bp, operations, queries
from registry.reports.forms import ConfirmForm, SelfReportUploadForm
from registry.reports.issues import group_issues, render_issue
from registry.seasons.operations import check_may_file, note_draft

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: media type and file extension of each kind of spreadsheet an upload can be (detected from its content)
KINDS = {
    "xlsx": (XLSX, ".xlsx"),
    "xlsm": ("application/vnd.ms-excel.sheet.macroEnabled.12", ".xlsm"),
    "xlsb": ("application/vnd.ms-excel.sheet.binary.macroEnabled.12", ".xlsb"),
    "xls": ("application/vnd.ms-excel", ".xls"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", ".ods"),
}
_SPREADSHEET_SUFFIXES = tuple(ext for _, ext in KINDS.values())
#: rows of each table shown on the preview page (the whole table is checked and stored)
PREVIEW_ROWS = 50


def _send(data: bytes, filename: str, mimetype: str = XLSX):  # noqa: ANN202
    """An attachment; werkzeug adds RFC 5987 filename* for the Chinese names."""
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)


def _unavailable(institution: Institution, year: int, error: RegistryError):  # noqa: ANN202
    return render_template("reports/unavailable.html", institution=institution, year=year,
                           message=error.render()), 404


def _require_upload_right(institution: Institution) -> None:
    if not operations.may_upload(current_user, institution):
        abort(403)


def _upload_or_404(upload_id: int) -> tuple[Upload, Institution]:
    upload = db.get_or_404(Upload, upload_id)
    if upload.institution_id is None:  # every upload made here names its institution
        abort(404)
    return upload, get_institution_or_404(upload.institution_id)


@bp.app_template_global()
def report_panel(institution: Institution) -> dict[str, Any]:
    """What the institution page's self-report panel shows: years, current versions, upload right."""
    years = queries.report_years(institution)
    current = {r.year: r for r in db.session.scalars(
        db.select(SelfReport).where(SelfReport.institution_id == institution.id, SelfReport.is_current.is_(True)))}
    counts = dict(db.session.execute(
        db.select(SelfReport.year, db.func.count(SelfReport.id)).where(SelfReport.institution_id == institution.id)
        .group_by(SelfReport.year)).all())
    return {"years": years, "current": current, "counts": counts,
            "may_upload": operations.may_upload(current_user, institution)}


@bp.app_template_global()
def render_report_issue(issue: importers.Issue) -> str:
    return render_issue(issue)


@bp.route("/mine")
@roles_required(Role.INSTITUTION)
def mine():  # noqa: ANN201
    institution = get_institution_or_404(current_user.institution_id)
    uploads = queries.uploads(institution.id, limit=20)
    return render_template("reports/mine.html", institution=institution, uploads=uploads,
                           upload_year=queries.upload_year)


@bp.route("/<id:institution_id>/<id:year>/template")
@login_required
def template(institution_id: int, year: int):  # noqa: ANN201
    institution = get_institution_or_404(institution_id)
    try:
        data, filename = operations.build_template_for(institution, year)
    except RegistryError as error:
        return _unavailable(institution, year, error)
    return _send(data, filename)


@bp.route("/<id:institution_id>/<id:year>/upload", methods=["GET", "POST"])
@login_required
def upload(institution_id: int, year: int):  # noqa: ANN201
    institution = get_institution_or_404(institution_id)
    _require_upload_right(institution)
    try:
        spec = operations.spec_for(institution, year)
        check_may_file(institution, year)  # the season's deadline has passed (and not reopened): locked
    except RegistryError as error:
        return _unavailable(institution, year, error)
    form = SelfReportUploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        filename = posixpath.basename((storage.filename or "upload.xlsx").replace("\\", "/"))
        data = storage.read()
        parsed = operations.read_upload(data, filename, spec)
        report = operations.check_report(parsed, institution, year, spec)
        stored, _ = operations.store_upload(data, filename, institution=institution, uploaded_by=current_user,
                                            year=year, parsed=parsed, report=report)  # parsed once, kept with it
        db.session.commit()
        if report.valid:
            return redirect(url_for("reports.preview", upload_id=stored.id))
        return _preview(stored, institution, year, spec, report)
    status = 400 if form.is_submitted() else 200  # a refused form (no file, an empty file) is not a success
    return render_template("reports/upload.html", form=form, institution=institution, year=year, spec=spec), status


@bp.route("/uploads/<id:upload_id>/preview")
@login_required
def preview(upload_id: int):  # noqa: ANN201
    stored, institution = _upload_or_404(upload_id)
    year = queries.upload_year(stored)
    if year is None:
        abort(404)
    try:
        spec = operations.spec_for(institution, year)
    except RegistryError as error:
        return _unavailable(institution, year, error)
    report = operations.upload_report(stored, institution, year)  # kept on upload: never parsed again
    db.session.commit()  # an upload kept before reports were stored whole now has its report
    return _preview(stored, institution, year, spec, report)


def _preview(stored: Upload, institution: Institution, year: int, spec: importers.TemplateSpec,
             report: importers.ImportReport):  # noqa: ANN202
    named = operations.sees_other_carriers(current_user)
    duplicates = operations.duplicate_issues(report, institution, year, named=named, viewer=current_user)
    issues = report.issues + duplicates
    last_year = queries.last_year_values(institution.id, year)
    confirm = None
    if report.valid and stored.outcome == "pending" and operations.may_upload(current_user, institution):
        confirm = ConfirmForm(upload_id=str(stored.id))
    status = 422 if not report.valid else 200
    return render_template("reports/preview.html", upload=stored, institution=institution, year=year, spec=spec,
                           report=report, groups=group_issues(issues), duplicates=duplicates, last_year=last_year,
                           confirm=confirm, preview_rows=PREVIEW_ROWS,
                           n_errors=sum(1 for i in issues if i.severity == "error"),
                           n_warnings=sum(1 for i in issues if i.severity == "warning")), status


@bp.route("/<id:institution_id>/<id:year>/confirm", methods=["POST"])
@login_required
def confirm(institution_id: int, year: int):  # noqa: ANN201
    institution = get_institution_or_404(institution_id)
    _require_upload_right(institution)
    form = ConfirmForm()
    if not form.validate_on_submit() or not str(form.upload_id.data).isdigit():
        abort(400)
    stored = db.session.get(Upload, int(form.upload_id.data)) if int(form.upload_id.data) <= DB_INT_MAX else None
    if stored is None or stored.institution_id != institution.id:
        abort(404)
    try:
        check_may_file(institution, year)
        report, new = operations.accept_self_report(stored, institution, year, submitted_by=current_user)
        if new is not None:
            note_draft(institution, year)
    except RegistryError as error:
        db.session.rollback()
        flash(error.render(), "danger")
        return redirect(url_for("reports.versions", institution_id=institution.id, year=year))
    except IntegrityError:
        db.session.rollback()
        flash(_("The report could not be stored and nothing was saved (another submission may have been "
                "confirmed at the same moment). Please check the versions and try again."), "danger")
        return redirect(url_for("reports.preview", upload_id=stored.id))
    db.session.commit()
    if new is None:
        flash(_("The file no longer passes the checks; nothing was stored."), "danger")
        return redirect(url_for("reports.preview", upload_id=stored.id))
    flash(_("Self-report for %(year)s stored as version %(version)s.", year=year, version=new.version), "success")
    return redirect(url_for("reports.versions", institution_id=institution.id, year=year))


@bp.route("/<id:institution_id>/<id:year>/")
@login_required
def versions(institution_id: int, year: int):  # noqa: ANN201
    institution = get_institution_or_404(institution_id)
    rows = queries.versions(institution.id, year)
    current = next((r for r in rows if r.is_current), None)
    duplicates = operations.stored_duplicates(current, current_user) if current is not None else []
    users = {u.id: u for u in db.session.scalars(db.select(User).where(
        User.id.in_({r.submitted_by_id for r in rows if r.submitted_by_id}
                    | {u.uploaded_by_id for u in queries.uploads(institution.id, year) if u.uploaded_by_id})))}
    return render_template("reports/versions.html", institution=institution, year=year, versions=rows,
                           current=current, duplicates=duplicates, named=operations.sees_other_carriers(current_user),
                           uploads=queries.uploads(institution.id, year), users=users,
                           may_upload=operations.may_upload(current_user, institution))


@bp.route("/<id:institution_id>/<id:year>/v<id:number>")
@login_required
def version_detail(institution_id: int, year: int, number: int):  # noqa: ANN201
    institution = get_institution_or_404(institution_id)
    row = queries.version(institution.id, year, number) or abort(404)
    labels: dict[str, str] = {}
    decls: dict = {}
    table_labels: dict[str, str] = {}
    column_decls: dict = {}
    try:
        spec = operations.spec_for(institution, year)
        decls = {f.code: f for f in spec.fields}
        labels = {f.code: f.label for f in spec.fields}
        table_labels = {t.code: t.label for t in spec.tables}
        column_decls = {t.code: {c.code: c for c in t.columns} for t in spec.tables}
    except RegistryError:
        pass
    column_labels = {t: {c: d.label for c, d in cols.items()} for t, cols in column_decls.items()}
    return render_template("reports/version.html", institution=institution, year=year, report=row, labels=labels,
                           table_labels=table_labels, decls=decls, column_decls=column_decls, column_labels=column_labels)


@bp.route("/<id:institution_id>/<id:year>/diff")
@login_required
def diff(institution_id: int, year: int):  # noqa: ANN201
    institution = get_institution_or_404(institution_id)
    a_no, b_no = request.args.get("a", type=db_int), request.args.get("b", type=db_int)
    if a_no is None and b_no is None:  # no choice made: the current version against the one before
        current = queries.current_report(institution.id, year)
        if current is None or current.version < 2:
            flash(_("There is only one version of this report: nothing to compare yet."), "info")
            return redirect(url_for("reports.versions", institution_id=institution.id, year=year))
        a_no, b_no = current.version - 1, current.version
    a = queries.version(institution.id, year, a_no) if a_no else None
    b = queries.version(institution.id, year, b_no) if b_no else None
    if a is None or b is None:
        abort(404)
    fields, tables = queries.diff(a, b)
    return render_template("reports/diff.html", institution=institution, year=year, a=a, b=b, fields=fields,
                           tables=tables)


@bp.route("/uploads/<id:upload_id>/download")
@login_required
def download(upload_id: int):  # noqa: ANN201
    stored, _institution = _upload_or_404(upload_id)
    if stored.content is None:  # not a spreadsheet: its bytes were never kept
        abort(404)
    mimetype, suffix = KINDS.get(stored.kind or "", ("application/octet-stream", ".bin"))
    filename = stored.filename
    if not filename.lower().endswith(suffix if stored.kind else _SPREADSHEET_SUFFIXES):
        filename = filename.rsplit(".", 1)[0] + suffix  # "prog.exe" holding an .xlsx comes back as prog.xlsx
    return _send(stored.content, filename, mimetype)


@bp.route("/uploads/<id:upload_id>/annotated")
@login_required
def annotated(upload_id: int):  # noqa: ANN201
    stored, institution = _upload_or_404(upload_id)
    year = queries.upload_year(stored)
    if year is None:
        abort(404)
    try:
        spec = operations.spec_for(institution, year)
        report = operations.upload_report(stored, institution, year)  # kept on upload: never parsed again
    except RegistryError as error:
        return _unavailable(institution, year, error)
    db.session.commit()
    data = importers.annotate_workbook(stored.content or b"", report, budget=importers.template_budget(spec))
    stem = stored.filename.rsplit(".", 1)[0]
    return _send(data, f"{stem}_问题标注.xlsx")


@bp.app_template_global()
def reports_has_endpoint(endpoint: str) -> bool:
    """Link to pages other blueprints may not have yet (the institution detail page)."""
    from flask import current_app

    return endpoint in current_app.view_functions
