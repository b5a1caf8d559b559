"""Assessment runs: read a year's figures from the registry in bulk, evaluate, store an immutable run.

A run reads everything it needs in a handful of queries (institutions, recognitions, current
self-reports of the year, earlier results, earlier reports), evaluates each institution with the
system in force, applies the grade quota per system cohort and bulk-inserts the results. It never
updates a stored run or result: re-scoring is a new run (style.md §G).
"""

from __future__ import annotations

import gc
import getpass
import socket
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Text, bindparam, func, insert, select

from assessment import (
    CATEGORIES,
    SUBCLASSES,
    IndicatorSystem,
    Input,
    Outcome,
    PastOutcome,
    Standing,
    SystemNotFoundError,
    apply_quota,
    decide,
    evaluate,
    load_system,
    system_versions,
)
from assessment.outcome import to_stored
from assessment.trace import jsonable
from assessment.rulefiles import known_criteria
from registry.assessments.pinning import store_files_for_run
from registry.assessments.queries import not_void
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import (
    AssessmentResult,
    AssessmentRun,
    RunVoid,
    EndReason,
    Institution,
    Level,
    Recognition,
    SelfReport,
    Status,
)
from registry.models.base import utcnow
from registry.models.enums import LEVEL_RANK
from registry.reviews.operations import reviewer_inputs_for_year

N_ = str  # marks msgids for extraction (-k N_); RegistryError.render translates them

#: statuses assessed in a run; exited institutions are not
ASSESSED_STATUSES = (Status.APPLICANT, Status.RECOGNISED, Status.RECTIFYING)
#: how many earlier years the multi-year rules may look at
HISTORY_YEARS = 5
CHUNK = 500
#: the `source` of inputs the registry itself supplies (rendered as "from the registry" in explanations)
REGISTRY_SOURCE = "registry:recognitions"
_TRUE = frozenset({"true", "1", "yes", "y", "是", "有", "√", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "否", "无", "×", "f"})


class NoSystemInForce(RegistryError):
    """No indicator system is in force for the year (and category) asked for."""

    def __init__(self, year: int, category: str | None, available: Mapping[str, list[int]]) -> None:
        years = sorted({v for vs in available.values() for v in vs})
        super().__init__(
            "year", "No indicator system is in force for %(value)s%(which)s; systems exist from: %(years)s.", year,
            which=f" ({category})" if category else "",
            years=", ".join(f"{k} {'/'.join(map(str, v))}" for k, v in sorted(available.items())) or "none")
        self.year = year
        self.available_years = years


@dataclass(slots=True)
class InstitutionFacts:
    """What the registry knows about one institution for the year assessed."""

    id: int
    uscc: str
    name: str
    category: str
    subclass: str | None
    status: str
    hardship_area: bool
    level: str | None = None
    level_since: date | None = None
    provincial_status: str = "none"  #: "none" | "recognised" | "revoked" (on 31 Dec)
    provincial_lost: bool = False  #: a provincial recognition ended revoked/cascaded during the year
    obliged_years: set[int] = field(default_factory=set)  #: years with a recognition in force on 31 Dec

    def standing(self) -> Standing:
        return Standing(self.status, self.level, hardship_area=self.hardship_area,
                        provincial_status_lost=self.provincial_lost)


@dataclass(frozen=True, slots=True)
class RunSummary:
    run: AssessmentRun
    by_grade: Mapping[str | None, int]
    by_recommendation: Mapping[str | None, int]
    incomplete: int
    skipped: Mapping[str, int]  #: why some institutions were not assessed → how many
    timings: Mapping[str, float] = field(default_factory=dict)  #: seconds per phase (read, evaluate, store)
    cpu: Mapping[str, float] = field(default_factory=dict)  #: CPU seconds of this process per phase


# --- systems in force -----------------------------------------------------------------------

def system_keys(category: str | None = None) -> list[tuple[str, str | None]]:
    """(category, subclass) pairs that have at least one system file."""
    keys = []
    for cat in CATEGORIES:
        if category is not None and cat != category:
            continue
        for sub in SUBCLASSES.get(cat, (None,)):
            if system_versions(cat, sub):
                keys.append((cat, sub))
    return keys


