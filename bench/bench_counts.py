"""Benchmark: the national-level incubator count export over 10 years at national scale.

Target: ≤ 200 ms per export (query + table + file) with 15,000 carriers and ~1,000 national-level
incubators with history, on SQLite and on PostgreSQL. Prints timings and the query plan.

    # a fresh SQLite file, seeded with synthetic rows (bulk inserts, a few seconds)
    .venv/bin/python bench/bench_counts.py
    # PostgreSQL: an empty database is seeded; a database that already holds institutions
    # (e.g. after `fuhua demo load --scale national`) is measured as it is
    .venv/bin/python bench/bench_counts.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    # try registry.demo's national generator first, falling back to the bench's own rows
    .venv/bin/python bench/bench_counts.py --use-demo --reset

Never a timed assert in tests: speed is measured here (COMMON.md).
"""

from __future__ import annotations

import argparse
import enum
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402

from registry import create_app  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.models import CarrierType, Institution, Level, Recognition, Town  # noqa: E402

CATEGORY_MIX = (  # 15,000 carriers in national proportions (rough, synthetic)
    (CarrierType.MAKER_SPACE, 0.30), (CarrierType.INCUBATOR, 0.45), (CarrierType.ACCELERATOR, 0.08),
    (CarrierType.INDUSTRIAL_PARK, 0.04), (CarrierType.RD_INSTITUTION, 0.13),
)
SUBCLASS = {CarrierType.INCUBATOR: ("comprehensive", "specialised"),
            CarrierType.RD_INSTITUTION: ("tech_innovation", "commercialisation", "industry_cultivation", "comprehensive")}


def _uscc(n: int) -> str:
    from stdnum.cn import uscc

    body = f"9144190{n:010d}"
    return body + uscc.calc_check_digit(body)


def _day(rnd: random.Random, first: int, last: int) -> date:
    start = date(first, 1, 1)
    return start + timedelta(days=rnd.randrange((date(last, 12, 31) - start).days + 1))


def seed(carriers: int, national: int, seed_value: int = 2020) -> None:
    """Bulk-insert synthetic carriers and dated recognitions (no ORM objects: seconds, not minutes)."""
    rnd = random.Random(seed_value)
    town_ids = list(db.session.scalars(select(Town.id)))
    categories, weights = zip(*CATEGORY_MIX)
    institutions = []
    for i in range(1, carriers + 1):
        category = rnd.choices(categories, weights)[0]
        institutions.append({
            "id": i, "name": f"基准测试载体{i:05d}", "uscc": _uscc(900_000 + i), "category": category,
            "subclass": rnd.choice(SUBCLASS[category]) if category in SUBCLASS else None,
            "legal_form": "enterprise", "town_id": rnd.choice(town_ids), "status": "recognised",
            "is_synthetic": True,
        })
    db.session.execute(insert(Institution), institutions)

    recognitions = []
    incubators = [row["id"] for row in institutions if row["category"] is CarrierType.INCUBATOR]
    for row in institutions:  # every carrier holds a municipal recognition; some a provincial one
        start = _day(rnd, 2005, 2022)
        recognitions.append({"institution_id": row["id"], "level": Level.MUNICIPAL, "effective_from": start,
                             "ended_on": None, "end_reason": None})
        if rnd.random() < 0.35:
            recognitions.append({"institution_id": row["id"], "level": Level.PROVINCIAL,
                                 "effective_from": start + timedelta(days=rnd.randrange(200, 1500)),
                                 "ended_on": None, "end_reason": None})
    for inst_id in rnd.sample(incubators, national):  # national-level, with revocations and re-recognitions
        start = _day(rnd, 2000, 2022)
        while True:
            ended = start + timedelta(days=rnd.randrange(400, 3000)) if rnd.random() < 0.25 else None
            recognitions.append({"institution_id": inst_id, "level": Level.NATIONAL, "effective_from": start,
                                 "ended_on": ended, "end_reason": "revoked" if ended else None})
            if ended is None or rnd.random() < 0.6:
                break
            start = ended + timedelta(days=rnd.randrange(0, 900))
    db.session.execute(insert(Recognition), recognitions)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('institutions', 'id'), "
                                "(SELECT max(id) FROM institutions))"))
    db.session.commit()
    with db.engine.connect() as conn:  # planner statistics, as a live database would have
        conn.execute(text("ANALYZE"))
        conn.commit()


