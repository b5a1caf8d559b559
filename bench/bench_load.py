"""Sustained load: 16 connections for 60 s against list, detail and statistics pages (target: 0 errors).

Serve the app with gunicorn (2 workers, 127.0.0.1, a port you choose) on an existing national-scale
PostgreSQL database (`fuhua demo load --scale national`), log in as the demo admin through the
real form, then drive it with wrk (Debian: `apt-get install -y wrk`) from a Lua script that
rotates over registry list pages (filters, sorts, deep pages, search), institution detail pages
and the statistics page, with the session cookie. Prints requests/s, latency percentiles, the
non-2xx/3xx responses and socket errors, and the load average before and after (the machine may
be shared: read the figures beside it).

    .venv/bin/python bench/bench_load.py --db postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_load --port 8200

Reference (issue 12's probe): 19 req/s, p99 1.36 s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent))
from bench_pages import Client, sample_values, serve  # noqa: E402

#: what the 16 connections request, in turn ({…} filled from the database as in bench_pages)
PATHS = (
    "/institutions/", "/institutions/?category=incubator", "/institutions/?town={town}",
    "/institutions/?level=national", "/institutions/?sort=level&dir=desc", "/institutions/?page={deep}",
    "/institutions/?q={q}", "/institutions/{incubator}", "/institutions/{rd}", "/institutions/{inst}",
    "/institutions/{incubator}?cp=2", "/stats/",
)

LUA = """
paths = {%s}
cookie = "%s"
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Cookie"] = cookie})
end
"""


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a loaded national-scale database")
    parser.add_argument("--port", type=int, required=True, help="a free port for gunicorn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk)")

    paths = []
    for values in sample_values(args.db, 20):
        paths += [p.format(**values) for p in PATHS]
    proc = serve("registry:create_app()", {"FUHUA_DATABASE_URL": args.db, "FUHUA_AUTO_MIGRATE": "false",
                                           "FUHUA_SECRET_KEY": "bench-" + os.urandom(8).hex(),
                                           "FUHUA_AUDIT_KEY": "bench-audit-" + os.urandom(8).hex()},
                 args.port, args.workers)
    try:
        base = f"http://127.0.0.1:{args.port}"
        client = Client(base)
        client.login("admin", "fuhua-admin-2020")
        jar = next(h.cookiejar for h in client.opener.handlers if hasattr(h, "cookiejar"))
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        for path in paths[:len(PATHS)]:  # every kind answers 200 before the clock starts
            status, _ms = client.get(path)
            if status != 200:
                sys.exit(f"{path} answered {status}: not measuring error pages")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(LUA % (", ".join('"%s"' % p.replace('"', "") for p in paths), cookie))
        before = _loadavg()
        print(f"wrk: {args.connections} connections, {args.duration} s, {len(paths)} URLs "
              f"({len(PATHS)} kinds); gunicorn {args.workers} workers on :{args.port}; load average {before}")
        result = subprocess.run(["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
                                 "--timeout", "30s", "--latency", "-s", lua.name, base], capture_output=True, text=True)
        os.unlink(lua.name)
        print(result.stdout)
        after = _loadavg()
        rps = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
        p99 = re.search(r"99%\s+([\d.]+\w+)", result.stdout)
        non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
        socket_errors = re.search(r"Socket errors: (.*)", result.stdout)
        errors = int(non_ok.group(1)) if non_ok else 0
        print(f"requests/s {rps.group(1) if rps else '?'}, p99 {p99.group(1) if p99 else '?'}, "
              f"non-2xx/3xx {errors}, socket errors: {socket_errors.group(1) if socket_errors else 'none'}; "
              f"load average before {before}, after {after}")
        alive = proc.poll() is None
        verdict = "PASS" if errors == 0 and socket_errors is None and alive else "FAIL"
        print(f"verdict: {verdict} (target: 0 errors; issue 12's probe saw 19 req/s, p99 1.36 s); "
              f"gunicorn {'still running' if alive else 'DIED'}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
