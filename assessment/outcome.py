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

from assessment.criteria import Criteria, GapList, GapRow
from assessment.rulefiles import known_criteria, known_system
from assessment.system import IndicatorSystem, SystemRef
from assessment.trace import TraceNode, compact_dict, expand_dict, flatten, jsonable

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
    """A triggered 一票否决 item and what it does (see `system.VETO_CONSEQUENCES`), with its clause."""

    indicator: str
    code: str
    reference: str
    consequence: str = "exit"
    consequence_reference: str = ""
    bar_years: int | None = None
    provisional: bool = False

    @property
    def sets_fail_grade(self) -> bool:
        return self.consequence != "rectify"

    @property
    def ends_recognition(self) -> bool:
        return self.consequence in ("exit", "do_not_recognise")

    def to_dict(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "code": self.code, "reference": self.reference,
                "consequence": self.consequence, "consequence_reference": self.consequence_reference,
                "bar_years": self.bar_years, "provisional": self.provisional}


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
class Pending:
    """What deciding the recommendation still needs, kept on an outcome until it is decided.

    An outcome evaluated with ``decide=False`` carries this so the cohort quota can settle the
    grade first; `assessment.engine.decide` then recommends from the final grade and drops it.
    """

    system: IndicatorSystem
    standing: Standing
    history: tuple[PastOutcome, ...]
    inputs: Mapping[str, Any]
    coerced: Mapping[str, Any]
    complete: bool


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
    #: set while the recommendation is not yet decided (evaluate(..., decide=False)); never stored
    pending: Pending | None = field(default=None, compare=False, repr=False)

    @property
    def decided(self) -> bool:
        return self.pending is None

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
        _require_decided(self)
        rec = self.recommendation
        return {
            "system": self.system.to_dict(), "year": self.year, "status": self.status,
            "score": _dec(self.score), "base_score": _dec(self.base_score), "bonus": str(self.bonus),
            "grade": self.grade,
            "recommendation": None if rec is None else rec.to_dict(),
            "indicators": _indicator_dicts(self.trace),  # derived from the trace; for readers of the JSON
            "missing": [{"indicator": m.indicator, "code": m.code, "reason": m.reason, "policy": m.policy}
                        for m in self.missing],
            "vetoes": [v.to_dict() for v in self.vetoes],
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


def _require_decided(outcome: Outcome) -> None:
    if outcome.pending is not None:
        raise ValueError("the outcome's recommendation is not decided yet (call assessment.engine.decide)")


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
        "unit": r.unit, "inputs": [{"code": i.code, "value": _plain(i.value), "source": i.source} for i in r.inputs],
        "gap": _plain(r.gap),
    }


# --- the compact stored form ---------------------------------------------------------------------

#: marks a stored outcome in the compact form (`Outcome.to_stored`); the full form has no "form" key
STORED_FORM = "compact/1"
#: gap-row fields that come from the criteria file (left out of stored rows when equal to it)
_GAP_STATIC = ("label", "label_en", "measure", "op", "reference", "provisional", "unit")


def to_stored(outcome: Outcome, system: IndicatorSystem, criteria: Criteria | None = None) -> dict[str, Any]:
    """`outcome.to_dict()` without what the pinned files already hold, for storage.

    Left out: every trace node's parameters that equal the system file's (indicator bands,
    weights, thresholds; score, grade, group and bonus parameters; the system reference), the
    `indicators` list (derived from the trace), empty trace keys, and each gap row's label,
    reference, operator and provisional mark when they equal the criteria file's. Kept: every
    input with its source, intermediate values, matched band, points, missing policy, vetoes,
    grade and quota, recommendation and gaps. `expand_stored` re-joins the rest from the files
    the stored version and sha256 name; ``expand_stored(to_stored(o, s)) == o.to_dict()`` (as JSON).
    `criteria` is the set the gap list was checked against (default: the one parsed from the file
    its sha256 names in this process).
    """
    _require_decided(outcome)
    if system.sha256 != outcome.system.sha256:
        raise ValueError(f"outcome of {outcome.system.source} ({outcome.system.sha256[:12]}) stored against "
                         f"{system.source} ({system.sha256[:12]})")
    rec = outcome.recommendation
    return {
        "form": STORED_FORM, "system": outcome.system.to_dict(), "year": outcome.year, "status": outcome.status,
        "score": _dec(outcome.score), "base_score": _dec(outcome.base_score), "bonus": str(outcome.bonus),
        "grade": outcome.grade,
        "recommendation": None if rec is None else {
            "kind": rec.kind, "rule": rec.rule, "params": jsonable(rec.params),
            "gaps": None if rec.gaps is None else _compact_gaps(_gaps_dict(rec.gaps), criteria)},
        "missing": [{"indicator": m.indicator, "code": m.code, "reason": m.reason, "policy": m.policy}
                    for m in outcome.missing],
        "vetoes": [v.to_dict() for v in outcome.vetoes],
        "reported": outcome.reported,
        "quota": None if outcome.quota is None else jsonable(outcome.quota),
        "standing": jsonable(outcome.standing),
        "trace": compact_dict(outcome.trace, _node_statics(system)[0]),
    }


