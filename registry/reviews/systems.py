"""Which items reviewers score, and how their scores are combined: read from the indicator system.

`load_review_system` is the single place the review workflow asks the engine for a system. It
calls `assessment.load_system(category, year, subclass)`; the app config key
REVIEW_SYSTEM_LOADER may name another callable with the same signature (tests use it to supply
their own input sets). Only `system.input_set` and the optional `system.review_policy` are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from flask import current_app

from assessment.inputs import InputDecl
from registry.errors_domain import RegistryError

#: marks a message for extraction (tools/i18n.sh); RegistryError.render() translates it when shown
N_ = str

#: how item scores of several reviewers are combined
AGGREGATIONS = ("mean", "trimmed_mean")


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """Aggregation declared by a system (defaults when it declares none).

    trimmed_mean drops the highest and the lowest score when at least `trim_from` reviewers
    scored (else it is the plain mean). An item whose spread (max − min) exceeds
    `spread_threshold` × its scale (max − min of the item) marks the institution
    "discuss before deciding".
    """

    aggregation: str = "mean"
    trim_from: int = 5
    spread_threshold: Decimal = Decimal("0.3")

    @classmethod
    def from_system(cls, system: Any) -> "ReviewPolicy":
        declared = getattr(system, "review_policy", None)
        if declared is None:
            return cls()
        if isinstance(declared, ReviewPolicy):
            return declared
        data = dict(declared) if isinstance(declared, dict) else {
            k: getattr(declared, k) for k in ("aggregation", "trim_from", "spread_threshold") if hasattr(declared, k)}
        policy = cls(aggregation=data.get("aggregation", "mean"), trim_from=int(data.get("trim_from", 5)),
                     spread_threshold=Decimal(str(data.get("spread_threshold", "0.3"))))
        if policy.aggregation not in AGGREGATIONS:
            raise ValueError(f"unknown review aggregation {policy.aggregation!r}; expected one of {AGGREGATIONS}")
        return policy


def _engine_loader(category: str, year: int, subclass: str | None) -> Any:
    import assessment

    load = getattr(assessment, "load_system", None)
    if load is None:  # the engine is not merged yet
        raise LookupError("the assessment engine provides no load_system yet")
    return load(category, year, subclass)


def load_review_system(category: str, year: int, subclass: str | None) -> Any:
    """The indicator system in force for this category, year and subclass; RegistryError if there is none."""
    loader: Callable[..., Any] = current_app.config.get("REVIEW_SYSTEM_LOADER") or _engine_loader
    try:
        return loader(category, year, subclass)
    except (LookupError, ValueError) as exc:  # the engine's SystemNotFoundError / SystemDefinitionError
        raise RegistryError("system", N_("No indicator system applies to %(category)s %(subclass)s in %(year)s: %(why)s"),
                            category=category, subclass=subclass or "", year=year, why=str(exc)) from None


def reviewer_items(category: str, year: int, subclass: str | None) -> tuple[InputDecl, ...]:
    """The reviewer-scored items (source="reviewer", type="score") of the system in force."""
    system = load_review_system(category, year, subclass)
    return tuple(d for d in system.input_set.reviewer_scored() if d.type == "score")


def review_policy(category: str, year: int, subclass: str | None) -> ReviewPolicy:
    return ReviewPolicy.from_system(load_review_system(category, year, subclass))


def category_has_reviewer_items(category: str, year: int) -> bool:
    """Whether any system in force for the category and year (any subclass) gives reviewers something to score.

    A round for a category whose systems have no reviewer-scored items would hand reviewers an
    empty sheet; create_round refuses it.
    """
    from assessment import SUBCLASSES

    for subclass in SUBCLASSES.get(category, (None,)):
        try:
            if reviewer_items(category, year, subclass):
                return True
        except RegistryError:
            continue
    return False
