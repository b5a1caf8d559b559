"""Exports never turn a label into a live formula (xlsx) or an evaluated cell (CSV)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest

from registry.exports.counts import CountTable
from registry.exports.params import CountRequest
from registry.exports.writers import to_csv, to_xlsx

HOSTILE = ['=HYPERLINK("http://evil.example","点击")', "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]


def _table(fmt: str) -> CountTable:
    req = CountRequest(from_year=2019, to_year=2020, by="town", as_of=None, fmt=fmt)
    return CountTable(title="=1+1 标题", request=req, years=[2019, 2020],
                      counted_on={2019: date(2019, 12, 31), 2020: date(2020, 12, 31)}, group_header="镇街",
                      rows=[(f"t{i}", text, [i, -i]) for i, text in enumerate(HOSTILE)], total_label="合计",
                      total=[0, 0], notes=["-注释"], is_synthetic=False, generated_at=datetime(2021, 1, 1))


def test_xlsx_labels_with_each_prefix_are_text(app):
    with app.test_request_context():
        data = to_xlsx(_table("xlsx"))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@\t\n"]
    assert sorted(c.value for c in cells) == sorted([t.replace("\r", "\n") for t in HOSTILE] + ["=1+1 标题", "-注释"])
    assert all(c.data_type == "s" for c in cells)
    counts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, int)]
    assert -5 in counts  # numbers are untouched


@pytest.mark.parametrize("fmt", ["csv"])
def test_csv_labels_with_each_prefix_are_neutralised(app, fmt):
    with app.test_request_context():
        text = to_csv(_table(fmt)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    labels = [r[0] for r in rows[1:-1]]
    assert labels == ["'" + t for t in HOSTILE]
    assert not any(field[:1] in "=+-@\t\r" for row in rows for field in row if not field.lstrip("-").isdigit())
    assert rows[2][1:] == ["1", "-1"]
