"""The assessment lists as styled xlsx (registry.exports.sheets): a run's results with every indicator's
points, the recommendations grouped for the decision meeting, one institution's gap list, and the
pipeline of all candidates for a level.

Points are read from the stored outcomes without expanding them: the indicator nodes of the stored
trace carry their points, and only their labels and weights come from the pinned system file (read
once per system version). Outcomes are streamed in batches, never all held at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, abort, request
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, select

from assessment import LEVELS, SystemNotFoundError, check_criteria, criteria_for, load_criteria, load_version
from registry.access import get_institution_or_404, roles_required, scoped, visible_among
from registry.assessments import bp, queries
from registry.assessments.explain import _pick, recommendation_sentence
from registry.assessments.forms import RunFilterForm
from registry.assessments.gap_lines import GapLine, gap_lines
from registry.assessments.operations import (
    InstitutionFacts,
    NoSystemInForce,
    build_inputs,
    load_facts,
    load_reports,
    systems_in_force,
)
from registry.exports.sheets import XLSX_MEDIA_TYPE, Column, ListSheet, data_date_note, workbook_bytes
from registry.extensions import db
from registry.inputs import db_int
from registry.i18n import is_english
from registry.labels import label_for
from registry.models import AssessmentResult, AssessmentRun, Institution, Role, RunVoid, SelfReport
from registry.models.enums import LEVEL_RANK, Level
from registry.stats.queries import has_synthetic_data

staff = roles_required(Role.ADMIN, Role.REVIEWER)
#: outcomes read per round trip when streaming a run
BATCH = 500


def _download(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _yes_no(flag: Any) -> str:
    return _("yes") if flag else _("no")


def _synthetic_note(notes: list[str]) -> list[str]:
    if has_synthetic_data():
        notes.append(_("This database contains synthetic demo data: these figures are not real."))
    return notes


def _town(inst: Institution) -> str:
    return inst.town.name_en if is_english() else inst.town.name


# --- a run's results, with every indicator's points ---------------------------------------------------

def stored_points(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """indicator code → points, straight from a stored outcome (compact or full form), without expanding it."""
    if "indicators" in outcome:  # the full form lists them
        return {i["code"]: i.get("points") for i in outcome["indicators"]}
    points: dict[str, Any] = {}
    stack = [outcome.get("trace") or {}]
    while stack:
        node = stack.pop()
        if node.get("code") == "score":
            for block in node.get("children", ()):
                for ind in block.get("children", ()):
                    if "ref" not in ind:
                        points[ind["code"]] = ind.get("value")
            return points
        stack.extend(c for c in node.get("children", ()) if "ref" not in c)
    return points


@dataclass
class _SystemColumns:
    key: tuple[str, str | None, int]
    title: str
    codes: list[str]
    columns: list[Column]


def _system_columns(category: str, subclass: str | None, version: int) -> _SystemColumns:
    try:
        system = load_version(category, version, subclass)
    except SystemNotFoundError:
        system = None
    codes: list[str] = []
    columns: list[Column] = []
    if system is not None:
        for ind in system.indicators:
            codes.append(ind.code)
            columns.append(Column(_("%(label)s (of %(weight)s)", label=_pick(ind.label, ind.label_en),
                                    weight=_num(ind.weight)), "points", 12))
    title = _pick(system.title, system.title_en) if system is not None else f"{category} {subclass or ''} v{version}"
    return _SystemColumns((category, subclass, version), title, codes, columns)


def _num(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _points(value: Any) -> Any:
    if value is None:
        return "—"
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return str(value)


def _stream_results(stmt: Select) -> Iterator[tuple[AssessmentResult, Institution, Mapping[str, Any]]]:
    """(result, institution, stored outcome) in the statement's order, outcomes read BATCH at a time."""
    pairs = db.session.execute(stmt).all()
    for start in range(0, len(pairs), BATCH):
        chunk = pairs[start:start + BATCH]
        ids = [res.id for res, _inst in chunk]
        outcomes = dict(db.session.execute(select(AssessmentResult.id, AssessmentResult.outcome)
                                           .where(AssessmentResult.id.in_(ids))).all())
        for res, inst in chunk:
            yield res, inst, outcomes.get(res.id) or {}


