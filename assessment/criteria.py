"""Recognition criteria as versioned data, checked against an institution's latest figures.

A criteria file (``criteria/<code>-<first year>.toml``) lists the conditions of one recognition
level (national incubator, provincial R&D institution …). Checking it yields a gap list: per
criterion, what is required, what the institution has, and whether it is met, with the clause.
Criteria read the same input codes the indicator systems declare.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from assessment import system as _system
from assessment._schema import Reader
from assessment.declarations import NUMERIC_TYPES, Coercer, coercer
from assessment.errors import SystemDefinitionError, SystemNotFoundError
from assessment.rulefiles import PinnedFileError, RuleFile, known_criteria, remember_criteria
from assessment.rules import HUNDRED, ZERO, ratio
from assessment.trace import Input, jsonable

MEASURES = ("value", "sum", "ratio", "years_since", "months_since", "bool")
OPS = (">=", "<=", "==")
_TOP_KEYS = ("code", "version", "category", "subclass", "level", "title", "title_en", "reference", "provisional",
             "hardship_relief", "criteria", "notes")
_CRITERION_KEYS = ("code", "label", "label_en", "measure", "inputs", "numerator", "denominator", "scale", "op",
                   "required", "relief", "reference", "provisional", "note", "any", "unit")
#: the unit of a measure that needs no declaration
_MEASURE_UNITS = {"years_since": "年", "months_since": "个月"}
_SHARE_QUANTUM = Decimal("0.0001")
_NO_DENOMINATOR: Any = object()  # a ratio over zero: neither met nor a number


@dataclass(frozen=True, slots=True)
class Criterion:
    """One condition: a measure of some inputs compared with a required figure (or any of several)."""

    code: str
    label: str
    reference: str
    measure: str = "value"
    inputs: tuple[str, ...] = ()
    op: str = ">="
    required: Decimal | bool | None = None
    label_en: str = ""
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    scale: Decimal = HUNDRED
    relief: bool = False  #: reduced by the hardship-area relief
    provisional: bool = False
    note: str = ""
    alternatives: tuple[Criterion, ...] = ()  #: met when any alternative is met
    unit: str | None = None  #: of `required` and the measured figure ("%", "万元", "家/千平方米" …)
    #: the check bound to this criterion's numbers, compiled once on load
    run: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Criteria:
    """One version of the conditions for one recognition level."""

    code: str
    version: int
    category: str
    subclass: str | None
    level: str
    title: str
    reference: str
    provisional: bool
    source: str
    sha256: str
    criteria: tuple[Criterion, ...]
    title_en: str = ""
    hardship_relief: Decimal = ZERO
    notes: str = ""
    coercers: Mapping[str, Coercer] = field(default_factory=dict, compare=False, repr=False)
    #: the file this set was parsed from (its `declared_by` names the systems that checked its inputs)
    file: RuleFile | None = field(default=None, compare=False, repr=False)

    @property
    def inputs_read(self) -> tuple[str, ...]:
        seen: list[str] = []
        for c in self.criteria:
            for crit in c.alternatives or (c,):
                for code in crit.inputs:
                    if code not in seen:
                        seen.append(code)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class GapRow:
    """One line of a gap list: the criterion, required and actual figures (in `unit`), how far short,
    the inputs read (each with the cell it came from) and the clause.

    The criteria file's name, version and sha256 are on the `GapList` holding the row.
    """

    code: str
    label: str
    required: Decimal | bool | None
    actual: Decimal | bool | None
    met: bool
    reference: str
    provisional: bool
    op: str = ">="
    label_en: str = ""
    measure: str = "value"
    relieved: bool = False  #: the hardship-area relief lowered `required`
    missing: tuple[str, ...] = ()  #: inputs that were missing or unusable
    shortfall: Decimal | None = None  #: how far short, as a share of `required` (0.05 = 5 % short)
    alternatives: tuple[GapRow, ...] = ()
    zero_denominator: bool = False  #: a ratio with nothing to divide by: not met, and said so
    unit: str | None = None
    inputs: tuple[Input, ...] = ()  #: every input the criterion reads, as supplied (value and source cell)
    gap: Decimal | None = None  #: how far short, in `unit` (`shortfall` is the same as a share of `required`)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "label": self.label, "label_en": self.label_en, "measure": self.measure, "op": self.op,
            "required": jsonable(self.required), "actual": jsonable(self.actual), "met": self.met,
            "reference": self.reference, "provisional": self.provisional, "relieved": self.relieved,
            "missing": list(self.missing), "shortfall": jsonable(self.shortfall),
            "alternatives": [a.to_dict() for a in self.alternatives], "zero_denominator": self.zero_denominator,
            "unit": self.unit, "inputs": inputs_dicts(self.inputs), "gap": jsonable(self.gap),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GapRow:
        return cls(
            code=d["code"], label=d["label"], label_en=d.get("label_en", ""), measure=d.get("measure", "value"),
            op=d.get("op", ">="), required=_restore(d.get("required")), actual=_restore(d.get("actual")), met=d["met"],
            reference=d["reference"], provisional=d["provisional"], relieved=d.get("relieved", False),
            missing=tuple(d.get("missing", ())), shortfall=_restore(d.get("shortfall")),
            alternatives=tuple(cls.from_dict(a) for a in d.get("alternatives", ())),
            zero_denominator=d.get("zero_denominator", False), unit=d.get("unit"),
            inputs=tuple(Input(i["code"], i.get("value"), i.get("source")) for i in d.get("inputs") or ()),
            gap=_restore(d.get("gap")),
        )


def inputs_dicts(inputs: tuple[Input, ...]) -> list[dict[str, Any]]:
    """Inputs as stored with a gap row: code, value as supplied (JSON-ready) and source."""
    return [{"code": i.code, "value": jsonable(i.value), "source": i.source} for i in inputs]


@dataclass(frozen=True, slots=True)
class GapList:
    """The result of checking one criteria set: every row, met or not, and which file produced it."""

    code: str
    version: int
    level: str
    source: str
    sha256: str
    provisional: bool
    hardship_area: bool
    rows: tuple[GapRow, ...]

    @property
    def met(self) -> bool:
        return all(r.met for r in self.rows)

    def unmet(self) -> tuple[GapRow, ...]:
        return tuple(r for r in self.rows if not r.met)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "version": self.version, "level": self.level, "source": self.source,
                "sha256": self.sha256, "provisional": self.provisional, "hardship_area": self.hardship_area,
                "met": self.met, "rows": [r.to_dict() for r in self.rows]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GapList:
        return cls(d["code"], int(d["version"]), d["level"], d["source"], d["sha256"], d["provisional"],
                   d.get("hardship_area", False), tuple(GapRow.from_dict(r) for r in d["rows"]))


_ROW_FIELDS = ("code", "label", "required", "actual", "met", "reference", "provisional", "op", "label_en", "measure",
               "relieved", "missing", "shortfall", "alternatives", "zero_denominator", "unit", "inputs", "gap")
_ROW_SETTERS = tuple(getattr(GapRow, f).__set__ for f in _ROW_FIELDS)
_NEW = object.__new__


def _row(code: str, label: str, required: Any, actual: Any, met: bool, reference: str, provisional: bool, op: str,
         label_en: str, measure: str, relieved: bool, missing: tuple[str, ...], shortfall: Decimal | None,
         alternatives: tuple[GapRow, ...], zero_denominator: bool, unit: str | None = None,
         inputs: tuple[Input, ...] = (), gap: Decimal | None = None) -> GapRow:
    """GapRow(...) with every field given, built by writing its slots (hot path; see trace.node)."""
    row = _NEW(GapRow)
    (s_code, s_label, s_required, s_actual, s_met, s_reference, s_provisional, s_op, s_label_en, s_measure,
     s_relieved, s_missing, s_shortfall, s_alternatives, s_zero, s_unit, s_inputs, s_gap) = _ROW_SETTERS
    s_code(row, code)
    s_label(row, label)
    s_required(row, required)
    s_actual(row, actual)
    s_met(row, met)
    s_reference(row, reference)
    s_provisional(row, provisional)
    s_op(row, op)
    s_label_en(row, label_en)
    s_measure(row, measure)
    s_relieved(row, relieved)
    s_missing(row, missing)
    s_shortfall(row, shortfall)
    s_alternatives(row, alternatives)
    s_zero(row, zero_denominator)
    s_unit(row, unit)
    s_inputs(row, inputs)
    s_gap(row, gap)
    return row


def _restore(value: object) -> Any:
    if isinstance(value, str):
        return Decimal(value)
    return value


# --- discovery ------------------------------------------------------------------------------

_FILE = re.compile(r"^([a-z0-9_]+)-(\d{4})\.toml$")


def clear_caches() -> None:
    _index.cache_clear()
    _load.cache_clear()
    _header.cache_clear()
    criteria_for.cache_clear()
    _in_force.cache_clear()


@lru_cache(maxsize=None)
def _index() -> Mapping[str, Mapping[int, tuple[Any, str]]]:
    found: dict[str, dict[int, tuple[Any, str]]] = {}
    for root in _system.data_roots():
        base = root / "criteria"
        if not base.is_dir():
            continue
        for f in base.iterdir():
            m = _FILE.match(f.name)
            if m:
                found.setdefault(m.group(1), {})[int(m.group(2))] = (root, f.name)
    return {k: dict(sorted(v.items())) for k, v in found.items()}


def criteria_versions(code: str) -> list[int]:
    return list(_index().get(code, {}))


def all_criteria() -> list[tuple[str, int]]:
    """(code, version) of every criteria file found."""
    return sorted((c, v) for c, vs in _index().items() for v in vs)


def load_criteria(code: str, year: int) -> Criteria:
    """The version of criteria set `code` in force for `year` (latest first year ≤ year)."""
    return _in_force(code, year)


@lru_cache(maxsize=4096)
def _in_force(code: str, year: int) -> Criteria:
    versions = _index().get(code)
    if not versions:
        raise SystemNotFoundError(code, year, available=[])
    in_force = [v for v in versions if v <= year]
    if not in_force:
        raise SystemNotFoundError(code, year, available=list(versions))
    return _load(code, max(in_force))


@lru_cache(maxsize=None)
def criteria_for(category: str, subclass: str | None, level: str) -> str | None:
    """The code of the criteria set for recognising a `category`/`subclass` at `level`, if any."""
    best: str | None = None
    for code, versions in _index().items():
        meta = _header(code, max(versions))
        if meta[0] != category or meta[2] != level:
            continue
        if meta[1] == subclass:
            return code
        if meta[1] is None:
            best = code
    return best


@lru_cache(maxsize=None)
def _header(code: str, version: int) -> tuple[str, str | None, str]:
    c = _load(code, version)
    return c.category, c.subclass, c.level


@lru_cache(maxsize=None)
def _load(code: str, version: int) -> Criteria:
    root, name = _index()[code][version]
    raw = (root / "criteria" / name).read_bytes()
    return remember_criteria(_parse_file(raw, name, _system.root_label(root), None, expect=(code, version)))


def criteria_origin(code: str, version: int) -> tuple[str, str] | None:
    """(root label, file name under criteria/) of the file a version is read from, or None."""
    found = _index().get(code, {}).get(version)
    return None if found is None else (_system.root_label(found[0]), found[1])


def _parse_file(raw: bytes, name: str, root: str, declared_by: Any, expect: tuple[str, int] | None) -> Criteria:
    try:
        data = tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SystemDefinitionError(name, "", f"not valid TOML: {exc}") from None
    used: list[Any] = []
    crits = parse_criteria(data, source=name, sha256=hashlib.sha256(raw).hexdigest(), expect=expect,
                           declared_by=declared_by, _used=used)
    file = RuleFile("criteria", name, root, crits.sha256, raw.decode("utf-8"), code=crits.code, version=crits.version,
                    declared_by=tuple((s.sha256, s.inputs_sha256) for s in used))
    object.__setattr__(crits, "file", file)
    return crits


def criteria_from_files(file: RuleFile, systems: Any) -> Criteria:
    """The criteria set exactly as a stored file holds it, its inputs checked against the stored systems
    (`systems`: the IndicatorSystems its `declared_by` names) — the same parse as on disk, never the disk."""
    hit = known_criteria(file.sha256)
    if hit is not None:
        return hit
    raw = file.text.encode("utf-8")
    if file.kind != "criteria" or hashlib.sha256(raw).hexdigest() != file.sha256:
        raise PinnedFileError(f"stored text of criteria file {file.path} does not hash to {file.sha256[:12]}")
    return remember_criteria(_parse_file(raw, file.path, file.root, list(systems), expect=None))


def parse_criteria(data: Mapping[str, Any], *, source: str, sha256: str, expect: tuple[str, int] | None = None,
                   declared_by: Any = None, _used: list[Any] | None = None) -> Criteria:
    """Validate a criteria file against the inputs its category's system declares.

    `declared_by` (systems) replaces looking up the systems in force on disk; `_used` collects
    the systems whose declarations were read.
    """
    r = Reader(source)
    r.table(data, "", _TOP_KEYS, ("code", "version", "category", "level", "title", "reference", "criteria"))
    code, version = r.str(data, "code", ""), r.int(data, "version", "")
    if expect is not None and (code, version) != expect:
        raise r.fail("code", f"file declares {code}-{version} but is named {expect[0]}-{expect[1]}")
    category = r.choice(data, "category", "", _system.CATEGORIES)
    subclass = r.str(data, "subclass", "", None)
    if subclass is not None and subclass not in _system.SUBCLASSES.get(category, ()):
        raise r.fail("subclass", f"{category} has no subclass {subclass!r}")
    level = r.choice(data, "level", "", _system.LEVELS)
    relief = r.num(data, "hardship_relief", "", ZERO)
    if not 0 <= relief < 1:
        raise r.fail("hardship_relief", "expected a share between 0 and 1")

    if declared_by is not None:
        decls = _merged_declarations(r, category, list(declared_by))
        used_systems = list(declared_by)
    else:
        decls, used_systems = _declared_inputs(r, category, subclass, version)
    if _used is not None:
        _used.extend(used_systems)
    items = r.tables(data, "criteria", "")
    if not items:
        raise r.fail("criteria", "at least one criterion is needed")
    parsed = []
    codes: set[str] = set()
    for p, item in items:
        crit = _parse_criterion(r, item, p, decls, top=True)
        if crit.code in codes:
            raise r.fail(f"{p}.code", f"duplicate criterion code {crit.code!r}")
        codes.add(crit.code)
        parsed.append(crit)
    crits = Criteria(
        code=code, version=version, category=category, subclass=subclass, level=level,
        title=r.str(data, "title", ""), title_en=r.str(data, "title_en", "", ""), reference=r.str(data, "reference", ""),
        provisional=r.bool(data, "provisional", "", False), source=source, sha256=sha256, criteria=tuple(parsed),
        hardship_relief=relief, notes=r.str(data, "notes", "", ""),
    )
    return Criteria(**{**{f: getattr(crits, f) for f in Criteria.__dataclass_fields__},
                       "coercers": {c: coercer(decls[c]) for c in crits.inputs_read}})


def _merged_declarations(r: Reader, category: str, systems: list[Any]) -> Mapping[str, Any]:
    """The input declarations every one of `systems` shares."""
    if not systems:
        raise r.fail("category", f"no {category} system declares inputs for these criteria")
    merged: dict[str, Any] | None = None
    for s in systems:
        decls = s.input_set.by_code()
        merged = decls if merged is None else {k: v for k, v in merged.items() if k in decls}
    assert merged is not None
    return merged


def _declared_inputs(r: Reader, category: str, subclass: str | None, version: int) -> tuple[Mapping[str, Any], list[Any]]:
    """Input declarations of the system(s) in force for the criteria's first year (all subclasses if none given),
    and those systems."""
    subclasses = (subclass,) if subclass is not None else (_system.SUBCLASSES.get(category) or (None,))
    used: list[Any] = []
    for sub in subclasses:
        try:
            s = _system.load_system(category, version, sub)
        except SystemNotFoundError:
            versions = _system.system_versions(category, sub)
            if not versions:
                raise r.fail("category", f"no {category} system declares inputs for these criteria") from None
            s = _system.load_version(category, versions[0], sub)
        used.append(s)
    return _merged_declarations(r, category, used), used


def _parse_criterion(r: Reader, item: Mapping[str, Any], p: str, decls: Mapping[str, Any], top: bool) -> Criterion:
    r.table(item, p, _CRITERION_KEYS if top else tuple(k for k in _CRITERION_KEYS if k != "any"), ("code", "label"))
    common = dict(code=r.str(item, "code", p), label=r.str(item, "label", p), label_en=r.str(item, "label_en", p, ""),
                  provisional=r.bool(item, "provisional", p, False), note=r.str(item, "note", p, ""))
    if top:
        common["reference"] = r.str(item, "reference", p)
    else:
        common["reference"] = r.str(item, "reference", p, "")
    if "any" in item:
        alts = r.tables(item, "any", p)
        if len(alts) < 2:
            raise r.fail(f"{p}.any", "list at least two alternatives")
        for key in ("measure", "inputs", "required", "unit"):
            if key in item:
                raise r.fail(f"{p}.{key}", "a criterion with alternatives takes its measures from 'any'")
        alternatives = tuple(_parse_criterion(r, a, ap, decls, top=False) for ap, a in alts)
        crit = Criterion(alternatives=alternatives, relief=any(a.relief for a in alternatives), **common)
        return _with_runner(crit)

    measure = r.choice(item, "measure", p, MEASURES)
    inputs = r.strs(item, "inputs", p)
    for j, c in enumerate(inputs):
        if c not in decls:
            raise r.fail(f"{p}.inputs[{j}]", f"input {c!r} is read but not declared by the {r.source.split('-')[0]} system")
    types = [decls[c].type for c in inputs]
    op = r.choice(item, "op", p, OPS, ">=")
    extra: dict[str, Any] = {}
    if measure in ("value", "bool", "years_since", "months_since") and len(inputs) != 1:
        raise r.fail(f"{p}.inputs", f"measure {measure!r} reads exactly one input")
    if measure in ("value", "sum", "ratio") and any(t not in NUMERIC_TYPES for t in types):
        raise r.fail(f"{p}.inputs", f"measure {measure!r} needs numeric inputs")
    if measure in ("years_since", "months_since") and types[0] != "date":
        raise r.fail(f"{p}.inputs[0]", f"measure {measure!r} needs a date input")
    if measure == "bool":
        if types[0] != "bool":
            raise r.fail(f"{p}.inputs[0]", "measure 'bool' needs a bool input")
        required: Decimal | bool = r.bool(item, "required", p, True)
        if op != "==":
            raise r.fail(f"{p}.op", "a bool criterion compares with ==")
    else:
        required = r.num(item, "required", p)
    if measure == "ratio":
        extra["numerator"], extra["denominator"] = r.strs(item, "numerator", p), r.strs(item, "denominator", p)
        if set(extra["numerator"]) | set(extra["denominator"]) != set(inputs):
            raise r.fail(f"{p}.inputs", "numerator and denominator must use exactly the inputs")
        extra["scale"] = r.num(item, "scale", p, HUNDRED)
    else:
        for key in ("numerator", "denominator", "scale"):
            if key in item:
                raise r.fail(f"{p}.{key}", f"only ratio measures take {key!r}")
    unit = _unit(r, item, p, measure, inputs, decls, extra.get("scale"))
    crit = Criterion(measure=measure, inputs=inputs, op=op, required=required, unit=unit,
                     relief=r.bool(item, "relief", p, False), **common, **extra)
    return _with_runner(crit)


def _unit(r: Reader, item: Mapping[str, Any], p: str, measure: str, inputs: tuple[str, ...],
          decls: Mapping[str, Any], scale: Decimal | None) -> str | None:
    """The unit a gap row shows: declared, or implied (a percentage, years, the inputs' common unit)."""
    declared = r.str(item, "unit", p, None)
    if declared is not None:
        return declared
    if measure == "ratio":
        if scale == HUNDRED:
            return "%"
        raise r.fail(f"{p}.unit", f"a ratio per {scale} needs its unit spelled out (e.g. \"家/千平方米\")")
    if measure in _MEASURE_UNITS:
        return _MEASURE_UNITS[measure]
    if measure == "bool":
        return None
    units = {decls[c].unit for c in inputs}
    return units.pop() if len(units) == 1 else None


# --- checking -------------------------------------------------------------------------------

def check_criteria(criteria: Criteria, inputs: Mapping[str, Input], *, hardship_area: bool = False,
                   year: int | None = None) -> GapList:
    """Compare the figures with every criterion; missing figures make a row unmet, never an error.

    `year` anchors "years since" measures at 31 December of that year; without it the
    ``report_year`` input is used.
    """
    return check_coerced(criteria, inputs, {}, hardship_area=hardship_area, year=year)


def check_coerced(criteria: Criteria, inputs: Mapping[str, Input], coerced: Mapping[str, Any], *,
                  hardship_area: bool = False, year: int | None = None) -> GapList:
    """`check_criteria` reusing values the engine has already checked (`coerced`, by code)."""
    values: dict[str, Any] = {}
    for code, conv in criteria.coercers.items():
        if code in coerced:
            values[code] = coerced[code]
            continue
        supplied = inputs.get(code)
        if supplied is not None and supplied.value is not None:
            value, problem = conv(supplied.value)
            if problem is None:
                values[code] = value
    if year is None:
        ry = inputs.get("report_year")
        year = ry.value if ry is not None and isinstance(ry.value, int) and not isinstance(ry.value, bool) else None
    factor = 1 - criteria.hardship_relief if hardship_area else None
    rows = tuple([c.run(values, factor, year, inputs) for c in criteria.criteria])
    return GapList(criteria.code, criteria.version, criteria.level, criteria.source, criteria.sha256,
                   criteria.provisional, hardship_area, rows)


def _with_runner(c: Criterion) -> Criterion:
    return replace(c, run=_compile(c))


def _compile(c: Criterion) -> Any:
    """Bind one criterion's numbers into a function (values, relief factor, year) → GapRow."""
    code, label, label_en, reference, provisional, op, measure = (
        c.code, c.label, c.label_en, c.reference, c.provisional, c.op, c.measure)
    if c.alternatives:
        runners = tuple(a.run for a in c.alternatives)
        any_provisional = provisional or any(a.provisional for a in c.alternatives)

        def run_any(values: Mapping[str, Any], factor: Decimal | None, year: int | None,
                    supplied: Mapping[str, Input]) -> GapRow:
            alts = tuple([f(values, factor, year, supplied) for f in runners])
            met = any(a.met for a in alts)
            shortfalls = [a.shortfall for a in alts if a.shortfall is not None]
            return _row(code, label, None, None, met, reference, any_provisional, "any", label_en, "any",
                        any(a.relieved for a in alts), () if met else tuple(m for a in alts for m in a.missing),
                        None if met else (min(shortfalls) if len(shortfalls) == len(alts) else None), alts, False)
        return run_any

    inputs = c.inputs
    unit = c.unit
    base_required = c.required
    relief = c.relief and isinstance(base_required, Decimal)
    is_bool = isinstance(base_required, bool)
    measure_of = _measure_fn(c)

    def run(values: Mapping[str, Any], factor: Decimal | None, year: int | None,
            supplied: Mapping[str, Input]) -> GapRow:
        read = tuple([supplied.get(k) or Input(k, None) for k in inputs])
        required = base_required
        relieved = False
        if factor is not None and relief:
            required = _plain((required * factor).quantize(_SHARE_QUANTUM, rounding=ROUND_HALF_UP))
            relieved = True
        for k in inputs:
            if k not in values:
                return _row(code, label, required, None, False, reference, provisional, op, label_en, measure,
                            relieved, tuple([x for x in inputs if x not in values]), None, (), False, unit, read)
        actual = measure_of(values, year)
        if actual is None or actual is _NO_DENOMINATOR:
            return _row(code, label, required, None, False, reference, provisional, op, label_en, measure, relieved,
                        ("report_year",) if actual is None else (), None, (), actual is _NO_DENOMINATOR, unit, read)
        shortfall = gap = None
        if is_bool:
            met = actual is required
        else:
            met = actual >= required if op == ">=" else actual <= required if op == "<=" else actual == required
            if not met and op != "==":
                gap = _plain((required - actual) if op == ">=" else (actual - required))
                if required:
                    shortfall = (gap / abs(required)).quantize(_SHARE_QUANTUM, rounding=ROUND_HALF_UP)
        return _row(code, label, required, actual, met, reference, provisional, op, label_en, measure, relieved,
                    (), shortfall, (), False, unit, read, gap)
    return run


def _measure_fn(c: Criterion) -> Any:
    """The figure a criterion compares: None if a year is needed and unknown, _NO_DENOMINATOR for x/0."""
    first = c.inputs[0] if c.inputs else ""
    if c.measure == "value":
        return lambda values, year: Decimal(values[first])
    if c.measure == "bool":
        return lambda values, year: values[first]
    if c.measure == "sum":
        codes = c.inputs
        return lambda values, year: sum([values[k] for k in codes], ZERO)
    if c.measure == "ratio":
        num, den, scale = c.numerator, c.denominator, c.scale

        def ratio_of(values: Mapping[str, Any], year: int | None) -> Any:
            r = ratio(sum([values[k] for k in num], ZERO), sum([values[k] for k in den], ZERO), scale)
            return _NO_DENOMINATOR if r is None else r
        return ratio_of
    as_years = c.measure == "years_since"
    return lambda values, year: None if year is None else _elapsed(values[first], year, years=as_years)


def _plain(d: Decimal) -> Decimal:
    """8000.0000 → 8000 and 0.5000 → 0.5, never 8E+3."""
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def _elapsed(since: _dt.date, year: int, *, years: bool) -> Decimal:
    """Whole months from `since` to the end of 31 December of `year` (as years, to 2 decimals, if asked).

    A start on the 1st counts its month in full: 2019-07-01 → end of 2020 is 18 months.
    """
    months = max((year + 1 - since.year) * 12 + (1 - since.month) - (1 if since.day > 1 else 0), 0)
    if not years:
        return Decimal(months)
    return (Decimal(months) / 12).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
