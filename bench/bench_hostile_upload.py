"""Hostile uploads through gunicorn (issue 12): every answer within 3 s, both workers alive, ≤ 300 MB RSS each.

    .venv/bin/python bench/bench_hostile_upload.py [--port 8100] [--rounds 5]
    FUHUA_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench ... (default: a temp SQLite file)

Starts `gunicorn --workers 2 'registry:create_app()'` on 127.0.0.1, logs in as an institution
account over HTTP and uploads, per round:

* the 18.3 MB workbook of the issue (two 50,000 × 256 sheets of digits, 386 MB of XML) alone,
  then two copies at once (one per worker);
* the same digits under the template's sheet names and without a <dimension> (counted while
  streaming until the cell budget is passed), two at once;
* the 7 MB variant, then its preview and highlighted copy (answered from the stored report);
* a 0.5 MB template whose 20,000-row tenants table has a bad value in every cell (within the
  cell budget: the most checking and reporting a small file can ask for), alone and two at once,
  then its preview and highlighted copy;
* a clean filled template (the anchor: what an ordinary upload costs in the same run).

Peak RSS per worker is the kernel's VmHWM, reset (clear_refs 5) before each case. Prints median
and p95 per case, the peaks, the load average, and a verdict. Nothing is asserted in tests.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import io
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 3.0
TARGET_RSS_MB = 300
USERNAME, PASSWORD = "bench-filer", "bench-filer-password-2020"


def prepare_database(url: str) -> tuple[int, int]:
    """Schema, reference data, one incubator and its institution account; returns (institution id, year)."""
    from sqlalchemy import text

    from registry import create_app
    from registry.database import upgrade_database
    from registry.extensions import db
    from tests.factories import make_institution, make_user

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # a database the bench may wipe, migrated as in production
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"))
    upgrade_database(app)
    with app.app_context():
        institution = make_institution(name="东莞压力测试孵化器有限公司")
        make_user("institution", username=USERNAME, password=PASSWORD, institution=institution)
        db.session.commit()
        return institution.id, 2019


def clean_report(url: str, institution_id: int, year: int, *, bad_rows: int = 0) -> bytes:
    """The institution's own template filled in cleanly; with `bad_rows`, a tenants table of that many rows
    with a bad value in every cell (the most issues a small file can produce within the cell budget)."""
    from registry import create_app
    from registry.extensions import db
    from registry.models import Institution
    from tests.registry.test_reports_support import filled_report

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        data = filled_report(db.session.get(Institution, institution_id), year)
    if not bad_rows:
        return data
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["在孵企业"]
    width = ws.max_column
    for r in range(4, 4 + bad_rows):
        for c in range(1, width + 1):
            ws.cell(row=r, column=c, value=f"坏值{r}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class Client:
    """A cookie-keeping HTTP client that logs in through the real form (CSRF included)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, bytes]:
        return self._open(urllib.request.Request(self.base + path))

    def _open(self, request: urllib.request.Request) -> tuple[int, bytes]:
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def token(self, path: str) -> str:
        _, body = self.get(path)
        m = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
        if m is None:
            raise SystemExit(f"no CSRF token on {path}")
        return m.group(1).decode()

    def login(self) -> None:
        token = self.token("/auth/login")
        data = urllib.parse.urlencode({"csrf_token": token, "username": USERNAME, "password": PASSWORD}).encode()
        status, _ = self._open(urllib.request.Request(self.base + "/auth/login", data=data))
        if status not in (200, 302):
            raise SystemExit(f"login failed: {status}")

    def upload(self, path: str, token: str, data: bytes, filename: str) -> tuple[int, bytes, float]:
        boundary = uuid.uuid4().hex
        body = io.BytesIO()
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode())
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                   "Content-Type: application/octet-stream\r\n\r\n".encode())
        body.write(data)
        body.write(f"\r\n--{boundary}--\r\n".encode())
        request = urllib.request.Request(self.base + path, data=body.getvalue(), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        started = time.perf_counter()
        try:
            status, answer = self._open(request)
        except (ConnectionError, urllib.error.URLError) as exc:  # a killed worker drops the connection
            return -1, str(exc).encode(), time.perf_counter() - started
        return status, answer, time.perf_counter() - started


def workers(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return sorted(int(p) for p in out.split())


def reset_peaks(pids: list[int]) -> None:
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        except OSError:
            pass


def peak_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    m = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(m.group(1)) / 1024 if m else float("nan")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def message_of(body: bytes) -> str:
    """The first issue message on the page (data-code list), for the record."""
    text = body.decode("utf-8", "replace")
    m = re.search(r'data-code="([^"]+)"', text)
    return m.group(1) if m else "-"


def main() -> None:  # noqa: C901, PLR0915 - a linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from importers.spec import KV_SHEET
    from tests.importers.hostile import digits_workbook

    url = os.environ.get("FUHUA_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    institution_id, year = prepare_database(url)
    files = {
        "18MB-issue": digits_workbook(),
        "18MB-template-sheets": digits_workbook(sheets=(KV_SHEET, "在孵企业"), dimension=False),
        "7MB-template-sheets": digits_workbook(sheets=(KV_SHEET, "在孵企业"), rows=19_000, dimension=False),
        "clean-report": clean_report(url, institution_id, year),
        "20k-bad-rows": clean_report(url, institution_id, year, bad_rows=20_000),
    }
    for name, data in files.items():
        print(f"{name:22s} {len(data) / 1e6:6.1f} MB")

    env = {**os.environ, "FUHUA_DATABASE_URL": url, "FUHUA_SECRET_KEY": uuid.uuid4().hex, "FUHUA_AUDIT_KEY": uuid.uuid4().hex}
    base = f"http://127.0.0.1:{args.port}"
    upload_path = f"/reports/{institution_id}/{year}/upload"
    rows: list[tuple[str, list[float], list[float], float, float, set[tuple[int, str]]]] = []
    all_alive = True

    # (case, file, uploads at once, then click preview + highlighted copy): each group gets fresh workers,
    # so a worker's peak is what that case costs (glibc keeps freed memory, so earlier cases would show).
    groups = [
        [("clean-report", 1, False)],
        [("18MB-issue", 1, False), ("18MB-issue", 2, False)],
        [("18MB-template-sheets", 2, False)],
        [("7MB-template-sheets", 1, True)],
        [("20k-bad-rows", 1, True), ("20k-bad-rows", 2, False)],
    ]
    for group in groups:
        with Server(env, args.port) as server:
            clients = [Client(base), Client(base)]
            for client in clients:
                client.login()
            start_workers = workers(server.pid)
            for name, concurrent, clicks in group:
                for _ in range(args.rounds):
                    before = rss_mb(start_workers)
                    reset_peaks(start_workers)
                    cpu0 = cpu_seconds(start_workers)
                    tokens = [c.token(upload_path) for c in clients[:concurrent]]
                    answers: list[tuple[int, bytes, float]] = []
                    threads = [threading.Thread(target=lambda c=c, t=t: answers.append(
                        c.upload(upload_path, t, files[name], f"{name}.xlsx"))) for c, t in zip(clients, tokens)]
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join()
                    cpu = (cpu_seconds(start_workers) - cpu0) / concurrent
                    _record(rows, f"{name} ×{concurrent}", [a[2] for a in answers], cpu, before,
                            max(peak_mb(pid) for pid in start_workers), {(a[0], message_of(a[1])) for a in answers})
                    if clicks:
                        _clicks(rows, name, clients[0], start_workers)
            server.alive = workers(server.pid) == start_workers and not server.killed()
            all_alive &= server.alive

    load = os.getloadavg()
    print(f"\ndatabase: {url.split(':', 1)[0]}; gunicorn 2 workers (fresh per group); {args.rounds} rounds; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'case':32s} {'n':>3s} {'median s':>9s} {'p95 s':>6s} {'max s':>6s} {'CPU s/req':>9s} "
          f"{'RSS before':>10s} {'peak RSS':>9s}  answers")
    ok = all_alive
    for key, times, cpus, before, peak, answers in _merged(rows):
        text = ", ".join(f"{s} {m}" for s, m in sorted(answers, key=str))
        print(f"{key:32s} {len(times):3d} {statistics.median(times):9.2f} {p95(times):6.2f} {max(times):6.2f} "
              f"{statistics.median(cpus):9.2f} {before:7.0f} MB {peak:6.0f} MB  {text}")
        ok &= max(times) <= TARGET_SECONDS and peak <= TARGET_RSS_MB and all(s in (200, 302, 422) for s, _ in answers)
    print(f"workers alive throughout every group (same pids, no timeout or kill in the log): {all_alive}")
    print(f"verdict: {'PASS' if ok else 'FAIL'} (targets: every answer ≤ {TARGET_SECONDS:.0f} s, "
          f"≤ {TARGET_RSS_MB} MB peak RSS per worker, both workers alive)")


def _record(rows: list, key: str, times: list[float], cpu: float, before: float, peak: float,
            answers: set[tuple[int, str]]) -> None:
    rows.append((key, times, [cpu], before, peak, answers))


def _merged(rows: list) -> list:
    merged: dict[str, list] = {}
    for key, times, cpus, before, peak, answers in rows:
        if key not in merged:
            merged[key] = [key, [], [], before, 0.0, set()]
        entry = merged[key]
        entry[1].extend(times)
        entry[2].extend(cpus)
        entry[4] = max(entry[4], peak)
        entry[5] |= answers
    return [tuple(v) for v in merged.values()]


def _clicks(rows: list, name: str, client: Client, pids: list[int]) -> None:
    """Preview and highlighted copy of the client's last upload, as staff would click them."""
    _, body = client.get("/reports/mine")
    ids = re.findall(rb"/reports/uploads/(\d+)/preview", body)
    if not ids:
        return
    upload_id = max(int(i) for i in ids)
    for page in ("preview", "annotated"):
        before = rss_mb(pids)
        reset_peaks(pids)
        cpu0 = cpu_seconds(pids)
        started = time.perf_counter()
        status, _ = client.get(f"/reports/uploads/{upload_id}/{page}")
        elapsed = time.perf_counter() - started
        _record(rows, f"{name} {page}", [elapsed], cpu_seconds(pids) - cpu0, before,
                max(peak_mb(pid) for pid in pids), {(status, "-")})


class Server:
    """gunicorn --workers 2 on 127.0.0.1:port, started for a `with` block and stopped after it."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port, self.alive = env, port, True
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)

    def __enter__(self) -> subprocess.Popen:
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "30", "registry:create_app()"], cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
        self.process.killed = self.killed  # type: ignore[attr-defined]
        self.process.alive = True  # type: ignore[attr-defined]
        for _ in range(200):
            time.sleep(0.3)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/auth/login", timeout=2).read()
                if len(workers(self.process.pid)) == 2:
                    time.sleep(0.5)
                    return self.process
            except OSError:
                continue
        raise SystemExit("gunicorn did not start:\n" + Path(self.log.name).read_text()[-3000:])

    def killed(self) -> bool:
        self.log.flush()
        return bool(re.search(r"WORKER TIMEOUT|SIGKILL|was sent SIGKILL|Worker exiting", Path(self.log.name).read_text()))

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.unlink(self.log.name)


def rss_mb(pids: list[int]) -> float:
    values = []
    for pid in pids:
        m = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        values.append(int(m.group(1)) / 1024 if m else 0.0)
    return max(values)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the workers so far (load-independent cost of a request)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
