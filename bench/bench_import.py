"""Reading and validating a self-report with a 10,000-row tenant sheet (ten columns).

Targets: ≤ 0.5 s in-process, ≤ 5× what python-calamine alone needs to read the same cells, peak
memory < 200 MB. Run from the worktree root:

    PYTHONPATH=. /work/venv/bin/python bench/bench_import.py [rows]
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


def best_of(fn, n: int = 7) -> tuple[float, float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


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
    cal_min, cal_med = best_of(lambda: calamine_only(data))
    our_min, our_med = best_of(lambda: ours(data, spec))
    opx_min, _ = best_of(lambda: sum(1 for _ in openpyxl.load_workbook(io.BytesIO(data), read_only=True,
                                                                      data_only=True)["在孵企业"].iter_rows(values_only=True)), 2)
    tracemalloc.start()
    ours(data, spec)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"file: {len(data) / 1024:.0f} KB, {rows} tenant rows × 10 columns")
    print(f"python-calamine alone (all sheets): best {cal_min * 1000:.0f} ms, median {cal_med * 1000:.0f} ms")
    print(f"openpyxl read-only (tenant sheet):  best {opx_min * 1000:.0f} ms")
    print(f"read_workbook + parse_self_report:  best {our_min * 1000:.0f} ms, median {our_med * 1000:.0f} ms"
          f"  (target ≤ 500 ms)")
    print(f"ratio to calamine (best/best):      {our_min / cal_min:.1f}×  (target ≤ 5×)")
    rss_imports, rss_peak = peak_rss_mb(data)
    print(f"peak traced Python memory:          {peak / 1024 / 1024:.0f} MB  (tracemalloc; target < 200 MB)")
    print(f"peak RSS of a fresh process:        {rss_peak:.0f} MB, of which imports {rss_imports:.0f} MB "
          f"→ read+parse adds {rss_peak - rss_imports:.0f} MB  (target < 200 MB)")


if __name__ == "__main__":
    main()
