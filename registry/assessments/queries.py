"""Reads for the assessment pages and commands: runs, results, history, comparisons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, True_, func, select
from sqlalchemy.orm import undefer

from registry.extensions import db
from registry.models import AssessmentResult, AssessmentRun, Institution, RunVoid, SelfReport

GRADES = ("A", "B", "C", "D")
RECOMMENDATION_GROUPS = ("recognise", "upgrade", "rectify", "exit", "keep", "do_not_recognise")


def run_counts(runs: Sequence[AssessmentRun], scope: ColumnElement[bool] | None = None) -> dict[int, dict[str, int]]:
    """run id → {grade or "none": count}: the counts each run stored when `scope` (registry.access.scoped)
    filters nothing, else counted in one query."""
    whole = scope is None or isinstance(scope, True_)
    out: dict[int, dict[str, int]] = {r.id: dict((r.counts or {}).get("grade") or {}) if whole else {} for r in runs}
    todo = [r.id for r in runs if not (whole and r.counts)]
    if todo:
        for rid, grade, n in db.session.execute(
                select(AssessmentResult.run_id, AssessmentResult.grade, func.count())
                .where(AssessmentResult.run_id.in_(todo), *_scope(scope))
                .group_by(AssessmentResult.run_id, AssessmentResult.grade)):
            out[rid][grade or "none"] = n
    return out


def grade_distribution(run: AssessmentRun, **filters: Any) -> dict[str, int]:
    """Grade → count over the run's results matching `filters` (the stored counts when nothing narrows them)."""
    counts = {g: 0 for g in GRADES}
    counts["none"] = 0
    if _whole(filters) and run.counts:
        counts.update(run.counts.get("grade") or {})
        return counts
    stmt = _filtered(select(AssessmentResult.grade, func.count()).where(AssessmentResult.run_id == run.id), **filters)
    for grade, n in db.session.execute(stmt.group_by(AssessmentResult.grade)):
        counts[grade or "none"] = n
    return counts


def _whole(filters: dict[str, Any]) -> bool:
    """No filter narrows the run (a scope of everything counts as none)."""
    scope = filters.get("scope")
    return (scope is None or isinstance(scope, True_)) and not any(v for k, v in filters.items() if k != "scope")


def _scope(scope: ColumnElement[bool] | None) -> tuple[ColumnElement[bool], ...]:
    """The where-clause of registry.access.scoped(AssessmentResult.institution_id), if any."""
    return () if scope is None else (scope,)


def _filtered(stmt: Any, *, grade: str | None = None, recommendation: str | None = None,
              category: str | None = None, scope: ColumnElement[bool] | None = None) -> Any:
    stmt = stmt.where(*_scope(scope))
    if grade == "none":
        stmt = stmt.where(AssessmentResult.grade.is_(None))
    elif grade:
        stmt = stmt.where(AssessmentResult.grade == grade)
    if recommendation == "none":
        stmt = stmt.where(AssessmentResult.recommendation.is_(None))
    elif recommendation:
        stmt = stmt.where(AssessmentResult.recommendation == recommendation)
    if category:
        stmt = stmt.where(AssessmentResult.category == category)
    return stmt


SORTS = {
    "score": AssessmentResult.score, "grade": AssessmentResult.grade, "name": Institution.name,
    "recommendation": AssessmentResult.recommendation, "category": AssessmentResult.category,
    "missing": AssessmentResult.missing_count,
}


#: best score first, results without a score (incomplete) ahead of them: ix_assessment_results_run_score read
#: backwards, so a page costs the same on page 1 and page 200
BY_SCORE = (AssessmentResult.score.desc().nulls_first(), AssessmentResult.id.desc())


def run_results(run: AssessmentRun, *, sort: str = "score", desc: bool = True, page: int = 1, per_page: int = 50,
                **filters: Any) -> tuple[list[tuple[AssessmentResult, Institution]], int]:
    """One page of a run's results (without the stored outcomes) and the total matching.

    The page's ids are cut from the ordered results first; only those rows are loaded with their institution.
    """
    ids_stmt = _filtered(select(AssessmentResult.id).where(AssessmentResult.run_id == run.id), **filters)
    if _whole(filters):
        total = run.result_count
    else:
        total = db.session.scalar(select(func.count()).select_from(ids_stmt.subquery())) or 0
    col = SORTS.get(sort, AssessmentResult.score)
    if col is AssessmentResult.score:
        order = BY_SCORE if desc else (AssessmentResult.score.asc().nulls_last(), AssessmentResult.id)
    else:
        order = (col.desc().nulls_last() if desc else col.asc().nulls_last(), AssessmentResult.id)
    if col is Institution.name:
        ids_stmt = ids_stmt.join(Institution, Institution.id == AssessmentResult.institution_id)
    ids = [rid for (rid,) in db.session.execute(ids_stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page))]
    found = {r.id: (r, i) for r, i in db.session.execute(
        select(AssessmentResult, Institution).join(Institution, Institution.id == AssessmentResult.institution_id)
        .where(AssessmentResult.id.in_(ids)))} if ids else {}
    return [found[rid] for rid in ids], total


def not_void() -> Any:
    """SQL condition on AssessmentResult: its run has not been voided."""
    return AssessmentResult.run_id.not_in(select(RunVoid.run_id))


