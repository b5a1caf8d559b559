"""Combining several reviewers' scores for one item: pure functions, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from registry.reviews.systems import ReviewPolicy

CENT = Decimal("0.01")
METHOD_TEXT = {"mean": "平均", "trimmed_mean": "截尾平均（去掉一个最高分和一个最低分）"}


@dataclass(frozen=True, slots=True)
class ItemAggregate:
    """The combined score of one item, how it was combined, and whether reviewers disagree too much."""

    code: str
    reviewers: int
    value: Decimal
    method: str  #: "mean" or "trimmed_mean" (the method actually applied)
    spread: Decimal  #: max − min of the individual scores
    discuss: bool  #: spread above the policy's threshold: discuss before deciding

    @property
    def source_text(self) -> str:
        """What the engine shows as the input's source: counts and method, never who gave what."""
        return f"专家评审：{self.reviewers} 位专家，{METHOD_TEXT[self.method]}"


def aggregate(code: str, scores: Sequence[Decimal], policy: ReviewPolicy, scale: Decimal | None) -> ItemAggregate:
    """Mean (or trimmed mean with ≥ trim_from scores), rounded half-up to 0.01; `scores` must not be empty."""
    if not scores:
        raise ValueError(f"no scores to aggregate for {code}")
    ordered = sorted(scores)
    method = "mean"
    used = ordered
    if policy.aggregation == "trimmed_mean" and len(ordered) >= policy.trim_from:
        method = "trimmed_mean"
        used = ordered[1:-1]
    value = (sum(used, Decimal(0)) / len(used)).quantize(CENT, rounding=ROUND_HALF_UP)
    spread = ordered[-1] - ordered[0]
    discuss = scale is not None and scale > 0 and spread > policy.spread_threshold * scale
    return ItemAggregate(code, len(ordered), value, method, spread, discuss)
