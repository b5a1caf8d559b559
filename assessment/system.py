"""Indicator systems: versioned TOML data files, validated and compiled once on load.

A file is one published system version, named after the first year it applies to
(``systems/<category>[/<subclass>]/<year>.toml``); it stays in force until a newer file exists.
Adding a category's first system (industrial parks, say) needs only a new data file, in the
package or in a directory registered with `add_data_root`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from contextvars import ContextVar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from assessment import rules
from assessment._schema import Reader
from assessment.declarations import (
    NUMERIC_TYPES,
    Coercer,
    coercer,
    merge_input_sets,
    read_input_set,
    validate_input_set,
)
from assessment.errors import SystemDefinitionError, SystemNotFoundError
from assessment.inputs import InputDecl, InputSet
from assessment.rulefiles import PACKAGE_ROOT, PinnedFileError, RuleFile, known_system, remember_system
from assessment.trace import Input

CATEGORIES: tuple[str, ...] = ("rd_institution", "maker_space", "incubator", "accelerator", "industrial_park")
SUBCLASSES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "incubator": ("comprehensive", "specialised"),
    "rd_institution": ("tech_innovation", "commercialisation", "industry_cultivation", "comprehensive"),
})
LEVELS: tuple[str, ...] = ("municipal", "provincial", "national_candidate", "national_filed", "national")
GRADE_CODES: tuple[str, ...] = ("A", "B", "C", "D")
MISSING_POLICIES: tuple[str, ...] = ("error", "zero", "exclude")
#: what a triggered veto item does, mildest first: "rectify" (rectification within the deadline, the
#: scored grade stands), "grade_d" (the fail grade for the year; the ordinary rules then decide:
#: rectify on a first fail, exit on consecutive fails), "exit" (recognition ends), "do_not_recognise"
#: (eligibility lost: not recognised, or a recognition ends, optionally barred for `bar_years`)
VETO_CONSEQUENCES: tuple[str, ...] = ("rectify", "grade_d", "exit", "do_not_recognise")

_TOP_KEYS = ("category", "subclass", "version", "code", "title", "title_en", "reference", "provisional",
             "max_score", "inputs", "extra_inputs", "tables", "checks", "missing", "bonus_cap", "groups",
             "indicators", "grades", "quota", "decisions", "notes")
_INDICATOR_KEYS = ("code", "label", "label_en", "group", "unit", "rule", "inputs", "weight", "missing",
                   "reference", "provisional", "note")
#: trace nodes the engine adds around the indicators; flat traces key on codes, so they must not clash
_RESERVED_CODES = ("outcome", "score", "grade", "recommendation", "bonus", "vetoes", "quota")
_PARAM_KEYS = frozenset(k for kind in rules.KINDS.values() for k in kind.required + kind.optional)


@dataclass(frozen=True, slots=True)
class Group:
    """A first-level indicator (一级指标) such as 服务能力, with its weight if it has one."""

    code: str
    label: str
    label_en: str = ""
    weight: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GradeBand:
    """A grade and the lowest total score that earns it."""

    grade: str
    label: str
    min: Decimal
    label_en: str = ""


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `max_share` of a cohort may hold `grade`; the rest drop to `demote_to`."""

    grade: str
    max_share: Decimal
    demote_to: str
    reference: str = ""
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class DecisionPolicy:
    """The numbers the keep / rectify / exit / upgrade rules read; defaults follow domain.md §12.5."""

    fail_grade: str = "D"
    consecutive_fails: int = 2
    consecutive_unreported: int = 2
    rectify_deadline_months: int = 6
    upgrade_max_unmet: int = 1
    upgrade_max_shortfall: Decimal = Decimal("0.10")
    ladder: tuple[str, ...] = ("municipal", "provincial")
    provincial_cascade: bool = False  #: municipal status follows provincial status (R&D institutions)
    reference: str = ""
    provisional: bool = True


@dataclass(frozen=True, slots=True)
class VetoConsequence:
    """What a veto item does when triggered, and the clause that says so."""

    kind: str  #: one of VETO_CONSEQUENCES
    reference: str
    bar_years: int | None = None  #: no re-application for this many years
    provisional: bool = False

    @property
    def sets_fail_grade(self) -> bool:
        return self.kind != "rectify"

    @property
    def ends_recognition(self) -> bool:
        return self.kind in ("exit", "do_not_recognise")


#: set while stored text is parsed (system_from_files): old runs' files may predate a rule that
#: files on disk must now follow, and must still be read exactly as they were used
_READING_STORED: ContextVar[bool] = ContextVar("reading_stored", default=False)