def systems_in_force(year: int, category: str | None = None) -> dict[tuple[str, str | None], IndicatorSystem]:
    """The system in force for every assessable (category, subclass); NoSystemInForce if none is."""
    if category is not None and category not in CATEGORIES:
        raise RegistryError("category", "“%(value)s” is not a category.", category)
    found: dict[tuple[str, str | None], IndicatorSystem] = {}
    available: dict[str, list[int]] = {}
    for cat, sub in system_keys(category):
        available[f"{cat}/{sub}" if sub else cat] = system_versions(cat, sub)
        try:
            found[(cat, sub)] = load_system(cat, year, sub)
        except SystemNotFoundError:
            continue
    if not found:
        raise NoSystemInForce(year, category, available)
    return found


# --- is this a year to assess? ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class YearCheck:
    """Whether a year looks assessable: not in the future, and enough of the institutions due have reported."""

    year: int
    due: int  #: institutions the run would assess
    reported: int  #: of them, with a current self-report of the year
    min_share: float
    future: bool

    @property
    def share(self) -> float:
        return self.reported / self.due if self.due else 1.0

    @property
    def too_few_reports(self) -> bool:
        return self.due > 0 and self.share < self.min_share

    @property
    def ok(self) -> bool:
        return not self.future and not self.too_few_reports

    def to_dict(self, forced: bool = False) -> dict[str, Any]:
        return {"due": self.due, "reported": self.reported, "min_share": self.min_share, "forced": forced}


def check_year(year: int, category: str | None = None, *, min_share: float, today: date | None = None) -> YearCheck:
    """Count the institutions a run of `year` would assess and those of them with a current self-report.

    The CLI and the web start of a run both ask this before writing anything (two counting queries).
    """
    systems = systems_in_force(year, category)
    keys = set(systems)
    rows = db.session.execute(
        select(Institution.id, Institution.category, Institution.subclass)
        .where(Institution.category.in_(sorted({c for c, _ in keys})), Institution.status.in_(ASSESSED_STATUSES))).all()
    due = {r.id for r in rows if (_val(r.category), r.subclass) in keys}
    reported = set(db.session.scalars(select(SelfReport.institution_id).where(
        SelfReport.year == year, SelfReport.is_current.is_(True))))
    return YearCheck(year, len(due), len(due & reported), float(min_share), year > (today or date.today()).year)


class YearNotAssessable(RegistryError):
    """The year is in the future, or too few of the institutions due have reported (counts listed)."""

    def __init__(self, check: YearCheck, *, forced_without_note: bool = False) -> None:
        if check.future:
            super().__init__("year", N_("%(value)s has not ended yet: a run may assess at most the current year."),
                             check.year)
        elif forced_without_note:
            super().__init__("note", N_("Forcing a run of %(value)s needs a note saying why."), check.year)
        else:
            super().__init__(
                "year", N_("Only %(reported)s of the %(due)s institutions due for %(value)s have a current self-report "
                           "(%(share)s%%; at least %(min)s%% are needed). Check the year, or force the run with a note."),
                check.year, reported=check.reported, due=check.due, share=round(check.share * 100, 1),
                min=round(check.min_share * 100, 1))
        self.check = check


