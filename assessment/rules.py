"""The few kinds of scoring rule; numbers, weights and bands live in the system files.

Each kind is a small pure function over already-validated numbers, plus a compiler that binds
an indicator's parameters once so evaluation does no parsing. When a year changes *how* a rule
works (not its numbers), add a new kind here rather than branching on the year (style.md §G).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
POINTS_QUANTUM = Decimal("0.01")
RATIO_QUANTUM = Decimal("0.0001")

#: (points, detail) — what every compiled rule returns.
RuleResult = tuple[Decimal, Mapping[str, object]]
Compiled = Callable[[Sequence[Any]], RuleResult]


def round_points(value: Decimal) -> Decimal:
    """Points are kept to two decimals, half up (as published score sheets are)."""
    return value.quantize(POINTS_QUANTUM, rounding=ROUND_HALF_UP)


def ratio(numerator: Decimal | int, denominator: Decimal | int, scale: Decimal = HUNDRED) -> Decimal | None:
    """numerator ÷ denominator × scale, rounded to 4 decimals; None when the denominator is zero.

    The rounded figure is the one compared with thresholds, so what the trace shows is what
    was judged.
    """
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)


def growth(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """Year-on-year growth in per cent; None when last year's figure is zero (growth undefined)."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) * HUNDRED / abs(Decimal(previous))).quantize(
        RATIO_QUANTUM, rounding=ROUND_HALF_UP
    )


def band_points(value: Decimal | int, bands: Sequence[tuple[Decimal, Decimal]]) -> tuple[Decimal, int | None]:
    """Points of the first band (highest minimum first) whose minimum `value` reaches, and its index."""
    for index, (minimum, points) in enumerate(bands):
        if value >= minimum:
            return points, index
    return ZERO, None


def linear_points(value: Decimal | int, floor: Decimal, target: Decimal, weight: Decimal) -> Decimal:
    """0 at the floor, `weight` at the target, straight line between, capped both ends.

    A floor above the target means lower is better (e.g. dependence on subsidies).
    """
    share = (Decimal(value) - floor) / (target - floor)
    if share <= ZERO:
        return ZERO
    if share >= ONE:
        return weight
    return round_points(weight * share)


def threshold_points(value: Decimal | int, minimum: Decimal, weight: Decimal) -> Decimal:
    """All the points when the minimum is reached, none otherwise."""
    return weight if value >= minimum else ZERO


def boolean_points(value: bool, weight: Decimal, expect: bool = True) -> Decimal:
    """All the points when the answer is the expected one."""
    return weight if value is expect else ZERO


def reviewer_points(score: Decimal | int, weight: Decimal) -> tuple[Decimal, bool]:
    """A reviewer's score, clamped to 0…weight; the flag says whether clamping happened."""
    if score < ZERO:
        return ZERO, True
    if score > weight:
        return weight, True
    return round_points(Decimal(score)), False


def bonus_points(count: Decimal | int | bool, per_item: Decimal, cap: Decimal) -> Decimal:
    """per_item for each occurrence (or once for True), at most `cap`."""
    n = Decimal(1 if count is True else 0 if count is False else count)
    if n <= ZERO:
        return ZERO
    return min(round_points(n * per_item), cap)


def veto_triggered(value: object, when: bool | None = None, contains: str | None = None) -> bool:
    """A boolean equal to `when`, or a multi-choice answer containing the code `contains`."""
    if contains is not None:
        return isinstance(value, (tuple, list, frozenset, set)) and contains in value
    return value is when


