"""The reporting season at national scale: the tracker page, a run started from the web against the
same run from the CLI, and queuing a reminder to 5,000 institutions.

Targets (issue 9): tracker p95 ≤ 100 ms; a national run started from the web finishes within 10 %
of the CLI's time; a reminder to 5,000 institutions queues in ≤ 5 s.

Needs a database with the national demo (`fuhua demo load --scale national`, which opens the
2020 season with ~15,000 filings) and Redis at 127.0.0.1:6379. Serves the app with gunicorn (2
workers) and one `fuhua worker`, both on a Redis queue of their own; adds 5,000 institution
accounts (bench-*) the first time, so the reminder has recipients.

    .venv/bin/python bench/bench_season.py --db postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_bench
    .venv/bin/python bench/bench_season.py --db … --skip-runs      # tracker and reminder only
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).absolute().parent))
from bench_pages import ROOT, Client, free_port  # noqa: E402

ACCOUNTS = 5000
REDIS = "redis://127.0.0.1:6379/0"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def prepare(url: str) -> dict[str, object]:
    """Season id, a town officer of the biggest town, towns to filter by; 5,000 institution accounts."""
    engine = create_engine(url)
    with engine.begin() as conn:
        season = conn.execute(text("SELECT id FROM reporting_seasons ORDER BY year DESC LIMIT 1")).scalar()
        if season is None:
            sys.exit("no reporting season: load the national demo (`fuhua demo load --scale national`)")
        have = conn.execute(text("SELECT count(*) FROM users WHERE username LIKE 'bench-%'")).scalar()
        if have < ACCOUNTS:
            from werkzeug.security import generate_password_hash

            pw = generate_password_hash("bench-password")
            ids = conn.execute(text(
                "SELECT f.institution_id FROM filings f WHERE f.season_id = :s AND f.state IN "
                "('not_started', 'draft', 'returned') AND NOT EXISTS (SELECT 1 FROM users u WHERE "
                "u.institution_id = f.institution_id) ORDER BY f.institution_id LIMIT :n"),
                {"s": season, "n": ACCOUNTS - have}).scalars().all()
            if len(ids) + have < ACCOUNTS:  # not enough not-submitted filings: put more back to "draft"
                extra = conn.execute(text(
                    "SELECT institution_id FROM filings WHERE season_id = :s AND state IN ('submitted', 'accepted') "
                    "ORDER BY institution_id LIMIT :n"), {"s": season, "n": ACCOUNTS - have - len(ids)}).scalars().all()
                conn.execute(text("UPDATE filings SET state = 'draft' WHERE season_id = :s AND institution_id = ANY(:ids)"),
                             {"s": season, "ids": list(extra)})
                ids = list(ids) + list(extra)
            conn.execute(text(
                "INSERT INTO users (username, password_hash, role, institution_id, is_enabled, "
                "session_version, created_at, updated_at) VALUES (:u, :p, 'institution', :i, true, 1, now(), now())"),
                [{"u": f"bench-{i}", "p": pw, "i": i} for i in ids])
        officer = conn.execute(text(
            "SELECT u.username FROM users u JOIN jurisdictions j ON j.id = u.jurisdiction_id JOIN institutions i "
            "ON i.town_id = j.town_id WHERE u.role = 'town_officer' GROUP BY u.username ORDER BY count(*) DESC LIMIT 1"
        )).scalar()
        towns = conn.execute(text("SELECT town_id FROM institutions GROUP BY town_id ORDER BY count(*) DESC LIMIT 3")
                             ).scalars().all()
        due = conn.execute(text("SELECT count(*) FROM filings WHERE season_id = :s"), {"s": season}).scalar()
    engine.dispose()
    return {"season": season, "officer": officer, "towns": towns, "due": due}


def serve(url: str, port: int, queue: str) -> tuple[subprocess.Popen, subprocess.Popen]:
    env = {**os.environ, "FUHUA_DATABASE_URL": url, "FUHUA_SECRET_KEY": "bench-" + os.urandom(8).hex(),
           "FUHUA_AUDIT_KEY": os.environ.get("FUHUA_AUDIT_KEY", "bench-audit-key"),
           "FUHUA_AUTO_MIGRATE": "false", "FUHUA_JOBS_BROKER_URL": REDIS, "FUHUA_JOBS_QUEUE_NAME": queue,
           "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level",
                            "warning", "--timeout", "120", "registry:create_app()"], env=env, cwd=ROOT)
    worker = subprocess.Popen([sys.executable, "-m", "registry", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import urllib.request

    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=2):
                return web, worker
        except OSError:
            time.sleep(0.3)
    web.terminate()
    worker.terminate()
    sys.exit("gunicorn did not start within 90 s")


def stats(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms"


def time_pages(client: Client, pages: list[tuple[str, str]], n: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {name: [] for name, _ in pages}
    for _ in range(n):
        for name, path in pages:
            status, ms = client.get(path)
            if status != 200:
                sys.exit(f"{path}: HTTP {status}")
            out[name].append(ms)
    return out


def post(client: Client, path: str, data: dict[str, str]) -> float:
    import re
    import urllib.error

    _status, _ms = client.get("/assessments/")
    with client.opener.open(client.base + "/assessments/", timeout=60) as resp:
        page = resp.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({**data, "csrf_token": token}).encode()
    started = time.perf_counter()
    try:
        with client.opener.open(client.base + path, body, timeout=120) as resp:
            resp.read()
    except urllib.error.HTTPError as err:  # the 302 after the POST
        err.read()
    return time.perf_counter() - started


def wait_job(url: str, kind: str, after: int, timeout: float = 1800) -> tuple[str, float, str | None]:
    """(status, seconds from queued to finished, message) of the first job of `kind` with id > after."""
    engine = create_engine(url)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            with engine.connect() as conn:
                row = conn.execute(text("SELECT status, extract(epoch FROM finished_at - created_at), message FROM jobs "
                                        "WHERE kind = :k AND id > :a ORDER BY id LIMIT 1"), {"k": kind, "a": after}).first()
            if row is not None and row[0] in ("succeeded", "failed"):
                return row[0], float(row[1]), row[2]
            time.sleep(0.5)
    finally:
        engine.dispose()
    return "timeout", timeout, None


def last_job_id(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT coalesce(max(id), 0) FROM jobs")).scalar()
    engine.dispose()
    return int(found)


def cli_run(url: str, year: int) -> float:
    env = {**os.environ, "FUHUA_DATABASE_URL": url, "FUHUA_SECRET_KEY": "bench", "FUHUA_AUTO_MIGRATE": "false",
           "FUHUA_AUDIT_KEY": os.environ.get("FUHUA_AUDIT_KEY", "bench-audit-key"),
           "FUHUA_JOBS_BROKER_URL": "immediate", "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "registry", "assess", "run", "--year", str(year), "--foreground",
                           "--note", "bench: CLI"], env=env, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"CLI run failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("-n", type=int, default=30, help="requests per page kind")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--year", type=int, default=2020)
    parser.add_argument("--skip-runs", action="store_true")
    args = parser.parse_args()

    facts = prepare(args.db)
    season = facts["season"]
    queue = f"fuhua-bench-{uuid.uuid4().hex[:8]}"
    port = args.port or free_port(8500, 8519)
    web, worker = serve(args.db, port, queue)
    verdicts = []
    try:
        base = f"http://127.0.0.1:{port}"
        admin = Client(base)
        admin.login("admin", "fuhua-admin-2020")
        town = facts["towns"][0]
        pages = [("anchor: registry list", "/institutions/"),
                 ("tracker", f"/seasons/{season}/"),
                 ("tracker, state=submitted", f"/seasons/{season}/?state=submitted"),
                 ("tracker, one town", f"/seasons/{season}/?town={town}"),
                 ("tracker, page 40", f"/seasons/{season}/?page=40"),
                 ("tracker, search", f"/seasons/{season}/?q={urllib.parse.quote('科技')}")]
        print(f"{args.db}: season #{season}, {facts['due']:,} institutions due; load average {load_average()}")
        time_pages(admin, pages[:2], 3)  # warm up both workers
        results = time_pages(admin, pages, args.n)
        officer = Client(base)
        officer.login(str(facts["officer"]), "fuhua-town-2020")
        results.update({f"{k} (town officer)": v for k, v in time_pages(officer, pages[1:2], args.n).items()})
        worst = 0.0
        for name, ms in results.items():
            print(f"  {name:34} {stats(ms)}")
            if name.startswith("tracker"):
                worst = max(worst, sorted(ms)[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))])
        verdicts.append(f"tracker p95 {worst:.1f} ms (target ≤ 100 ms): {'PASS' if worst <= 100 else 'FAIL'}")
        print(f"  load average after pages: {load_average()}")

        # reminder to every institution not yet submitted (≥ 5,000 with accounts)
        before = last_job_id(args.db)
        queued = post(admin, f"/seasons/{season}/remind", {})
        status, took, _msg = wait_job(args.db, "season_notice", before)
        verdicts.append(f"reminder queued in {queued:.2f} s (target ≤ 5 s): {'PASS' if queued <= 5 else 'FAIL'}; "
                        f"the job wrote its notices in {took:.1f} s ({status}); load average {load_average()}")

        if not args.skip_runs:
            cli = cli_run(args.db, args.year)
            print(f"  CLI run (--foreground): {cli:.1f} s; load average {load_average()}")
            before = last_job_id(args.db)
            post(admin, "/assessments/runs/start", {"year": str(args.year), "note": "bench: web"})
            status, web_took, msg = wait_job(args.db, "assessment_run", before)
            print(f"  web run (queued → finished, Redis + fuhua worker): {web_took:.1f} s ({status} {msg or ''}); "
                  f"load average {load_average()}")
            ratio = web_took / cli if cli else 0
            verdicts.append(f"web run {web_took:.1f} s vs CLI {cli:.1f} s: {ratio:.2f}× (target ≤ 1.10×): "
                            f"{'PASS' if status == 'succeeded' and ratio <= 1.10 else 'FAIL'}")
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=30)
        worker.wait(timeout=60)
        import redis

        conn = redis.Redis.from_url(REDIS)
        for key in conn.scan_iter(f"*{queue}*"):
            conn.delete(key)
    print("verdict:")
    for v in verdicts:
        print("  " + v)


if __name__ == "__main__":
    main()
