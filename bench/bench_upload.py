"""Upload path timings: check a filled template, store it as a version, and the duplicate-tenant query.

    .venv/bin/python bench/bench_upload.py [--tenants 1000] [--carriers 200]
    FUHUA_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench ... (default: a temp SQLite file)

Prints best-of-3 wall times; no targets are asserted here (see COMMON.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def best(fn, rounds: int = 3) -> float:  # noqa: ANN001
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--carriers", type=int, default=200)
    args = parser.parse_args()

    from registry import create_app
    from registry.extensions import db
    from tests.conftest import reset_schema
    from tests.factories import make_institution, make_uscc
    from tests.registry.test_reports_support import filled_report

    url = os.environ.get("FUHUA_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        reset_schema()
        from registry.reference_data import ensure_reference_data
        from registry.reports import operations

        ensure_reference_data()
        carriers = [make_institution(name=f"载体{i}") for i in range(args.carriers)]
        db.session.commit()
        codes = [make_uscc() for _ in range(args.tenants)]
        data = filled_report(carriers[0], tenants=codes)
        print(f"file: {len(data) // 1024} KB, {args.tenants} tenant rows; database: {db.engine.dialect.name}")

        spec = operations.spec_for(carriers[0], 2019)
        t_check = best(lambda: operations.check_report(
            __import__("importers").read_workbook(data, "a.xlsx"), carriers[0], 2019, spec))
        print(f"read + check:            {t_check * 1000:8.1f} ms")

        def store() -> None:
            upload, parsed = operations.store_upload(data, "a.xlsx", institution=carriers[0], year=2019)
            report = operations.check_report(parsed, carriers[0], 2019, spec)
            operations.accept_self_report(upload, carriers[0], 2019, report=report, spec=spec)
            db.session.commit()

        print(f"store + accept (commit): {best(store) * 1000:8.1f} ms")
        # every other carrier files a report claiming 50 of the same firms (worst case for the query)
        for c in carriers[1:]:
            sr_rows = [operations.ReportedTenant(self_report_id=None, institution_id=c.id, year=2019, uscc=code)
                       for code in codes[:50]]
            from registry.models import SelfReport

            sr = SelfReport(institution_id=c.id, year=2019, version=1, is_current=True, values={}, tables={})
            db.session.add(sr)
            db.session.flush()
            for r in sr_rows:
                r.self_report_id = sr.id
            db.session.add_all(sr_rows)
        db.session.commit()
        from registry.reports.queries import tenant_claims

        t_claims = best(lambda: tenant_claims(2019, codes, institution_id=carriers[0].id))
        found = tenant_claims(2019, codes, institution_id=carriers[0].id)
        print(f"duplicate query:         {t_claims * 1000:8.1f} ms  ({len(found)} codes claimed elsewhere, "
              f"{sum(len(v) for v in found.values())} claims)")


if __name__ == "__main__":
    main()
