"""`fuhua assess run` at national scale, the real command on a migrated database (target: ≤ 10 s wall and ≤ 2× the I/O floor).

The database is one `bench_demo.py` made (`fuhua db upgrade`, then `fuhua demo load --scale
national`: ~14,000 assessable institutions with their self-reports and submitted expert sheets,
so results are complete), or `--fresh` makes it. Each round runs the command in a subprocess, as
a user would (start-up included), and then measures the I/O floor in the same conditions: the
same reads the run makes (institutions, recognitions, self-reports, history, expert sheets) and a
COPY of exactly the rows that run stored, in a transaction rolled back. Medians over the rounds.

    .venv/bin/python bench/bench_assess_run.py --db postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_bench
    .venv/bin/python bench/bench_assess_run.py --db postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_bench --fresh

Every round adds a run to the database (runs are immutable; that is what the command does).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 10.0
CHILD_CPU: list[float] = []
FLOOR_FACTOR = 2.0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cli(url: str, *args: str) -> tuple[float, str]:
    """Run `fuhua ARGS`; (wall seconds, stdout). The command's CPU seconds are added to CHILD_CPU."""
    env = {"FUHUA_SECRET_KEY": "bench-cli", "FUHUA_AUDIT_KEY": "bench-cli-audit", **os.environ,
           "FUHUA_DATABASE_URL": url, "FUHUA_AUTO_MIGRATE": "false",
           "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "registry", *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CHILD_CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"`fuhua {' '.join(args)}` failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, proc.stdout


def io_floor(url: str, year: int, run_id: int) -> tuple[float, float, float]:
    """(reads s, COPY s, total s): the run's reads, then its stored rows written again by COPY (rolled back)."""
    os.environ.setdefault("FUHUA_SECRET_KEY", "bench-floor")
    os.environ.setdefault("FUHUA_AUDIT_KEY", "bench-floor-audit")
    from registry import create_app
    from registry.assessments.operations import load_facts, load_history, load_reports, reviewer_inputs, systems_in_force
    from registry.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        started = time.perf_counter()
        systems = systems_in_force(year)
        facts = load_facts(year, sorted({c for c, _ in systems}))
        ids = {f.id for f in facts.values() if (f.category, f.subclass) in systems}
        load_reports(year, ids)
        load_history(year, ids, facts)
        reviewer_inputs(year, ids)
        reads = time.perf_counter() - started
        started = time.perf_counter()
        conn = db.session.connection().connection.driver_connection
        columns = ("institution_id, year, category, subclass, system_version, system_sha256, self_report_id, score, "
                   "grade, recommendation, recommendation_rule, recommendation_params, missing_count, is_provisional, "
                   "outcome")
        with conn.cursor() as cur:
            cur.execute("INSERT INTO assessment_runs (year, started_at, systems, result_count) "
                        "VALUES (%s, now(), '[]', 0) RETURNING id", (year,))
            scratch = cur.fetchone()[0]
            data = bytearray()
            with cur.copy(f"COPY (SELECT {scratch}, {columns} FROM assessment_results WHERE run_id = {run_id}) "
                          "TO STDOUT") as out:
                for block in out:
                    data += block
            with cur.copy(f"COPY assessment_results (run_id, {columns}) FROM STDIN") as copy:
                copy.write(bytes(data))
        writes = time.perf_counter() - started
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return reads, writes, reads + writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="PostgreSQL URL holding the national demo (see bench_demo.py)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database, migrate and load first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the figures here (bench_all.py reads them)")
    args = parser.parse_args()
    if not args.db.startswith("postgresql"):
        sys.exit("the run target is for PostgreSQL (the floor is measured with COPY)")
    if args.fresh:
        from bench.bench_demo import fresh_postgres

        name = args.db.rsplit("/", 1)[1]
        args.db = fresh_postgres(name)
        cli(args.db, "db", "upgrade")
        cli(args.db, "demo", "load", "--scale", "national")
    from sqlalchemy import create_engine, text

    engine = create_engine(args.db)
    with engine.connect() as conn:
        year = conn.execute(text("SELECT max(year) FROM self_reports")).scalar()
    engine.dispose()
    startup, _ = cli(args.db, "assess", "--help")
    print(f"`fuhua assess --help` (start-up alone): {startup:.2f} s")
    walls, floors, loads, cpus = [], [], [], []
    for n in range(1, args.rounds + 1):
        load = loadavg()
        wall, out = cli(args.db, "assess", "run", "--year", str(year), "--note", "bench_assess_run")
        cpus.append(CHILD_CPU[-1])
        run_id = int(re.search(r"Run #(\d+)", out).group(1))
        phases = re.search(r"phases \(wall / CPU s\): (.*)", out)
        incomplete = re.search(r"(\d+) incomplete", out)
        reads, writes, floor = io_floor(args.db, year, run_id)
        walls.append(wall)
        floors.append(floor)
        loads.append(load)
        print(f"round {n}: assess run --year {year} (run #{run_id}) {wall:.1f} s wall, {cpus[-1]:.1f} s CPU [{phases.group(1) if phases else '?'}]; "
              f"incomplete {incomplete.group(1) if incomplete else 0}; I/O floor {floor:.1f} s (reads {reads:.1f}, "
              f"COPY {writes:.1f}); load average {load}", flush=True)
    wall, floor = statistics.median(walls), statistics.median(floors)
    verdict = "OK" if wall <= TARGET_S and wall <= FLOOR_FACTOR * floor else "SLOW"
    print(f"\n| job | median s | target | I/O floor (median) s | ÷ floor | verdict |\n|---|---:|---|---:|---:|---|\n"
          f"| assess run --year {year} ({args.rounds} rounds) | {wall:.1f} | ≤ {TARGET_S:.0f} s, ≤ {FLOOR_FACTOR:.0f}× floor "
          f"| {floor:.1f} | {wall / floor:.1f}× | {verdict} |")
    print(f"load average before each round: {'; '.join(loads)}; CPU of the command (median): "
          f"{statistics.median(cpus):.1f} s (start-up alone: {CHILD_CPU[0]:.1f} s CPU)")
    if args.json:
        args.json.write_text(json.dumps({"job": f"assess run --year {year}", "median_s": wall, "walls": walls,
                                         "floor_s": floor, "floors": floors, "startup_s": startup,
                                         "cpu_s": statistics.median(cpus), "cpus": cpus,
                                         "verdict": verdict, "loads": loads}, indent=1))


if __name__ == "__main__":
    main()