def latest_runs_by_year(institution_id: int) -> list[AssessmentResult]:
    """The institution's result from the latest non-void run of each year (newest year first)."""
    latest = (select(AssessmentResult.year, func.max(AssessmentResult.run_id).label("run_id"))
              .where(AssessmentResult.institution_id == institution_id, not_void())
              .group_by(AssessmentResult.year).subquery())
    return list(db.session.scalars(
        select(AssessmentResult).join(latest, (latest.c.year == AssessmentResult.year) & (latest.c.run_id == AssessmentResult.run_id))
        .where(AssessmentResult.institution_id == institution_id).order_by(AssessmentResult.year.desc())))


def default_year() -> int | None:
    """The latest year that has a non-void run and self-reports (a mistyped future year has neither)."""
    reported = select(SelfReport.year).where(SelfReport.is_current.is_(True)).distinct()
    return db.session.scalar(select(func.max(AssessmentRun.year)).where(
        AssessmentRun.id.not_in(select(RunVoid.run_id)), AssessmentRun.year.in_(reported)))


def assessed_years() -> list[int]:
    """Years with at least one non-void run, newest first."""
    return list(db.session.scalars(select(AssessmentRun.year).distinct()
                                   .where(AssessmentRun.id.not_in(select(RunVoid.run_id)))
                                   .order_by(AssessmentRun.year.desc())))


def runs_for_picker() -> list[tuple[int, int, str | None, Any]]:
    """(id, year, category, started_at) of every non-void run, newest first: the light columns a run picker shows."""
    return [tuple(r) for r in db.session.execute(
        select(AssessmentRun.id, AssessmentRun.year, AssessmentRun.category, AssessmentRun.started_at)
        .where(AssessmentRun.id.not_in(select(RunVoid.run_id)))
        .order_by(AssessmentRun.year.desc(), AssessmentRun.id.desc()))]


def default_run_id(year: int | None = None) -> int | None:
    """The run the recommendations page opens on: the latest non-void run of `year`, by default of
    `default_year()` (the latest year with reports), else of the latest year assessed."""
    year = year if year is not None else default_year()
    stmt = select(AssessmentRun.id).where(AssessmentRun.id.not_in(select(RunVoid.run_id)))
    if year is not None:
        stmt = stmt.where(AssessmentRun.year == year)
    return db.session.scalar(stmt.order_by(AssessmentRun.year.desc(), AssessmentRun.id.desc()).limit(1))


def _recommendation_is(kind: str) -> Any:
    return AssessmentResult.recommendation.is_(None) if kind == "none" else AssessmentResult.recommendation == kind


def recommendation_counts(run: AssessmentRun, scope: ColumnElement[bool] | None = None) -> dict[str, int]:
    """Recommendation (or "none") → how many results of the run carry it: the counts the run stored, or
    for a user who does not see every institution one grouped scan of what they see."""
    counts = {k: 0 for k in (*RECOMMENDATION_GROUPS, "none")}
    if (scope is None or isinstance(scope, True_)) and run.counts:
        counts.update(run.counts.get("recommendation") or {})
        return counts
    for rec, n in db.session.execute(select(AssessmentResult.recommendation, func.count())
                                     .where(AssessmentResult.run_id == run.id, *_scope(scope))
                                     .group_by(AssessmentResult.recommendation)):
        counts[rec or "none"] = counts.get(rec or "none", 0) + n
    return counts


@dataclass(frozen=True, slots=True)
class RecommendationRow:
    """What one line of the recommendations page shows: light columns only, never the stored outcome."""

    result_id: int
    institution_id: int
    name: str
    uscc: str
    category: str
    subclass: str | None
    score: Any
    grade: str | None
    recommendation: str | None
    rule: str | None
    params: Mapping[str, Any]
    is_provisional: bool


def recommendation_rows(run_id: int, kind: str, *, limit: int, offset: int = 0,
                        scope: ColumnElement[bool] | None = None) -> list[RecommendationRow]:
    """One page of a run's results with recommendation `kind` ("none": without one), best score first.

    The page's ids come from the (run, recommendation, score, id) index read backwards; only
    those rows are joined to their institutions.
    """
    ids = (select(AssessmentResult.id).where(AssessmentResult.run_id == run_id, _recommendation_is(kind), *_scope(scope))
           .order_by(*BY_SCORE).limit(limit).offset(offset))
    page = [rid for (rid,) in db.session.execute(ids)]
    if not page:
        return []
    r, i = AssessmentResult, Institution
    found = {t[0]: RecommendationRow(*t[:10], t[10] or {}, bool(t[11])) for t in db.session.execute(
        select(r.id, i.id, i.name, i.uscc, r.category, r.subclass, r.score, r.grade, r.recommendation,
               r.recommendation_rule, r.recommendation_params, r.is_provisional)
        .join(i, i.id == r.institution_id).where(r.id.in_(page)))}
    return [found[rid] for rid in page]


def result_with_outcome(result_id: int) -> AssessmentResult | None:
    return db.session.scalar(select(AssessmentResult).where(AssessmentResult.id == result_id)
                             .options(undefer(AssessmentResult.outcome)))


def institution_result(year: int, institution_id: int, run_id: int | None = None) -> AssessmentResult | None:
    """The result of `run_id`, or by default of the latest non-void run of the year."""
    stmt = select(AssessmentResult).where(AssessmentResult.year == year, AssessmentResult.institution_id == institution_id)
    if run_id is not None:
        stmt = stmt.where(AssessmentResult.run_id == run_id)
    else:
        stmt = stmt.where(not_void())
    return db.session.scalar(stmt.options(undefer(AssessmentResult.outcome)).order_by(AssessmentResult.run_id.desc()).limit(1))
