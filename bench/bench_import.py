"""Reading and validating a self-report with a 10,000-row tenant sheet (ten columns).

Targets: ≤ 0.5 s in-process, ≤ 5× what python-calamine alone needs to read the same cells, peak
memory < 200 MB. Run from the worktree root:

    .venv/bin/python bench/bench_import.py [rows]
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import openpyxl
import python_calamine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from importers import build_template, parse_self_report, read_workbook  # noqa: E402
from tests.importers.fixtures import GOOD_INCUBATOR_VALUES, incubator_spec, tenant_row  # noqa: E402


def make_file(rows: int) -> bytes:
    """A filled template with `rows` tenants, written with openpyxl (write-only for the big sheet)."""
    spec = incubator_spec()
    wb = openpyxl.load_workbook(io.BytesIO(build_template(spec)))
    kv = wb["基本情况"]
    at = {kv.cell(row=r, column=1).value: r for r in range(1, kv.max_row + 1)}
    values = GOOD_INCUBATOR_VALUES | {"tenants": rows, "tenant_employees": 12 * rows}
    for code, value in values.items():
        kv.cell(row=at[code], column=4, value=value)
    ts = wb["在孵企业"]
    for i in range(rows):
        ts.append(tenant_row(i, tech_field=("电子信息", "新材料", "其他")[i % 3], is_hte="是" if i % 4 else "否",
                             revenue=1000 + i * 0.5, employees=5 + i % 30, area=100.0 + i % 50))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def calamine_only(data: bytes) -> int:
    book = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data))
    return sum(len(book.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in book.sheet_names)


def ours(data: bytes, spec) -> object:
    return parse_self_report(read_workbook(data, "bench.xlsx"), spec)


def interleaved(fns: dict[str, object], n: int = 15) -> dict[str, dict[str, float]]:
    """Run the candidates alternately so both see the same machine load; wall and CPU time per run."""
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(n):
        for name, fn in fns.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()  # type: ignore[operator]
            wall[name].append(time.perf_counter() - w0)
            cpu[name].append(time.process_time() - c0)
    return {k: {"wall_min": min(wall[k]), "wall_median": statistics.median(wall[k]), "cpu_min": min(cpu[k])}
            for k in fns}


# VmHWM (peak RSS of this process image) rather than ru_maxrss: on Linux ru_maxrss survives
# fork+exec, so a child would report the parent's (larger) peak.
_RSS_SCRIPT = """
import sys
from importers import parse_self_report, read_workbook
from tests.importers.fixtures import incubator_spec

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

spec = incubator_spec()
before = hwm()
data = open(sys.argv[1], "rb").read()
report = parse_self_report(read_workbook(data, "bench.xlsx"), spec)
assert report.valid
print(before, hwm())
"""


def peak_rss_mb(data: bytes) -> tuple[float, float]:
    """Peak RSS (Rust allocations included) of a fresh process: after imports, and after one read+parse."""
    root = Path(__file__).resolve().parent.parent
    out = root / "bench" / "out"
    out.mkdir(exist_ok=True)
    path = out / "tenants.xlsx"
    path.write_bytes(data)
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, str(path)], capture_output=True, text=True,
                            env=env, cwd=root, check=True)
    before, after = (int(x) / 1024 for x in result.stdout.split())
    return before, after


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    spec = incubator_spec()
    data = make_file(rows)
    report = ours(data, spec)
    assert report.valid, report.issues[:5]
    assert len(report.tables["tenants"]) == rows
    times = interleaved({"calamine": lambda: calamine_only(data), "ours": lambda: ours(data, spec)})
    cal, our = times["calamine"], times["ours"]
    t0 = time.perf_counter()
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sum(1 for _ in wb["在孵企业"].iter_rows(values_only=True))
    opx = time.perf_counter() - t0
    tracemalloc.start()
    ours(data, spec)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"file: {len(data) / 1024:.0f} KB, {rows} tenant rows × 10 columns")
    for label, t in (("python-calamine alone (all sheets)", cal), ("read_workbook + parse_self_report", our)):
        print(f"{label:35} wall best {t['wall_min'] * 1000:4.0f} ms, median {t['wall_median'] * 1000:4.0f} ms;"
              f" CPU best {t['cpu_min'] * 1000:4.0f} ms")
    print(f"{'openpyxl read-only (tenant sheet)':35} wall {opx * 1000:4.0f} ms (one run)")
    print(f"ratio to calamine, wall best/best:  {our['wall_min'] / cal['wall_min']:.1f}×, CPU best/best: "
          f"{our['cpu_min'] / cal['cpu_min']:.1f}×  (targets: ≤ 500 ms, ≤ 5×)")
    rss_imports, rss_peak = peak_rss_mb(data)
    print(f"peak traced Python memory:          {peak / 1024 / 1024:.0f} MB  (tracemalloc; target < 200 MB)")
    print(f"peak RSS of a fresh process:        {rss_peak:.0f} MB, of which imports {rss_imports:.0f} MB "
          f"→ read+parse adds {rss_peak - rss_imports:.0f} MB  (target < 200 MB)")


if __name__ == "__main__":
    main()
