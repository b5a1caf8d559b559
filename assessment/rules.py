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
NIL = Decimal("0.00")  #: zero points, at the points precision
ONE = Decimal(1)
HUNDRED = Decimal(100)
POINTS_QUANTUM = Decimal("0.01")
RATIO_QUANTUM = Decimal("0.0001")

#: (points, detail) — what every compiled rule returns.
RuleResult = tuple[Decimal, Mapping[str, object]]
Compiled = Callable[[Mapping[str, Any]], RuleResult]


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
    return (scale * numerator / denominator).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)


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
    return NIL, None


def linear_points(value: Decimal | int, floor: Decimal, target: Decimal, weight: Decimal) -> Decimal:
    """0 at the floor, `weight` at the target, straight line between, capped both ends.

    A floor above the target means lower is better (e.g. dependence on subsidies).
    """
    if floor < target:
        if value <= floor:
            return NIL
        if value >= target:
            return weight
    else:
        if value >= floor:
            return NIL
        if value <= target:
            return weight
    return round_points(weight * (value - floor) / (target - floor))


def threshold_points(value: Decimal | int, minimum: Decimal, weight: Decimal) -> Decimal:
    """All the points when the minimum is reached, none otherwise."""
    return weight if value >= minimum else NIL


def boolean_points(value: bool, weight: Decimal, expect: bool = True) -> Decimal:
    """All the points when the answer is the expected one."""
    return weight if value is expect else NIL


def reviewer_points(score: Decimal | int, weight: Decimal) -> tuple[Decimal, bool]:
    """A reviewer's score, clamped to 0…weight; the flag says whether clamping happened."""
    if score < ZERO:
        return NIL, True
    if score > weight:
        return weight, True
    return round_points(Decimal(score)), False


def bonus_points(count: Decimal | int | bool, per_item: Decimal, cap: Decimal) -> Decimal:
    """per_item for each occurrence (or once for True), at most `cap`."""
    n = Decimal(1 if count is True else 0 if count is False else count)
    if n <= ZERO:
        return NIL
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
    "veto": Kind("veto", (), ("when", "contains", "consequence")),
})


def compile_rule(kind: str, params: Mapping[str, Any], weight: Decimal, reads: Sequence[str]) -> Compiled:
    """A function of the coerced input values (a mapping by code) returning (points, detail).

    Parameters are assumed validated by `system.py`. Weights and band points are brought to
    the points precision here, once, so every rule returns points ready to add up.
    """
    weight = weight.quantize(POINTS_QUANTUM)
    if "bands" in params:
        params = {**params, "bands": tuple((lo, pts.quantize(POINTS_QUANTUM)) for lo, pts in params["bands"])}
    first = reads[0]

    # bands, linear and threshold score one figure: the input, or the sum of several
    # (e.g. own + partner incubation funds)
    if len(reads) == 1:
        def value_of(v: Mapping[str, Any]) -> Any:
            return v[first]
    else:
        def value_of(v: Mapping[str, Any]) -> Any:
            total = ZERO
            for c in reads:
                total += v[c]
            return total

    if kind == "bands":
        bands = params["bands"]

        def run(v: Mapping[str, Any]) -> RuleResult:
            x = value_of(v)
            for index, (minimum, points) in enumerate(bands):
                if x >= minimum:
                    return points, {"value": x, "matched": index}
            return NIL, {"value": x, "matched": None}
        return run

    if kind in ("ratio_bands", "ratio_linear", "ratio_threshold"):
        num, den = tuple(params["numerator"]), tuple(params["denominator"])
        scale = params.get("scale", HUNDRED)
        n0, d0 = num[0], den[0]
        simple = len(num) == 1 and len(den) == 1

        def parts(v: Mapping[str, Any]) -> tuple[Any, Any]:
            if simple:
                return v[n0], v[d0]
            n = d = ZERO
            for c in num:
                n += v[c]
            for c in den:
                d += v[c]
            return n, d

        if kind == "ratio_bands":
            bands = params["bands"]

            def run(v: Mapping[str, Any]) -> RuleResult:
                n, d = parts(v)
                if not d:
                    return NIL, {"numerator": n, "denominator": d, "ratio": None, "zero_denominator": True}
                r = (scale * n / d).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)
                for index, (minimum, points) in enumerate(bands):
                    if r >= minimum:
                        return points, {"numerator": n, "denominator": d, "ratio": r, "matched": index}
                return NIL, {"numerator": n, "denominator": d, "ratio": r, "matched": None}
            return run
        if kind == "ratio_linear":
            floor, target = params["floor"], params["target"]

            def run(v: Mapping[str, Any]) -> RuleResult:
                n, d = parts(v)
                if not d:
                    return NIL, {"numerator": n, "denominator": d, "ratio": None, "zero_denominator": True}
                r = (scale * n / d).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)
                return linear_points(r, floor, target, weight), {"numerator": n, "denominator": d, "ratio": r}
            return run
        minimum = params["min"]

        def run(v: Mapping[str, Any]) -> RuleResult:
            n, d = parts(v)
            if not d:
                return NIL, {"numerator": n, "denominator": d, "ratio": None, "zero_denominator": True}
            r = (scale * n / d).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)
            met = r >= minimum
            return (weight if met else NIL), {"numerator": n, "denominator": d, "ratio": r, "met": met}
        return run

    if kind == "linear":
        floor, target = params["floor"], params["target"]

        def run(v: Mapping[str, Any]) -> RuleResult:
            x = value_of(v)
            return linear_points(x, floor, target, weight), {"value": x}
        return run

    if kind == "growth_linear":
        cur, prev = params["current"], params["previous"]
        floor, target = params["floor"], params["target"]

        def run(v: Mapping[str, Any]) -> RuleResult:
            g = growth(v[cur], v[prev])
            if g is None:
                return NIL, {"growth": None, "zero_denominator": True}
            return linear_points(g, floor, target, weight), {"growth": g}
        return run

    if kind == "threshold":
        minimum = params["min"]

        def run(v: Mapping[str, Any]) -> RuleResult:
            x = value_of(v)
            met = x >= minimum
            return (weight if met else NIL), {"value": x, "met": met}
        return run

    if kind == "boolean":
        expect = params.get("expect", True)

        def run(v: Mapping[str, Any]) -> RuleResult:
            x = v[first]
            return (weight if x is expect else NIL), {"value": x}
        return run

    if kind == "reviewer":
        def run(v: Mapping[str, Any]) -> RuleResult:
            x = v[first]
            points, clamped = reviewer_points(x, weight)
            return points, ({"score": x, "clamped": True} if clamped else {"score": x})
        return run

    if kind == "bonus":
        per_item = params["per_item"]

        def run(v: Mapping[str, Any]) -> RuleResult:
            x = v[first]
            return bonus_points(x, per_item, weight), {"count": x}
        return run

    if kind == "veto":
        when, contains = params.get("when"), params.get("contains")

        def run(v: Mapping[str, Any]) -> RuleResult:
            return NIL, {"triggered": veto_triggered(v[first], when, contains)}
        return run

    raise ValueError(f"unknown rule kind {kind!r}")
