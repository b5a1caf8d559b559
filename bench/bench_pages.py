"""Every GET page of Fuhua at national scale, beside a same-run anchor page (target: p95 ≤ 100 ms and ≤ 10× the anchor's p95).

Serves the app with gunicorn on an existing database (made by bench_demo.py; the bench adds two
assessment runs of the latest figure year and one upload when missing), and beside it, under
the same gunicorn config, the anchor page (bench/anchor_app.py: a minimal Flask page rendering a
25-row table). Logs in through the real form as the demo admin, reviewer and institution, warms
EVERY worker on every page kind (concurrent requests until each worker's CPU time has moved),
then takes `-n` (≥ 100) samples per page kind with ids drawn across the tables, each followed by
one request of the anchor page, and prints median and p95 per page beside the anchor's, with a
verdict per page.

    .venv/bin/python bench/bench_pages.py --db postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_bench
    .venv/bin/python bench/bench_pages.py --db sqlite:////tmp/national.sqlite --json /tmp/pages.json

Every GET route of the app must have a line in PAGES: a route without one is printed as NOT
MEASURED and fails the run, so a new page cannot stay out of the bench unnoticed.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 100.0
ANCHOR_FACTOR = 10.0

#: (kind, endpoint, path template, account). Placeholders are filled per sample from the database
#: (see `sample_values`); the account is "admin", "reviewer" or "institution" (the demo accounts).
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("home", "root", "/", "admin"),
    ("login form", "auth.login", "/auth/login", "anonymous"),
    ("list: first page", "institutions.index", "/institutions/", "admin"),
    ("list: category", "institutions.index", "/institutions/?category=incubator", "admin"),
    ("list: category+subclass", "institutions.index", "/institutions/?category=rd_institution&subclass=tech_innovation", "admin"),
    ("list: town", "institutions.index", "/institutions/?town={town}", "admin"),
    ("list: zone", "institutions.index", "/institutions/?zone={zone}", "admin"),
    ("list: level national", "institutions.index", "/institutions/?level=national", "admin"),
    ("list: no level in force", "institutions.index", "/institutions/?level=none", "admin"),
    ("list: status rectifying", "institutions.index", "/institutions/?status=rectifying", "admin"),
    ("list: combined filters", "institutions.index",
     "/institutions/?category=incubator&level=provincial&town={town}&status=recognised", "admin"),
    ("list: sorted by level", "institutions.index", "/institutions/?sort=level&dir=desc", "admin"),
    ("list: deep page", "institutions.index", "/institutions/?page={deep}", "admin"),
    ("list: text search", "institutions.index", "/institutions/?q={q}", "admin"),
    ("list: search no hit", "institutions.index", "/institutions/?q=不存在的名称", "admin"),
    ("list: as a reviewer", "institutions.index", "/institutions/?category=maker_space", "reviewer"),
    ("detail: incubator", "institutions.detail", "/institutions/{incubator}", "admin"),
    ("detail: incubator tenants p3", "institutions.detail", "/institutions/{incubator}?cp=3&pp=3", "admin"),
    ("detail: R&D institution", "institutions.detail", "/institutions/{rd}", "admin"),
    ("detail: any", "institutions.detail", "/institutions/{inst}", "admin"),
    ("detail: own (institution)", "institutions.detail", "/institutions/{own}", "institution"),
    ("form: new institution", "institutions.create", "/institutions/new", "admin"),
    ("form: edit institution", "institutions.edit", "/institutions/{inst}/edit", "admin"),
    ("form: new recognition", "institutions.add_recognition", "/institutions/{inst}/recognitions/new", "admin"),
    ("form: end recognition", "institutions.end_recognition", "/institutions/{rec_inst}/recognitions/{rec}/end", "admin"),
    ("form: status", "institutions.change_status", "/institutions/{inst}/status", "admin"),
    ("form: new tenant", "institutions.add_tenant", "/institutions/{incubator}/tenants/new", "admin"),
    ("form: end tenancy", "institutions.end_tenancy", "/institutions/{ten_inst}/tenants/{tenancy}/end", "admin"),
    ("firm path", "institutions.firm", "/institutions/firms/{firm}", "admin"),
    ("statistics", "stats.index", "/stats/", "admin"),
    ("statistics by zone", "stats.index", "/stats/?by=zone", "admin"),
    ("export: national incubators xlsx", "exports.national_incubators",
     "/exports/national-incubators?from=2016&to=2020&by=town&format=xlsx", "admin"),
    ("assessment runs", "assessments.index", "/assessments/", "admin"),
    ("run results", "assessments.run", "/assessments/runs/{run}", "admin"),
    ("run results: grade D, by name", "assessments.run", "/assessments/runs/{run}?grade=D&sort=name&order=asc", "admin"),
    ("run results: deep page", "assessments.run", "/assessments/runs/{run}?page={run_deep}", "admin"),
    ("result explained", "assessments.result", "/assessments/results/{result}", "admin"),
    ("recommendations", "assessments.recommendations", "/assessments/recommendations", "admin"),
    ("recommendations: keep, page 40", "assessments.recommendations",
     "/assessments/recommendations?run={run}&group=keep&page=40", "admin"),
    ("gap list", "assessments.gaps", "/assessments/gaps/{gap_inst}?level={gap_level}", "admin"),
    ("compare two runs", "assessments.compare", "/assessments/compare?a={run_prev}&b={run}", "admin"),
    ("report versions", "reports.versions", "/reports/{report_inst}/{year}/", "admin"),
    ("report version", "reports.version_detail", "/reports/{report_inst}/{year}/v1", "admin"),
    ("report diff", "reports.diff", "/reports/{report_inst}/{year}/diff?a=1&b=1", "admin"),
    ("report template xlsx", "reports.template", "/reports/{report_inst}/{year}/template", "admin"),
    ("report upload form", "reports.upload", "/reports/{own}/{year}/upload", "institution"),
    ("my reports (institution)", "reports.mine", "/reports/mine", "institution"),
    ("upload preview", "reports.preview", "/reports/uploads/{upload}/preview", "admin"),
    ("upload download", "reports.download", "/reports/uploads/{upload}/download", "admin"),
    ("upload annotated", "reports.annotated", "/reports/uploads/{upload}/annotated", "admin"),
    ("review rounds", "reviews.index", "/reviews/", "admin"),
    ("review sheets (reviewer)", "reviews.index", "/reviews/", "reviewer"),
    ("review round", "reviews.round", "/reviews/rounds/{round}", "admin"),
    ("review round: page 30", "reviews.round", "/reviews/rounds/{round}?page=30", "admin"),
    ("review decision", "reviews.decide", "/reviews/rounds/{round}/institutions/{round_inst}", "admin"),
    ("review sheet", "reviews.sheet", "/reviews/sheets/{sheet}", "admin"),
    ("conflicts (reviewer)", "reviews.conflicts", "/reviews/conflicts", "reviewer"),
    ("my results (institution)", "reviews.my_results", "/reviews/my-results", "institution"),
    ("users", "admin.users", "/admin/users", "admin"),
    ("user edit", "admin.user_edit", "/admin/users/{user}", "admin"),
    ("user new", "admin.user_new", "/admin/users/new", "admin"),
    ("audit log", "admin.audit", "/admin/audit", "admin"),
    ("audit export csv", "admin.audit_export", "/admin/audit/export?format=csv", "admin"),
    ("registry list xlsx", "institutions.index_download", "/institutions/export.xlsx?category=incubator&town={town}", "admin"),
    ("count xlsx with list", "exports.count", "/exports/counts/national-incubators?from=2016&to=2020", "admin"),
    ("run results xlsx", "assessments.run_download", "/assessments/runs/{run}/results.xlsx?category=incubator", "admin"),
    ("recommendations xlsx", "assessments.recommendations_download", "/assessments/recommendations.xlsx?year={year}", "admin"),
    ("gap list xlsx", "assessments.gaps_download", "/assessments/gaps/{gap_inst}.xlsx", "admin"),
    ("national pipeline xlsx", "assessments.pipeline_download", "/assessments/pipeline.xlsx?level=national", "admin"),
    ("seasons", "seasons.index", "/seasons/", "admin"),
    ("season tracker", "seasons.tracker", "/seasons/{season}/", "admin"),
    ("season tracker xlsx", "seasons.export", "/seasons/{season}/export.xlsx", "admin"),
    ("filing", "seasons.filing", "/seasons/filings/{filing}", "admin"),
    ("work summary download", "seasons.download_summary", "/seasons/summaries/{summary}/download", "admin"),
    ("inbox (institution)", "notifications.index", "/inbox/", "institution"),
    ("API tokens", "api_tokens.index", "/admin/api-tokens/", "admin"),
)
#: GET routes that are not pages a person opens: files, the proxy's health check, the run page's
#: progress poll, and the JSON API (measured with tokens by bench_api_exports.py)
NOT_PAGES = {"static", "health.healthz", "assessments.job_status", "api.openapi", "api.definitions", "api.counts",
             "api.count_institutions", "api.institutions", "api.institution"}
#: the status a page answers with by design, when it is not 200
EXPECTED_STATUS = {"home": 302,  # sends each role to its start page
                   "upload preview": 422}  # the upload (an unfilled template) has errors: shown with their cells

ACCOUNTS = {"admin": ("admin", "fuhua-admin-2020"), "reviewer": ("reviewer", "fuhua-reviewer-2020"),
            "institution": ("institution", "fuhua-institution-2020")}


@dataclass
class Row:
    kind: str
    endpoint: str
    account: str
    samples: int
    median_ms: float
    p95_ms: float
    max_ms: float
    statuses: str
    anchor_median_ms: float
    anchor_p95_ms: float
    verdict: str


def p95(values: list[float]) -> float:
    """The 95th percentile (statistics.quantiles, inclusive): over 100 samples, between the 95th and 96th."""
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def free_port(low: int, high: int) -> int:
    for port in range(low, high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    sys.exit(f"no free port in {low}-{high}")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- data the pages need ------------------------------------------------------------------------

def cli(url: str, *args: str) -> str:
    env = {**os.environ, "FUHUA_DATABASE_URL": url, "FUHUA_AUTO_MIGRATE": "false",
           "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    proc = subprocess.run([sys.executable, "-m", "registry", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"`fuhua {' '.join(args)}` failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def ensure_runs(url: str) -> None:
    """Two runs of the latest figure year (run results, recommendations and the comparison need them)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        year = conn.execute(text("SELECT max(year) FROM self_reports")).scalar()
        runs = conn.execute(text("SELECT count(*) FROM assessment_runs WHERE year = :y"), {"y": year}).scalar()
    engine.dispose()
    for _ in range(max(0, 2 - runs)):
        print(f"  (setup) fuhua assess run --year {year}", flush=True)
        cli(url, "assess", "run", "--year", str(year))