def void_run(run: AssessmentRun, reason: str, *, by: Any = None, label: str | None = None) -> RunVoid:
    """Void a run: it and its results stay unchanged, but leave the default views, history rules and decisions.

    Flushes, never commits; the void row is audited like every registry change.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError("reason", N_("Give the reason for voiding the run."))
    if run.void is not None:
        raise RegistryError("run", N_("Run #%(value)s is already void."), run.id)
    void = RunVoid(run_id=run.id, reason=reason, voided_by_id=getattr(by, "id", None),
                   voided_by_label=(label or getattr(by, "username", None) or cli_label())[:120])
    db.session.add(void)
    db.session.flush()
    db.session.refresh(run)
    return void


# --- bulk reads -------------------------------------------------------------------------------

def load_facts(year: int, categories: Iterable[str], ids: Iterable[int] | None = None) -> dict[int, InstitutionFacts]:
    """Institutions to assess (all, or just `ids`) and their standing on 31 December of `year` (two queries)."""
    cats = list(categories)
    scope = [Institution.category.in_(cats), Institution.status.in_(ASSESSED_STATUSES)]
    if ids is not None:
        scope.append(Institution.id.in_(list(ids)))
    rows = db.session.execute(
        select(Institution.id, Institution.uscc, Institution.name, Institution.category, Institution.subclass,
               Institution.status, Institution.is_hardship_area)
        .where(*scope)
        .order_by(Institution.id)
    ).all()
    facts = {r.id: InstitutionFacts(r.id, r.uscc, r.name, _val(r.category), r.subclass, _val(r.status),
                                    bool(r.is_hardship_area)) for r in rows}
    if not facts:
        return facts
    dec31 = date(year, 12, 31)
    first_history = year - HISTORY_YEARS
    recs = db.session.execute(
        select(Recognition.institution_id, Recognition.level, Recognition.effective_from, Recognition.ended_on,
               Recognition.end_reason)
        .join(Institution, Institution.id == Recognition.institution_id)
        .where(*scope)
    ).all()
    for r in recs:
        f = facts.get(r.institution_id)
        if f is None:
            continue
        level = Level(r.level)
        if r.effective_from <= dec31 and (r.ended_on is None or r.ended_on > dec31):
            if f.level is None or LEVEL_RANK[level] > LEVEL_RANK[Level(f.level)]:
                f.level, f.level_since = level.value, r.effective_from
            if level is Level.PROVINCIAL:
                f.provincial_status = "recognised"
        elif (level is Level.PROVINCIAL and r.ended_on is not None and r.ended_on <= dec31
              and r.end_reason in (EndReason.REVOKED, EndReason.CASCADED, "revoked", "cascaded")):
            if f.provincial_status != "recognised":
                f.provincial_status = "revoked"
            if r.ended_on >= date(year, 1, 1):
                f.provincial_lost = True
        for y in range(max(first_history, r.effective_from.year), year):
            d = date(y, 12, 31)
            if r.effective_from <= d and (r.ended_on is None or r.ended_on > d):
                f.obliged_years.add(y)
    for f in facts.values():  # recognised again after a revocation: not lost
        if f.provincial_status == "recognised":
            f.provincial_lost = False
    return facts


def load_reports(year: int, ids: set[int]) -> dict[int, tuple[int, dict[str, Any]]]:
    """institution id → (self-report id, values) of the current self-report of `year` (one query)."""
    out: dict[int, tuple[int, dict[str, Any]]] = {}
    for rid, inst_id, values in db.session.execute(
            select(SelfReport.id, SelfReport.institution_id, SelfReport.values)
            .where(SelfReport.year == year, SelfReport.is_current.is_(True))):
        if inst_id in ids:
            out[inst_id] = (rid, values if isinstance(values, dict) else {})
    return out


def load_history(year: int, ids: set[int], facts: Mapping[int, InstitutionFacts]) -> dict[int, list[PastOutcome]]:
    """Earlier years per institution: the grade of its latest result that year, and whether it reported.

    A year counts when a result or a current self-report exists for it, or when the institution
    held a recognition on 31 December of it (so it had to report: no report = unreported year).
    Results of voided runs are not read.
    Years before the registry holds any self-report at all are not counted as unreported: the
    figures of those years were never collected here.
    """
    first = year - HISTORY_YEARS
    data_from = db.session.scalar(select(func.min(SelfReport.year))) or year
    latest = (select(AssessmentResult.institution_id, AssessmentResult.year,
                     func.max(AssessmentResult.run_id).label("run_id"))
              .where(AssessmentResult.year >= first, AssessmentResult.year < year, not_void())
              .group_by(AssessmentResult.institution_id, AssessmentResult.year).subquery())
    grades: dict[tuple[int, int], str | None] = {}
    for inst_id, y, grade in db.session.execute(
            select(AssessmentResult.institution_id, AssessmentResult.year, AssessmentResult.grade)
            .join(latest, (latest.c.institution_id == AssessmentResult.institution_id)
                  & (latest.c.year == AssessmentResult.year) & (latest.c.run_id == AssessmentResult.run_id))):
        if inst_id in ids:
            grades[(inst_id, y)] = grade
    reported: set[tuple[int, int]] = set()
    for inst_id, y in db.session.execute(
            select(SelfReport.institution_id, SelfReport.year).distinct()
            .where(SelfReport.year >= first, SelfReport.year < year, SelfReport.is_current.is_(True))):
        if inst_id in ids:
            reported.add((inst_id, y))
    out: dict[int, list[PastOutcome]] = {}
    for inst_id in ids:
        f = facts[inst_id]
        past = []
        for y in range(first, year):
            key = (inst_id, y)
            if key in grades or key in reported or (y in f.obliged_years and y >= data_from):
                past.append(PastOutcome(y, grades.get(key), key in reported))
        out[inst_id] = past
    return out


# --- inputs -----------------------------------------------------------------------------------

def build_inputs(system: IndicatorSystem, values: Mapping[str, Any] | None, facts: InstitutionFacts,
                 reviewer: Mapping[str, tuple[Any, str]] | None = None) -> dict[str, Input]:
    """Engine inputs from stored self-report values (with their cells), the registry and the reviewers.

    Values are passed on as stored; the engine checks them against the declarations, so a
    malformed figure becomes a listed problem with its policy applied, never an exception.
    Inputs declared ``source = "registry"`` always come from the registry, whatever the report says.
    """
    reported, bools, from_registry, from_reviewers = _decls(system)
    inputs: dict[str, Input] = {}
    if values:
        for code, entry in values.items():
            if code not in reported:
                continue
            if type(entry) is dict:
                value = entry.get("value")
                cell = entry.get("cell")
                if cell is not None and "sheet" in entry:
                    cell = _cell(entry)
            else:  # a bare value: keep it, without a cell
                value, cell = entry, None
            if value is None or value == "":
                continue
            if code in bools and type(value) is not bool:
                value = _bool(value)
            inputs[code] = Input(code, value, cell)
    for code in from_registry:
        v = _registry_value(code, facts)
        if v is not None:
            inputs[code] = Input(code, v, REGISTRY_SOURCE)
    if reviewer:
        for code in from_reviewers:
            if code in reviewer:
                v, src = reviewer[code]
                inputs[code] = Input(code, v, src)
    return inputs


_DECLS: dict[str, tuple[frozenset[str], frozenset[str], tuple[str, ...], tuple[str, ...]]] = {}


def _decls(system: IndicatorSystem) -> tuple[frozenset[str], frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """Per system file: self-reported codes, which of them are booleans, registry codes, reviewer codes."""
    found = _DECLS.get(system.sha256)
    if found is None:
        decls = system.input_set.inputs
        found = _DECLS[system.sha256] = (
            frozenset(d.code for d in decls if d.source == "self_report"),
            frozenset(d.code for d in decls if d.source == "self_report" and d.type == "bool"),
            tuple(d.code for d in decls if d.source == "registry"),
            tuple(d.code for d in decls if d.source == "reviewer"),
        )
    return found


def _cell(entry: Mapping[str, Any]) -> str | None:
    """"基本情况!D12", also from the importer's split form {"sheet": "基本情况", "cell": "D12"}."""
    cell = entry.get("cell")
    sheet = entry.get("sheet")
    if cell and sheet and "!" not in str(cell):
        return f"{sheet}!{cell}"
    return str(cell) if cell else None


