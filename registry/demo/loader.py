"""Write a drawn dataset into the database in bulk, and remove demo data again.

Speed matters at the national scale (15,000 institutions, 500,000 tenancies in under two
minutes), so rows go in as Core executemany chunks (SQLite) or COPY (PostgreSQL), with ids
assigned here: no ORM objects, no per-row queries. The generator keeps the invariants the
operations would check (see dataset.py); tests check them again on what was written.
Everything happens in the caller's transaction; the CLI commits once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, func, insert, select, text, update

from registry.demo.accounts import DEMO_ACCOUNTS
from registry.demo.dataset import Carrier, Dataset
from registry.demo.figures import Profile, generate, stored
from registry.extensions import db
from registry.models import (
    Firm,
    Institution,
    Recognition,
    SelfReport,
    StatusChange,
    Tenancy,
    Town,
    User,
)

CHUNK = 20_000

Progress = Callable[[int], None]


class DemoDataError(Exception):
    """The database is not in a state demo data may be loaded into; the message says why and what to do."""


@dataclass
class LoadSummary:
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)


# --- emptiness and reset ------------------------------------------------------------------------

def existing_data() -> tuple[int, int]:
    """(rows, of which synthetic) across institutions and firms."""
    total = synthetic = 0
    for model in (Institution, Firm):
        total += db.session.scalar(select(func.count()).select_from(model)) or 0
        synthetic += db.session.scalar(select(func.count()).where(model.is_synthetic.is_(True))) or 0
    return total, synthetic


#: nullable foreign keys whose rows belong to what they point at (deleted with it, not set to NULL)
_OWNED_NULLABLE = {("users", "institution_id"), ("uploads", "institution_id")}


def purge_demo_data() -> dict[str, int]:
    """Delete synthetic institutions and firms, everything that hangs off them, and the demo accounts.

    Walks the foreign keys of the whole schema, so tables added later by other parts of the app
    (reviews, decisions …) are handled too: rows that depend on a deleted row are deleted; optional
    references (recorded_by_id …) are set to NULL.
    """
    deleted: dict[str, int] = {}
    metadata = db.Model.metadata
    tables = metadata.tables
    inst, firms, users = tables["institutions"], tables["firms"], tables["users"]
    _delete(inst, inst.c.is_synthetic.is_(True), metadata, deleted, set())
    _delete(firms, firms.c.is_synthetic.is_(True), metadata, deleted, set())
    from registry.demo.reviews import expert_usernames

    _delete(users, users.c.username.in_([u for u, _, _ in DEMO_ACCOUNTS] + expert_usernames())
            | users.c.username.like("town-%"), metadata, deleted, set())
    # seasons whose every filing belonged to demo institutions (a demo database holds no real ones)
    seasons, filings = tables["reporting_seasons"], tables["filings"]
    _delete(seasons, ~seasons.c.id.in_(select(filings.c.season_id)), metadata, deleted, set())
    from registry.stats.summary import rebuild_tenancy_summary

    rebuild_tenancy_summary(db.session)  # the tenancies went without the ORM
    return {k: v for k, v in deleted.items() if v}


def _delete(table: Table, where: Any, metadata: Any, deleted: dict[str, int], path: set[str]) -> None:
    ids = select(table.c.id).where(where)
    path = path | {table.name}
    for other in metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table or other is table:
                continue
            col = fk.parent
            if col.nullable and (other.name, col.name) not in _OWNED_NULLABLE:
                db.session.execute(update(other).where(col.in_(ids)).values({col.name: None}))
            elif other.name not in path:
                _delete(other, col.in_(ids), metadata, deleted, path)
    # self-references (self_reports.supersedes_id): clear them first so one DELETE can remove the rows
    for fk in table.foreign_keys:
        if fk.column.table is table:
            db.session.execute(update(table).where(where).values({fk.parent.name: None}))
    result = db.session.execute(table.delete().where(where))
    deleted[table.name] = deleted.get(table.name, 0) + (result.rowcount or 0)


# --- bulk writing ---------------------------------------------------------------------------------

def _next_id(model: Any) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _write(table: Table, columns: Sequence[str], rows: Iterable[tuple], progress: Progress | None) -> int:
    """Insert tuples in column order: COPY on PostgreSQL, chunked executemany elsewhere."""
    conn = db.session.connection()
    n = 0
    if conn.dialect.name == "postgresql":
        from psycopg.types.json import Jsonb

        json_cols = [i for i, c in enumerate(columns) if c in ("values", "tables", "scores")]
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            cols = ", ".join(f'"{c}"' for c in columns)
            with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    if json_cols:
                        row = tuple(Jsonb(v) if i in json_cols else v for i, v in enumerate(row))
                    copy.write_row(row)
                    n += 1
                    if progress and n % CHUNK == 0:
                        progress(CHUNK)
        if progress:
            progress(n % CHUNK)
        return n
    if conn.dialect.name == "sqlite":
        # the column types' own bind processors, then the DB-API executemany: the same values
        # SQLAlchemy would send, without building a dict per row
        procs = [table.c[c].type.bind_processor(conn.dialect) for c in columns]
        sql = f'INSERT INTO "{table.name}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) ' \
              f'VALUES ({", ".join("?" for _ in columns)})'
        cursor = conn.connection.driver_connection.cursor()
        batch: list[tuple] = []
        for row in rows:
            batch.append(tuple(v if p is None or v is None else p(v) for p, v in zip(procs, row)))
            if len(batch) == CHUNK:
                cursor.executemany(sql, batch)
                n += len(batch)
                batch = []
                if progress:
                    progress(CHUNK)
        if batch:
            cursor.executemany(sql, batch)
            n += len(batch)
            if progress:
                progress(len(batch))
        cursor.close()
        return n
    chunk: list[dict[str, Any]] = []
    stmt = insert(table)
    for row in rows:
        chunk.append(dict(zip(columns, row)))
        if len(chunk) == CHUNK:
            conn.execute(stmt, chunk)
            n += len(chunk)
            chunk = []
            if progress:
                progress(CHUNK)
    if chunk:
        conn.execute(stmt, chunk)
        n += len(chunk)
        if progress:
            progress(len(chunk))
    return n


def _sync_sequence(table: Table) -> None:
    """After explicit ids, move PostgreSQL's id sequence past them."""
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"COALESCE((SELECT max(id) FROM \"{table.name}\"), 1))"))