def run_sheets(run: AssessmentRun, *, grade: str | None = None, recommendation: str | None = None,
               category: str | None = None, scope: ColumnElement[bool] | None = None) -> list[ListSheet]:
    """One sheet per indicator system in the run: each result with its score, grade, recommendation and points."""
    stmt = queries._filtered(select(AssessmentResult, Institution)
                             .join(Institution, Institution.id == AssessmentResult.institution_id)
                             .where(AssessmentResult.run_id == run.id),
                             grade=grade, recommendation=recommendation, category=category)
    if scope is not None:
        stmt = stmt.where(scope)
    stmt = stmt.order_by(AssessmentResult.category, AssessmentResult.subclass, AssessmentResult.system_version,
                         AssessmentResult.score.desc().nulls_last(), Institution.name, AssessmentResult.id)
    fixed = [Column(_("Name"), "text", 32), Column(_("Credit code"), "text", 21), Column(_("Town"), "text", 12),
             Column(_("Score"), "points", 9), Column(_("Grade"), "text", 7), Column(_("Recommendation"), "text", 14),
             Column(_("Missing figures"), "int", 9), Column(_("Provisional"), "text", 8)]
    sheets: dict[tuple[str, str | None, int], tuple[_SystemColumns, list[list[Any]]]] = {}
    for res, inst, outcome in _stream_results(stmt):
        key = (res.category, res.subclass, res.system_version)
        if key not in sheets:
            sheets[key] = (_system_columns(*key), [])
        cols, rows = sheets[key]
        points = stored_points(outcome)
        rows.append([inst.name, inst.uscc, _town(inst), _points(res.score) if res.score is not None else "—",
                     res.grade or "—", label_for(res.recommendation), res.missing_count, _yes_no(res.is_provisional),
                     *[_points(points.get(code)) for code in cols.codes]])
    filters = ", ".join(f"{name}: {label_for(value)}" for name, value in
                        ((_("Grade"), grade), (_("Recommendation"), recommendation), (_("Category"), category)) if value)
    out: list[ListSheet] = []
    for (cat, sub, version), (cols, rows) in sheets.items():
        system = next((s for s in run.systems if s.get("category") == cat and s.get("subclass") == sub
                       and int(s.get("version", 0)) == version), {})
        notes = [
            _("Run #%(id)s, assessment of %(year)s; indicator system %(source)s, version %(version)s (sha256 %(sha)s).",
              id=run.id, year=run.year, source=system.get("source", "—"), version=version,
              sha=str(system.get("sha256", ""))[:12]),
            _("Points per indicator are those stored with each result when the run was computed; “—” means the "
              "indicator was left out or could not be scored. The result page explains every figure."),
        ]
        if filters:
            notes.append(_("Only the results matching these filters: %(filters)s.", filters=filters))
        void = db.session.scalar(select(RunVoid).where(RunVoid.run_id == run.id))
        if void is not None:
            notes.insert(0, _("This run was voided on %(when)s by %(who)s: %(reason)s. Its results are kept but no "
                              "longer used.", when=void.voided_at.strftime("%Y-%m-%d"), who=void.voided_by_label,
                              reason=void.reason))
        notes.append(data_date_note(run.finished_at or run.started_at))
        name = label_for(cat) + (f"·{label_for(sub)}" if sub else "")
        out.append(ListSheet(name=name, title=_("Run #%(id)s: %(system)s", id=run.id, system=cols.title),
                             columns=[*fixed, *cols.columns], rows=rows, notes=_synthetic_note(notes), freeze_column=2))
    if not out:
        out.append(ListSheet(name=_("Results"), title=_("Run #%(id)s: assessment of %(year)s", id=run.id, year=run.year),
                             columns=fixed, rows=[], notes=[_("No result matches these filters."),
                                                            data_date_note(run.finished_at or run.started_at)]))
    return out


@bp.route("/runs/<id:run_id>/results.xlsx")
@staff
def run_download(run_id: int):
    the_run = db.session.get(AssessmentRun, run_id) or abort(404)
    form = RunFilterForm(request.args, meta={"csrf": False})
    filters = {"grade": None, "recommendation": None, "category": None}
    if form.validate():
        filters = {k: getattr(form, k).data or None for k in filters}
    sheets = run_sheets(the_run, scope=scoped(AssessmentResult.institution_id), **filters)
    return _download(workbook_bytes(sheets, title=sheets[0].title), f"run-{the_run.id}-{the_run.year}.xlsx")


# --- recommendations for the decision meeting ----------------------------------------------------------