def _bool(value: Any) -> Any:
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value  # left for the engine to report as malformed


def _registry_value(code: str, facts: InstitutionFacts) -> Any:
    if code == "recognition_level":
        return facts.level
    if code == "provincial_status":
        return facts.provincial_status
    return None


def reviewer_inputs(year: int, ids: set[int]) -> dict[int, dict[str, tuple[Any, str]]]:
    """Reviewer-scored inputs by institution: the submitted sheets of the year's review rounds, aggregated
    as the review workflow shows them. Institutions without them get each indicator's declared missing policy."""
    return reviewer_inputs_for_year(year, ids)


# --- the run ----------------------------------------------------------------------------------

@contextmanager
def _no_progress(length: int, label: str) -> Iterator[Any]:
    class _Bar:
        def update(self, n: int) -> None:
            pass
    yield _Bar()


def cli_label() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 — no login name in some containers
        user = "unknown"
    return f"cli:{user}@{socket.gethostname()}"


@contextmanager
def bulk_phase() -> Iterator[None]:
    """No garbage collection during a run: collections off throughout, and what the reads loaded frozen
    out of the collector's view (`gc.freeze`) once loaded. The collector's passes over a national run's
    millions of live objects took a third of its CPU, and an outcome holds no reference cycle that must
    be freed early. Restored afterwards, also when the run fails (a worker process runs on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def run_assessment(year: int, *, category: str | None = None, started_by: Any = None, label: str | None = None,
                   note: str | None = None, progress: Callable[[int, str], Any] | None = None,
                   min_share: float | None = None, force: bool = False) -> RunSummary:
    """Assess every applicant, recognised and rectifying institution of the year's assessable categories.

    Flushes, never commits. Raises NoSystemInForce (nothing written) when no system is in force, and
    YearNotAssessable for a future year or when fewer than `min_share` (default: the app's
    ASSESS_MIN_REPORT_SHARE) of the institutions due have reported, unless `force` with a `note`.
    The run is stamped started when the work begins and finished when every outcome is computed,
    just before the (immutable) run row and its results are written; the column default used to
    stamp "started" at that insert, a moment after "finished" had been taken.
    """
    started_at = utcnow()
    if min_share is None:
        from flask import current_app

        min_share = float(current_app.config.get("ASSESS_MIN_REPORT_SHARE", 0.5))
    check = check_year(year, category, min_share=min_share)
    if check.future:
        raise YearNotAssessable(check)
    if not check.ok and not force:
        raise YearNotAssessable(check)
    if force and not check.ok and not (note or "").strip():
        raise YearNotAssessable(check, forced_without_note=True)
    with bulk_phase():
        return _run(year, category, started_by, label, note, progress, check, force, started_at)


def _run(year: int, category: str | None, started_by: Any, label: str | None, note: str | None,
         progress: Callable[[int, str], Any] | None, check: Any, force: bool, started_at: datetime) -> RunSummary:
    systems = systems_in_force(year, category)
    progress = progress or _no_progress
    clock, cpu_clock = time.perf_counter(), time.process_time()
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    categories = sorted({c for c, _ in systems})
    facts = load_facts(year, categories)
    skipped: dict[str, int] = defaultdict(int)
    todo: list[tuple[InstitutionFacts, IndicatorSystem]] = []
    for f in facts.values():
        system = systems.get((f.category, f.subclass))
        if system is None:
            skipped["no subclass" if f.category in SUBCLASSES and f.subclass not in SUBCLASSES[f.category]
                    else "no system in force"] += 1
            continue
        todo.append((f, system))
    ids = {f.id for f, _ in todo}
    reports = load_reports(year, ids)
    history = load_history(year, ids, facts)
    reviewed = reviewer_inputs(year, ids)
    timings["read"], cpu["read"] = time.perf_counter() - clock, time.process_time() - cpu_clock
    gc.freeze()  # what was read lives to the end of the run: out of the collector's view
    clock, cpu_clock = time.perf_counter(), time.process_time()

    outcomes: list[tuple[InstitutionFacts, Outcome]] = []
    with progress(len(todo), "evaluating") as bar:
        for n, (f, system) in enumerate(todo, 1):
            report = reports.get(f.id)
            inputs = build_inputs(system, report[1] if report else None, f, reviewed.get(f.id))
            outcomes.append((f, evaluate(system, year, inputs, standing=f.standing(), history=history[f.id],
                                         decide=False)))
            if n % 200 == 0:
                bar.update(200)
        bar.update(len(todo) % 200)

    # the quota settles each grade first; only then is anything recommended (from the final grade)
    outcomes = [(f, decide(o)) for f, o in _with_quota(outcomes, systems)]
    timings["evaluate"], cpu["evaluate"] = time.perf_counter() - clock, time.process_time() - cpu_clock
    clock, cpu_clock = time.perf_counter(), time.process_time()

    used: dict[str, dict[str, Any]] = {}
    by_grade: dict[str | None, int] = defaultdict(int)
    by_rec: dict[str | None, int] = defaultdict(int)
    incomplete = 0
    for f, o in outcomes:
        key = o.system.source
        if key not in used:
            used[key] = {**o.system.to_dict(), "count": 0}
        used[key]["count"] += 1
        by_grade[o.grade] += 1
        by_rec[o.recommendation.kind if o.recommendation else None] += 1
        incomplete += o.status == "incomplete"
    run = AssessmentRun(year=year, category=category, started_by_id=getattr(started_by, "id", None),
                        started_by_label=label or (None if started_by is not None else cli_label()),
                        systems=sorted(used.values(), key=lambda s: s["source"]), result_count=len(outcomes),
                        counts={"grade": {g or "none": n for g, n in by_grade.items()},
                                "recommendation": {r or "none": n for r, n in by_rec.items()}},
                        note=(note or "").strip() or None, started_at=started_at, finished_at=utcnow(),
                        year_check=check.to_dict(forced=force and not check.ok))
    db.session.add(run)
    db.session.flush()
    store_files_for_run(run, {s.source: s for s in systems.values() if s.source in used}.values(), _criteria_used(outcomes))

    by_source = {s.source: s for s in systems.values()}

    def rows() -> Iterator[dict[str, Any]]:
        """Result rows serialised one at a time, as the database takes them (no list of 15,000 JSON texts)."""
        with progress(len(outcomes), "storing") as bar:
            for n, (f, o) in enumerate(outcomes, 1):
                report = reports.get(f.id)
                yield result_row(run.id, f, o, report[0] if report else None, history[f.id], by_source[o.system.source])
                if n % CHUNK == 0:
                    bar.update(CHUNK)
            bar.update(len(outcomes) % CHUNK)

    store_results(rows())
    db.session.flush()
    timings["store"] = time.perf_counter() - clock
    cpu["store"] = time.process_time() - cpu_clock
    return RunSummary(run, dict(by_grade), dict(by_rec), incomplete, dict(skipped), timings, cpu)


def _criteria_used(outcomes: Iterable[tuple[InstitutionFacts, Outcome]]) -> list[Any]:
    """The criteria sets the outcomes' gap lists were checked against, each once (as parsed for this run)."""
    found: dict[str, Any] = {}
    for _f, o in outcomes:
        gaps = o.recommendation.gaps if o.recommendation is not None else None
        if gaps is not None and gaps.sha256 not in found:
            crit = known_criteria(gaps.sha256)
            if crit is None:
                raise RuntimeError(f"criteria {gaps.source} ({gaps.sha256[:12]}) used by the run are not loaded")
            found[gaps.sha256] = crit
    return list(found.values())


