"""Recommendations (recognise / keep / upgrade / rectify / exit) and the cohort grade quota.

Each recommendation names the rule that produced it and the parameters it read; the numbers
(how many consecutive fails, the rectification deadline, how near "nearly meets" is, the level
ladder) come from the system file's ``[decisions]`` table, not from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR
from typing import TYPE_CHECKING, Any

from assessment.criteria import GapList, check_coerced, criteria_for, load_criteria
from assessment.errors import SystemNotFoundError
from assessment.trace import Input, TraceNode

if TYPE_CHECKING:
    from assessment.outcome import Outcome, PastOutcome, Recommendation, Standing, Veto
    from assessment.system import IndicatorSystem


def recommend(system: IndicatorSystem, year: int, standing: Standing, *, grade: str | None, complete: bool,
              vetoes: Sequence[Veto], reported: bool, history: Sequence[PastOutcome],
              inputs: Mapping[str, Input], grade_node: TraceNode, coerced: Mapping[str, Any] | None = None) -> tuple[Recommendation | None, TraceNode]:
    """The first rule that applies, in a fixed order: veto, lost status, unreported, fails, upgrade, keep.

    Applicants (and exited institutions applying again) are checked against the criteria of
    the level they apply for (`standing.level`, else the bottom of the ladder).
    """
    from assessment.outcome import Recommendation

    policy = system.decisions
    coerced = coerced or {}
    past = {p.year: p for p in history}
    facts: dict[str, object] = {"standing": standing.status, "level": standing.level, "grade": grade}

    def done(rec: Recommendation | None, rule: str, detail: Mapping[str, object] | None = None) -> tuple[Recommendation | None, TraceNode]:
        node = TraceNode("recommendation", None if rec is None else rec.kind, rule,
                         {**({} if rec is None else rec.params)}, (), {**facts, **(detail or {})}, (grade_node,))
        return rec, node

    if standing.status in ("applicant", "exited"):
        if vetoes:  # whatever an item does to a recognised institution, an applicant with it is not recognised
            return done(Recommendation("do_not_recognise", "veto", _veto_params(vetoes)), "veto")
        level = standing.level or policy.ladder[0]
        gaps = _gaps(system, year, level, standing, inputs, coerced)
        if gaps is None:
            return done(None, "no-criteria", {"target_level": level})
        params = {"target_level": level, "criteria": gaps.code, "criteria_version": gaps.version}
        if gaps.met:
            return done(Recommendation("recognise", "criteria-met", params, gaps), "criteria-met")
        return done(Recommendation("do_not_recognise", "criteria-unmet",
                                   {**params, "unmet": [r.code for r in gaps.unmet()]}, gaps), "criteria-unmet")

    # recognised or rectifying: each triggered veto item does what its system file declares
    ending = [v for v in vetoes if v.ends_recognition]
    if ending:
        return done(Recommendation("exit", "veto", _veto_params(ending)), "veto")
    failing = [v for v in vetoes if v.sets_fail_grade]  # "grade_d": a D for the year, then the ordinary rules
    rectifying = [v for v in vetoes if v.consequence == "rectify"]
    if policy.provincial_cascade and standing.provincial_status_lost:
        return done(Recommendation("exit", "provincial-status-lost", {"reference": policy.reference}), "provincial-status-lost")

    streak = _streak(year, not reported, past, lambda p: not p.reported)
    if len(streak) >= policy.consecutive_unreported:
        return done(Recommendation("exit", "consecutive-unreported",
                                   {"years": streak, "limit": policy.consecutive_unreported}), "consecutive-unreported")
    if not complete and not failing:  # a veto's D needs no score
        return done(None, "incomplete", {"unreported_years": streak})

    if grade == policy.fail_grade:
        because = _veto_params(failing) if failing else {}
        fails = _streak(year, True, past, lambda p: p.grade == policy.fail_grade)
        if len(fails) >= policy.consecutive_fails:
            return done(Recommendation("exit", "consecutive-fails",
                                       {"years": fails, "limit": policy.consecutive_fails, **because}), "consecutive-fails")
        return done(Recommendation("rectify", "single-fail",
                                   {"deadline_months": policy.rectify_deadline_months, "grade": grade, **because}),
                    "single-fail")
    if rectifying:
        return done(Recommendation("rectify", "veto-rectify",
                                   {"deadline_months": policy.rectify_deadline_months, "grade": grade,
                                    **_veto_params(rectifying)}), "veto-rectify")

    if standing.status == "rectifying":
        # a passing grade ends the rectification; an upgrade is for institutions in good standing
        return done(Recommendation("keep", "rectified", {"grade": grade}), "rectified")

    target = _next_level(policy.ladder, standing.level, system, year)
    if target is not None:
        gaps = _gaps(system, year, target, standing, inputs, coerced)
        if gaps is not None:
            unmet = gaps.unmet()
            params = {"target_level": target, "criteria": gaps.code, "criteria_version": gaps.version}
            if not unmet:
                return done(Recommendation("upgrade", "meets-next-level", params, gaps), "meets-next-level")
            near = len(unmet) <= policy.upgrade_max_unmet and all(
                r.shortfall is not None and r.shortfall <= policy.upgrade_max_shortfall for r in unmet)
            if near:
                return done(Recommendation("upgrade", "nearly-meets-next-level",
                                           {**params, "max_unmet": policy.upgrade_max_unmet,
                                            "max_shortfall": policy.upgrade_max_shortfall,
                                            "unmet": [r.code for r in unmet]}, gaps), "nearly-meets-next-level")
            return done(Recommendation("keep", "keep", {**params, "unmet": [r.code for r in unmet]}, gaps), "keep")
    return done(Recommendation("keep", "keep", {"grade": grade}), "keep")


def _veto_params(vetoes: Sequence[Veto]) -> dict[str, object]:
    """The triggered items, what each does and its clause; the longest re-application bar, if any."""
    params: dict[str, object] = {
        "vetoes": [v.indicator for v in vetoes],
        "consequences": {v.indicator: v.consequence for v in vetoes},
        "clauses": {v.indicator: v.consequence_reference for v in vetoes},
    }
    bars = [v.bar_years for v in vetoes if v.bar_years]
    if bars:
        params["bar_years"] = max(bars)
    if any(v.provisional for v in vetoes):
        params["provisional"] = True
    return params


def _streak(year: int, current: bool, past: Mapping[int, PastOutcome], hit: object) -> list[int]:
    """Consecutive years ending at `year` for which the condition holds (`current` for this year)."""
    if not current:
        return []
    years = [year]
    y = year - 1
    while y in past and hit(past[y]):  # type: ignore[operator]
        years.append(y)
        y -= 1
    return sorted(years)


def _next_level(ladder: Sequence[str], level: str | None, system: IndicatorSystem, year: int) -> str | None:
    """The first level above `level` on the ladder that has recognition criteria."""
    start = ladder.index(level) + 1 if level in ladder else (1 if level is None else len(ladder))
    for target in ladder[start:]:
        if criteria_for(system.category, system.subclass, target) is not None:
            return target
    return None


def _gaps(system: IndicatorSystem, year: int, level: str, standing: Standing, inputs: Mapping[str, Input],
          coerced: Mapping[str, Any]) -> GapList | None:
    code = criteria_for(system.category, system.subclass, level)
    if code is None:
        return None
    try:
        crit = load_criteria(code, year)
    except SystemNotFoundError:
        return None
    return check_coerced(crit, inputs, coerced, hardship_area=standing.hardship_area, year=year)


def apply_quota(outcomes: Sequence[Outcome], system: IndicatorSystem) -> list[Outcome]:
    """Cap the share of a cohort holding the quota grade (e.g. A ≤ top 20 %); excess drops a grade.

    Takes outcomes whose recommendation is not decided yet (``evaluate(..., decide=False)``) and
    refuses decided ones: the recommendation must be made from the final grade (`engine.decide`),
    never from a grade the quota then changes.

    The cohort is every graded outcome of this system (same file, same year). At most
    floor(max_share × cohort) keep the grade, best scores first; when a tie straddles the limit
    the whole tie is demoted, so the quota is never exceeded. Every outcome holding the grade
    gets the quota facts (rank, allowed, kept or demoted) in `quota` and in its trace.
    """
    quota = system.quota
    outcomes = list(outcomes)
    if quota is None:
        return outcomes
    for o in outcomes:
        if o.pending is None:
            raise ValueError("apply the quota before deciding recommendations: evaluate(..., decide=False), "
                             "apply_quota, then decide")
        if o.system.sha256 != system.sha256 or o.system.source != system.source:
            raise ValueError(f"outcome for {o.system.source} ({o.system.sha256[:8]}) is not from {system.source}")
    years = {o.year for o in outcomes}
    if len(years) > 1:
        raise ValueError(f"a quota applies to one year's cohort; got years {sorted(years)}")
    cohort = [o for o in outcomes if o.grade is not None]
    allowed = int((quota.max_share * len(cohort)).to_integral_value(rounding=ROUND_FLOOR))
    holders = sorted((o for o in cohort if o.grade == quota.grade), key=lambda o: -(o.score or 0))
    keep_ids: set[int] = set()
    if len(holders) <= allowed:
        keep_ids = {id(o) for o in holders}
    else:
        cutoff = holders[allowed].score if allowed < len(holders) else None
        keep_ids = {id(o) for o in holders[:allowed] if cutoff is None or (o.score or 0) > cutoff}
    rank = {id(o): i + 1 for i, o in enumerate(holders)}
    params = {"grade": quota.grade, "max_share": quota.max_share, "demote_to": quota.demote_to,
              "cohort": len(cohort), "allowed": allowed, "holders": len(holders), "reference": quota.reference,
              "provisional": quota.provisional}
    out = []
    for o in outcomes:
        if id(o) not in rank:
            out.append(o)
            continue
        kept = id(o) in keep_ids
        facts = {**params, "rank": rank[id(o)], "kept": kept}
        new_grade = quota.grade if kept else quota.demote_to
        node = TraceNode("quota", new_grade, "quota", {k: params[k] for k in ("grade", "max_share", "demote_to")}, (),
                         {k: facts[k] for k in ("cohort", "allowed", "holders", "rank", "kept")}, ())
        trace = o.trace
        children = tuple(_with_quota(c, node, new_grade) if c.code == "grade" else c for c in trace.children)
        out.append(o.with_grade(new_grade, facts, TraceNode(trace.code, trace.value, trace.rule, trace.parameters,
                                                             trace.inputs, trace.detail, children)))
    return out


def _with_quota(grade_node: TraceNode, quota_node: TraceNode, grade: str) -> TraceNode:
    return TraceNode(grade_node.code, grade, grade_node.rule, grade_node.parameters, grade_node.inputs,
                     {**grade_node.detail, "before_quota": grade_node.value}, grade_node.children + (quota_node,))


