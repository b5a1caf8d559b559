"""Rule files pinned by content: stored the first time a run uses them, read back for every stored result.

A run stores the text of each indicator-system, shared-inputs and criteria file it used
(`store_files_for_run`), keyed as `assessment.rulefiles` explains. Explanations, gap lists and
comparisons of stored results parse that stored text (`load_pinned_system`,
`load_pinned_criteria`), never the files on disk; `disk_notices` says when the file on disk now
differs from the one used, and what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import undefer

from assessment import (
    Criteria,
    IndicatorSystem,
    PinnedFileError,
    RuleChange,
    RuleFile,
    SystemDefinitionError,
    SystemNotFoundError,
    all_criteria,
    all_systems,
    criteria_from_files,
    criteria_origin,
    diff_criteria,
    diff_systems,
    load_criteria,
    load_version,
    system_from_files,
    system_origin,
)
from assessment.rulefiles import known_criteria, known_system
from registry.extensions import db
from registry.models import AssessmentRun, RunRuleFile, StoredRuleFile

__all__ = ["PinnedFileError", "store_files_for_run", "load_pinned_system", "load_pinned_criteria", "pinned_for_outcome",
           "disk_notices", "FileNotice", "run_files"]


# --- storing ----------------------------------------------------------------------------------

def files_of(systems: Iterable[IndicatorSystem], criteria: Iterable[Criteria]) -> list[RuleFile]:
    """Every file needed to parse these systems and criteria again, each once (criteria bring the
    systems whose declarations checked them)."""
    found: dict[str, RuleFile] = {}
    pending = list(systems)
    for c in criteria:
        if c.file is None:
            raise PinnedFileError(f"criteria {c.code}-{c.version} were not read from a file")
        found.setdefault(c.file.sha256, c.file)
        for sha, inputs_sha in c.file.declared_by:
            s = known_system(sha, inputs_sha)
            if s is None:
                raise PinnedFileError(f"the system that checked {c.source} ({sha[:12]}) is not loaded")
            pending.append(s)
    for s in pending:
        if not s.files:
            raise PinnedFileError(f"system {s.source} was not read from a file")
        for f in s.files:
            found.setdefault(f.sha256, f)
    return list(found.values())


def store_files_for_run(run: AssessmentRun, systems: Iterable[IndicatorSystem], criteria: Iterable[Criteria]) -> int:
    """Store each file the run used that is not stored yet, and link every one to the run.

    Flushes, never commits. Returns how many files were stored for the first time.
    """
    files = files_of(systems, criteria)
    keys = [f.sha256 for f in files]
    stored = set(db.session.scalars(select(StoredRuleFile.sha256).where(StoredRuleFile.sha256.in_(keys))))
    new = [f for f in files if f.sha256 not in stored]
    db.session.add_all(StoredRuleFile(
        sha256=f.sha256, kind=f.kind, path=f.path, root=f.root, code=f.code, version=f.version, content=f.text,
        includes=list(f.includes), declared_by=[list(p) for p in f.declared_by], first_run_id=run.id) for f in new)
    db.session.flush()
    db.session.add_all(RunRuleFile(run_id=run.id, sha256=k) for k in keys)
    db.session.flush()
    return len(new)


# --- reading back -------------------------------------------------------------------------------

def _rule_file(row: StoredRuleFile) -> RuleFile:
    return RuleFile(row.kind, row.path, row.root, row.sha256, row.content, includes=tuple(row.includes or ()),
                    declared_by=tuple((p[0], p[1]) for p in row.declared_by or ()), code=row.code, version=row.version)


def _stored(keys: Iterable[str]) -> dict[str, RuleFile]:
    keys = list(dict.fromkeys(k for k in keys if k))
    if not keys:
        return {}
    rows = db.session.scalars(select(StoredRuleFile).where(StoredRuleFile.sha256.in_(keys))
                              .options(undefer(StoredRuleFile.content)))
    return {r.sha256: _rule_file(r) for r in rows}


#: stored content this version's loader rejected, by key (content-addressed: the answer never changes)
_REJECTED: dict[tuple[str, str | None], SystemDefinitionError] = {}


def load_pinned_system(sha256: str, inputs_sha256: str | None = None) -> IndicatorSystem:
    """The indicator system exactly as a run used it (`sha256` and `inputs_sha256` as a result's system names them).

    Parsed from the stored text; raises PinnedFileError when it was never stored and no file on
    disk has that exact content (results stored before files were pinned).
    """
    hit = known_system(sha256, inputs_sha256)
    if hit is not None:
        return hit
    if (sha256, inputs_sha256) in _REJECTED:
        raise _REJECTED[(sha256, inputs_sha256)]
    files = _stored([sha256, inputs_sha256 or ""])
    frontier = [f for f in files.values() if f.kind == "inputs"]
    while frontier:  # included inputs files, level by level
        more = _stored(k for f in frontier for k in f.includes if k not in files)
        files.update(more)
        frontier = list(more.values())
    if sha256 in files:
        try:
            return system_from_files(list(files.values()), sha256, inputs_sha256)
        except SystemDefinitionError as exc:
            _REJECTED[(sha256, inputs_sha256)] = exc
            raise
    for category, subclass, version in all_systems():  # not stored: only a file with the very same content will do
        try:
            s = load_version(category, version, subclass)
        except SystemDefinitionError:
            continue
        if s.sha256 == sha256 and s.inputs_sha256 == inputs_sha256:
            return s
    raise PinnedFileError(f"the indicator-system file {sha256[:12]} used by this result is not stored")


def load_pinned_criteria(sha256: str) -> Criteria:
    """The criteria set exactly as a run used it, parsed from the stored text (see `load_pinned_system`)."""
    hit = known_criteria(sha256)
    if hit is not None:
        return hit
    if (sha256, None) in _REJECTED:
        raise _REJECTED[(sha256, None)]
    file = _stored([sha256]).get(sha256)
    if file is not None:
        try:
            return criteria_from_files(file, [load_pinned_system(s, i) for s, i in file.declared_by])
        except SystemDefinitionError as exc:
            _REJECTED[(sha256, None)] = exc
            raise
    for code, version in all_criteria():
        try:
            c = load_criteria(code, version)
        except SystemDefinitionError:
            continue
        if c.sha256 == sha256:
            return c
    raise PinnedFileError(f"the criteria file {sha256[:12]} used by this result is not stored")


def pinned_for_outcome(outcome: Mapping[str, Any]) -> tuple[IndicatorSystem | None, Criteria | None]:
    """The pinned system and (if the result has a gap list) criteria of a stored outcome; None where not stored."""
    ref = outcome["system"]
    try:
        system = load_pinned_system(ref["sha256"], ref.get("inputs_sha256"))
    except (PinnedFileError, SystemDefinitionError):  # not stored, or stored in a format this version cannot read
        system = None
    gaps = (outcome.get("recommendation") or {}).get("gaps")
    criteria = None
    if gaps:
        try:
            criteria = load_pinned_criteria(gaps["sha256"])
        except (PinnedFileError, SystemDefinitionError):
            criteria = None
    return system, criteria


def _unreadable_stored(sha256: str, load: Any) -> str | None:
    """Why stored text could not be parsed (a format this version of the loader rejects), or None if not stored."""
    if db.session.get(StoredRuleFile, sha256) is None:
        return None
    try:
        load()
    except SystemDefinitionError as exc:
        return str(exc)
    except PinnedFileError as exc:
        return str(exc)
    return None


# --- the files on disk now ----------------------------------------------------------------------

@dataclass(slots=True)
class FileNotice:
    """How the file on disk now relates to the one a result used (shown beside the result, never used for it)."""

    kind: str  #: "system" | "criteria"
    path: str  #: the file used, under its data root
    root: str
    sha256: str
    #: "changed" | "gone" | "unreadable" (on disk) | "missing" (the pinned content itself is not stored) |
    #: "stored-unreadable" (stored, but this version's loader rejects its format)
    state: str
    now_path: str | None = None
    now_root: str | None = None
    now_sha256: str | None = None
    problem: str | None = None  #: why the file on disk cannot be read
    changes: list[RuleChange] = field(default_factory=list)


def _system_notice(ref: Mapping[str, Any], pinned: IndicatorSystem | None) -> FileNotice | None:
    category, subclass, version = ref["category"], ref.get("subclass"), int(ref["version"])
    used_root = pinned.files[0].root if pinned is not None and pinned.files else "?"
    notice = FileNotice("system", ref["source"], used_root, ref["sha256"], "missing")
    if pinned is None:
        problem = _unreadable_stored(ref["sha256"], lambda: load_pinned_system(ref["sha256"], ref.get("inputs_sha256")))
        if problem is not None:
            notice.state, notice.problem = "stored-unreadable", problem
            return notice
    origin = system_origin(category, version, subclass)
    if origin is not None:
        notice.now_root, notice.now_path = origin
    try:
        now = load_version(category, version, subclass)
    except SystemNotFoundError:
        if pinned is None:
            return notice
        notice.state = "gone"
        return notice
    except SystemDefinitionError as exc:
        notice.state, notice.problem = "unreadable", str(exc)
        return notice
    if (now.sha256, now.inputs_sha256) == (ref["sha256"], ref.get("inputs_sha256")):
        return None if pinned is not None else notice
    notice.now_sha256 = now.sha256
    if pinned is not None:
        notice.state = "changed"
        notice.changes = diff_systems(pinned, now)
    return notice


def _criteria_notice(gaps: Mapping[str, Any], pinned: Criteria | None) -> FileNotice | None:
    code, version = gaps["code"], int(gaps["version"])
    notice = FileNotice("criteria", gaps["source"], pinned.file.root if pinned is not None and pinned.file else "?",
                        gaps["sha256"], "missing")
    if pinned is None:
        problem = _unreadable_stored(gaps["sha256"], lambda: load_pinned_criteria(gaps["sha256"]))
        if problem is not None:
            notice.state, notice.problem = "stored-unreadable", problem
            return notice
    origin = criteria_origin(code, version)
    if origin is None:
        if pinned is not None:
            notice.state = "gone"
        return notice
    notice.now_root, notice.now_path = origin
    try:
        now = load_criteria(code, version)
    except SystemNotFoundError:
        notice.state = "gone" if pinned is not None else "missing"
        return notice
    except SystemDefinitionError as exc:
        notice.state, notice.problem = "unreadable", str(exc)
        return notice
    if now.version != version:  # the version used is no longer on disk; an older one would be in force
        notice.state = "gone" if pinned is not None else "missing"
        return notice
    if now.sha256 == gaps["sha256"]:
        return None if pinned is not None else notice
    notice.now_sha256 = now.sha256
    if pinned is not None:
        notice.state = "changed"
        notice.changes = diff_criteria(pinned, now)
    return notice


def disk_notices(outcome: Mapping[str, Any], system: IndicatorSystem | None,
                 criteria: Criteria | None) -> list[FileNotice]:
    """Where the files on disk now differ from (or no longer hold) the pinned ones this outcome used."""
    out = []
    s = _system_notice(outcome["system"], system)
    if s is not None:
        out.append(s)
    gaps = (outcome.get("recommendation") or {}).get("gaps")
    if gaps:
        c = _criteria_notice(gaps, criteria)
        if c is not None:
            out.append(c)
    return out


def run_files(run_id: int) -> list[StoredRuleFile]:
    """The stored rule files a run used (without their text): systems, inputs files, criteria."""
    order = {"system": 0, "criteria": 1, "inputs": 2}
    rows = db.session.scalars(select(StoredRuleFile).join(RunRuleFile, RunRuleFile.sha256 == StoredRuleFile.sha256)
                              .where(RunRuleFile.run_id == run_id))
    return sorted(rows, key=lambda r: (order.get(r.kind, 9), r.path))


def warm_pinned() -> int:
    """Parse every stored system and criteria file once (a worker's start), so no explanation pays for it.

    Rule files are few (each content is stored once, however many runs used it). Returns how many were parsed.
    """
    n = 0
    pairs: set[tuple[str, str | None]] = set()
    for systems in db.session.scalars(select(AssessmentRun.systems)):
        for s in systems or ():
            pairs.add((s["sha256"], s.get("inputs_sha256")))
    for sha, inputs_sha in sorted(pairs, key=lambda p: (p[0], p[1] or "")):
        try:
            load_pinned_system(sha, inputs_sha)
            n += 1
        except (PinnedFileError, SystemDefinitionError):
            continue
    for sha in db.session.scalars(select(StoredRuleFile.sha256).where(StoredRuleFile.kind == "criteria")):
        try:
            load_pinned_criteria(sha)
            n += 1
        except (PinnedFileError, SystemDefinitionError):
            continue
    return n