INST_COLS = ("id", "name", "uscc", "category", "subclass", "specialised_field", "legal_form", "town_id",
             "operating_entity", "parent_organisation", "address", "established_on", "operating_since",
             "gross_floor_area", "controlled_area", "has_venture_model", "has_internet_plus_model", "is_urban_renewal",
             "is_strata_title", "strata_divisible_area", "strata_sold_area", "is_hmt_base", "is_hardship_area",
             "status", "is_synthetic", "notes", "created_at", "updated_at")
REC_COLS = ("institution_id", "level", "effective_from", "ended_on", "end_reason", "doc_no", "end_doc_no", "note",
            "created_at", "updated_at")
STATUS_COLS = ("institution_id", "status", "effective_on", "reason", "doc_no", "recorded_at")
FIRM_COLS = ("id", "name", "uscc", "established_on", "is_synthetic", "created_at", "updated_at")
TENANCY_COLS = ("firm_id", "carrier_id", "entered_on", "exited_on", "exit_reason", "graduation_criterion",
                "created_at", "updated_at")
REPORT_COLS = ("institution_id", "year", "version", "is_current", "source", "system_version", "values", "tables",
               "submitted_at")


def write_dataset(ds: Dataset, progress: Progress | None = None) -> tuple[dict[str, int], dict[int, int]]:
    """Insert the dataset's rows; returns row counts and the map from local to database institution ids."""
    now = datetime.now(UTC)
    towns = dict(db.session.execute(select(Town.code, Town.id)).all())
    missing = sorted({row["town"] for row in ds.institutions} - set(towns))
    if missing:
        raise DemoDataError(f"towns missing from the reference data: {', '.join(missing)}")
    i0, f0 = _next_id(Institution) - 1, _next_id(Firm) - 1
    inst_id = {row["id"]: row["id"] + i0 for row in ds.institutions}
    counts = {}

    def inst_rows() -> Iterable[tuple]:
        for row in ds.institutions:
            r = {**row, "id": inst_id[row["id"]], "town_id": towns[row["town"]], "created_at": now, "updated_at": now}
            yield tuple(r[c] for c in INST_COLS)

    counts["institutions"] = _write(Institution.__table__, INST_COLS, inst_rows(), progress)
    _sync_sequence(Institution.__table__)
    counts["recognitions"] = _write(Recognition.__table__, REC_COLS, (
        (inst_id[r["institution_id"]], r["level"], r["effective_from"], r["ended_on"], r["end_reason"], r["doc_no"],
         r["end_doc_no"], r["note"], now, now) for r in ds.recognitions), progress)
    counts["status_changes"] = _write(StatusChange.__table__, STATUS_COLS, (
        (inst_id[s["institution_id"]], s["status"], s["effective_on"], s["reason"], s["doc_no"], now)
        for s in ds.status_changes), progress)
    counts["firms"] = _write(Firm.__table__, FIRM_COLS, (
        (f["id"] + f0, f["name"], f["uscc"], f["established_on"], True, now, now) for f in ds.firms), progress)
    _sync_sequence(Firm.__table__)
    counts["tenancies"] = _write(Tenancy.__table__, TENANCY_COLS, (
        (t["firm_id"] + f0, inst_id[t["carrier_id"]], t["entered_on"], t["exited_on"], t["exit_reason"],
         t["graduation_criterion"], now, now) for t in ds.tenancies), progress)
    from registry.stats.summary import rebuild_tenancy_summary

    rebuild_tenancy_summary(db.session)  # the tenancies went in without the ORM
    return counts, inst_id