def expand_stored(data: Mapping[str, Any], system: IndicatorSystem | None = None,
                  criteria: Criteria | None = None) -> dict[str, Any]:
    """The full `to_dict` form of a stored outcome (returned as is when it is already full).

    Parameters are re-joined from the pinned files only, never from files on disk: `system` and
    `criteria` are the stored content the caller read back (the registry's database holds it);
    by default, what this process has parsed from files with exactly the stored sha256. A file
    passed in with another sha256 is not used. Without the pinned system the parameters cannot be
    re-joined: nodes keep what was stored and ``"parameters_joined"`` is False.
    ``"parameters_verified"`` says the joined parameters are the pinned file's (always, when joined).
    Extra keys (e.g. "registry") stay.
    """
    if data.get("form") != STORED_FORM:
        return dict(data)
    ref = data["system"]
    if system is None or system.sha256 != ref["sha256"] or system.inputs_sha256 != ref.get("inputs_sha256"):
        system = known_system(ref["sha256"], ref.get("inputs_sha256"))
    statics = _node_statics(system)[1] if system is not None else {}
    trace = expand_dict(data["trace"], statics)
    rec = data.get("recommendation")
    if rec is not None and rec.get("gaps") is not None:
        rec = {**rec, "gaps": _expand_gaps(rec["gaps"], criteria)}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "form":
            continue
        if key == "recommendation":
            out[key] = rec
            out["indicators"] = _indicator_dicts_of(trace)
        elif key == "trace":
            out[key] = trace
        else:
            out[key] = value
    out["parameters_joined"] = system is not None
    out["parameters_verified"] = system is not None
    return out


#: sha256 of a system file → (node code → its parameters as compiled, node code → their JSON form)
_NODE_STATICS: dict[str, tuple[dict[str, Mapping[str, object]], dict[str, Any]]] = {}


def _node_statics(system: IndicatorSystem) -> tuple[dict[str, Mapping[str, object]], dict[str, Any]]:
    """The trace parameters every outcome of this system file carries, by node code (what `evaluate` puts there)."""
    hit = _NODE_STATICS.get(system.sha256)
    if hit is not None:
        return hit
    plan = system.plan
    ref = system.ref
    statics: dict[str, Mapping[str, object]] = {}
    for code, weight, _members in plan.groups:
        statics[code] = {"weight": weight}
    if plan.bonus:
        statics["bonus"] = {"cap": system.bonus_cap}
    statics["score"] = plan.score_parameters
    statics["grade"] = plan.grade_parameters
    statics["outcome"] = {"system": ref.code, "version": ref.version, "source": ref.source, "sha256": ref.sha256,
                          "provisional": ref.provisional}
    for ind in system.indicators:  # last: an indicator's code wins over a group's of the same name
        statics[ind.code] = ind.parameters
    hit = _NODE_STATICS[system.sha256] = (statics, {k: jsonable(v) for k, v in statics.items()})
    return hit


def _indicator_dicts_of(trace: Mapping[str, Any]) -> list[dict[str, object]]:
    """`_indicator_dicts` over the JSON form of a trace."""
    score = next((c for c in trace.get("children", ()) if c.get("code") == "score"), None)
    if score is None:
        return []
    out: list[dict[str, object]] = []
    for block in score.get("children", ()):
        if "ref" in block:
            continue
        for node in block.get("children", ()):
            if "ref" in node:
                continue
            params = node.get("parameters") or {}
            detail = node.get("detail") or {}
            points = node.get("value")
            out.append({"code": node["code"], "group": str(params.get("group", block["code"])), "rule": node.get("rule") or "",
                        "weight": str(Decimal(str(params.get("weight", 0)))),
                        "points": None if points is None else str(Decimal(str(points))),
                        "status": _STATUS.get(detail.get("policy"), "unscored") if "unusable" in detail else "scored",
                        "provisional": bool(params.get("provisional", False))})
    return out


