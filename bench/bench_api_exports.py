"""API count latency and the largest xlsx list export, on a national-scale database served by gunicorn.

Targets (issue 11): p95 of `GET /api/v1/counts/<definition>` ≤ 50 ms; p95 of the largest list export —
the count xlsx with every institution behind ten years of national-level incubator counts — ≤ 1 s.

Creates a read token for the run (revoked at the end), starts gunicorn on a port of the given range,
logs in as the demo admin for the web export, and prints median / p95 / max per request kind with
`/api/v1/openapi.json` (a cached document, no database work) as the same-run anchor, the load
average, and a verdict. Then, in process, the same export with its CPU time (what it costs without
waiting for a core on a busy machine) and the biggest list of all (incubators and accelerators at any
level, ten years) to show how the writer scales.

    FUHUA_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_bench .venv/bin/fuhua demo load --scale national
    .venv/bin/python bench/bench_api_exports.py --db postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_bench
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from bench_pages import Client  # noqa: E402
from bench_pages import serve as _serve  # noqa: E402


def serve(url: str, port: int, workers: int):  # noqa: ANN201
    """gunicorn on `url` with a random secret and no migration on start (bench_pages.serve does the waiting)."""
    return _serve("registry:create_app()", {"FUHUA_DATABASE_URL": url, "FUHUA_SECRET_KEY": "bench-" + os.urandom(8).hex(),
                                             "FUHUA_AUDIT_KEY": "bench-audit-" + os.urandom(8).hex(), "FUHUA_AUTO_MIGRATE": "false"},
                  port, workers)

API_TARGET_MS = 50
EXPORT_TARGET_MS = 1000

API = (
    ("anchor: openapi.json (cached)", "/api/v1/openapi.json"),
    ("api: national incubators 10 y", "/api/v1/counts/national-incubators?from=2011&to=2020"),
    ("api: national incubators by town", "/api/v1/counts/national-incubators?from=2011&to=2020&by=town"),
    ("api: national, as of a date", "/api/v1/counts/national-incubators?from=2016&to=2020&as_of=2020-06-30"),
    ("api: incubators+accelerators", "/api/v1/counts/incubators-and-accelerators?from=2011&to=2020"),
    ("api: R&D institutions by class", "/api/v1/counts/rd-institutions?from=2011&to=2020&by=subclass"),
    ("api: registry list, filtered", "/api/v1/institutions?category=incubator&level=national&per_page=100"),
)
EXPORTS = (
    ("xlsx: counts + list, 10 years", "/exports/national-incubators?from=2011&to=2020&format=xlsx"),
    ("xlsx: by town + list, 10 years", "/exports/national-incubators?from=2011&to=2020&by=town&format=xlsx"),
)


class TokenClient(Client):
    def __init__(self, base: str, token: str) -> None:
        super().__init__(base)
        self.token = token

    def get(self, path: str) -> tuple[int, float]:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            err.read()
            status = err.code
        return status, (time.perf_counter() - started) * 1000


def measure(client: Client, kind: str, path: str, n: int, target: float) -> float:
    client.get(path)  # warm-up
    times, statuses = [], set()
    for _ in range(n):
        status, ms = client.get(path)
        times.append(ms)
        statuses.add(status)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    flag = "" if p95 <= target or kind.startswith("anchor") else f"  > {target:.0f} ms"
    if statuses - {200}:
        flag += f"  (statuses {sorted(statuses)}: not all 200)"
    print(f"{kind:36} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}{flag}")
    return p95


def _with_app(url: str, fn):  # noqa: ANN001, ANN202
    os.environ["FUHUA_DATABASE_URL"] = url
    from registry import create_app

    app = create_app({"ALLOW_DEV_SECRET": True, "AUTO_MIGRATE": False})
    with app.app_context():
        return fn()


def make_token(url: str) -> tuple[int, str]:
    def create() -> tuple[int, str]:
        from registry.api.tokens import create_token
        from registry.audit import acting_as
        from registry.extensions import db

        with acting_as("bench:bench_api_exports"):
            new = create_token("bench_api_exports", label="bench:bench_api_exports")
            db.session.commit()
        return new.token.id, new.secret

    return _with_app(url, create)


def revoke(url: str, token_id: int) -> None:
    def run() -> None:
        from registry.api.tokens import revoke_token
        from registry.audit import acting_as
        from registry.extensions import db
        from registry.models import ApiToken

        with acting_as("bench:bench_api_exports"):
            revoke_token(db.session.get(ApiToken, token_id), label="bench:bench_api_exports")
            db.session.commit()

    _with_app(url, run)


def in_process(url: str, n: int) -> None:
    """The same exports in this process, with CPU time beside wall time: on a shared, busy machine the
    CPU seconds show what the export costs without waiting for a core. Then the biggest list the
    definitions give (incubators and accelerators at any level, ten years), for scale."""

    def run() -> None:
        from flask import current_app

        from registry.exports.counts import build_count_table
        from registry.exports.params import CountRequest
        from registry.exports.writers import render_export
        from registry.stats.definitions import INCUBATORS_AND_ACCELERATORS, NATIONAL_INCUBATORS

        for kind, definition, runs in (("in process: national incubators xlsx", NATIONAL_INCUBATORS, n),
                                       ("in process: incubators+accelerators", INCUBATORS_AND_ACCELERATORS, 1)):
            walls, cpus, rows, size = [], [], 0, 0
            for _ in range(runs):
                with current_app.test_request_context():
                    wall, cpu = time.perf_counter(), time.process_time()
                    table = build_count_table(CountRequest(2011, 2020, None, None, "xlsx"), definition,
                                              with_members=True)
                    data = render_export(table)
                    walls.append((time.perf_counter() - wall) * 1000)
                    cpus.append((time.process_time() - cpu) * 1000)
                rows, size = len(table.members or []), len(data)
            walls.sort()
            cpus.sort()
            p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
            print(f"{kind:36} {statistics.median(walls):8.1f} {p95:8.1f} {walls[-1]:8.1f}  CPU median "
                  f"{statistics.median(cpus):.0f} ms; {rows:,} list rows, {size:,} bytes")

    _with_app(url, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a database holding the national demo")
    parser.add_argument("-n", type=int, default=50, help="requests per API kind (default 50)")
    parser.add_argument("--exports", type=int, default=20, help="requests per export kind (default 20)")
    parser.add_argument("--port", type=int, default=8400)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    token_id, secret = make_token(args.db)
    proc = serve(args.db, args.port, args.workers)
    verdict = []
    try:
        print(f"{args.db} — gunicorn -w {args.workers}; load average {os.getloadavg()[0]:.2f} "
              f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} at start")
        print(f"{'request':36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        api = TokenClient(f"http://127.0.0.1:{args.port}", secret)
        for kind, path in API:
            p95 = measure(api, kind, path, args.n, API_TARGET_MS)
            if kind.startswith("api: national incubators 10 y"):
                verdict.append(("API count endpoint p95", p95, API_TARGET_MS))
        web = Client(f"http://127.0.0.1:{args.port}")
        web.login("admin", "fuhua-admin-2020")
        for kind, path in EXPORTS:
            p95 = measure(web, kind, path, args.exports, EXPORT_TARGET_MS)
            verdict.append((f"largest list export ({kind})", p95, EXPORT_TARGET_MS))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        revoke(args.db, token_id)
    in_process(args.db, 10)
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} at the end")
    for what, p95, target in verdict:
        print(f"VERDICT {what}: p95 {p95:.1f} ms, target ≤ {target} ms: {'met' if p95 <= target else 'NOT met'}")


if __name__ == "__main__":
    main()