def analyze(tables: Sequence[str]) -> None:
    """Refresh the planner's statistics after a bulk load: without them PostgreSQL plans the
    registry queries for empty tables until autovacuum gets round to it."""
    for name in tables:
        db.session.execute(text(f'ANALYZE "{name}"'))


def vacuum_analyze(tables: Sequence[str]) -> None:
    """PostgreSQL, after the load has committed: VACUUM (ANALYZE) the bulk-loaded tables.

    ANALYZE inside the load's transaction gives row statistics, but only VACUUM sets the visibility
    map (index-only scans: deep list pages walk ix_institutions_name alone) and the GIN metadata the
    planner reads to cost ix_institutions_search. Without it a freshly loaded database seq-scans
    text searches (40 ms instead of 1 ms) until autovacuum gets round to it. VACUUM cannot run in a
    transaction, so it uses its own autocommit connection. SQLite needs nothing more than ANALYZE.
    """
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in tables:
            conn.exec_driver_sql(f'VACUUM (ANALYZE) "{name}"')


# --- yearly figures ---------------------------------------------------------------------------------

def _status_on(ds_status: dict[int, list[dict[str, Any]]], cid: int, on: date) -> str | None:
    current = None
    for s in ds_status.get(cid, ()):
        if s["effective_on"] <= on:
            current = s["status"]
    return current