def _pinned_criteria(gaps: Mapping[str, Any], criteria: Criteria | None) -> Criteria | None:
    """`criteria` if it is the file the gap list names, else the one parsed from that file in this process."""
    if criteria is not None and criteria.sha256 == gaps["sha256"]:
        return criteria
    return known_criteria(gaps["sha256"])


#: criteria sha256 → its gap-row templates (a file with this sha256 can only ever say this)
_GAP_TEMPLATES: dict[str, dict[str, Any]] = {}


def _gap_templates(criteria: Criteria | None) -> dict[str, Any] | None:
    """Criterion code → (its static gap-row fields, the same for its alternatives); None without the file."""
    if criteria is None:
        return None
    hit = _GAP_TEMPLATES.get(criteria.sha256)
    if hit is not None:
        return hit

    def templates(cs: tuple[Any, ...]) -> dict[str, Any]:
        out = {}
        for c in cs:
            alts = c.alternatives
            out[c.code] = ({"label": c.label, "label_en": c.label_en, "measure": "any" if alts else c.measure,
                            "op": "any" if alts else c.op, "reference": c.reference,
                            "provisional": c.provisional or any(a.provisional for a in alts), "unit": c.unit},
                           templates(alts))
        return out

    found = _GAP_TEMPLATES[criteria.sha256] = templates(criteria.criteria)
    return found


#: gap-row fields left out of the stored form when they hold these values (restored on expansion)
_GAP_DEFAULTS: dict[str, Any] = {"relieved": False, "missing": [], "shortfall": None, "alternatives": [],
                                 "zero_denominator": False, "gap": None, "inputs": []}


def _gap_default(key: str) -> Any:
    value = _GAP_DEFAULTS.get(key)
    return list(value) if isinstance(value, list) else value


def _compact_gaps(gaps: dict[str, Any], criteria: Criteria | None = None) -> dict[str, Any]:
    """Gap rows without what the pinned criteria file holds or what is at its default, and each figure
    read stored once for the whole list (``figures``: code → [value, source]; rows keep the codes)."""
    found = _gap_templates(_pinned_criteria(gaps, criteria)) or {}
    figures: dict[str, list[Any]] = {}

    def rows(rs: list[dict[str, Any]], tpl: Mapping[str, Any]) -> list[dict[str, Any]]:
        out = []
        for r in rs:
            t, alts = tpl.get(r["code"], ({}, {}))
            row = {k: v for k, v in r.items() if not (k in t and t[k] == v) and not (k in _GAP_DEFAULTS and v == _GAP_DEFAULTS[k])}
            if r["alternatives"]:
                row["alternatives"] = rows(r["alternatives"], alts)
            if r["inputs"]:
                for i in r["inputs"]:
                    figures.setdefault(i["code"], [i["value"], i["source"]])
                row["inputs"] = [i["code"] for i in r["inputs"]]
            out.append(row)
        return out

    compact = {**gaps, "rows": rows(gaps["rows"], found)}
    if figures:
        compact["figures"] = figures
    return compact


def _expand_gaps(gaps: Mapping[str, Any], criteria: Criteria | None = None) -> dict[str, Any]:
    """Stored gap rows with their criterion's label, clause, operator and unit re-joined from the
    pinned criteria file the stored sha256 names. When that content is not available,
    ``labels_joined`` is set to False and the rows keep only what was stored (the rendering says so
    instead of printing None)."""
    found = _gap_templates(_pinned_criteria(gaps, criteria))
    figures = gaps.get("figures") or {}

    def rows(rs: list[Mapping[str, Any]], tpl: Mapping[str, Any]) -> list[dict[str, Any]]:
        out = []
        for r in rs:
            t, alts = tpl.get(r["code"], ({}, {}))
            full = {k: r[k] if k in r else t[k] if k in t else _gap_default(k) for k in _GAP_KEYS}
            full["alternatives"] = rows(r.get("alternatives", []), alts)
            full["inputs"] = [{"code": i, "value": figures[i][0], "source": figures[i][1]} if isinstance(i, str) else i
                              for i in r.get("inputs") or ()]
            out.append(full)
        return out

    expanded = {k: v for k, v in gaps.items() if k != "figures"}
    expanded["rows"] = rows(gaps["rows"], found or {})
    if found is None:
        expanded["labels_joined"] = False
    return expanded


_GAP_KEYS = ("code", "label", "label_en", "measure", "op", "required", "actual", "met", "reference", "provisional",
             "relieved", "missing", "shortfall", "alternatives", "zero_denominator", "unit", "inputs", "gap")