def sample_values(url: str, count: int) -> list[dict[str, object]]:
    """`count` sets of placeholder values, spread over the tables (not just the first rows)."""
    from sqlalchemy import create_engine, text

    from assessment import LEVELS, criteria_for

    engine = create_engine(url)
    with engine.connect() as conn:
        def ids(sql: str, **params: object) -> list:
            return list(conn.execute(text(sql), params).scalars())

        def rows(sql: str, **params: object) -> list:
            return [tuple(r) for r in conn.execute(text(sql), params)]

        incubators = ids("SELECT carrier_id FROM tenancies t JOIN institutions i ON i.id = t.carrier_id "
                         "WHERE i.category = 'incubator' GROUP BY carrier_id ORDER BY carrier_id")
        rds = ids("SELECT id FROM institutions WHERE category = 'rd_institution' ORDER BY id")
        insts = ids("SELECT id FROM institutions ORDER BY id")
        firms = ids("SELECT firm_id FROM tenancies GROUP BY firm_id HAVING count(*) > 1 ORDER BY firm_id LIMIT 5000")
        towns = ids("SELECT town_id FROM institutions GROUP BY town_id ORDER BY count(*) DESC LIMIT 5")
        zones = ids("SELECT id FROM zones ORDER BY id") or [1]
        names = ids("SELECT name FROM institutions ORDER BY id LIMIT 200")
        recs = rows("SELECT institution_id, id FROM recognitions WHERE ended_on IS NULL ORDER BY id LIMIT 5000")
        tenancies = rows("SELECT carrier_id, id FROM tenancies WHERE exited_on IS NULL ORDER BY id LIMIT 5000")
        year = ids("SELECT max(year) FROM self_reports")[0]
        reports = ids("SELECT institution_id FROM self_reports WHERE year = :y AND version = 1 ORDER BY id LIMIT 5000",
                      y=year)
        run, run_prev = ids("SELECT id FROM assessment_runs WHERE year = :y ORDER BY id DESC LIMIT 2", y=year)
        run_size = ids("SELECT count(*) FROM assessment_results WHERE run_id = :r", r=run)[0]
        results = rows("SELECT r.id, r.institution_id, i.category, i.subclass FROM assessment_results r "
                       "JOIN institutions i ON i.id = r.institution_id WHERE r.run_id = :r ORDER BY r.id", r=run)
        rounds = rows("SELECT ro.id, count(a.id) FROM review_rounds ro JOIN review_assignments a ON a.round_id = ro.id "
                      "GROUP BY ro.id ORDER BY count(a.id) DESC")
        big_round = rounds[0][0] if rounds else None
        round_insts = ids("SELECT DISTINCT institution_id FROM review_assignments WHERE round_id = :r "
                          "ORDER BY institution_id LIMIT 5000", r=big_round)
        sheets = ids("SELECT id FROM review_assignments ORDER BY id LIMIT 5000")
        users = ids("SELECT id FROM users ORDER BY id")
        own = ids("SELECT institution_id FROM users WHERE username = 'institution'")[0]
        upload = ids("SELECT max(id) FROM uploads")[0]
        season = ids("SELECT max(id) FROM reporting_seasons")[0]
        filings = ids("SELECT id FROM filings ORDER BY id LIMIT 5000")
        summaries = ids("SELECT id FROM work_summaries ORDER BY id LIMIT 5000")
    engine.dispose()
    gaps = []
    for rid, inst_id, category, subclass in results[::max(1, len(results) // 400)]:
        level = next((lv for lv in LEVELS if criteria_for(category, subclass, lv)), None)
        if level:
            gaps.append((inst_id, level))
    fragments = sorted({n[2:4] for n in names if len(n) > 4})

    def pick(seq: list, i: int):  # noqa: ANN202
        return seq[(i * 7919) % len(seq)] if seq else 1

    out = []
    for i in range(count):
        rec, ten, gap = pick(recs, i), pick(tenancies, i), pick(gaps, i)
        out.append({
            "incubator": pick(incubators, i), "rd": pick(rds, i), "inst": pick(insts, i), "firm": pick(firms, i),
            "town": pick(towns, i), "zone": pick(zones, i), "q": urllib.parse.quote(pick(fragments, i) or "科技"),
            "deep": max(1, len(insts) // 25 - 3) - (i % 3), "rec_inst": rec[0], "rec": rec[1], "ten_inst": ten[0],
            "tenancy": ten[1], "year": year, "report_inst": pick(reports, i), "run": run, "run_prev": run_prev,
            "run_deep": max(1, run_size // 50 - 2) - (i % 3), "result": pick(results, i)[0], "gap_inst": gap[0],
            "gap_level": gap[1], "round": big_round, "round_inst": pick(round_insts, i), "sheet": pick(sheets, i),
            "user": pick(users, i), "own": own, "upload": upload,
            "season": season, "filing": pick(filings, i), "summary": pick(summaries, i)})
    return out


# --- HTTP ---------------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None  # measure the page asked for, not where it redirects


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())

    def get(self, path: str) -> tuple[int, float]:
        """(HTTP status, milliseconds); status 0 when the server dropped the request (a worker killed at its timeout)."""
        path = urllib.parse.quote(path, safe="/?=&%")
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=120) as resp:
                resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            err.read()
            status = err.code
        except (OSError, http.client.HTTPException):
            status = 0
        return status, (time.perf_counter() - started) * 1000

    def fetch(self, path: str) -> bytes:
        with self.opener.open(self.base + path, timeout=120) as resp:
            return resp.read()

    def post(self, path: str, data: bytes, content_type: str) -> tuple[int, str]:
        req = urllib.request.Request(self.base + path, data=data, headers={"Content-Type": content_type})
        try:
            with self.opener.open(req, timeout=120) as resp:
                resp.read()
                return resp.status, ""
        except urllib.error.HTTPError as err:  # 302 after a POST arrives here (redirects are not followed)
            err.read()
            return err.code, err.headers.get("Location", "")

    def csrf(self, path: str) -> str:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.fetch(path).decode())
        return token.group(1) if token else ""

    def login(self, username: str, password: str) -> None:
        data = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": self.csrf("/auth/login")}).encode()
        status, location = self.post("/auth/login", data, "application/x-www-form-urlencoded")
        if status != 302 or "/auth/login" in location:
            sys.exit(f"login as {username} failed ({status}): is the national demo loaded?")


def ensure_upload(client: Client, url: str, own: int, year: int) -> None:
    """One upload through the real form (the institution's own template, unfilled: kept and annotated)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM uploads")).scalar()
    engine.dispose()
    if have:
        return
    template = client.fetch(f"/reports/{own}/{year}/template")
    token = client.csrf(f"/reports/{own}/{year}/upload")
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="report.xlsx"\r\n'
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode() \
        + template + f"\r\n--{boundary}--\r\n".encode()
    status, _ = client.post(f"/reports/{own}/{year}/upload", body, f"multipart/form-data; boundary={boundary}")
    print(f"  (setup) uploaded the institution's template through the form: HTTP {status}", flush=True)


def serve(app: str, env_extra: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, **env_extra, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", app], env=env, cwd=ROOT)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc
        except urllib.error.HTTPError:
            return proc  # answering (a redirect to the login page counts)
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    sys.exit(f"gunicorn ({app}) did not start within 120 s")


def workers_of(proc: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return [int(c) for c in children]


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def warm(clients: dict[str, Client], proc: subprocess.Popen, pages: list[tuple], values: list[dict], workers: int) -> str:
    """Each page kind, `workers` requests at a time, until every worker's CPU time has moved on every kind."""
    pids = workers_of(proc)
    for kind, _endpoint, template, account in pages:
        for attempt in range(10):
            before = {pid: cpu_ticks(pid) for pid in pids}
            threads = [threading.Thread(target=clients[account].get, args=(template.format(**values[(attempt * workers + k) % len(values)]),))
                       for k in range(workers * 2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if all(cpu_ticks(pid) > before[pid] for pid in pids):
                break
    return f"{len(pids)} workers warmed on {len(pages)} page kinds"


# --- the run ------------------------------------------------------------------------------------

def routes(url: str) -> set[str]:
    """Endpoints of the app's GET routes."""
    os.environ.setdefault("FUHUA_SECRET_KEY", "bench-routes")
    os.environ.setdefault("FUHUA_AUDIT_KEY", "bench-routes-audit")
    os.environ["FUHUA_DATABASE_URL"] = url
    os.environ["FUHUA_AUTO_MIGRATE"] = "false"
    from registry import create_app

    app = create_app()
    return {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods} - NOT_PAGES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a database holding the national demo")
    parser.add_argument("-n", type=int, default=100, help="samples per page kind (at least 100 for a verdict)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ports", default="8300-8319", help="port range for the two servers")
    parser.add_argument("--only", help="measure only page kinds containing this text (alternatives separated by |)")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="clients requesting at once, each with its own session (e.g. 4 with --workers 4: several "
                             "gunicorn workers against one database)")
    parser.add_argument("--json", type=Path, help="write the rows here (bench_all.py reads them)")
    args = parser.parse_args()

    missing = sorted(routes(args.db) - {p[1] for p in PAGES})
    ensure_runs(args.db)
    values = sample_values(args.db, max(args.n, 10))
    low, high = (int(p) for p in args.ports.split("-"))
    port, anchor_port = free_port(low, high), None
    app_proc = serve("registry:create_app()", {"FUHUA_DATABASE_URL": args.db, "FUHUA_AUTO_MIGRATE": "false",
                                                "FUHUA_SECRET_KEY": "bench-" + os.urandom(8).hex(),
                                                "FUHUA_AUDIT_KEY": "bench-audit-" + os.urandom(8).hex()}, port, args.workers)
    anchor_port = free_port(port + 1, high)
    anchor_proc = serve("bench.anchor_app:create_app()", {}, anchor_port, args.workers)
    rows: list[Row] = []
    load_before = loadavg()
    try:
        base = f"http://127.0.0.1:{port}"
        clients = {"anonymous": Client(base)}
        for account, (user, password) in ACCOUNTS.items():
            clients[account] = Client(base)
            clients[account].login(user, password)
        crowd = [clients]  # one set of logged-in clients per concurrent requester
        for _ in range(args.concurrency - 1):
            more = {"anonymous": Client(base)}
            for account, (user, password) in ACCOUNTS.items():
                more[account] = Client(base)
                more[account].login(user, password)
            crowd.append(more)
        ensure_upload(clients["institution"], args.db, int(values[0]["own"]), int(values[0]["year"]))
        values = sample_values(args.db, max(args.n, 10))
        anchor = Client(f"http://127.0.0.1:{anchor_port}")
        pages = [p for p in PAGES if not args.only or any(part in p[0] for part in args.only.split("|"))]
        print(f"{args.db}: gunicorn -w {args.workers}; {warm(clients, app_proc, pages, values, args.workers)}; "
              f"anchor {warm({'anchor': anchor}, anchor_proc, [('anchor', '', '/', 'anchor')], [{}], args.workers)}",
              flush=True)
        for kind, endpoint, template, account in pages:
            times, anchor_times, statuses = [], [], set()
            lock = threading.Lock()

            def sample(k: int) -> None:
                own_anchor = Client(f"http://127.0.0.1:{anchor_port}")
                for i in range(k, args.n, args.concurrency):
                    status, ms = crowd[k][account].get(template.format(**values[i % len(values)]))
                    a_ms = own_anchor.get("/")[1]
                    with lock:
                        times.append(ms)
                        statuses.add(status)
                        anchor_times.append(a_ms)

            threads = [threading.Thread(target=sample, args=(k,)) for k in range(args.concurrency)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            verdict = "OK" if p95(times) <= TARGET_MS and p95(times) <= ANCHOR_FACTOR * p95(anchor_times) else "SLOW"
            if statuses - {EXPECTED_STATUS.get(kind, 200)}:
                verdict = "ERROR"  # an error page's timing says nothing about the page
            if args.n < 100:
                verdict += " (n<100)"
            row = Row(kind, endpoint, account, args.n, statistics.median(times), p95(times), max(times),
                      ",".join(map(str, sorted(statuses))), statistics.median(anchor_times), p95(anchor_times), verdict)
            rows.append(row)
            print(f"  {kind:36} median {row.median_ms:7.1f}  p95 {row.p95_ms:7.1f}  (anchor {row.anchor_median_ms:5.1f} / "
                  f"{row.anchor_p95_ms:5.1f})  {row.statuses}  {verdict}", flush=True)
    finally:
        for proc in (app_proc, anchor_proc):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a worker stuck in a slow request: stop it for good
                for pid in workers_of(proc):
                    os.kill(pid, 9)
                proc.kill()
                proc.wait(timeout=30)
    all_anchor = [r.anchor_p95_ms for r in rows]
    print_table(f"{args.db} (gunicorn -w {args.workers}, {args.concurrency} client(s) at once)", rows,
                missing if not args.only else [], load_before, loadavg(),
                statistics.median(all_anchor) if all_anchor else 0.0)
    if args.json:
        args.json.write_text(json.dumps({"db": args.db, "workers": args.workers, "concurrency": args.concurrency,
                                         "load_before": load_before, "load_after": loadavg(),
                                         "rows": [asdict(r) for r in rows], "not_measured": missing if not args.only else []},
                                        ensure_ascii=False, indent=1))
    if (missing and not args.only) or any(not r.verdict.startswith("OK") for r in rows):
        sys.exit(1)


def print_table(db: str, rows: list[Row], missing: list[str], load_before: str, load_after: str, anchor_p95: float) -> None:
    print()
    print(f"Pages on {db.split('@')[-1]}; load average {load_before} → {load_after}; target p95 ≤ {TARGET_MS:.0f} ms "
          f"and ≤ {ANCHOR_FACTOR:.0f}× the anchor's p95 (anchor p95, median over page kinds: {anchor_p95:.1f} ms)")
    print("| page | account | median ms | p95 ms | anchor median / p95 ms | p95 ÷ anchor p95 | verdict |")
    print("|---|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r.kind} | {r.account} | {r.median_ms:.1f} | {r.p95_ms:.1f} | {r.anchor_median_ms:.1f} / "
              f"{r.anchor_p95_ms:.1f} | {r.p95_ms / r.anchor_p95_ms:.1f}× | {r.verdict} |")
    for endpoint in missing:
        print(f"| {endpoint} | — | — | — | — | — | NOT MEASURED (no line in PAGES) |")


if __name__ == "__main__":
    main()
