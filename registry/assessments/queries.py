"""Reads for the assessment pages and commands: runs, results, history, comparisons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, undefer

from assessment.outcome import expand_stored
from registry.extensions import db
from registry.models import AssessmentResult, AssessmentRun, Institution

GRADES = ("A", "B", "C", "D")
RECOMMENDATION_GROUPS = ("recognise", "upgrade", "rectify", "exit", "keep", "do_not_recognise")


def run_counts(runs: Sequence[AssessmentRun]) -> dict[int, dict[str, int]]:
    """run id → {grade or "none": count}: the counts each run stored, counted here only for runs without them."""
    out: dict[int, dict[str, int]] = {r.id: dict((r.counts or {}).get("grade") or {}) for r in runs}
    uncounted = [r.id for r in runs if not r.counts]
    if uncounted:
        for rid, grade, n in db.session.execute(
                select(AssessmentResult.run_id, AssessmentResult.grade, func.count())
                .where(AssessmentResult.run_id.in_(uncounted)).group_by(AssessmentResult.run_id, AssessmentResult.grade)):
            out[rid][grade or "none"] = n
    return out


def grade_distribution(run: AssessmentRun, visible: Any = None, **filters: Any) -> dict[str, int]:
    """Grade → count over the run's results matching `filters` (stored counts when nothing narrows them)."""
    counts = {g: 0 for g in GRADES}
    counts["none"] = 0
    if visible is None and not any(filters.values()) and run.counts:
        counts.update(run.counts.get("grade") or {})
        return counts
    stmt = _filtered(select(AssessmentResult.grade, func.count()).where(AssessmentResult.run_id == run.id), **filters)
    if visible is not None:
        stmt = stmt.where(AssessmentResult.institution_id.in_(visible))
    for grade, n in db.session.execute(stmt.group_by(AssessmentResult.grade)):
        counts[grade or "none"] = n
    return counts


def _filtered(stmt: Any, *, grade: str | None = None, recommendation: str | None = None,
              category: str | None = None) -> Any:
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
                visible: Any = None, **filters: Any) -> tuple[list[tuple[AssessmentResult, Institution]], int]:
    """One page of a run's results (without the stored outcomes) and the total matching.

    The page's ids are cut from the ordered results first; only those rows are loaded with their institution.
    """
    scope = _filtered(select(AssessmentResult.id).where(AssessmentResult.run_id == run.id), **filters)
    if visible is not None:
        scope = scope.where(AssessmentResult.institution_id.in_(visible))
    if visible is None and not any(filters.values()):
        total = run.result_count
    else:
        total = db.session.scalar(select(func.count()).select_from(scope.subquery())) or 0
    col = SORTS.get(sort, AssessmentResult.score)
    if col is AssessmentResult.score:
        order = BY_SCORE if desc else (AssessmentResult.score.asc().nulls_last(), AssessmentResult.id)
    else:
        order = (col.desc().nulls_last() if desc else col.asc().nulls_last(), AssessmentResult.id)
    if col is Institution.name:
        scope = scope.join(Institution, Institution.id == AssessmentResult.institution_id)
    ids = [rid for (rid,) in db.session.execute(scope.order_by(*order).limit(per_page).offset((page - 1) * per_page))]
    found = {r.id: (r, i) for r, i in db.session.execute(
        select(AssessmentResult, Institution).join(Institution, Institution.id == AssessmentResult.institution_id)
        .where(AssessmentResult.id.in_(ids)))} if ids else {}
    return [found[rid] for rid in ids], total


def latest_runs_by_year(institution_id: int) -> list[AssessmentResult]:
    """The institution's result from the latest run of each year (newest year first)."""
    latest = (select(AssessmentResult.year, func.max(AssessmentResult.run_id).label("run_id"))
              .where(AssessmentResult.institution_id == institution_id).group_by(AssessmentResult.year).subquery())
    return list(db.session.scalars(
        select(AssessmentResult).join(latest, (latest.c.year == AssessmentResult.year) & (latest.c.run_id == AssessmentResult.run_id))
        .where(AssessmentResult.institution_id == institution_id).order_by(AssessmentResult.year.desc())))


