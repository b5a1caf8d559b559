"""Assessment pages: runs, a run's results, one result explained, recommendations, gap lists, comparisons.

Bureau staff and reviewers only for now; institution accounts will see their own published
result through the reusable `_result.html` macro once the review workflow publishes results.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, select

from assessment import LEVELS, SystemNotFoundError, check_criteria, criteria_for, load_criteria
from registry.access import get_institution_or_404, roles_required, scoped
from registry.assessments import bp, queries
from registry.assessments.comparison import compare_runs, indicator_sentences, reason_sentences
from registry.assessments.explain import (
    change_sentence,
    consequence_text,
    explain,
    notice_sentence,
    recommendation_sentence,
    root_text,
)
from registry.assessments.forms import RunFilterForm, VoidRunForm
from registry.assessments.gap_lines import gap_lines
from registry.assessments.pinning import PinnedFileError, load_pinned_system, run_files
from registry.assessments.operations import (
    InstitutionFacts,
    NoSystemInForce,
    build_inputs,
    load_facts,
    systems_in_force,
    void_run,
)
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.i18n import is_english
from registry.inputs import db_int
from registry.models import AssessmentResult, AssessmentRun, Institution, Role, SelfReport, User

staff = roles_required(Role.ADMIN, Role.REVIEWER)
PER_PAGE = 50


def report_url(self_report_id: int | None) -> str | None:
    """A link to the self-report version the figures came from (its page links the original file)."""
    report = db.session.get(SelfReport, self_report_id) if self_report_id else None
    if report is None:
        return None
    return url_for("reports.version_detail", institution_id=report.institution_id, year=report.year,
                   number=report.version)


def institution_url(institution_id: int) -> str:
    return url_for("institutions.detail", institution_id=institution_id)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"assessment_history": assessment_history, "institution_url": institution_url,
            "notice_sentence": notice_sentence, "change_sentence": change_sentence, "root_text": root_text,
            "indicator_sentences": indicator_sentences, "reason_sentences": reason_sentences,
            "started_by_name": started_by_name, "consequence_text": consequence_text}


def started_by_name(run: AssessmentRun) -> str:
    """Who started a run, as a name: the account's display name, or the command line's user."""
    from flask_babel import gettext

    user = db.session.get(User, run.started_by_id) if run.started_by_id else None
    if user is not None:
        return user.display_name or user.username
    label = run.started_by_label or ""
    return gettext("command line (%(who)s)", who=label[4:]) if label.startswith("cli:") else (label or "—")


def assessment_history(institution: Institution) -> dict[str, Any]:
    """For the institution panel: the latest result per year, and the levels above it with criteria."""
    results = queries.latest_runs_by_year(institution.id)
    category = getattr(institution.category, "value", institution.category)
    level = institution.level_on(date.today())
    rank = LEVELS.index(level.value) if level is not None and level.value in LEVELS else -1
    next_levels = [lv for lv in LEVELS[rank + 1:] if criteria_for(category, institution.subclass, lv)]
    return {"results": results, "next_levels": next_levels}


@bp.route("/")
@staff
def index():
    runs = list(db.session.scalars(select(AssessmentRun).order_by(AssessmentRun.id.desc())))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r.started_by_id for r in runs if r.started_by_id})))}
    counts = queries.run_counts(runs, scoped(AssessmentResult.institution_id))
    from registry.assessments.run_jobs import recent_jobs, start_form

    jobs = recent_jobs()
    users.update({u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({j.started_by_id for j in jobs if j.started_by_id} - set(users))))})
    return render_template("assessments/index.html", runs=runs, users=users, counts=counts, jobs=jobs,
                           start_form=start_form() if current_user.role is Role.ADMIN else None)


@bp.route("/runs/<id:run_id>")
@staff
def run(run_id: int):
    the_run = db.session.get(AssessmentRun, run_id) or abort(404)
    form = RunFilterForm(request.args, meta={"csrf": False})
    filters: dict[str, Any] = {"grade": None, "recommendation": None, "category": None}
    if form.validate():
        filters = {k: getattr(form, k).data or None for k in filters}
    filters["scope"] = scoped(AssessmentResult.institution_id)
    sort = form.sort.data if form.sort.data in queries.SORTS else "score"
    desc = form.order.data != "asc"
    page = min(max(request.args.get("page", 1, type=db_int), 1), 100_000)  # within OFFSET's range
    rows, total = queries.run_results(the_run, sort=sort, desc=desc, page=page, per_page=PER_PAGE, **filters)
    dist = queries.grade_distribution(the_run, **{k: v for k, v in filters.items() if k != "grade"})
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("assessments/run.html", run=the_run, rows=rows, total=total, form=form, dist=dist,
                           page=page, pages=pages, args=args, sort=sort, desc=desc, void_form=VoidRunForm(),
                           files=run_files(run_id))


@bp.route("/runs/<id:run_id>/void", methods=["POST"])
@roles_required(Role.ADMIN)
def void(run_id: int):
    """Void a run with a written reason (admins); the run and its results stay as they were."""
    the_run = db.session.get(AssessmentRun, run_id) or abort(404)
    form = VoidRunForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for voiding the run."), "danger")
        return redirect(url_for("assessments.run", run_id=run_id))
    try:
        void_run(the_run, form.reason.data, by=current_user)
    except RegistryError as exc:
        db.session.rollback()
        flash(exc.render(), "danger")
        return redirect(url_for("assessments.run", run_id=run_id))
    db.session.commit()
    flash(_("Run #%(id)s is void. It stays stored, but no longer counts in default views, history rules or decisions.",
            id=the_run.id), "success")
    return redirect(url_for("assessments.run", run_id=run_id))


@bp.route("/results/<id:result_id>")
@staff
def result(result_id: int):
    res = queries.result_with_outcome(result_id) or abort(404)
    inst = get_institution_or_404(res.institution_id)
    history = queries.latest_runs_by_year(inst.id)
    url = report_url(res.self_report_id)
    return render_template("assessments/result.html", result=res, institution=inst, e=explain(res.outcome, url),
                           report_url=url, history=history, run=db.session.get(AssessmentRun, res.run_id))


#: rows each recommendation group shows on the overview; the group's own page lists the rest
GROUP_PREVIEW = 10
RECOMMENDATION_ORDER = ("recognise", "upgrade", "rectify", "exit", "keep", "do_not_recognise", "none")


@bp.route("/recommendations")
@staff
def recommendations():
    """A run's recommendations grouped by kind with counts; each group paged (a national run has ~14,000).

    Opens on the latest non-void run of the latest year with reports; ?run= or ?year= choose another.
    """
    runs = queries.runs_for_picker()
    run_id = request.args.get("run", type=db_int) or queries.default_run_id(request.args.get("year", type=db_int))
    the_run = db.session.get(AssessmentRun, run_id) if run_id else None
    if run_id and the_run is None:
        abort(404)
    group = request.args.get("group") or None
    if group is not None and group not in RECOMMENDATION_ORDER:
        abort(404)
    page = min(max(request.args.get("page", 1, type=db_int), 1), 100_000)
    scope = scoped(AssessmentResult.institution_id)
    counts = queries.recommendation_counts(the_run, scope) if the_run else {}
    sections = []
    for kind in ([group] if group else RECOMMENDATION_ORDER):
        limit = PER_PAGE if group else GROUP_PREVIEW
        rows = queries.recommendation_rows(the_run.id, kind, limit=limit, offset=(page - 1) * limit if group else 0,
                                           scope=scope) if the_run and counts.get(kind) else []
        sections.append((kind, [(r, recommendation_sentence(r.rule, r.recommendation, r.params,
                                                            labels=_veto_labels(r.result_id) if r.params.get("vetoes") else None))
                                for r in rows]))
    pages = max((counts.get(group, 0) + PER_PAGE - 1) // PER_PAGE, 1) if group else 1
    return render_template("assessments/recommendations.html", run=the_run, runs=runs, counts=counts,
                           sections=sections, group=group, page=page, pages=pages, preview=GROUP_PREVIEW,
                           order=RECOMMENDATION_ORDER)


def _veto_labels(result_id: int) -> dict[str, str]:
    """The veto items' labels from the pinned system a result used (only the few rows a veto decided)."""
    res = queries.result_with_outcome(result_id)
    ref = (res.outcome or {}).get("system") or {} if res is not None else {}
    try:
        system = load_pinned_system(ref["sha256"], ref.get("inputs_sha256"))
    except (KeyError, PinnedFileError):
        return {}
    return {i.code: i.label_en if is_english() and i.label_en else i.label for i in system.indicators if i.rule == "veto"}