def store_results(rows: Iterable[dict[str, Any]]) -> None:
    """Write result rows (see `result_row`) in the session's transaction.

    PostgreSQL: one COPY on the session's own connection, fed row by row, so serialising the
    next outcome overlaps with the server parsing the previous ones. Elsewhere: multi-row INSERTs
    of CHUNK rows, the outcome bound as the JSON text `result_row` made (the column's own JSON
    type would serialise again, escaping every Chinese character).
    """
    if db.engine.dialect.name == "postgresql":
        conn = db.session.connection().connection.driver_connection
        columns = ", ".join(_JSON_COLUMNS.get(c, c) for c in _COPY_COLUMNS)
        with conn.cursor() as cur, cur.copy(f"COPY {AssessmentResult.__tablename__} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple([row[c] for c in _COPY_COLUMNS]))
        # the planner's statistics for the columns lists filter and sort on (not the outcome, which
        # nothing queries): without them a first run's pages are planned for an empty table
        conn.execute(f"ANALYZE {AssessmentResult.__tablename__} ({', '.join(_ANALYZED)})")
        return
    stmt = insert(AssessmentResult).values(outcome=bindparam("outcome_json", type_=Text()),
                                           recommendation_params=bindparam("params_json", type_=Text()))
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            db.session.execute(stmt, chunk)
            chunk = []
    if chunk:
        db.session.execute(stmt, chunk)


_COPY_COLUMNS = ("run_id", "institution_id", "year", "category", "subclass", "system_version", "system_sha256",
                 "self_report_id", "score", "grade", "recommendation", "recommendation_rule", "missing_count",
                 "is_provisional", "params_json", "outcome_json")
_ANALYZED = ("run_id", "institution_id", "year", "category", "score", "grade", "recommendation")
#: row keys holding JSON text → the column they fill
_JSON_COLUMNS = {"params_json": "recommendation_params", "outcome_json": "outcome"}


def _with_quota(outcomes: list[tuple[InstitutionFacts, Outcome]],
                systems: Mapping[tuple[str, str | None], IndicatorSystem]) -> list[tuple[InstitutionFacts, Outcome]]:
    """Apply each system's quota to its cohort: recognised and rectifying institutions graded with it.

    Applicants are judged against recognition criteria, not ranked against the cohort.
    """
    cohorts: dict[str, list[int]] = defaultdict(list)
    for i, (f, o) in enumerate(outcomes):
        if f.status != "applicant":
            cohorts[o.system.source].append(i)
    by_source = {s.source: s for s in systems.values()}
    out = list(outcomes)
    for source, idx in cohorts.items():
        system = by_source[source]
        if system.quota is None:
            continue
        applied = apply_quota([outcomes[i][1] for i in idx], system)
        for i, o in zip(idx, applied):
            out[i] = (outcomes[i][0], o)
    return out


def result_row(run_id: int, f: InstitutionFacts, o: Outcome, report_id: int | None,
               history: list[PastOutcome], system: IndicatorSystem) -> dict[str, Any]:
    """One AssessmentResult row: the columns the lists filter on, and the outcome in its compact stored
    form (`assessment.outcome.to_stored`: inputs, intermediate values, points, decisions and trace;
    parameters re-joined from the pinned system file when read)."""
    data = to_stored(o, system)
    data["registry"] = {
        "institution": {"id": f.id, "uscc": f.uscc, "name": f.name},
        "self_report_id": report_id,
        "history": [{"year": p.year, "grade": p.grade, "reported": p.reported} for p in history],
    }
    rec = o.recommendation
    gaps = rec.gaps if rec is not None else None
    return {
        "run_id": run_id, "institution_id": f.id, "year": o.year, "category": f.category, "subclass": f.subclass,
        "system_version": o.system.version, "system_sha256": o.system.sha256, "self_report_id": report_id,
        "score": o.score, "grade": o.grade, "recommendation": rec.kind if rec else None,
        "recommendation_rule": rec.rule if rec else _rule_of(o), "missing_count": len(o.missing),
        "is_provisional": bool(o.system.provisional or (gaps is not None and gaps.provisional)
                               or _any_provisional_indicator(system)),
        "params_json": None if rec is None else _json(jsonable(rec.params)),
        "outcome_json": _json(data),
    }


def _json(data: Any) -> str:
    """Compact JSON text, Chinese kept as is (orjson: several times faster than json.dumps on a trace)."""
    return orjson.dumps(data, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return jsonable(value)


def _any_provisional_indicator(system: IndicatorSystem) -> bool:
    """Every outcome's trace holds every indicator of its system, so this is per system file."""
    return any(i.provisional for i in system.indicators)


def _rule_of(o: Outcome) -> str | None:
    """The recommendation node's rule when no recommendation was made ("incomplete", "no-criteria")."""
    for child in o.trace.children:
        if child.code == "recommendation":
            return child.rule
    return None


def _val(x: Any) -> Any:
    return getattr(x, "value", x)
