"""Time `fuhua demo load --scale national` on SQLite and on PostgreSQL (targets: ≤ 30 s PostgreSQL, ≤ 45 s SQLite).

Runs the real command in a subprocess against a fresh database, so what is timed is exactly what
a user runs (schema creation is timed separately and not counted).

    .venv/bin/python bench/bench_demo.py                      # both databases
    .venv/bin/python bench/bench_demo.py --only sqlite --keep /tmp/national.sqlite
    .venv/bin/python bench/bench_demo.py --only postgresql --pg-db fuhua_bench

The databases are left in place (SQLite file, PostgreSQL database `fuhua_bench`) for bench_pages.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent  # not resolve(): a symlinked checkout keeps its own path
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def fresh_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def run(url: str, *args: str) -> tuple[float, str]:
    env = {**os.environ, "FUHUA_DATABASE_URL": url, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT)),
           # the command itself manages the schema (`db upgrade` below); no migrate-on-start
           "FUHUA_AUTO_MIGRATE": "false"}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "registry", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"`fuhua {' '.join(args)}` failed on {url}:\n{proc.stdout}\n{proc.stderr}")
    return elapsed, proc.stdout


TARGETS = {"postgresql": 30.0, "sqlite": 45.0}


def bench(label: str, url: str, scale: str, seed: int, json_path: Path | None = None) -> None:
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    schema_s, _ = run(url, "db", "upgrade")
    load_s, out = run(url, "demo", "load", "--scale", scale, "--seed", str(seed))
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    target = TARGETS[dialect] if scale == "national" else 120.0
    verdict = "OK" if load_s <= target else "SLOW"
    print(f"{label}: schema {schema_s:.1f} s; demo load --scale {scale}: {load_s:.1f} s (target ≤ {target:.0f} s: "
          f"{verdict}; load average before {load})")
    for line in out.splitlines():
        if line.startswith(("  ", "Drew", "Wrote", "Simulated")):
            print("   ", line.strip())
    if json_path:
        json_path.write_text(json.dumps({"job": f"demo load --scale {scale} ({dialect})", "seconds": load_s,
                                         "target_s": target, "verdict": verdict, "load": load}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--scale", default="national", choices=("city", "national"))
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--keep", type=Path, help="SQLite file to write (default: a temporary file)")
    parser.add_argument("--pg-db", default="fuhua_bench", help="scratch PostgreSQL database (dropped and recreated)")
    parser.add_argument("--json-dir", type=Path, help="write demo-<database>.json here (bench_all.py reads them)")
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        path = args.keep or Path(tempfile.mkdtemp(prefix="fuhua-bench-")) / "national.sqlite"
        path.unlink(missing_ok=True)
        bench(f"SQLite ({path})", f"sqlite:///{path}", args.scale, args.seed,
              args.json_dir / "demo-sqlite.json" if args.json_dir else None)
    if args.only in (None, "postgresql"):
        bench(f"PostgreSQL ({args.pg_db})", fresh_postgres(args.pg_db), args.scale, args.seed,
              args.json_dir / "demo-postgresql.json" if args.json_dir else None)


if __name__ == "__main__":
    main()
