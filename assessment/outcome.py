"""What evaluation takes besides figures (standing, history) and what it returns (Outcome).

All plain, frozen data; `Outcome.to_dict()` is JSON-ready (Decimals as strings) and
`Outcome.from_dict()` reads it back, so stored results can be re-rendered without the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from assessment.criteria import GapList, GapRow
from assessment.system import SystemRef
from assessment.trace import TraceNode, flatten, jsonable

StandingStatus = Literal["applicant", "recognised", "rectifying", "exited"]
RecommendationKind = Literal["recognise", "do_not_recognise", "keep", "upgrade", "rectify", "exit"]
STANDING_STATUSES: tuple[str, ...] = ("applicant", "recognised", "rectifying", "exited")
RECOMMENDATION_KINDS: tuple[str, ...] = ("recognise", "do_not_recognise", "keep", "upgrade", "rectify", "exit")


@dataclass(frozen=True, slots=True)
class Standing:
    """Where the institution stands before this year's assessment (the registry knows this)."""

    status: StandingStatus
    level: str | None = None  #: the level held, or for applicants the level applied for
    hardship_area: bool = False  #: in a designated 艰苦边远地区 (20 % relief on some criteria)
    provincial_status_lost: bool = False  #: R&D institutions: provincial recognition revoked

    def __post_init__(self) -> None:
        if self.status not in STANDING_STATUSES:
            raise ValueError(f"unknown standing status {self.status!r}")


@dataclass(frozen=True, slots=True)
class PastOutcome:
    """A past year's result, as far as the multi-year rules need it."""

    year: int
    grade: str | None
    reported: bool = True


@dataclass(frozen=True, slots=True)
class MissingInput:
    """An input an indicator could not use, why, and what the indicator's policy did about it."""

    indicator: str
    code: str
    reason: str  #: "missing" | "malformed" | "out-of-range"
    policy: str  #: "error" | "zero" | "exclude"

    def to_dict(self) -> dict[str, str]:
        return {"indicator": self.indicator, "code": self.code, "reason": self.reason, "policy": self.policy}


