"""Explaining a stored result: read the row, parse the rule files its run stored, render every sentence.

Target: ≤ 50 ms per result. On a database holding at least one run (e.g. after bench_assess_run.py):

    .venv/bin/python bench/bench_explain.py --db postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_bench [-n 60]

Two passes over the same sample of the latest non-void run's results: cold (nothing parsed before
each result, as a worker meeting that content for the first time) and after `warm_pinned`, which
every worker runs at start. Prints median and p95 with the load average and a verdict; only reads.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _forget() -> None:
    from assessment import rulefiles
    from assessment.system import _clear_caches

    rulefiles._SYSTEMS.clear()
    rulefiles._CRITERIA.clear()
    _clear_caches()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a database with assessment runs")
    parser.add_argument("-n", type=int, default=60, help="results to explain (default 60)")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from registry import create_app
    from registry.assessments.explain import explain, explanation_lines
    from registry.assessments.pinning import warm_pinned
    from registry.assessments.queries import not_void, result_with_outcome
    from registry.extensions import db
    from registry.models import AssessmentResult

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.db,
                      "SHOW_DEMO_BANNER": False})
    with app.app_context(), app.test_request_context():
        run_id = db.session.scalar(select(func.max(AssessmentResult.run_id)).where(not_void()))
        if run_id is None:
            raise SystemExit("no assessment run in this database: run bench_assess_run.py first")
        ids = db.session.scalars(select(AssessmentResult.id).where(AssessmentResult.run_id == run_id)).all()
        sample = random.Random(run_id).sample(list(ids), min(args.n, len(ids)))
        print(f"{db.engine.dialect.name}: run #{run_id}, {len(ids):,} results, explaining {len(sample)}")
        for label, cold in (("cold (rule files read from the database and parsed for each result)", True),
                            ("after a worker's start (warm_pinned)", False)):
            _forget()
            if not cold:
                t0 = time.perf_counter()
                parsed = warm_pinned()
                print(f"warm_pinned: {parsed} stored rule files parsed in {time.perf_counter() - t0:.2f} s")
            times, cpu = [], []
            for rid in sample:
                db.session.expunge_all()
                if cold:
                    _forget()
                t0, c0 = time.perf_counter(), time.process_time()
                res = result_with_outcome(rid)
                lines = explanation_lines(explain(res.outcome))
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert lines
            med, p95 = _percentile(times, 0.5), _percentile(times, 0.95)
            print(f"explain a stored result, {label}: median {med:.1f} ms, p95 {p95:.1f} ms wall; "
                  f"CPU in this process median {_percentile(cpu, 0.5):.1f} ms, p95 {_percentile(cpu, 0.95):.1f} ms "
                  f"(load average {os.getloadavg()[0]:.2f}) — target ≤ 50 ms: {'OK' if med <= 50 else 'OVER TARGET'}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
