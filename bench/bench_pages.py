"""Registry page latency on a national-scale database, served by gunicorn (target: p95 ≤ 100 ms).

Start gunicorn (2 workers, 127.0.0.1, a free port) on an existing database (made by
bench_demo.py), log in as the demo admin through the real form (with its CSRF token), then request
every page kind in PAGES a bounded number of times and print p50 / p95 / max per kind.

    .venv/bin/python bench/bench_pages.py --db sqlite:////tmp/national.sqlite
    .venv/bin/python bench/bench_pages.py --db postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_bench

PAGES is data: add a line when a page appears. A page kind whose route answers 404 on its first
request is reported as "no such route" and skipped, so the bench runs on whatever views exist.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).absolute().parent.parent

#: (kind, path template). Placeholders are filled from the database: {town} a town id with many
#: institutions, {zone} a zone id, {inst} / {incubator} / {rd} institution ids, {firm} a firm id with a
#: chain path, {q} a common name fragment, {deep} a page near the end of the unfiltered list.
PAGES: tuple[tuple[str, str], ...] = (
    ("list: first page", "/institutions/"),
    ("list: category", "/institutions/?category=incubator"),
    ("list: category+subclass", "/institutions/?category=rd_institution&subclass=tech_innovation"),
    ("list: town", "/institutions/?town={town}"),
    ("list: zone", "/institutions/?zone={zone}"),
    ("list: level national", "/institutions/?level=national"),
    ("list: no level in force", "/institutions/?level=none"),
    ("list: status rectifying", "/institutions/?status=rectifying"),
    ("list: combined filters", "/institutions/?category=incubator&level=provincial&town={town}&status=recognised"),
    ("list: sorted desc", "/institutions/?sort=name&dir=desc"),
    ("list: sorted by town", "/institutions/?sort=town"),
    ("list: sorted by level", "/institutions/?sort=level&dir=desc"),
    ("list: page 2", "/institutions/?page=2"),
    ("list: deep page", "/institutions/?page={deep}"),
    ("list: text search", "/institutions/?q={q}"),
    ("list: search no hit", "/institutions/?q=不存在的名称"),
    ("list: search latin, no hit", "/institutions/?q=Tech"),
    ("detail: incubator", "/institutions/{incubator}"),
    ("detail: incubator tenants p3", "/institutions/{incubator}?cp=3&pp=3"),
    ("detail: R&D institution", "/institutions/{rd}"),
    ("detail: any", "/institutions/{inst}"),
    ("firm path", "/institutions/firms/{firm}"),
    ("stats", "/stats/"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample_values(url: str, count: int) -> list[dict[str, object]]:
    """`count` sets of placeholder values, spread over the table (not just the first rows)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        def ids(sql: str) -> list[int]:
            return list(conn.execute(text(sql)).scalars())

        incubators = ids("SELECT id FROM institutions WHERE category = 'incubator' ORDER BY id")
        rds = ids("SELECT id FROM institutions WHERE category = 'rd_institution' ORDER BY id")
        insts = ids("SELECT id FROM institutions ORDER BY id")
        firms = ids("SELECT firm_id FROM tenancies GROUP BY firm_id HAVING count(*) > 1 ORDER BY firm_id LIMIT 5000")
        towns = ids("SELECT town_id FROM institutions GROUP BY town_id ORDER BY count(*) DESC LIMIT 5")
        zones = ids("SELECT id FROM zones ORDER BY id") or [1]
        names = list(conn.execute(text("SELECT name FROM institutions ORDER BY id LIMIT 200")).scalars())
    engine.dispose()
    deep = max(1, len(insts) // 25 - 3)
    fragments = sorted({n[2:4] for n in names if len(n) > 4})

    def pick(seq: list, i: int):
        return seq[(i * 7919) % len(seq)] if seq else 1

    return [{"incubator": pick(incubators, i), "rd": pick(rds, i), "inst": pick(insts, i), "firm": pick(firms, i),
             "town": pick(towns, i), "zone": pick(zones, i), "q": urllib.parse.quote(pick(fragments, i) or "科技"),
             "deep": deep - (i % 3)} for i in range(count)]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # measure the page asked for, not where it redirects


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())

    def get(self, path: str) -> tuple[int, float]:
        path = urllib.parse.quote(path, safe="/?=&%")
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=60) as resp:
                resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            err.read()
            status = err.code
        return status, (time.perf_counter() - started) * 1000

    def login(self, username: str, password: str) -> None:
        with self.opener.open(self.base + "/auth/login", timeout=30) as resp:
            page = resp.read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        data = {"username": username, "password": password}
        if token:
            data["csrf_token"] = token.group(1)
        try:
            with self.opener.open(self.base + "/auth/login", urllib.parse.urlencode(data).encode(), timeout=30) as resp:
                resp.read()
                status, location = resp.status, ""
        except urllib.error.HTTPError as err:  # the 302 after a good login arrives here (redirects are not followed)
            err.read()
            status, location = err.code, err.headers.get("Location", "")
        if status != 302 or "/auth/login" in location:
            sys.exit(f"login failed ({status}): is the demo loaded (`fuhua demo load --scale national`)?")


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "FUHUA_DATABASE_URL": url, "FUHUA_SECRET_KEY": "bench-" + os.urandom(8).hex(),
           "FUHUA_AUDIT_KEY": "bench-audit-" + os.urandom(8).hex(),
           "FUHUA_AUTO_MIGRATE": "false", "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", "registry:create_app()"], env=env, cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    sys.exit("gunicorn did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a database holding the national demo")
    parser.add_argument("-n", type=int, default=30, help="requests per page kind (default 30)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="fuhua-admin-2020")
    args = parser.parse_args()

    values = sample_values(args.db, args.n)
    port = free_port()
    proc = serve(args.db, port, args.workers)
    try:
        client = Client(f"http://127.0.0.1:{port}")
        client.login(args.user, args.password)
        print(f"{args.db} — {args.n} requests per kind, gunicorn -w {args.workers}")
        print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  status")
        for kind, template in PAGES:
            status, _ = client.get(template.format(**values[0]))  # warm-up, and does the route exist?
            if status == 404 and "{" not in template:
                print(f"{kind:34} {'—':>8} {'—':>8} {'—':>8}  no such route")
                continue
            times, statuses = [], set()
            for i in range(args.n):
                status, ms = client.get(template.format(**values[i]))
                times.append(ms)
                statuses.add(status)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            flag = "" if p95 <= 100 else "  > 100 ms"
            if statuses - {200}:
                flag += "  (not all 200: timings are of error pages)"
            print(f"{kind:34} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}  "
                  f"{','.join(map(str, sorted(statuses)))}{flag}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
