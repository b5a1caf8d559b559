"""What changed between two versions of a rule file: parameters, not lines of text.

Used beside a stored result when the file on disk no longer has the pinned content, and by run
comparisons to say which rule change explains a difference. Facts only (what, before, after);
`registry` renders them as sentences in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal
from typing import Any

from assessment.criteria import Criteria, Criterion
from assessment.system import Indicator, IndicatorSystem

_INDICATOR_FIELDS = ("label", "group", "rule", "inputs", "weight", "missing", "reference", "provisional", "unit")
_CRITERION_FIELDS = ("label", "measure", "inputs", "op", "required", "numerator", "denominator", "scale", "relief",
                     "reference", "provisional")
_DECL_FIELDS = ("label", "type", "unit", "min", "max", "decimals", "required", "source", "provisional")


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One parameter that differs: of what (an indicator, a criterion, the grades …), which, before and after.

    `subject` is "system", "indicator", "group", "grades", "quota", "decisions", "input" or
    "criterion"; `code` names the indicator, group, input or criterion (None for the file itself);
    `label` is its label in the newer file (or the older one when it was removed); `field` is the
    parameter ("bands", "weight" …, or "added" / "removed"). Values are plain text, lists or None.
    """

    subject: str
    code: str | None
    label: str
    field: str
    before: Any
    after: Any


def plain(value: Any) -> Any:
    """A parameter as plain JSON-like data: Decimals as text, tuples as lists, bands as {min, points}."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral_value() else str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value) if f.name not in ("run", "compute")}
    if isinstance(value, Iterable):
        return [plain(v) for v in value]
    return str(value)


def _fields(subject: str, code: str | None, label: str, a: Any, b: Any, names: Iterable[str]) -> list[RuleChange]:
    out = []
    for name in names:
        va, vb = plain(getattr(a, name, None)), plain(getattr(b, name, None))
        if va != vb:
            out.append(RuleChange(subject, code, label, name, va, vb))
    return out


def _params(ind: Indicator) -> dict[str, Any]:
    return {k: plain(v) for k, v in ind.parameters.items() if k not in ("weight", "missing", "group", "provisional")}


def diff_systems(old: IndicatorSystem, new: IndicatorSystem) -> list[RuleChange]:
    """Every parameter that differs between two indicator systems, in file order."""
    out = _fields("system", None, new.title, old, new,
                  ("title", "reference", "provisional", "max_score", "bonus_cap", "missing", "version"))
    og, ng = {g.code: g for g in old.groups}, {g.code: g for g in new.groups}
    for code in dict.fromkeys([*og, *ng]):
        a, b = og.get(code), ng.get(code)
        if a is None or b is None:
            out.append(RuleChange("group", code, (b or a).label, "added" if a is None else "removed", None, None))
        else:
            out.extend(_fields("group", code, b.label, a, b, ("label", "weight")))
    oi, ni = {i.code: i for i in old.indicators}, {i.code: i for i in new.indicators}
    for code in dict.fromkeys([*oi, *ni]):
        a, b = oi.get(code), ni.get(code)
        if a is None or b is None:
            out.append(RuleChange("indicator", code, (b or a).label, "added" if a is None else "removed", None, None))
            continue
        out.extend(_fields("indicator", code, b.label, a, b, _INDICATOR_FIELDS))
        pa, pb = _params(a), _params(b)
        for key in dict.fromkeys([*pa, *pb]):
            if pa.get(key) != pb.get(key):
                out.append(RuleChange("indicator", code, b.label, key, pa.get(key), pb.get(key)))
    grades = lambda s: [{"grade": g.grade, "min": plain(g.min)} for g in s.grades]  # noqa: E731
    if grades(old) != grades(new):
        out.append(RuleChange("grades", None, "", "grades", grades(old), grades(new)))
    if plain(old.quota) != plain(new.quota):
        out.append(RuleChange("quota", None, "", "quota", plain(old.quota), plain(new.quota)))
    for f in fields(old.decisions):
        va, vb = plain(getattr(old.decisions, f.name)), plain(getattr(new.decisions, f.name))
        if va != vb:
            out.append(RuleChange("decisions", None, "", f.name, va, vb))
    od, nd = old.input_set.by_code(), new.input_set.by_code()
    for code in dict.fromkeys([*od, *nd]):
        a, b = od.get(code), nd.get(code)
        if a is None or b is None:
            out.append(RuleChange("input", code, (b or a).label, "added" if a is None else "removed", None, None))
        else:
            out.extend(_fields("input", code, b.label, a, b, _DECL_FIELDS))
    return out


def _criteria_fields(code: str, a: Criterion, b: Criterion) -> list[RuleChange]:
    out = _fields("criterion", code, b.label, a, b, _CRITERION_FIELDS)
    oa, na = {x.code: x for x in a.alternatives}, {x.code: x for x in b.alternatives}
    for alt in dict.fromkeys([*oa, *na]):
        x, y = oa.get(alt), na.get(alt)
        if x is None or y is None:
            out.append(RuleChange("criterion", f"{code}.{alt}", (y or x).label, "added" if x is None else "removed",
                                  None, None))
        else:
            out.extend(_fields("criterion", f"{code}.{alt}", y.label, x, y, _CRITERION_FIELDS))
    return out


def diff_criteria(old: Criteria, new: Criteria) -> list[RuleChange]:
    """Every condition that differs between two criteria sets, in file order."""
    out = _fields("system", None, new.title, old, new,
                  ("title", "reference", "provisional", "level", "hardship_relief", "version"))
    oc, nc = {c.code: c for c in old.criteria}, {c.code: c for c in new.criteria}
    for code in dict.fromkeys([*oc, *nc]):
        a, b = oc.get(code), nc.get(code)
        if a is None or b is None:
            out.append(RuleChange("criterion", code, (b or a).label, "added" if a is None else "removed", None, None))
        else:
            out.extend(_criteria_fields(code, a, b))
    return out