def runs_for_picker() -> list[tuple[int, int, str | None, Any]]:
    """(id, year, category, started_at) of every run, newest first: the light columns a run picker shows."""
    return [tuple(r) for r in db.session.execute(
        select(AssessmentRun.id, AssessmentRun.year, AssessmentRun.category, AssessmentRun.started_at)
        .order_by(AssessmentRun.year.desc(), AssessmentRun.id.desc()))]


def default_run_id(year: int | None = None) -> int | None:
    """The run the recommendations page opens on: the latest run of `year` (of the latest year assessed)."""
    stmt = select(AssessmentRun.id)
    if year is not None:
        stmt = stmt.where(AssessmentRun.year == year)
    return db.session.scalar(stmt.order_by(AssessmentRun.year.desc(), AssessmentRun.id.desc()).limit(1))


def _recommendation_is(kind: str) -> Any:
    return AssessmentResult.recommendation.is_(None) if kind == "none" else AssessmentResult.recommendation == kind


def recommendation_counts(run: AssessmentRun, visible: Any = None) -> dict[str, int]:
    """Recommendation (or "none") → how many results of the run carry it: the counts the run stored, or
    for a user who does not see every institution one grouped scan of what they see."""
    counts = {k: 0 for k in (*RECOMMENDATION_GROUPS, "none")}
    if visible is None and run.counts:
        counts.update(run.counts.get("recommendation") or {})
        return counts
    stmt = select(AssessmentResult.recommendation, func.count()).where(AssessmentResult.run_id == run.id)
    if visible is not None:
        stmt = stmt.where(AssessmentResult.institution_id.in_(visible))
    for rec, n in db.session.execute(stmt.group_by(AssessmentResult.recommendation)):
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
                        visible: Any = None) -> list[RecommendationRow]:
    """One page of a run's results with recommendation `kind` ("none": without one), best score first.

    The page's ids come from the (run, recommendation, score, id) index read backwards; only
    those rows are joined to their institutions.
    """
    ids = (select(AssessmentResult.id).where(AssessmentResult.run_id == run_id, _recommendation_is(kind)))
    if visible is not None:
        ids = ids.where(AssessmentResult.institution_id.in_(visible))
    ids = ids.order_by(*BY_SCORE).limit(limit).offset(offset)
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
    stmt = select(AssessmentResult).where(AssessmentResult.year == year, AssessmentResult.institution_id == institution_id)
    if run_id is not None:
        stmt = stmt.where(AssessmentResult.run_id == run_id)
    return db.session.scalar(stmt.options(undefer(AssessmentResult.outcome)).order_by(AssessmentResult.run_id.desc()).limit(1))


# --- comparing two runs -----------------------------------------------------------------------

@dataclass(slots=True)
class Change:
    institution_id: int
    uscc: str
    name: str
    grade: tuple[str | None, str | None]
    recommendation: tuple[str | None, str | None]
    rule: tuple[str | None, str | None]
    system: tuple[str, str] | None = None  #: "version (sha…)" before/after when it changed
    indicators: list[tuple[str, Any, Any]] = field(default_factory=list)  #: (code, points a, points b)
    inputs: list[tuple[str, Any, Any]] = field(default_factory=list)  #: (code, value a, value b)
    result_ids: tuple[int | None, int | None] = (None, None)


@dataclass(slots=True)
class Comparison:
    a: AssessmentRun
    b: AssessmentRun
    changes: list[Change]  #: the page asked for (all of them when no limit was given)
    only_a: list[tuple[int, str, str]]  #: (institution id, uscc, name), the first `limit` of them
    only_b: list[tuple[int, str, str]]
    unchanged: int
    changed: int = 0  #: how many changed in all
    only_a_count: int = 0
    only_b_count: int = 0