class Systems:
    """The indicator systems in force, looked up once per (category, subclass, year); None when there is none."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.cache: dict[tuple[str, str | None, int], Any] = {}
        try:
            import assessment

            self.load = assessment.load_system
            self.errors = tuple(getattr(assessment, n) for n in ("SystemNotFoundError", "SystemDefinitionError")
                                if hasattr(assessment, n))
        except (ImportError, AttributeError):
            self.load = None
            self.errors = ()
            notes.append("assessment.load_system is not available: no yearly figures were generated.")

    def get(self, category: str, subclass: str | None, year: int) -> Any:
        key = (category, subclass, year)
        if key not in self.cache:
            system = None
            if self.load is not None:
                try:
                    system = self.load(category, year, subclass)
                except (*self.errors, ValueError) as exc:
                    self.notes.append(f"no figures for {category}{'/' + subclass if subclass else ''} {year}: "
                                      f"{type(exc).__name__}: {exc}")
            self.cache[key] = system
        return self.cache[key]


def _registry_facts(ds: Dataset, c: Carrier, year: int, towns_code: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Exact values the registry holds for this institution-year, under the input codes that carry them."""
    row = c.row
    end = date(year, 12, 31)
    in_force = [r for r in ds_recs(ds, c.id) if r["effective_from"] <= end and (r["ended_on"] is None or r["ended_on"] > end)]
    rank = {"municipal": 1, "provincial": 2, "national_candidate": 3, "national_filed": 4, "national": 5}
    top = max(in_force, key=lambda r: rank[r["level"]]) if in_force else None
    facts: dict[str, Any] = {
        "org_name": row["name"], "uscc": row["uscc"], "legal_form": row["legal_form"], "town_or_park": towns_code,
        "established_on": row["established_on"], "operating_since": row["operating_since"], "report_year": year,
        "torch_stats_years": max(1, min(year - row["operating_since"].year, 10)),
    }
    if top is not None:
        facts["recognition_year"] = top["effective_from"].year
        facts["recognition_doc_no"] = top["doc_no"]
    f = ds.facts.get((c.id, year), {})
    gross, controlled = row["gross_floor_area"], row["controlled_area"]
    if c.category == "incubator":
        facts.update(tenants=f["tenants"], new_tenants=f["new_tenants"], graduates_year=f["graduates_year"],
                     graduates_cum=f["graduates_cum"] + extra.get("graduates_before", 0),
                     gross_floor_area=gross, controlled_incubation_area=controlled,
                     strata_project=row["is_strata_title"], incubator_type=row["subclass"],
                     graduates_hte=f["grad_high_tech"], graduates_financed=f["grad_investment"],
                     graduates_revenue=f["grad_revenue"], graduates_listed=f["grad_merger_or_listing"],
                     graduates_to_accelerator_or_park=f["graduates_moved_year"])
        if row["is_strata_title"]:
            facts["strata_sold_area"] = row["strata_sold_area"]
        if row["specialised_field"]:
            facts["sector"] = row["specialised_field"]
    elif c.category == "maker_space":
        facts.update(startups_served=f["tenants"], service_area=gross, graduated_to_incubator=f["moved_on_year"],
                     months_operating=max(0, (end - row["operating_since"]).days // 30))
    elif c.category == "accelerator":
        facts.update(resident_firms=f["tenants"], residents_from_incubators=f["from_chain"],
                     controlled_accel_area=controlled)
    elif c.category == "industrial_park":
        facts.update(firms=f["tenants"], firms_from_chain=f["from_chain"], built_area=gross)
    elif c.category == "rd_institution":
        facts.update(research_floor_area=gross, rd_class=row["subclass"])
    return facts


def ds_recs(ds: Dataset, cid: int) -> list[dict[str, Any]]:
    index = getattr(ds, "_recs_by_inst", None)
    if index is None:
        index = {}
        for r in ds.recognitions:
            index.setdefault(r["institution_id"], []).append(r)
        ds._recs_by_inst = index  # type: ignore[attr-defined]
    return index.get(cid, [])


def figure_rows(ds: Dataset, inst_id: dict[int, int], systems: Systems) -> Iterable[tuple]:
    """One current SelfReport (source "demo") per assessable institution and figure year."""
    status_by: dict[int, list[dict[str, Any]]] = {}
    for s in ds.status_changes:
        status_by.setdefault(s["institution_id"], []).append(s)
    last_year = max(ds.shape.figure_years)
    for c in ds.carriers:
        base = random.Random(f"{ds.seed}:{c.id}")
        extra: dict[str, Any] = {}
        if c.category == "incubator":
            op_year = c.row["operating_since"].year
            before = max(0, round((2014 - op_year) * c.capacity * 0.12 * (0.5 + c.quality)))
            if "near_national" in c.scenarios:  # 17–21 graduates by the last year: just around the threshold of 20
                before = max(0, base.randint(17, 21) - ds.facts[(c.id, last_year)]["graduates_cum"])
            extra["graduates_before"] = before
        size = c.capacity or round(min(900, max(15, base.lognormvariate(4.1, 0.6))))
        previous: dict[str, Any] = {}
        for year in ds.shape.figure_years:
            if "unreported" in c.scenarios and year >= last_year - 1:
                continue
            if _status_on(status_by, c.id, date(year, 12, 31)) not in ("recognised", "rectifying"):
                continue
            system = systems.get(c.category, c.row["subclass"] if c.category in ("incubator", "rd_institution") else None,
                                 year)
            if system is None:
                continue
            rng = random.Random(f"{ds.seed}:{c.id}:{year}")
            quality = min(0.98, max(0.02, c.quality + rng.gauss(0, 0.06)))
            if "slipping" in c.scenarios and year == last_year:
                quality = rng.uniform(0.03, 0.12)
            scenarios = tuple(s for s in c.scenarios if s != "veto" or year == last_year)
            facts = _registry_facts(ds, c, year, c.town, extra)
            profile = Profile(category=c.category, year=year, quality=quality, subclass=c.row["subclass"],
                              scenarios=scenarios, registry=facts, previous=previous,
                              size=facts.get("tenants", facts.get("resident_firms", facts.get("firms", size))) or size)
            values = generate(system.input_set.inputs, profile, rng, system.input_set.checks)
            previous = values
            submitted = datetime(year + 1, 3, 1 + rng.randrange(28), 10, 0, tzinfo=UTC)
            yield (inst_id[c.id], year, 1, True, "demo", system.version, stored(values), {}, submitted)


def write_figures(ds: Dataset, inst_id: dict[int, int], notes: list[str], progress: Progress | None = None,
                  systems: Any = None) -> int:
    """Store the yearly figures; `systems` (anything with .get(category, subclass, year)) defaults to the engine's."""
    if systems is None:
        systems = Systems(notes)
        if systems.load is None:
            return 0
    return _write(SelfReport.__table__, REPORT_COLS, figure_rows(ds, inst_id, systems), progress)


# --- accounts -----------------------------------------------------------------------------------------

def create_accounts(ds: Dataset, inst_id: dict[int, int], notes: list[str]) -> list[tuple[str, str, str]]:
    """The demo accounts of accounts.py; the institution account reports for a national-level incubator."""
    bound = next((c for c in ds.carriers if c.category == "incubator" and c.tier == "national" and not c.scenarios),
                 next((c for c in ds.carriers if c.category == "incubator" and c.row["status"] == "recognised"), None))
    made = []
    for username, password, role in DEMO_ACCOUNTS:
        if role == "town_officer":  # bound to a town: made with the demo's reporting season
            continue
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            notes.append(f"account “{username}” already exists and was left unchanged")
            continue
        user = User(username=username, role=role, display_name={"admin": "演示管理员", "reviewer": "演示评审专家"}.get(
            role, f"演示机构账号（{bound.row['name'] if bound else ''}）"))
        if role == "institution":
            if bound is None:
                notes.append("no incubator to bind the institution account to")
                continue
            user.institution_id = inst_id[bound.id]
        user.set_password(password)
        db.session.add(user)
        made.append((username, password, role))
    db.session.flush()
    return made