def recommendations_sheet(year: int, *, scope: ColumnElement[bool] | None = None) -> ListSheet:
    grouped: dict[str, list[list[Any]]] = {k: [] for k in (*queries.RECOMMENDATION_GROUPS, "none")}
    runs: set[int] = set()
    latest = (select(AssessmentResult.institution_id, func.max(AssessmentResult.run_id).label("run_id"))
              .where(AssessmentResult.year == year, queries.not_void(), *([scope] if scope is not None else []))
              .group_by(AssessmentResult.institution_id).subquery())
    stmt = (select(AssessmentResult, Institution)
            .join(latest, (latest.c.institution_id == AssessmentResult.institution_id)
                  & (latest.c.run_id == AssessmentResult.run_id))
            .join(Institution, Institution.id == AssessmentResult.institution_id)
            .where(AssessmentResult.year == year)
            .order_by(AssessmentResult.category, AssessmentResult.score.desc().nulls_last(), Institution.name))
    for res, inst, outcome in _stream_results(stmt):  # the same rows as the page (latest_results_for_year)
        rec = outcome.get("recommendation") or {}
        sentence = recommendation_sentence(res.recommendation_rule, res.recommendation, rec.get("params") or {})
        runs.add(res.run_id)
        grouped.setdefault(res.recommendation or "none", []).append(
            [inst.name, inst.uscc, label_for(res.category) + (f" · {label_for(res.subclass)}" if res.subclass else ""),
             _town(inst), _points(res.score) if res.score is not None else "—", res.grade or "—", sentence,
             _yes_no(res.is_provisional), res.run_id])
    rows: list[list[Any]] = []
    groups: dict[int, list[str]] = {}
    for kind, items in grouped.items():  # empty groups keep their heading, so the meeting sees "(0)"
        heading = label_for(kind) if kind != "none" else _("No recommendation")
        groups.setdefault(len(rows), []).append(_("%(heading)s (%(n)s)", heading=heading, n=len(items)))
        rows.extend(items)
    columns = [Column(_("Name"), "text", 32), Column(_("Credit code"), "text", 21), Column(_("Category"), "text", 18),
               Column(_("Town"), "text", 12), Column(_("Score"), "points", 9), Column(_("Grade"), "text", 7),
               Column(_("Why"), "text", 60), Column(_("Provisional"), "text", 8), Column(_("Run"), "int", 7)]
    notes = [_("Recommendations for %(year)s from the latest run of the year that assessed each institution "
               "(runs %(runs)s); each line names the rule that produced it.", year=year,
               runs=", ".join(f"#{r}" for r in sorted(runs)) or "—"),
             _("Grouped for the decision meeting: recognise, encourage upgrade, rectify, exit, keep, do not recognise."),
             _("Voided runs are left out."),
             data_date_note()]
    return ListSheet(name=_("Recommendations %(year)s", year=year), title=_("Recommendations for %(year)s", year=year),
                     columns=columns, rows=rows, groups=groups, notes=_synthetic_note(notes))


@bp.route("/recommendations.xlsx")
@staff
def recommendations_download():
    year = request.args.get("year", type=db_int) or queries.default_year() or next(iter(queries.assessed_years()), None)
    if year is None:
        abort(404)
    sheet = recommendations_sheet(year, scope=scoped(AssessmentResult.institution_id))
    return _download(workbook_bytes([sheet], title=sheet.title), f"recommendations-{year}.xlsx")


# --- gap lists ---------------------------------------------------------------------------------------

def _line_rows(lines: Sequence[GapLine], prefix: str = "") -> Iterator[list[Any]]:
    """One row per criterion (and per alternative of an either-or criterion), from the gap page's own lines."""
    for line in lines:
        remarks = [text for flag, text in ((line.relieved, _("requirement lowered by the hardship-area relief")),
                                           (bool(line.problem), line.problem), (line.provisional, _("provisional")))
                   if flag]
        inputs = "; ".join(f"{i.label} = {i.value_text} ({i.source_text})" for i in line.inputs)
        yield [prefix + line.label, line.required_text, _cell_value(line.actual) if not line.alternatives else "",
               line.unit or "", _yes_no(line.met), _cell_value(line.gap) if line.gap is not None else "",
               inputs, line.clause, "; ".join(remarks)]
        if line.alternatives:
            yield from _line_rows(line.alternatives, prefix="　" + _("or: "))


