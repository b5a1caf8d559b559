"""Every page and job of issue 13 in one table: target, median and p95 (or time), the same-run anchor, verdict.

Runs the benches one after another against the national demo (made beforehand by bench_demo.py,
which this script can run first with --demo), each writing its figures as JSON into --out, then
prints one table from those files. Each bench can also be run alone (see bench/README.md).

    .venv/bin/python bench/bench_all.py --pg fuhua_bench --sqlite /tmp/national.sqlite --out /tmp/fuhua-bench [--demo]
    .venv/bin/python bench/bench_all.py --out /tmp/fuhua-bench --table-only      # print the table again
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent


def run(*args: str) -> None:
    print(f"$ {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, *args], cwd=ROOT, check=False)


def table(out: Path) -> None:
    def load(name: str) -> dict | None:
        path = out / name
        return json.loads(path.read_text()) if path.exists() else None

    print("\n| page / job | database | target | median | p95 | same-run anchor median / p95 | verdict | load average |")
    print("|---|---|---|---:|---:|---:|---|---|")
    for name, label in (("pages-postgresql.json", "PostgreSQL"), ("pages-sqlite.json", "SQLite"),
                        ("pages-postgresql-4w.json", "PostgreSQL, 4 workers, 4 clients at once")):
        data = load(name)
        if not data:
            continue
        for r in data["rows"]:
            print(f"| {r['kind']} ({r['account']}) | {label} | p95 ≤ 100 ms, ≤ 10× anchor p95 | {r['median_ms']:.1f} ms "
                  f"| {r['p95_ms']:.1f} ms | {r['anchor_median_ms']:.1f} / {r['anchor_p95_ms']:.1f} ms "
                  f"| {r['verdict']} | {data['load_before']} → {data['load_after']} |")
        for endpoint in data.get("not_measured", []):
            print(f"| {endpoint} | {label} | measured | — | — | — | NOT MEASURED | |")
    run_data = load("assess-run.json")
    if run_data:
        print(f"| `fuhua assess run` ({len(run_data['walls'])} rounds) | PostgreSQL | ≤ 10 s, ≤ 2× I/O floor "
              f"({run_data['floor_s']:.1f} s) | {run_data['median_s']:.1f} s | max {max(run_data['walls']):.1f} s | — "
              f"| {run_data['verdict']} | {'; '.join(run_data['loads'])} |")
    engine = load("engine.json")
    if engine:
        print(f"| engine: evaluate + stored trace | — | ≥ 15,000 /s per core | {engine['median']:,.0f} /s | — | — "
              f"| {engine['verdict']} | {engine.get('load', '')} |")
    for dialect in ("postgresql", "sqlite"):
        demo = load(f"demo-{dialect}.json")
        if demo:
            print(f"| {demo['job']} | {dialect} | ≤ {demo['target_s']:.0f} s | {demo['seconds']:.1f} s | — | — "
                  f"| {demo['verdict']} | {demo['load']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="fuhua_bench", help="PostgreSQL database holding the national demo")
    parser.add_argument("--sqlite", type=Path, default=Path("/tmp/national.sqlite"))
    parser.add_argument("--out", type=Path, required=True, help="folder for the JSON figures")
    parser.add_argument("--demo", action="store_true", help="(re)load both databases first, timing the loads")
    parser.add_argument("--ports", default="8300-8319")
    parser.add_argument("-n", default="100")
    parser.add_argument("--table-only", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pg = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.pg}"
    if not args.table_only:
        if args.demo:
            run("bench/bench_demo.py", "--pg-db", args.pg, "--keep", str(args.sqlite), "--json-dir", str(args.out))
        run("bench/bench_engine.py", "--json", str(args.out / "engine.json"))
        run("bench/bench_assess_run.py", "--db", pg, "--json", str(args.out / "assess-run.json"))
        run("bench/bench_pages.py", "--db", pg, "-n", args.n, "--ports", args.ports,
            "--json", str(args.out / "pages-postgresql.json"))
        run("bench/bench_pages.py", "--db", f"sqlite:///{args.sqlite}", "-n", args.n, "--ports", args.ports,
            "--json", str(args.out / "pages-sqlite.json"))
        run("bench/bench_pages.py", "--db", pg, "-n", args.n, "--ports", args.ports, "--workers", "4",
            "--concurrency", "4", "--only", "list:", "--json", str(args.out / "pages-postgresql-4w.json"))
    table(args.out)


if __name__ == "__main__":
    main()