# --- compilers: bind parameters once ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Kind:
    """A rule kind: the parameter keys it accepts and how its inputs are named."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    scored: bool = True  #: counts towards max_score (not bonus or veto)


KINDS: Mapping[str, Kind] = MappingProxyType({
    "bands": Kind("bands", ("bands",)),
    "ratio_bands": Kind("ratio_bands", ("numerator", "denominator", "bands"), ("scale",)),
    "linear": Kind("linear", ("floor", "target")),
    "ratio_linear": Kind("ratio_linear", ("numerator", "denominator", "floor", "target"), ("scale",)),
    "growth_linear": Kind("growth_linear", ("current", "previous", "floor", "target")),
    "threshold": Kind("threshold", ("min",)),
    "ratio_threshold": Kind("ratio_threshold", ("numerator", "denominator", "min"), ("scale",)),
    "boolean": Kind("boolean", (), ("expect",)),
    "reviewer": Kind("reviewer", ()),
    "bonus": Kind("bonus", ("per_item",)),
    "veto": Kind("veto", (), ("when", "contains")),
})


def _sum(values: Sequence[Any], idx: tuple[int, ...]) -> Decimal:
    total = ZERO
    for i in idx:
        total += values[i]
    return total


def compile_rule(kind: str, params: Mapping[str, Any], weight: Decimal, positions: Mapping[str, int]) -> Compiled:
    """A function of the indicator's input values (in declared order) returning (points, detail).

    `positions` maps each input code to its index in that tuple. Parameters are assumed
    validated by `system.py`.
    """
    # bands, linear and threshold score one figure: the input, or the sum of several
    # (e.g. own + partner incubation funds)
    value_of: Callable[[Sequence[Any]], Any] = (lambda v: v[0]) if len(positions) == 1 else (lambda v: _sum(v, tuple(range(len(v)))))
    if kind == "bands":
        bands = params["bands"]

        def run(v: Sequence[Any]) -> RuleResult:
            x = value_of(v)
            points, idx = band_points(x, bands)
            return points, {"value": x, "matched": idx}
        return run

    if kind in ("ratio_bands", "ratio_linear", "ratio_threshold"):
        num = tuple(positions[c] for c in params["numerator"])
        den = tuple(positions[c] for c in params["denominator"])
        scale = params.get("scale", HUNDRED)
        if kind == "ratio_bands":
            bands = params["bands"]

            def score(r: Decimal) -> tuple[Decimal, dict[str, object]]:
                points, idx = band_points(r, bands)
                return points, {"matched": idx}
        elif kind == "ratio_linear":
            floor, target = params["floor"], params["target"]

            def score(r: Decimal) -> tuple[Decimal, dict[str, object]]:
                return linear_points(r, floor, target, weight), {}
        else:
            minimum = params["min"]

            def score(r: Decimal) -> tuple[Decimal, dict[str, object]]:
                return threshold_points(r, minimum, weight), {"met": r >= minimum}

        def run(v: Sequence[Any]) -> RuleResult:
            n, d = _sum(v, num), _sum(v, den)
            r = ratio(n, d, scale)
            if r is None:
                return ZERO, {"numerator": n, "denominator": d, "ratio": None, "zero_denominator": True}
            points, extra = score(r)
            return points, {"numerator": n, "denominator": d, "ratio": r, **extra}
        return run

    if kind == "linear":
        floor, target = params["floor"], params["target"]

        def run(v: Sequence[Any]) -> RuleResult:
            x = value_of(v)
            return linear_points(x, floor, target, weight), {"value": x}
        return run

    if kind == "growth_linear":
        cur, prev = positions[params["current"]], positions[params["previous"]]
        floor, target = params["floor"], params["target"]

        def run(v: Sequence[Any]) -> RuleResult:
            g = growth(v[cur], v[prev])
            if g is None:
                return ZERO, {"growth": None, "zero_denominator": True}
            return linear_points(g, floor, target, weight), {"growth": g}
        return run

    if kind == "threshold":
        minimum = params["min"]

        def run(v: Sequence[Any]) -> RuleResult:
            x = value_of(v)
            return threshold_points(x, minimum, weight), {"value": x, "met": x >= minimum}
        return run

    if kind == "boolean":
        expect = params.get("expect", True)

        def run(v: Sequence[Any]) -> RuleResult:
            return boolean_points(v[0], weight, expect), {"value": v[0]}
        return run

    if kind == "reviewer":
        def run(v: Sequence[Any]) -> RuleResult:
            points, clamped = reviewer_points(v[0], weight)
            return points, ({"score": v[0], "clamped": True} if clamped else {"score": v[0]})
        return run

    if kind == "bonus":
        per_item = params["per_item"]

        def run(v: Sequence[Any]) -> RuleResult:
            return bonus_points(v[0], per_item, weight), {"count": v[0]}
        return run

    if kind == "veto":
        when, contains = params.get("when"), params.get("contains")

        def run(v: Sequence[Any]) -> RuleResult:
            hit = veto_triggered(v[0], when, contains)
            return ZERO, {"triggered": hit}
        return run

    raise ValueError(f"unknown rule kind {kind!r}")