def _cell_value(v: Any) -> Any:
    """Numbers as numbers (so Excel can sum and sort them), anything else as text."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return _yes_no(v)
    if isinstance(v, (int, Decimal)):
        return v
    try:
        return Decimal(str(v))
    except ArithmeticError:
        return str(v)


def _gap_columns() -> list[Column]:
    return [Column(_("Criterion"), "text", 30), Column(_("Required"), "text", 14), Column(_("Actual"), "general", 12),
            Column(_("Unit"), "text", 7), Column(_("Met"), "text", 7), Column(_("Shortfall"), "general", 10),
            Column(_("Figures read (source)"), "text", 36), Column(_("Source clause"), "text", 36),
            Column(_("Remarks"), "text", 24)]


def _lines(gap: Any, crit: Any, system: Any, report: SelfReport | None) -> list[GapLine]:
    decls = system.input_set.by_code() if system else {}
    english = is_english()
    return gap_lines(gap.to_dict(), input_labels={c: d.label_en if english and d.label_en else d.label
                                                  for c, d in decls.items()},
                     input_units={c: d.unit for c, d in decls.items()},
                     criteria_title=crit.title_en if english and crit.title_en else crit.title)


def compute_gap(inst: Institution, level: str, year: int) -> tuple[Any, Any, Any, SelfReport | None]:
    """(gap list, criteria, system, the self-report used) for one institution, as the gap page computes them;
    the first three are None when no criteria or system is in force."""
    category = getattr(inst.category, "value", inst.category)
    code = criteria_for(category, inst.subclass, level)
    report = db.session.scalar(select(SelfReport).where(SelfReport.institution_id == inst.id, SelfReport.year == year,
                                                        SelfReport.is_current.is_(True)))
    if code is None:
        return None, None, None, report
    try:
        crit = load_criteria(code, year)
        system = systems_in_force(year, category).get((category, inst.subclass))
    except (SystemNotFoundError, NoSystemInForce):
        return None, None, None, report
    facts = load_facts(year, [category], ids=[inst.id]).get(inst.id) or InstitutionFacts(
        inst.id, inst.uscc, inst.name, category, inst.subclass, getattr(inst.status, "value", inst.status),
        inst.is_hardship_area)
    inputs = build_inputs(system, report.values if report else None, facts) if system else {}
    return check_criteria(crit, inputs, hardship_area=inst.is_hardship_area, year=year), crit, system, report


def gap_sheet(inst: Institution, level: str, year: int) -> ListSheet:
    gap, crit, system, report = compute_gap(inst, level, year)
    title = _("Gap list: %(name)s → %(level)s (%(year)s)", name=inst.name, level=label_for(level), year=year)
    if gap is None:
        return ListSheet(name=_("Gap list"), title=title, columns=_gap_columns(), rows=[],
                         notes=[_("No criteria or indicator system is in force for %(year)s.", year=year), data_date_note()])
    rows = list(_line_rows(_lines(gap, crit, system, report)))
    unmet = len(gap.unmet())
    notes = [
        _("Criteria %(title)s (%(source)s, version %(version)s, sha256 %(sha)s).", title=crit.title,
          source=crit.source, version=crit.version, sha=crit.sha256[:12]),
        _("All criteria met") if gap.met else _("%(n)s criteria not met", n=unmet),
        _("Figures from the %(year)s self-report (version %(version)s).", year=report.year, version=report.version)
        if report else _("No self-report for %(year)s: every figure is missing.", year=year),
    ]
    if inst.is_hardship_area:
        notes.append(_("Hardship area: the relief lowers the marked requirements."))
    if crit.provisional:
        notes.append(_("These criteria are provisional: they rest on inferred, not published, figures."))
    notes.append(data_date_note())
    return ListSheet(name=_("Gap list"), title=title, columns=_gap_columns(), rows=rows, notes=_synthetic_note(notes))


@bp.route("/gaps/<id:institution_id>.xlsx")
@staff
def gaps_download(institution_id: int):
    inst = get_institution_or_404(institution_id)
    level = request.args.get("level") or ""
    if not level:  # as on the page: the next level up that has criteria
        from registry.assessments.views import assessment_history

        upward = assessment_history(inst)["next_levels"]
        level = upward[0] if upward else ""
    if level not in LEVELS:
        abort(404)
    year = request.args.get("year", type=db_int) or _latest_report_year(inst.id)
    sheet = gap_sheet(inst, level, year)
    return _download(workbook_bytes([sheet], title=sheet.title), f"gaps-{inst.uscc}-{level}-{year}.xlsx")


def _latest_report_year(institution_id: int) -> int:
    year = db.session.scalar(select(SelfReport.year).where(SelfReport.institution_id == institution_id,
                                                           SelfReport.is_current.is_(True))
                             .order_by(SelfReport.year.desc()).limit(1))
    return year or date.today().year - 1


# --- the pipeline: every candidate for a level ---------------------------------------------------------

def pipeline_sheets(category: str, level: str, year: int, *, scoped_to_user: bool = False) -> list[ListSheet]:
    """Every assessed institution of `category` below `level` on 31 December of `year`, checked against
    the criteria for `level` with its self-report of `year`: a summary (fewest unmet first) and every row."""
    target_rank = LEVEL_RANK[Level(level)]
    facts = load_facts(year, [category])
    if scoped_to_user:
        visible = visible_among(facts)
        facts = {i: f for i, f in facts.items() if i in visible}
    candidates = {i: f for i, f in facts.items() if f.level is None or LEVEL_RANK[Level(f.level)] < target_rank}
    reports = load_reports(year, set(candidates))
    try:
        systems = systems_in_force(year, category)
    except NoSystemInForce:
        systems = {}
    towns = dict(db.session.execute(select(Institution.id, Institution.town_id).where(Institution.id.in_(list(candidates))))
                 .all()) if candidates else {}
    town_names = _town_names()
    checked: list[tuple[InstitutionFacts, Any, Any, Any]] = []
    criteria_seen: dict[str, Any] = {}
    for f in candidates.values():
        code = criteria_for(category, f.subclass, level)
        system = systems.get((category, f.subclass))
        if code is None or system is None:
            continue
        try:
            crit = criteria_seen.get(code) or load_criteria(code, year)
        except SystemNotFoundError:
            continue
        criteria_seen[code] = crit
        values = reports.get(f.id, (None, None))[1]
        gap = check_criteria(crit, build_inputs(system, values, f), hardship_area=f.hardship_area, year=year)
        checked.append((f, gap, crit, system))
    checked.sort(key=lambda fg: (len(fg[1].unmet()), fg[0].name))
    summary_rows, detail_rows = [], []
    for f, gap, crit, system in checked:
        unmet = gap.unmet()
        summary_rows.append([f.name, f.uscc, town_names.get(towns.get(f.id), ""), label_for(f.level),
                             label_for(f.subclass) if f.subclass else "", len(gap.rows) - len(unmet), len(gap.rows),
                             "; ".join(_pick(r.label, r.label_en) for r in unmet) or _("All criteria met"),
                             _yes_no(f.id in reports)])
        for row in _line_rows(_lines(gap, crit, system, None)):
            detail_rows.append([f.name, f.uscc, *row])
    level_label = label_for(level)
    notes = [
        _("Every %(category)s below %(level)s on 31 December %(year)s, checked against the criteria for %(level)s "
          "with its %(year)s self-report; those missing the fewest criteria first.", category=label_for(category),
          level=level_label, year=year),
        _("Criteria: %(list)s.", list="; ".join(f"{c.title} ({c.source}, v{c.version})" for c in criteria_seen.values())
          or "—"),
        data_date_note(),
    ]
    summary = ListSheet(
        name=_("Candidates"), title=_("Candidates for %(level)s, %(year)s", level=level_label, year=year),
        columns=[Column(_("Name"), "text", 32), Column(_("Credit code"), "text", 21), Column(_("Town"), "text", 12),
                 Column(_("Level now"), "text", 12), Column(_("Subclass"), "text", 10),
                 Column(_("Criteria met"), "int", 9), Column(_("Criteria checked"), "int", 8),
                 Column(_("Not met"), "text", 50), Column(_("Self-report"), "text", 9)],
        rows=summary_rows, notes=_synthetic_note(notes), freeze_column=2)
    detail = ListSheet(
        name=_("Every criterion"), title=_("Candidates for %(level)s, %(year)s: every criterion", level=level_label,
                                           year=year),
        columns=[Column(_("Name"), "text", 32), Column(_("Credit code"), "text", 21), *_gap_columns()],
        rows=detail_rows, notes=list(notes), freeze_column=3)
    return [summary, detail]


def _town_names() -> dict[int, str]:
    from registry.models import Town

    english = is_english()
    return {t.id: (t.name_en if english else t.name) for t in db.session.scalars(select(Town))}


@bp.route("/pipeline.xlsx")
@staff
def pipeline_download():
    level = request.args.get("level") or "national"
    category = request.args.get("category") or "incubator"
    if level not in LEVELS or level not in {lv.value for lv in Level}:
        abort(404)
    from assessment import CATEGORIES

    if category not in CATEGORIES:
        abort(404)
    year = request.args.get("year", type=db_int) or (date.today().year - 1)
    sheets = pipeline_sheets(category, level, year, scoped_to_user=True)
    return _download(workbook_bytes(sheets, title=sheets[0].title), f"pipeline-{category}-{level}-{year}.xlsx")


__all__ = ["compute_gap", "gap_sheet", "pipeline_sheets", "recommendations_sheet", "run_sheets", "stored_points"]
