"""Reads for the assessment pages and commands: runs, results, history, comparisons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import undefer

from registry.extensions import db
from registry.models import AssessmentResult, AssessmentRun, Institution, RunVoid, SelfReport

GRADES = ("A", "B", "C", "D")
RECOMMENDATION_GROUPS = ("recognise", "upgrade", "rectify", "exit", "keep", "do_not_recognise")


def run_counts(run_ids: Sequence[int], scope: ColumnElement[bool] | None = None) -> dict[int, dict[str, int]]:
    """run id → {grade or "none": count} in one query; `scope` (registry.access.scoped) limits what is counted."""
    out: dict[int, dict[str, int]] = {rid: {} for rid in run_ids}
    if not run_ids:
        return out
    for rid, grade, n in db.session.execute(
            select(AssessmentResult.run_id, AssessmentResult.grade, func.count())
            .where(AssessmentResult.run_id.in_(run_ids), *_scope(scope)).group_by(AssessmentResult.run_id, AssessmentResult.grade)):
        out[rid][grade or "none"] = n
    return out


def grade_distribution(run_id: int, **filters: Any) -> dict[str, int]:
    stmt = select(AssessmentResult.grade, func.count()).where(AssessmentResult.run_id == run_id)
    stmt = _filtered(stmt, **filters)
    counts = {g: 0 for g in GRADES}
    counts["none"] = 0
    for grade, n in db.session.execute(stmt.group_by(AssessmentResult.grade)):
        counts[grade or "none"] = n
    return counts


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


def run_results(run_id: int, *, sort: str = "score", desc: bool = True, page: int = 1, per_page: int = 50,
                **filters: Any) -> tuple[list[tuple[AssessmentResult, Institution]], int]:
    """One page of a run's results (without the stored outcomes) and the total matching."""
    base = _filtered(select(AssessmentResult, Institution).join(Institution, Institution.id == AssessmentResult.institution_id)
                     .where(AssessmentResult.run_id == run_id), **filters)
    total = db.session.scalar(_filtered(select(func.count()).select_from(AssessmentResult)
                                        .where(AssessmentResult.run_id == run_id), **filters)) or 0
    col = SORTS.get(sort, AssessmentResult.score)
    order = col.desc().nulls_last() if desc else col.asc().nulls_last()
    rows = db.session.execute(base.order_by(order, AssessmentResult.id).limit(per_page).offset((page - 1) * per_page)).all()
    return [(r[0], r[1]) for r in rows], total


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


def latest_results_for_year(year: int, scope: ColumnElement[bool] | None = None) -> list[tuple[AssessmentResult, Institution]]:
    """Each institution's result from the latest non-void run of `year` that assessed it (within `scope`)."""
    latest = (select(AssessmentResult.institution_id, func.max(AssessmentResult.run_id).label("run_id"))
              .where(AssessmentResult.year == year, not_void(), *_scope(scope)).group_by(AssessmentResult.institution_id).subquery())
    rows = db.session.execute(
        select(AssessmentResult, Institution)
        .join(latest, (latest.c.institution_id == AssessmentResult.institution_id) & (latest.c.run_id == AssessmentResult.run_id))
        .join(Institution, Institution.id == AssessmentResult.institution_id)
        .where(AssessmentResult.year == year)
        .options(undefer(AssessmentResult.outcome))
        .order_by(AssessmentResult.category, AssessmentResult.score.desc().nulls_last(), Institution.name)).all()
    return [(r[0], r[1]) for r in rows]


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
