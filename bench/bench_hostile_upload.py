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

    env = {**os.environ, "FUHUA_DATABASE_URL": url, "FUHUA_SECRET_KEY": uuid.uuid4().hex}
    log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{args.port}",
         "--timeout", "30", "registry:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            time.sleep(0.3)
            try:
                urllib.request.urlopen(base + "/auth/login", timeout=2).read()
                break
            except OSError:
                continue
        else:
            raise SystemExit("gunicorn did not start:\n" + Path(log.name).read_text()[-3000:])
        time.sleep(1.0)  # both workers up
        start_workers = workers(server.pid)
        clients = [Client(base), Client(base)]
        for client in clients:
            client.login()
        upload_path = f"/reports/{institution_id}/{year}/upload"
        baseline = {pid: peak_mb(pid) for pid in start_workers}

        results: dict[str, list[float]] = {}
        peaks: dict[str, float] = {}
        statuses: dict[str, set[object]] = {}

        def run_case(name: str, data: bytes, concurrent: int) -> None:
            tokens = [c.token(upload_path) for c in clients[:concurrent]]
            reset_peaks(workers(server.pid))
            answers: list[tuple[int, bytes, float]] = []
            threads = [threading.Thread(target=lambda c=c, t=t: answers.append(c.upload(upload_path, t, data, f"{name}.xlsx")))
                       for c, t in zip(clients[:concurrent], tokens)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            key = f"{name} ×{concurrent}"
            results.setdefault(key, []).extend(a[2] for a in answers)
            statuses.setdefault(key, set()).update((a[0], message_of(a[1])) for a in answers)
            peaks[key] = max(peaks.get(key, 0.0), *(peak_mb(pid) for pid in workers(server.pid)))

        def run_clicks(name: str) -> None:
            """Preview and highlighted copy of the last upload, as staff would click."""
            status, body = clients[0].get("/reports/mine")
            ids = re.findall(rb"/reports/uploads/(\d+)/preview", body)
            if not ids:
                return
            upload_id = max(int(i) for i in ids)
            reset_peaks(workers(server.pid))
            for path in (f"/reports/uploads/{upload_id}/preview", f"/reports/uploads/{upload_id}/annotated"):
                started = time.perf_counter()
                status, _ = clients[0].get(path)
                key = f"{name} {path.rsplit('/', 1)[-1]}"
                results.setdefault(key, []).append(time.perf_counter() - started)
                statuses.setdefault(key, set()).add((status, "-"))
                peaks[key] = max(peaks.get(key, 0.0), *(peak_mb(pid) for pid in workers(server.pid)))

        for _ in range(args.rounds):
            run_case("clean-report", files["clean-report"], 1)
            run_case("18MB-issue", files["18MB-issue"], 1)
            run_case("18MB-issue", files["18MB-issue"], 2)
            run_case("18MB-template-sheets", files["18MB-template-sheets"], 2)
            run_case("7MB-template-sheets", files["7MB-template-sheets"], 1)
            run_clicks("7MB-template-sheets")
            run_case("20k-bad-rows", files["20k-bad-rows"], 1)
            run_clicks("20k-bad-rows")
            run_case("20k-bad-rows", files["20k-bad-rows"], 2)

        end_workers = workers(server.pid)
        load = os.getloadavg()
        print(f"\ndatabase: {url.split(':', 1)[0]}; gunicorn 2 workers; {args.rounds} rounds; "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"worker RSS at start: {', '.join(f'{v:.0f} MB' for v in baseline.values())}")
        print(f"{'case':38s} {'n':>3s} {'median s':>9s} {'p95 s':>7s} {'max s':>7s} {'peak RSS/worker':>16s}  answers")
        ok = True
        for key, times in results.items():
            answers = ", ".join(f"{s} {m}" for s, m in sorted(statuses[key], key=str))
            print(f"{key:38s} {len(times):3d} {statistics.median(times):9.2f} {p95(times):7.2f} {max(times):7.2f} "
                  f"{peaks[key]:13.0f} MB  {answers}")
            ok &= max(times) <= TARGET_SECONDS and peaks[key] <= TARGET_RSS_MB
            ok &= all(s in (200, 302, 422) for s, _ in statuses[key])
        log.flush()
        killed = re.findall(r"WORKER TIMEOUT|SIGKILL|Worker \(pid:\d+\) was sent", Path(log.name).read_text())
        alive = start_workers == end_workers and not killed
        print(f"workers: {start_workers} → {end_workers}; timeouts/kills in the gunicorn log: {len(killed)}")
        ok &= alive
        print(f"verdict: {'PASS' if ok else 'FAIL'} (targets: every answer ≤ {TARGET_SECONDS:.0f} s, "
              f"≤ {TARGET_RSS_MB} MB peak RSS per worker, both workers alive throughout)")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        os.unlink(log.name)


if __name__ == "__main__":
    main()