@bp.route("/gaps/<id:institution_id>")
@staff
def gaps(institution_id: int):
    inst = get_institution_or_404(institution_id)
    category = getattr(inst.category, "value", inst.category)
    level = request.args.get("level") or ""
    if not level:  # no level chosen: the next level up that has criteria
        upward = assessment_history(inst)["next_levels"]
        if not upward:
            abort(404)
        return redirect(url_for("assessments.gaps", institution_id=inst.id, level=upward[0]))
    if level not in LEVELS:
        abort(404)
    code = criteria_for(category, inst.subclass, level)
    if code is None:
        abort(404)
    report = db.session.scalar(select(SelfReport).where(SelfReport.institution_id == inst.id, SelfReport.is_current.is_(True))
                               .order_by(SelfReport.year.desc()).limit(1))
    year = request.args.get("year", type=db_int) or (report.year if report else date.today().year - 1)
    if report is not None and report.year != year:
        report = db.session.scalar(select(SelfReport).where(SelfReport.institution_id == inst.id, SelfReport.year == year,
                                                            SelfReport.is_current.is_(True)))
    try:
        crit = load_criteria(code, year)
        system = systems_in_force(year, category).get((category, inst.subclass))
    except (SystemNotFoundError, NoSystemInForce):
        return render_template("assessments/gaps.html", institution=inst, level=level, year=year, gap=None, rows=[],
                               report=report, report_url=None, criteria=None)
    facts = load_facts(year, [category], ids=[inst.id]).get(inst.id) or InstitutionFacts(
        inst.id, inst.uscc, inst.name, category, inst.subclass, getattr(inst.status, "value", inst.status),
        inst.is_hardship_area)
    inputs = build_inputs(system, report.values if report else None, facts) if system else {}
    gap = check_criteria(crit, inputs, hardship_area=inst.is_hardship_area, year=year)
    url = report_url(report.id if report else None)
    decls = system.input_set.by_code() if system else {}
    rows = gap_lines(gap.to_dict(), input_labels={c: d.label_en if is_english() and d.label_en else d.label
                                                  for c, d in decls.items()},
                     input_units={c: d.unit for c, d in decls.items()}, report_url=url,
                     criteria_title=crit.title_en if is_english() and crit.title_en else crit.title)
    return render_template("assessments/gaps.html", institution=inst, level=level, year=year, gap=gap, rows=rows,
                           report=report, report_url=url, criteria=crit)