def _inputs_of(outcome: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(n: Mapping[str, Any]) -> None:
        for i in n.get("inputs", ()):
            found.setdefault(i["code"], i.get("value"))
        for c in n.get("children", ()):
            walk(c)
    walk(outcome.get("trace") or {})
    return found


def compare_runs(a: AssessmentRun, b: AssessmentRun, *, limit: int | None = None, offset: int = 0,
                 visible: Any = None) -> Comparison:
    """Institutions whose grade or recommendation differs between two runs, and why.

    The database pairs the two runs' light columns and counts; only the page of changes asked for
    (ordered by institution) is read, and the stored outcomes only of those results.
    """
    ra, rb = aliased(AssessmentResult), aliased(AssessmentResult)
    differs = or_(ra.grade.is_distinct_from(rb.grade), ra.recommendation.is_distinct_from(rb.recommendation))
    on = and_(rb.institution_id == ra.institution_id, rb.run_id == b.id)
    scope = [ra.run_id == a.id]
    if visible is not None:
        scope.append(ra.institution_id.in_(visible))
    common, changed = db.session.execute(
        select(func.count(), func.count(case((differs, 1)))).select_from(ra).join(rb, on).where(*scope)).one()
    stmt = (select(ra.institution_id, ra.id, rb.id, ra.grade, rb.grade, ra.recommendation, rb.recommendation,
                   ra.recommendation_rule, rb.recommendation_rule, ra.system_version, rb.system_version,
                   ra.system_sha256, rb.system_sha256, Institution.uscc, Institution.name)
            .select_from(ra).join(rb, on).join(Institution, Institution.id == ra.institution_id)
            .where(*scope, differs).order_by(ra.institution_id).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    changes = [Change(r[0], r[13], r[14], (r[3], r[4]), (r[5], r[6]), (r[7], r[8]),
                      None if r[11] == r[12] else (f"{r[9]} ({r[11][:10]})", f"{r[10]} ({r[12][:10]})"),
                      result_ids=(r[1], r[2])) for r in db.session.execute(stmt)]
    _explain_changes(changes)

    def only(x: AssessmentRun, y: AssessmentRun) -> tuple[list[tuple[int, str, str]], int]:
        rx = aliased(AssessmentResult)
        where = [rx.run_id == x.id, ~select(AssessmentResult.id).where(
            AssessmentResult.run_id == y.id, AssessmentResult.institution_id == rx.institution_id).exists()]
        if visible is not None:
            where.append(rx.institution_id.in_(visible))
        count = (x.result_count - common if visible is None else
                 db.session.scalar(select(func.count()).select_from(rx).where(*where)) or 0)
        rows = (select(rx.institution_id, Institution.uscc, Institution.name)
                .join(Institution, Institution.id == rx.institution_id).where(*where).order_by(rx.institution_id))
        if limit is not None:
            rows = rows.limit(limit)
        return [tuple(r) for r in db.session.execute(rows)] if count else [], count

    only_a, only_a_count = only(a, b)
    only_b, only_b_count = only(b, a)
    return Comparison(a, b, changes, only_a, only_b, common - changed, changed, only_a_count, only_b_count)


def _explain_changes(changed: list[Change]) -> None:
    """Per change: the indicators whose points and the inputs whose values differ, from the two stored outcomes."""
    ids = [c.result_ids[0] for c in changed] + [c.result_ids[1] for c in changed]
    outcomes: dict[int, Mapping[str, Any]] = {}
    for start in range(0, len(ids), 500):
        for rid, outcome in db.session.execute(select(AssessmentResult.id, AssessmentResult.outcome)
                                               .where(AssessmentResult.id.in_(ids[start:start + 500]))):
            outcomes[rid] = expand_stored(outcome) if outcome else {}
    for c in changed:
        oa, ob = outcomes.get(c.result_ids[0]) or {}, outcomes.get(c.result_ids[1]) or {}
        pa = {i["code"]: i["points"] for i in oa.get("indicators", [])}
        pb = {i["code"]: i["points"] for i in ob.get("indicators", [])}
        c.indicators = [(code, pa.get(code), pb.get(code)) for code in dict.fromkeys([*pa, *pb])
                        if pa.get(code) != pb.get(code)]
        ia, ib = _inputs_of(oa), _inputs_of(ob)
        c.inputs = [(code, ia.get(code), ib.get(code)) for code in dict.fromkeys([*ia, *ib]) if ia.get(code) != ib.get(code)]