@dataclass(frozen=True, slots=True)
class Veto:
    """A triggered 一票否决 item."""

    indicator: str
    code: str
    reference: str

    def to_dict(self) -> dict[str, str]:
        return {"indicator": self.indicator, "code": self.code, "reference": self.reference}


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator's points and how they were reached."""

    code: str
    group: str
    rule: str
    weight: Decimal
    points: Decimal | None  #: None when excluded or unscorable
    status: str  #: "scored" | "zeroed" (missing, policy zero) | "excluded" | "unscored" (policy error)
    provisional: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "group": self.group, "rule": self.rule, "weight": str(self.weight),
                "points": jsonable(self.points), "status": self.status, "provisional": self.provisional}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IndicatorResult:
        return cls(d["code"], d["group"], d["rule"], Decimal(d["weight"]),
                   None if d["points"] is None else Decimal(d["points"]), d["status"], d.get("provisional", False))


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A recommendation and the rule (with the parameters it read) that produced it."""

    kind: RecommendationKind
    rule: str  #: stable code: "veto", "consecutive-fails", "single-fail", "meets-next-level", …
    params: Mapping[str, object] = field(default_factory=dict)
    gaps: GapList | None = None

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "rule": self.rule, "params": jsonable(self.params),
                "gaps": None if self.gaps is None else _gaps_dict(self.gaps)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Recommendation:
        return cls(d["kind"], d["rule"], d.get("params") or {}, None if d.get("gaps") is None else GapList.from_dict(d["gaps"]))


@dataclass(frozen=True, slots=True)
class Outcome:
    """One institution-year's result, explainable from its trace and the pinned system file.

    `status` is "complete", or "incomplete" when an indicator whose missing-input policy is
    ``error`` could not be scored (then `score` and `grade` are None, and only the rules that
    need no grade — veto, unreported years, lost provincial status — can recommend).
    """

    system: SystemRef
    year: int
    status: Literal["complete", "incomplete"]
    score: Decimal | None  #: base + bonus
    base_score: Decimal | None  #: scored indicators, rescaled if some were excluded
    bonus: Decimal
    grade: str | None
    recommendation: Recommendation | None
    missing: tuple[MissingInput, ...]
    vetoes: tuple[Veto, ...]
    reported: bool  #: any self-reported figure was supplied this year
    trace: TraceNode
    quota: Mapping[str, object] | None = None  #: set by apply_quota when the quota changed or confirmed the grade
    standing: Mapping[str, object] = field(default_factory=dict)

    @property
    def indicators(self) -> tuple[IndicatorResult, ...]:
        """Each indicator's points and status, read back from the trace (the one place they live)."""
        score = self.trace.find("score")
        if score is None:
            return ()
        out: list[IndicatorResult] = []
        for block in score.children:
            for node in block.children:
                params = node.parameters
                detail = node.detail
                policy = detail.get("policy") if "unusable" in detail else None
                status = ("scored" if policy is None else "zeroed" if policy == "zero"
                          else "excluded" if policy == "exclude" else "unscored")
                points = node.value
                out.append(IndicatorResult(
                    node.code, str(params.get("group", block.code)), node.rule or "", Decimal(str(params.get("weight", 0))),
                    None if points is None else Decimal(str(points)), status, bool(params.get("provisional", False))))
        return tuple(out)

    def flat_trace(self) -> dict[str, dict[str, object]]:
        """The trace as `code<year>` keys, for storage (style.md §H)."""
        return flatten(self.trace, self.year)

    def with_grade(self, grade: str, quota: Mapping[str, object], trace: TraceNode) -> Outcome:
        return replace(self, grade=grade, quota=quota, trace=trace)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data in one pass over the trace (no intermediate objects).

        Read-only parts (an indicator's parameters) may be shared between results; see
        `TraceNode.to_dict`.
        """
        rec = self.recommendation
        return {
            "system": self.system.to_dict(), "year": self.year, "status": self.status,
            "score": _dec(self.score), "base_score": _dec(self.base_score), "bonus": str(self.bonus),
            "grade": self.grade,
            "recommendation": None if rec is None else rec.to_dict(),
            "indicators": _indicator_dicts(self.trace),  # derived from the trace; for readers of the JSON
            "missing": [{"indicator": m.indicator, "code": m.code, "reason": m.reason, "policy": m.policy}
                        for m in self.missing],
            "vetoes": [{"indicator": v.indicator, "code": v.code, "reference": v.reference} for v in self.vetoes],
            "reported": self.reported,
            "quota": None if self.quota is None else jsonable(self.quota),
            "standing": jsonable(self.standing),
            "trace": self.trace.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Outcome:
        dec = lambda v: None if v is None else Decimal(v)  # noqa: E731
        return cls(
            system=SystemRef.from_dict(d["system"]), year=int(d["year"]), status=d["status"],
            score=dec(d["score"]), base_score=dec(d["base_score"]), bonus=Decimal(d["bonus"]), grade=d["grade"],
            recommendation=None if d["recommendation"] is None else Recommendation.from_dict(d["recommendation"]),
            missing=tuple(MissingInput(**m) for m in d["missing"]),
            vetoes=tuple(Veto(**v) for v in d["vetoes"]),
            reported=d["reported"], quota=d.get("quota"), standing=d.get("standing") or {},
            trace=TraceNode.from_dict(d["trace"]),
        )


def _dec(value: Decimal | None) -> Any:
    return value if value is None else str(value) if type(value) is Decimal else jsonable(value)


#: id(indicator parameters) → (the parameters, block, rule, a filled-in `indicators` entry to copy);
#: holding the parameters keeps their id from being reused (see trace._static_json)
_IND_STATIC: dict[int, tuple[object, str, str | None, dict[str, object]]] = {}
_STATUS = {None: "scored", "zero": "zeroed", "exclude": "excluded"}


def _indicator_template(params: Mapping[str, object], block: str, rule: str | None) -> dict[str, object]:
    """The parts of an `indicators` entry that depend only on the indicator, computed once per indicator."""
    hit = _IND_STATIC.get(id(params))
    if hit is not None and hit[0] is params and hit[1] == block and hit[2] == rule:
        return hit[3]
    weight = params.get("weight", 0)
    template = {"code": None, "group": str(params.get("group", block)), "rule": rule or "",
                "weight": str(weight if type(weight) is Decimal else Decimal(str(weight))), "points": None,
                "status": None, "provisional": bool(params.get("provisional", False))}
    if type(params) is MappingProxyType:
        if len(_IND_STATIC) >= 4096:
            _IND_STATIC.clear()
        _IND_STATIC[id(params)] = (params, block, rule, template)
    return template


def _indicator_dicts(trace: TraceNode) -> list[dict[str, object]]:
    """`[i.to_dict() for i in outcome.indicators]`, built straight from the trace."""
    score = trace.find("score")
    if score is None:
        return []
    out: list[dict[str, object]] = []
    for block in score.children:
        block_code = block.code
        for node in block.children:
            detail = node.detail
            points = node.value
            entry = _indicator_template(node.parameters, block_code, node.rule).copy()
            entry["code"] = node.code
            entry["points"] = None if points is None else str(points if type(points) is Decimal else Decimal(str(points)))
            entry["status"] = _STATUS.get(detail.get("policy"), "unscored") if "unusable" in detail else "scored"
            out.append(entry)
    return out


def _gaps_dict(gaps: GapList) -> dict[str, Any]:
    """`GapList.to_dict()`, without the generic conversions (same keys, same order)."""
    return {"code": gaps.code, "version": gaps.version, "level": gaps.level, "source": gaps.source,
            "sha256": gaps.sha256, "provisional": gaps.provisional, "hardship_area": gaps.hardship_area,
            "met": all(r.met for r in gaps.rows), "rows": [_gap_row_dict(r) for r in gaps.rows]}


def _plain(value: object) -> Any:
    t = type(value)
    if value is None or t is bool or t is str or t is int:
        return value
    if t is Decimal:
        return str(value)
    return jsonable(value)


def _gap_row_dict(r: GapRow) -> dict[str, Any]:
    return {
        "code": r.code, "label": r.label, "label_en": r.label_en, "measure": r.measure, "op": r.op,
        "required": _plain(r.required), "actual": _plain(r.actual), "met": r.met,
        "reference": r.reference, "provisional": r.provisional, "relieved": r.relieved,
        "missing": list(r.missing), "shortfall": _plain(r.shortfall),
        "alternatives": [_gap_row_dict(a) for a in r.alternatives], "zero_denominator": r.zero_denominator,
    }