#: what a veto item without a declared consequence means: the rule of the files written before
#: consequences were declared (stored with old runs), when every veto ended recognition
LEGACY_VETO_CONSEQUENCE = VetoConsequence(kind="exit", reference="", provisional=True)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One scored item: its rule kind, parameters, the inputs it reads and where it comes from."""

    code: str
    label: str
    group: str
    rule: str
    inputs: tuple[str, ...]
    weight: Decimal
    params: Mapping[str, Any]
    missing: str
    reference: str
    label_en: str = ""
    unit: str | None = None
    provisional: bool = False
    note: str = ""
    consequence: VetoConsequence | None = None  #: veto items only
    #: the parameters as shown in the trace (weight, bands, thresholds, missing policy)
    parameters: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)
    compute: rules.Compiled | None = field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> rules.Kind:
        return rules.KINDS[self.rule]

    @property
    def scored(self) -> bool:
        return self.rule not in ("bonus", "veto")


@dataclass(frozen=True, slots=True)
class SystemRef:
    """What a result pins: which file (and which bytes) produced it."""

    category: str
    subclass: str | None
    version: int
    code: str
    source: str
    sha256: str
    provisional: bool
    inputs_sha256: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"category": self.category, "subclass": self.subclass, "version": self.version, "code": self.code,
                "source": self.source, "sha256": self.sha256, "provisional": self.provisional,
                "inputs_sha256": self.inputs_sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SystemRef:
        return cls(data["category"], data.get("subclass"), int(data["version"]), data["code"], data["source"],
                   data["sha256"], bool(data["provisional"]), data.get("inputs_sha256"))


@dataclass(frozen=True, slots=True)
class Plan:
    """What evaluation needs, computed once per loaded file: no parsing at evaluation time."""

    read: tuple[str, ...]  #: every input code some indicator reads
    coercers: Mapping[str, Coercer]
    coercers_dict: dict[str, Coercer]  #: the same, as a plain dict for the hot loop (private to the engine)
    self_reported: frozenset[str]
    #: (group code, its weight, indices of its scored indicators), in declaration order
    groups: tuple[tuple[str, Decimal | None, tuple[int, ...]], ...]
    bonus: tuple[int, ...]  #: indices of bonus indicators
    vetoes: tuple[int, ...]  #: indices of veto indicators
    score_parameters: Mapping[str, object]
    grade_parameters: Mapping[str, object]
    #: per indicator: (code, inputs, rule, parameters, compute, missing policy, weight, is veto, reference)
    steps: tuple[tuple[Any, ...], ...]
    placeholders: Mapping[str, Input]  #: Input(code, None) shown in the trace for an input not supplied


@dataclass(frozen=True, slots=True)
class IndicatorSystem:
    """One version of a category's (and subclass's) annual assessment system."""

    category: str
    subclass: str | None
    version: int
    code: str
    title: str
    title_en: str
    reference: str
    provisional: bool
    source: str
    sha256: str
    max_score: Decimal
    input_set: InputSet
    indicators: tuple[Indicator, ...]
    groups: tuple[Group, ...]
    grades: tuple[GradeBand, ...]
    quota: Quota | None
    bonus_cap: Decimal
    decisions: DecisionPolicy
    missing: str
    inputs_source: str | None = None
    inputs_sha256: str | None = None
    notes: str = ""
    plan: Plan | None = field(default=None, compare=False, repr=False)
    #: the files this system was parsed from (the system file first, then its shared inputs files)
    files: tuple[RuleFile, ...] = field(default=(), compare=False, repr=False)

    @property
    def ref(self) -> SystemRef:
        return SystemRef(self.category, self.subclass, self.version, self.code, self.source, self.sha256,
                         self.provisional, self.inputs_sha256)

    @property
    def has_fail_grade(self) -> bool:
        """False for years that graded only A/B/C (Guangdong 2015–2019)."""
        return any(g.grade == self.decisions.fail_grade for g in self.grades)

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(code)

    def grade_for(self, score: Decimal) -> GradeBand:
        for band in self.grades:
            if score >= band.min:
                return band
        return self.grades[-1]


# --- data roots and discovery ---------------------------------------------------------------

_roots: list[Traversable | Path] = [files("assessment")]


def add_data_root(path: str | Path) -> None:
    """Also read systems (``<path>/systems``) and criteria (``<path>/criteria``) from `path`.

    A version found in a later root replaces the same version in an earlier one; a shared
    inputs file is read from the last root that has it. This is the hook for data kept outside
    the package (the bureau's own root, `FUHUA_SYSTEMS_ROOT`) and for tests. Adding a root
    already present does nothing.
    """
    if Path(path) in _roots:
        return
    _roots.append(Path(path))
    _clear_caches()


def root_label(root: Traversable | Path) -> str:
    """"package" for the shipped files, else the folder's path."""
    return PACKAGE_ROOT if root is _roots[0] else str(root)


def system_origin(category: str, version: int, subclass: str | None = None) -> tuple[str, str] | None:
    """(root label, path under systems/) of the file a version is read from, or None."""
    found = _index().get((category, subclass), {}).get(version)
    return None if found is None else (root_label(found[0]), found[1])


def remove_data_root(path: str | Path) -> None:
    """Undo `add_data_root`."""
    _roots.remove(Path(path))
    _clear_caches()


def data_roots() -> tuple[Traversable | Path, ...]:
    return tuple(_roots)


def _clear_caches() -> None:
    _index.cache_clear()
    _load.cache_clear()
    from assessment import criteria  # late: criteria depends on this module

    criteria.clear_caches()


_VERSION_FILE = re.compile(r"^(\d{4})\.toml$")


@lru_cache(maxsize=None)
def _index() -> Mapping[tuple[str, str | None], Mapping[int, tuple[Traversable | Path, str]]]:
    """(category, subclass) → version → (root, path under systems/)."""
    found: dict[tuple[str, str | None], dict[int, tuple[Traversable | Path, str]]] = {}
    for root in _roots:
        base = root / "systems"
        if not base.is_dir():
            continue
        for cat_dir in base.iterdir():
            if not cat_dir.is_dir() or cat_dir.name not in CATEGORIES:
                continue
            cat = cat_dir.name
            for entry in cat_dir.iterdir():
                if entry.is_dir() and entry.name in SUBCLASSES.get(cat, ()):
                    for f in entry.iterdir():
                        m = _VERSION_FILE.match(f.name)
                        if m:
                            found.setdefault((cat, entry.name), {})[int(m.group(1))] = (root, f"{cat}/{entry.name}/{f.name}")
                elif (m := _VERSION_FILE.match(entry.name)) and cat not in SUBCLASSES:
                    found.setdefault((cat, None), {})[int(m.group(1))] = (root, f"{cat}/{entry.name}")
    return {k: dict(sorted(v.items())) for k, v in found.items()}


def _check_call(category: str, subclass: str | None) -> None:
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
    allowed = SUBCLASSES.get(category)
    if allowed is None and subclass is not None:
        raise ValueError(f"{category} has no subclasses; got {subclass!r}")
    if allowed is not None and subclass not in allowed:
        raise ValueError(f"{category} needs a subclass, one of {', '.join(allowed)}; got {subclass!r}")


def system_versions(category: str, subclass: str | None = None) -> list[int]:
    """The first years of every shipped version, oldest first."""
    _check_call(category, subclass)
    return list(_index().get((category, subclass), {}))


def all_systems() -> list[tuple[str, str | None, int]]:
    """(category, subclass, version) for every system file found."""
    return sorted(((c, s, v) for (c, s), vs in _index().items() for v in vs), key=lambda t: (t[0], t[1] or "", t[2]))


def load_system(category: str, year: int, subclass: str | None = None) -> IndicatorSystem:
    """The system in force for `year`: the latest version whose first year is ≤ year."""
    _check_call(category, subclass)
    versions = _index().get((category, subclass), {})
    in_force = [v for v in versions if v <= year]
    if not in_force:
        raise SystemNotFoundError(category, year, available=list(versions), subclass=subclass)
    return _load(category, subclass, max(in_force))


def load_version(category: str, version: int, subclass: str | None = None) -> IndicatorSystem:
    """Exactly this version (for re-checking stored results)."""
    _check_call(category, subclass)
    if version not in _index().get((category, subclass), {}):
        raise SystemNotFoundError(category, version, available=system_versions(category, subclass), subclass=subclass)
    return _load(category, subclass, version)


@lru_cache(maxsize=None)
def _load(category: str, subclass: str | None, version: int) -> IndicatorSystem:
    root, rel = _index()[(category, subclass)][version]
    raw = (root / "systems" / rel).read_bytes()
    return remember_system(_parse_file(raw, rel, root_label(root), _disk_inputs, expect=(category, subclass, version)))


#: reads a shared inputs file by its path under systems/: (its bytes, root label) or None if absent
InputsReader = Callable[[str], "tuple[bytes, str] | None"]


def _disk_inputs(rel: str) -> tuple[bytes, str] | None:
    """A shared inputs file from the last data root that has it."""
    for root in reversed(_roots):
        path = root / "systems" / rel
        if path.is_file():
            return path.read_bytes(), root_label(root)
    return None


def _parse_file(raw: bytes, rel: str, root: str, read_inputs: InputsReader,
                expect: tuple[str, str | None, int] | None) -> IndicatorSystem:
    """Parse one system file's bytes (and its shared inputs, through `read_inputs`) into a system."""
    r = Reader(rel)
    try:
        data = tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SystemDefinitionError(rel, "", f"not valid TOML: {exc}") from None
    shared: tuple[InputSet, str, str] | None = None
    inputs_files: list[RuleFile] = []
    if isinstance(data.get("inputs"), str):
        shared = _load_inputs_file(read_inputs, data["inputs"], inputs_files)
    sha = hashlib.sha256(raw).hexdigest()
    system = parse_system(data, source=rel, sha256=sha, expect=expect, shared_inputs=shared, reader=r)
    main = RuleFile("system", rel, root, sha, raw.decode("utf-8"),
                    code=f"{system.category}/{system.subclass}" if system.subclass else system.category,
                    version=system.version)
    object.__setattr__(system, "files", (main, *inputs_files))
    return system


def _load_inputs_file(read: InputsReader, rel: str, found: list[RuleFile],
                      _seen: tuple[str, ...] = ()) -> tuple[InputSet, str, str]:
    """A shared inputs file, with the files it ``include``s first; the hash covers them all, in order.

    Appends every file read to `found` (included files before the file including them).
    """
    if rel in _seen:
        raise SystemDefinitionError(rel, "include", "includes itself")
    got = read(rel)
    if got is None:
        raise SystemDefinitionError(_seen[-1] if _seen else rel, "inputs", f"shared inputs file {rel!r} not found")
    raw, root = got
    r = Reader(rel)
    try:
        data = tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SystemDefinitionError(rel, "", f"not valid TOML: {exc}") from None
    r.table(data, "", ("include", "inputs", "tables", "checks", "plausibility_jump", "title", "reference"))
    digest = hashlib.sha256()
    merged: InputSet | None = None
    included: list[str] = []
    for inc in r.strs(data, "include", "", ()):
        s, _, inc_sha = _load_inputs_file(read, inc, found, _seen + (rel,))
        digest.update(bytes.fromhex(inc_sha))
        included.append(inc_sha)
        merged = s if merged is None else merge_input_sets(r, merged, s, "")
    own = read_input_set(r, data)
    merged = own if merged is None else merge_input_sets(r, merged, own, "")
    validate_input_set(r, merged)
    digest.update(raw)
    key = digest.hexdigest()
    if all(f.sha256 != key for f in found):
        found.append(RuleFile("inputs", rel, root, key, raw.decode("utf-8"), includes=tuple(included)))
    return merged, rel, key


def system_from_files(files: Sequence[RuleFile], sha256: str, inputs_sha256: str | None = None) -> IndicatorSystem:
    """The system exactly as stored files hold it: the same parse as a file on disk, never the disk.

    `files` must hold the system file keyed `sha256` and, when it reads shared inputs, the
    inputs files whose tree is keyed `inputs_sha256`. Raises PinnedFileError when one is
    missing or its text does not hash to its key.
    """
    hit = known_system(sha256, inputs_sha256)
    if hit is not None:
        return hit
    by_key = {f.sha256: f for f in files}
    main = by_key.get(sha256)
    if main is None or main.kind != "system":
        raise PinnedFileError(f"system file {sha256[:12]} is not among the stored files")
    raw = main.text.encode("utf-8")
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise PinnedFileError(f"stored text of system file {main.path} does not hash to {sha256[:12]}")
    tree: dict[str, RuleFile] = {}

    def walk(key: str) -> None:
        f = by_key.get(key)
        if f is None or f.kind != "inputs":
            raise PinnedFileError(f"inputs file {key[:12]} of {main.path} is not among the stored files")
        tree[f.path] = f
        for inc in f.includes:
            walk(inc)

    if inputs_sha256 is not None:
        walk(inputs_sha256)
    token = _READING_STORED.set(True)
    try:
        system = _parse_file(raw, main.path, main.root,
                             lambda rel: (tree[rel].text.encode("utf-8"), tree[rel].root) if rel in tree else None,
                             expect=None)
    finally:
        _READING_STORED.reset(token)
    if system.inputs_sha256 != inputs_sha256:
        raise PinnedFileError(f"stored inputs of {main.path} hash to {str(system.inputs_sha256)[:12]}, "
                              f"not {str(inputs_sha256)[:12]}")
    return remember_system(system)


# --- parsing and validation -----------------------------------------------------------------

def parse_system(data: Mapping[str, Any], *, source: str, sha256: str,
                 expect: tuple[str, str | None, int] | None = None,
                 shared_inputs: tuple[InputSet, str, str] | None = None,
                 reader: Reader | None = None) -> IndicatorSystem:
    """Validate a parsed system file and compile it; raises SystemDefinitionError on any problem."""
    r = reader or Reader(source)
    r.table(data, "", _TOP_KEYS, ("category", "version", "code", "title", "reference", "max_score", "indicators", "grades"))
    category = r.choice(data, "category", "", CATEGORIES)
    subclass = r.str(data, "subclass", "", None)
    version = r.int(data, "version", "")
    if expect is not None:
        if (category, subclass, version) != expect:
            raise r.fail("version" if version != expect[2] else "category",
                         f"file declares {category}/{subclass}/{version} but is stored as {expect[0]}/{expect[1]}/{expect[2]}")
    allowed_sub = SUBCLASSES.get(category)
    if allowed_sub is not None and subclass not in allowed_sub:
        raise r.fail("subclass", f"expected one of {', '.join(allowed_sub)}")
    if allowed_sub is None and subclass is not None:
        raise r.fail("subclass", f"{category} has no subclasses")

    # inputs: a shared file (inputs = "path") plus additions, or inline declarations
    if shared_inputs is not None:
        base, inputs_source, inputs_sha = shared_inputs
        extra = read_input_set(r, {"inputs": data.get("extra_inputs", []), "tables": data.get("tables", []),
                                   "checks": data.get("checks", [])})
        input_set = merge_input_sets(r, base, extra, "extra_")
    else:
        if isinstance(data.get("inputs"), str):
            raise r.fail("inputs", "shared inputs file was not loaded")
        if "extra_inputs" in data:
            raise r.fail("extra_inputs", "extra_inputs needs a shared inputs file (inputs = \"<path>\")")
        input_set = read_input_set(r, {k: data[k] for k in ("inputs", "tables", "checks") if k in data})
        inputs_source = inputs_sha = None
    validate_input_set(r, input_set)
    decls = input_set.by_code()

    max_score = r.num(data, "max_score", "")
    if max_score <= 0:
        raise r.fail("max_score", "must be positive")
    missing_default = r.choice(data, "missing", "", MISSING_POLICIES, "zero")

    groups = []
    for p, g in r.tables(data, "groups", ""):
        r.table(g, p, ("code", "label", "label_en", "weight"), ("code", "label"))
        groups.append(Group(r.str(g, "code", p), r.str(g, "label", p), r.str(g, "label_en", p, ""), r.num(g, "weight", p, None)))
    group_codes = [g.code for g in groups]
    if len(set(group_codes)) != len(group_codes):
        raise r.fail("groups", "duplicate group code")

    indicators = []
    seen: set[str] = set()
    for i, (p, item) in enumerate(r.tables(data, "indicators", "")):
        ind = _parse_indicator(r, item, p, decls, set(group_codes), missing_default)
        if ind.code in seen:
            raise r.fail(f"{p}.code", f"duplicate indicator code {ind.code!r}")
        if ind.code in _RESERVED_CODES or ind.code in group_codes:
            raise r.fail(f"{p}.code", f"{ind.code!r} is already the name of a trace node (a group or {', '.join(_RESERVED_CODES)})")
        seen.add(ind.code)
        indicators.append(ind)
    if not indicators:
        raise r.fail("indicators", "at least one indicator is needed")

    scored_total = sum((i.weight for i in indicators if i.scored), Decimal(0))
    if scored_total != max_score:
        raise r.fail("indicators", f"weights of scored indicators add up to {scored_total}, not max_score {max_score}")
    weighted = [g for g in groups if g.weight is not None]
    if weighted:
        for g in weighted:
            total = sum((i.weight for i in indicators if i.scored and i.group == g.code), Decimal(0))
            if total != g.weight:
                raise r.fail(f"groups[{group_codes.index(g.code)}].weight",
                             f"group {g.code!r} weighs {g.weight} but its indicators add up to {total}")
        if sum((g.weight for g in weighted), Decimal(0)) != max_score:
            raise r.fail("groups", "group weights do not add up to max_score")

    bonus_cap = r.num(data, "bonus_cap", "", Decimal(0))
    if bonus_cap < 0:
        raise r.fail("bonus_cap", "must not be negative")
    if any(i.rule == "bonus" for i in indicators) and bonus_cap == 0:
        raise r.fail("bonus_cap", "bonus indicators need a positive bonus_cap")

    grades = _parse_grades(r, data, max_score + bonus_cap)
    quota = _parse_quota(r, data.get("quota"), [g.grade for g in grades])
    decisions = _parse_decisions(r, data.get("decisions", {}))
    if decisions.fail_grade not in GRADE_CODES:
        raise r.fail("decisions.fail_grade", "expected a grade code")

    plan = _compile_plan(indicators, decls, groups, grades, max_score, bonus_cap)
    return IndicatorSystem(
        category=category, subclass=subclass, version=version, code=r.str(data, "code", ""),
        title=r.str(data, "title", ""), title_en=r.str(data, "title_en", "", ""), reference=r.str(data, "reference", ""),
        provisional=r.bool(data, "provisional", "", False), source=source, sha256=sha256, max_score=max_score,
        input_set=input_set, indicators=tuple(indicators), groups=tuple(groups), grades=grades, quota=quota,
        bonus_cap=bonus_cap, decisions=decisions, missing=missing_default, inputs_source=inputs_source,
        inputs_sha256=inputs_sha, notes=r.str(data, "notes", "", ""), plan=plan,
    )


def _parse_indicator(r: Reader, item: Mapping[str, Any], p: str, decls: Mapping[str, InputDecl],
                     groups: set[str], missing_default: str) -> Indicator:
    r.table(item, p, _INDICATOR_KEYS + tuple(_PARAM_KEYS), ("code", "label", "group", "rule", "inputs", "reference"))
    kind_name = r.str(item, "rule", p)
    if kind_name not in rules.KINDS:
        raise r.fail(f"{p}.rule", f"unknown rule kind {kind_name!r} (known: {', '.join(rules.KINDS)})")
    kind = rules.KINDS[kind_name]
    for key in item:
        if key in _PARAM_KEYS and key not in kind.required + kind.optional:
            raise r.fail(f"{p}.{key}", f"not a parameter of rule {kind_name!r}")
    for key in kind.required:
        if key not in item:
            raise r.fail(f"{p}.{key}", f"rule {kind_name!r} needs {key!r}")
    code = r.str(item, "code", p)
    group = r.str(item, "group", p)
    if groups and group not in groups:
        raise r.fail(f"{p}.group", f"unknown group {group!r}")
    inputs = r.strs(item, "inputs", p)
    if len(set(inputs)) != len(inputs) or not inputs:
        raise r.fail(f"{p}.inputs", "expected distinct input codes")
    for j, c in enumerate(inputs):
        if c not in decls:
            raise r.fail(f"{p}.inputs[{j}]", f"input {c!r} is read but not declared")
    types = [decls[c].type for c in inputs]

    if kind_name == "veto":
        weight = r.num(item, "weight", p, Decimal(0))
        if weight != 0:
            raise r.fail(f"{p}.weight", "veto items carry no points")
    else:
        weight = r.num(item, "weight", p)
        if weight <= 0:
            raise r.fail(f"{p}.weight", "must be positive")

    params: dict[str, Any] = {}
    single = kind_name in ("boolean", "reviewer", "bonus", "veto")  # bands, linear, threshold may sum several
    if single and len(inputs) != 1:
        raise r.fail(f"{p}.inputs", f"rule {kind_name!r} reads exactly one input")
    numeric = kind_name in ("bands", "ratio_bands", "linear", "ratio_linear", "growth_linear", "threshold", "ratio_threshold")
    if numeric:
        for j, t in enumerate(types):
            if t not in NUMERIC_TYPES:
                raise r.fail(f"{p}.inputs[{j}]", f"rule {kind_name!r} needs a numeric input; {inputs[j]!r} is {t}")
    if kind_name.startswith("ratio_"):
        num, den = r.strs(item, "numerator", p), r.strs(item, "denominator", p)
        for key, codes in (("numerator", num), ("denominator", den)):
            for c in codes:
                if c not in inputs:
                    raise r.fail(f"{p}.{key}", f"{c!r} is not among the indicator's inputs")
        if set(num) | set(den) != set(inputs):
            raise r.fail(f"{p}.inputs", "every input must appear in the numerator or the denominator")
        params["numerator"], params["denominator"] = num, den
        if "scale" in item:
            params["scale"] = r.num(item, "scale", p)
            if params["scale"] <= 0:
                raise r.fail(f"{p}.scale", "must be positive")
    if kind_name == "growth_linear":
        cur, prev = r.str(item, "current", p), r.str(item, "previous", p)
        if {cur, prev} != set(inputs) or cur == prev:
            raise r.fail(f"{p}.inputs", "inputs must be exactly the current and previous figures")
        params["current"], params["previous"] = cur, prev
    if "bands" in kind.required:
        params["bands"] = _parse_bands(r, item, p, weight)
    if "floor" in kind.required:
        params["floor"], params["target"] = r.num(item, "floor", p), r.num(item, "target", p)
        if params["floor"] == params["target"]:
            raise r.fail(f"{p}.target", "floor and target must differ")
    if "min" in kind.required:
        params["min"] = r.num(item, "min", p)
    if kind_name == "boolean":
        if types[0] != "bool":
            raise r.fail(f"{p}.inputs[0]", f"rule 'boolean' needs a bool input; {inputs[0]!r} is {types[0]}")
        params["expect"] = r.bool(item, "expect", p, True)
    if kind_name == "reviewer":
        d = decls[inputs[0]]
        if d.type != "score" or d.source != "reviewer":
            raise r.fail(f"{p}.inputs[0]", f"rule 'reviewer' needs a score input with source = \"reviewer\"; {d.code!r} is {d.type}/{d.source}")
    if kind_name == "bonus":
        if types[0] not in ("int", "bool", "decimal"):
            raise r.fail(f"{p}.inputs[0]", f"rule 'bonus' needs a count or bool input; {inputs[0]!r} is {types[0]}")
        params["per_item"] = r.num(item, "per_item", p)
        if params["per_item"] <= 0:
            raise r.fail(f"{p}.per_item", "must be positive")
    consequence = None
    if kind_name == "veto":
        # Files written before vetoes declared their consequence (and still stored with old runs)
        # meant "ends recognition" for every veto: read them so, marked provisional.
        if "consequence" in item:
            consequence = _parse_consequence(r, item["consequence"], f"{p}.consequence")
        elif _READING_STORED.get():
            consequence = LEGACY_VETO_CONSEQUENCE
        else:
            raise r.fail(f"{p}.consequence", f"rule {kind_name!r} needs 'consequence'")
        has_when, has_contains = "when" in item, "contains" in item
        if has_when == has_contains:
            raise r.fail(p, "a veto needs exactly one of 'when' (bool input) or 'contains' (multichoice input)")
        d = decls[inputs[0]]
        if has_when:
            params["when"] = r.bool(item, "when", p)
            if d.type != "bool":
                raise r.fail(f"{p}.when", f"'when' needs a bool input; {d.code!r} is {d.type}")
        else:
            params["contains"] = r.str(item, "contains", p)
            if d.type != "multichoice" or params["contains"] not in d.choice_codes():
                raise r.fail(f"{p}.contains", f"{params['contains']!r} is not a choice of multichoice input {d.code!r}")

    missing = r.choice(item, "missing", p, MISSING_POLICIES, missing_default)
    if missing == "exclude" and kind_name in ("bonus", "veto"):
        raise r.fail(f"{p}.missing", "only scored indicators can be excluded and rescaled")
    compute = rules.compile_rule(kind_name, params, weight, inputs)
    shown: dict[str, object] = {"weight": weight, "missing": missing, "group": group,
                                "provisional": r.bool(item, "provisional", p, False)}
    for k, v in params.items():
        shown[k] = [{"min": m, "points": pts} for m, pts in v] if k == "bands" else v
    if consequence is not None:
        shown["consequence"] = consequence.kind
        shown["consequence_reference"] = consequence.reference
        shown["consequence_provisional"] = consequence.provisional
        if consequence.bar_years is not None:
            shown["bar_years"] = consequence.bar_years
    return Indicator(
        code=code, label=r.str(item, "label", p), group=group, rule=kind_name, inputs=inputs, weight=weight,
        params=MappingProxyType(params), missing=missing, reference=r.str(item, "reference", p),
        label_en=r.str(item, "label_en", p, ""), unit=r.str(item, "unit", p, None),
        provisional=r.bool(item, "provisional", p, False), note=r.str(item, "note", p, ""),
        consequence=consequence, parameters=MappingProxyType(shown), compute=compute,
    )


def _parse_consequence(r: Reader, raw: object, p: str) -> VetoConsequence:
    """A veto item's ``consequence = { kind = …, reference = …, bar_years = …, provisional = … }``."""
    c = r.table(raw, p, ("kind", "reference", "bar_years", "provisional"), ("kind", "reference"))
    kind = r.choice(c, "kind", p, VETO_CONSEQUENCES)
    bar_years = r.int(c, "bar_years", p, None)
    if bar_years is not None:
        if kind not in ("exit", "do_not_recognise"):
            raise r.fail(f"{p}.bar_years", f"only a consequence that ends eligibility (exit, do_not_recognise) can bar "
                                           f"re-application; this one is {kind!r}")
        if bar_years < 1:
            raise r.fail(f"{p}.bar_years", "must be at least 1 year")
    return VetoConsequence(kind, r.str(c, "reference", p), bar_years, r.bool(c, "provisional", p, False))


def _parse_bands(r: Reader, item: Mapping[str, Any], p: str, weight: Decimal) -> tuple[tuple[Decimal, Decimal], ...]:
    raw = item["bands"]
    if not isinstance(raw, list) or not raw:
        raise r.fail(f"{p}.bands", "expected a non-empty array of {min, points}")
    bands: list[tuple[Decimal, Decimal]] = []
    for j, b in enumerate(raw):
        bp = f"{p}.bands[{j}]"
        r.table(b, bp, ("min", "points"), ("min", "points"))
        lo, pts = r.num(b, "min", bp), r.num(b, "points", bp)
        if pts < 0 or pts > weight:
            raise r.fail(f"{bp}.points", f"must be between 0 and the weight {weight}")
        if bands:
            if lo >= bands[-1][0]:
                raise r.fail(f"{bp}.min", f"bands must be sorted by min, highest first ({lo} after {bands[-1][0]})")
            if pts > bands[-1][1]:
                raise r.fail(f"{bp}.points", "a lower band cannot earn more points")
        bands.append((lo, pts))
    if bands[0][1] != weight:
        raise r.fail(f"{p}.bands[0].points", f"the top band must earn the full weight {weight}")
    return tuple(bands)


def _parse_grades(r: Reader, data: Mapping[str, Any], top: Decimal) -> tuple[GradeBand, ...]:
    grades: list[GradeBand] = []
    for p, g in r.tables(data, "grades", ""):
        r.table(g, p, ("grade", "label", "label_en", "min"), ("grade", "label", "min"))
        band = GradeBand(r.choice(g, "grade", p, GRADE_CODES), r.str(g, "label", p), r.num(g, "min", p), r.str(g, "label_en", p, ""))
        if grades:
            if band.min >= grades[-1].min:
                raise r.fail(f"{p}.min", "grades must be sorted by min, highest first")
            if GRADE_CODES.index(band.grade) <= GRADE_CODES.index(grades[-1].grade):
                raise r.fail(f"{p}.grade", "grades must run A, B, C, D in order")
        elif band.min > top:
            raise r.fail(f"{p}.min", "unreachable: above the highest possible score")
        grades.append(band)
    if not grades:
        raise r.fail("grades", "at least one grade is needed")
    if grades[-1].min != 0:
        raise r.fail(f"grades[{len(grades) - 1}].min", "the lowest grade must start at 0 so every score is graded")
    return tuple(grades)


def _parse_quota(r: Reader, raw: object, grades: Sequence[str]) -> Quota | None:
    if raw is None:
        return None
    q = r.table(raw, "quota", ("grade", "max_share", "demote_to", "reference", "provisional"), ("grade", "max_share", "demote_to"))
    quota = Quota(r.choice(q, "grade", "quota", grades), r.num(q, "max_share", "quota"), r.choice(q, "demote_to", "quota", grades),
                  r.str(q, "reference", "quota", ""), r.bool(q, "provisional", "quota", False))
    if not 0 < quota.max_share <= 1:
        raise r.fail("quota.max_share", "expected a share between 0 and 1")
    if grades.index(quota.demote_to) <= grades.index(quota.grade):
        raise r.fail("quota.demote_to", "must be a lower grade")
    return quota


def _parse_decisions(r: Reader, raw: object) -> DecisionPolicy:
    d = r.table(raw, "decisions", ("fail_grade", "consecutive_fails", "consecutive_unreported", "rectify_deadline_months",
                                   "upgrade_max_unmet", "upgrade_max_shortfall", "ladder", "provincial_cascade",
                                   "reference", "provisional"))
    default = DecisionPolicy()
    ladder = r.strs(d, "ladder", "decisions", default.ladder)
    for j, level in enumerate(ladder):
        if level not in LEVELS:
            raise r.fail(f"decisions.ladder[{j}]", f"unknown level {level!r}")
    policy = DecisionPolicy(
        fail_grade=r.str(d, "fail_grade", "decisions", default.fail_grade),
        consecutive_fails=r.int(d, "consecutive_fails", "decisions", default.consecutive_fails),
        consecutive_unreported=r.int(d, "consecutive_unreported", "decisions", default.consecutive_unreported),
        rectify_deadline_months=r.int(d, "rectify_deadline_months", "decisions", default.rectify_deadline_months),
        upgrade_max_unmet=r.int(d, "upgrade_max_unmet", "decisions", default.upgrade_max_unmet),
        upgrade_max_shortfall=r.num(d, "upgrade_max_shortfall", "decisions", default.upgrade_max_shortfall),
        ladder=ladder,
        provincial_cascade=r.bool(d, "provincial_cascade", "decisions", default.provincial_cascade),
        reference=r.str(d, "reference", "decisions", ""),
        provisional=r.bool(d, "provisional", "decisions", default.provisional),
    )
    for key in ("consecutive_fails", "consecutive_unreported"):
        if getattr(policy, key) < 1:
            raise r.fail(f"decisions.{key}", "must be at least 1")
    if not 0 <= policy.upgrade_max_shortfall < 1:
        raise r.fail("decisions.upgrade_max_shortfall", "expected a share between 0 and 1")
    return policy


def _compile_plan(indicators: Sequence[Indicator], decls: Mapping[str, InputDecl], groups: Sequence[Group],
                  grades: Sequence[GradeBand], max_score: Decimal, bonus_cap: Decimal) -> Plan:
    read: list[str] = []
    for ind in indicators:
        for c in ind.inputs:
            if c not in read:
                read.append(c)
    coercers: dict[str, Callable[[object], tuple[Any, str | None]]] = {c: coercer(d) for c, d in decls.items()}
    order = [g.code for g in groups] + [i.group for i in indicators if i.scored and i.group not in {g.code for g in groups}]
    weights = {g.code: g.weight for g in groups}
    members = []
    for code in dict.fromkeys(order):
        idx = tuple(j for j, ind in enumerate(indicators) if ind.scored and ind.group == code)
        if idx:
            members.append((code, weights.get(code), idx))
    return Plan(
        read=tuple(read),
        coercers=MappingProxyType(coercers),
        coercers_dict=coercers,
        self_reported=frozenset(c for c, d in decls.items() if d.source == "self_report"),
        groups=tuple(members),
        bonus=tuple(j for j, ind in enumerate(indicators) if ind.rule == "bonus"),
        vetoes=tuple(j for j, ind in enumerate(indicators) if ind.rule == "veto"),
        score_parameters=MappingProxyType({"max_score": max_score, "bonus_cap": bonus_cap}),
        grade_parameters=MappingProxyType({"grades": tuple({"grade": g.grade, "min": g.min} for g in grades)}),
        steps=tuple((i.code, i.inputs, i.rule, i.parameters, i.compute, i.missing, i.weight, i.rule == "veto", i.reference)
                    for i in indicators),
        placeholders=MappingProxyType({c: Input(c, None) for c in read}),
    )