def prepare(args: argparse.Namespace) -> str:
    """Use the database as it is when it holds institutions; otherwise create the schema and seed it."""
    from tests.conftest import reset_schema
    from registry.reference_data import ensure_reference_data

    count = 0
    if not args.reset:
        try:
            count = db.session.scalar(select(func.count(Institution.id))) or 0
        except Exception:  # noqa: BLE001 — no schema yet
            db.session.rollback()
    if count:
        return f"existing database: {count:,} institutions"
    reset_schema()
    ensure_reference_data()
    db.session.commit()
    if args.use_demo:
        try:
            from registry.demo.cli import load_demo

            load_demo(scale="national", seed=2020)
            db.session.commit()
            return "registry.demo load_demo(scale='national')"
        except NotImplementedError:
            print("registry.demo's national generator is not available yet; seeding the bench's own rows")
    started = time.perf_counter()
    seed(args.carriers, args.national)
    return f"bench seed: {args.carriers:,} carriers, {args.national:,} national-level ({time.perf_counter() - started:.1f} s)"


def timed(fn, repeat: int) -> list[float]:  # noqa: ANN001
    fn()  # warm-up: connection, statement cache, catalogue
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def explain(stmt) -> str:  # noqa: ANN001
    """The plan of the real statement with its real (typed) parameters."""
    if db.engine.dialect.name == "sqlite":
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        return "\n".join(f"  {r[-1]}" for r in rows if "CONSTANT ROW" not in r[-1] and r[-1] != "UNION ALL")
    compiled = stmt.compile(db.engine, compile_kwargs={"render_postcompile": True})
    params = {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in compiled.params.items()}
    rows = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + str(compiled), params)
    return "\n".join(f"  {r[0]}" for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/fuhua-bench-counts.sqlite")
    parser.add_argument("--carriers", type=int, default=15_000)
    parser.add_argument("--national", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reset", action="store_true", help="drop and re-seed even if the database holds data")
    parser.add_argument("--use-demo", action="store_true", help="seed with registry.demo's national generator")
    args = parser.parse_args()

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.database_url})
    from flask_babel import force_locale

    from registry.exports.counts import build_count_table
    from registry.exports.params import CountRequest
    from registry.exports.writers import render_export
    from registry.stats.queries import count_dates, national_incubator_counts, plan_counts, recognised_counts_query, tenancy_counts

    years = range(2011, 2021)
    with app.app_context():
        source = prepare(args)
        n_inst = db.session.scalar(select(func.count(Institution.id)))
        n_nat = db.session.scalar(select(func.count(func.distinct(Recognition.institution_id)))
                                  .where(Recognition.level == Level.NATIONAL))
        n_rec = db.session.scalar(select(func.count(Recognition.id)))
        print(f"database: {db.engine.dialect.name} ({source})")
        print(f"rows: {n_inst:,} institutions, {n_rec:,} recognitions, {n_nat:,} institutions ever national-level")
        totals = national_incubator_counts(years)
        print("national-level incubators on 31 Dec:", {r.year: r.count for r in totals})

        results = {}
        results["query, city total"] = timed(lambda: national_incubator_counts(years), args.repeat)
        results["query, by town"] = timed(lambda: national_incubator_counts(years, by="town"), args.repeat)
        results["query, by zone"] = timed(lambda: national_incubator_counts(years, by="zone"), args.repeat)
        today = date.today()
        # the statistics page asks for the plan's target year and the current year only
        results["plan targets, 2 years"] = timed(lambda: plan_counts([2020, today.year], as_of=today), args.repeat)
        results["plan targets, 10 years"] = timed(lambda: plan_counts(years), args.repeat)
        with app.test_request_context(), force_locale("zh_CN"):
            for by in (None, "town"):
                for fmt in ("xlsx", "csv", "json"):
                    request = CountRequest(2011, 2020, by, None, fmt)
                    results[f"export {fmt}, {by or 'city total'}"] = timed(
                        lambda request=request: render_export(build_count_table(request)), args.repeat)
            results["stats page queries"] = timed(lambda: (
                build_count_table(CountRequest(2015, today.year, "town", today, "xlsx")),
                plan_counts([2020, today.year], as_of=today),
                tenancy_counts(range(2015, today.year + 1), as_of=today)), args.repeat)
        print(f"\n{'operation':<28}{'min':>9}{'median':>9}{'max':>9}  (ms, {args.repeat} runs)")
        for name, runs in results.items():
            print(f"{name:<28}{min(runs):9.1f}{statistics.median(runs):9.1f}{max(runs):9.1f}")
        worst = max(statistics.median(runs) for name, runs in results.items() if name.startswith("export"))
        print(f"\nslowest export median: {worst:.1f} ms → {'OK' if worst <= 200 else 'OVER'} (target ≤ 200 ms)")
        print("\nquery plan (by town):")
        print(explain(recognised_counts_query(count_dates(years), categories=(CarrierType.INCUBATOR,),
                                              levels=(Level.NATIONAL,), by="town")))


if __name__ == "__main__":
    main()
