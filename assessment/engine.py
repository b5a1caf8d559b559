"""evaluate(): one institution-year's figures → points, grade, recommendation and a full trace.

No I/O: the system is already compiled (`system.Plan`), history and standing arrive as plain
values. Bad or missing figures never raise; each indicator's declared policy decides:

* ``zero``    — the indicator earns 0 points and the input is listed in `Outcome.missing`;
* ``exclude`` — the indicator is left out and the base score is rescaled to `max_score`;
* ``error``   — the outcome is "incomplete": no score and no grade (pass ``strict=True`` to
  get a `MissingInputError` listing every such input instead).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from assessment.decisions import recommend
from assessment.errors import MissingInputError
from assessment.outcome import MissingInput, Outcome, PastOutcome, Pending, Standing, Veto
from assessment.rules import POINTS_QUANTUM, ZERO, round_points
from assessment.system import IndicatorSystem
from assessment.trace import Input, TraceNode, node


_ZERO_POINTS = ZERO.quantize(POINTS_QUANTUM)


def evaluate(system: IndicatorSystem, year: int, inputs: Mapping[str, Input], *, standing: Standing,
             history: Sequence[PastOutcome] = (), strict: bool = False, decide: bool = True) -> Outcome:
    """Score `inputs` with `system` for `year` and recommend what to do, with the trace of every step.

    With ``decide=False`` the outcome stops at the grade (``outcome.decided`` is False): a cohort's
    quota is applied to such outcomes (`apply_quota`) and `decide` then recommends from the final
    grade, so no recommendation can rest on a grade the quota later changed.
    """
    plan = system.plan
    assert plan is not None, "systems are compiled on load"
    coerced: dict[str, Any] = {}
    problems: dict[str, str] = {}
    coercers = plan.coercers_dict
    for code in plan.read:
        supplied = inputs.get(code)
        if supplied is None or supplied.value is None:
            problems[code] = "missing"
            continue
        value, why = coercers[code](supplied.value)
        if why is None:
            coerced[code] = value
        else:
            problems[code] = why
    self_reported = plan.self_reported
    reported = any(code in self_reported and inp.value is not None for code, inp in inputs.items())

    nodes: list[TraceNode] = []
    points_of: list[Decimal | None] = []
    missing: list[MissingInput] = []
    vetoes: list[Veto] = []
    unscorable: list[str] = []
    excluded_weight = ZERO
    placeholder = dict(plan.placeholders)
    get = inputs.get
    for code, reads, rule, parameters, compute, policy, weight, is_veto, reference in plan.steps:
        if len(reads) == 1:
            c = reads[0]
            supplied_inputs: tuple[Input, ...] = (get(c) or placeholder[c],)
        else:
            supplied_inputs = tuple([get(c) or placeholder[c] for c in reads])
        bad = [c for c in reads if c in problems] if problems else None
        points: Decimal | None
        if bad:
            for c in bad:
                missing.append(MissingInput(code, c, problems[c], policy))
            detail: Mapping[str, object] = {"unusable": {c: problems[c] for c in bad}, "policy": policy}
            if policy == "zero":
                points = _ZERO_POINTS
            elif policy == "exclude":
                points = None
                excluded_weight += weight
            else:
                points = None
                unscorable.extend(bad)
        else:
            points, detail = compute(coerced)
            if is_veto and detail["triggered"]:
                vetoes.append(_veto(system, code, reads[0], reference))
        nodes.append(node(code, points, rule, parameters, supplied_inputs, detail))
        points_of.append(points)

    if strict and unscorable:
        raise MissingInputError(sorted(set(unscorable)))

    # base score: group subtotals, rescaled if some indicators were excluded
    group_nodes = []
    raw = ZERO
    for code, weight, members in plan.groups:
        subtotal = ZERO
        for j in members:
            p = points_of[j]
            if p is not None:
                subtotal += p
        raw += subtotal
        group_nodes.append(node(code, subtotal, "sum", {"weight": weight}, (), {},
                                     tuple(nodes[j] for j in members)))
    bonus_raw = ZERO
    for j in plan.bonus:
        p = points_of[j]
        if p is not None:
            bonus_raw += p
    bonus = min(bonus_raw, system.bonus_cap)
    extra_nodes = []
    if plan.bonus:
        extra_nodes.append(TraceNode("bonus", bonus, "capped_sum", {"cap": system.bonus_cap}, (), {"raw": bonus_raw},
                                     tuple(nodes[j] for j in plan.bonus)))
    if plan.vetoes:
        extra_nodes.append(TraceNode("vetoes", len(vetoes), "any", {}, (), {"triggered": [v.indicator for v in vetoes]},
                                     tuple(nodes[j] for j in plan.vetoes)))

    max_score = system.max_score
    complete = not unscorable and excluded_weight < max_score
    score_detail: dict[str, object] = {"raw": raw, "bonus": bonus}
    if excluded_weight:
        score_detail["excluded_weight"] = excluded_weight
    if complete:
        base = raw if not excluded_weight else round_points(raw * max_score / (max_score - excluded_weight))
        score: Decimal | None = base + bonus
    else:
        base = score = None
        score_detail["incomplete"] = sorted(set(unscorable)) or "all-excluded"
    score_node = TraceNode("score", score, "total", plan.score_parameters, (), score_detail,
                           tuple(group_nodes) + tuple(extra_nodes))

    fail_grade = system.decisions.fail_grade
    grade: str | None
    failing = [v.indicator for v in vetoes if v.sets_fail_grade]  # a "rectify" veto leaves the scored grade
    if failing:
        grade = fail_grade
        grade_detail: Mapping[str, object] = {"veto": failing}
    elif score is not None:
        grade = system.grade_for(score).grade
        grade_detail = {}
    else:
        grade = None
        grade_detail = {"incomplete": True}
    grade_node = TraceNode("grade", grade, "grade_bands", plan.grade_parameters, (), grade_detail, (score_node,))

    ref = system.ref
    root = TraceNode("outcome", "complete" if complete else "incomplete", None,
                     MappingProxyType({"system": ref.code, "version": ref.version, "source": ref.source,
                                       "sha256": ref.sha256, "provisional": ref.provisional}),
                     (), {}, (score_node, grade_node))
    graded = Outcome(
        system=ref, year=year, status="complete" if complete else "incomplete", score=score, base_score=base,
        bonus=bonus, grade=grade, recommendation=None, missing=tuple(missing),
        vetoes=tuple(vetoes), reported=reported, trace=root,
        standing={"status": standing.status, "level": standing.level, "hardship_area": standing.hardship_area,
                  "provincial_status_lost": standing.provincial_status_lost},
        pending=Pending(system, standing, tuple(history), inputs, coerced, complete),
    )
    return _decide(graded) if decide else graded


def _veto(system: IndicatorSystem, code: str, read: str, reference: str) -> Veto:
    c = system.indicator(code).consequence
    assert c is not None, "veto items declare their consequence (checked on load)"
    return Veto(code, read, reference, c.kind, c.reference, c.bar_years, c.provisional)


def decide(outcome: Outcome) -> Outcome:
    """Recommend from the outcome's final grade (after any quota); the trace gains the recommendation."""
    if outcome.pending is None:
        raise ValueError("this outcome's recommendation is already decided")
    return _decide(outcome)


def _decide(outcome: Outcome) -> Outcome:
    p = outcome.pending
    assert p is not None
    root = outcome.trace
    grade_node = root.children[1]
    recommendation, rec_node = recommend(
        p.system, outcome.year, p.standing, grade=outcome.grade, complete=p.complete, vetoes=outcome.vetoes,
        reported=outcome.reported, history=p.history, inputs=p.inputs, grade_node=grade_node, coerced=p.coerced,
    )
    trace = TraceNode(root.code, root.value, root.rule, root.parameters, root.inputs, root.detail,
                      root.children + (rec_node,))
    return replace(outcome, recommendation=recommendation, trace=trace, pending=None)