#: institutions compared per page (each needs both runs' stored outcomes)
COMPARE_WINDOW = 100


@bp.route("/compare")
@staff
def compare():
    a, b = request.args.get("a", type=db_int), request.args.get("b", type=db_int)
    runs = list(db.session.scalars(select(AssessmentRun).order_by(AssessmentRun.id.desc())))
    cmp, page, pages, shown = None, 1, 1, (0, 0, 0)
    if a and b:
        ra, rb = db.session.get(AssessmentRun, a), db.session.get(AssessmentRun, b)
        if ra is None or rb is None:
            abort(404)
        # the comparison reads both runs' stored outcomes: a window of institutions per page, not 28,000 outcomes
        scope = scoped(AssessmentResult.institution_id)
        ids = list(db.session.scalars(select(AssessmentResult.institution_id).distinct()
                                      .where(AssessmentResult.run_id.in_((ra.id, rb.id)), scope)
                                      .order_by(AssessmentResult.institution_id)))
        pages = max((len(ids) + COMPARE_WINDOW - 1) // COMPARE_WINDOW, 1)
        page = min(max(request.args.get("page", 1, type=db_int), 1), pages)
        window = ids[(page - 1) * COMPARE_WINDOW:page * COMPARE_WINDOW]
        shown = ((page - 1) * COMPARE_WINDOW + 1 if window else 0, (page - 1) * COMPARE_WINDOW + len(window), len(ids))
        cmp = compare_runs(ra, rb, and_(scope, AssessmentResult.institution_id.in_(window)))
    return render_template("assessments/compare.html", runs=runs, cmp=cmp, a=a, b=b, page=page, pages=pages,
                           shown=shown)
