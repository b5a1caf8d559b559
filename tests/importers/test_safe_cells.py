"""User text beginning with = + - @ (or tab / CR) is written as text, never as a live formula."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from importers import build_template
from importers.safe_cells import FORMULA_TRIGGERS, append_row, csv_row, csv_safe, text_cell
from importers.spec import KV_SHEET
from tests.importers.fixtures import incubator_spec

HOSTILE = ['=HYPERLINK("http://evil.example","点击")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
           "\t=1+1", "\r=1+1"]


def _sheet_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))


def _saved(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_every_trigger_is_covered():
    assert {text[0] for text in HOSTILE} == set(FORMULA_TRIGGERS)


@pytest.mark.parametrize("write_only", [False, True])
def test_cells_with_each_prefix_read_back_as_text(write_only: bool):
    wb = openpyxl.Workbook(write_only=write_only)
    ws = wb.create_sheet("s") if write_only else wb.active
    if write_only:
        append_row(ws, [*HOSTILE, 42, -3])
    else:
        for c, text in enumerate(HOSTILE, start=1):
            text_cell(ws, 1, c, text)
        append_row(ws, [*HOSTILE, 42, -3])
    data = _saved(wb)
    assert b"<f>" not in _sheet_xml(data)
    back = openpyxl.load_workbook(io.BytesIO(data)).worksheets[-1]
    for row in back.iter_rows():
        texts = [c for c in row if isinstance(c.value, str)]
        assert [c.data_type for c in texts] == ["s"] * len(HOSTILE)
        assert all(c.quotePrefix for c in texts)
        assert [c.value for c in texts] == [t.replace("\r", "\n") for t in HOSTILE]  # XML normalises CR
    numbers = [c.value for c in list(back.iter_rows())[-1] if not isinstance(c.value, str)]
    assert numbers == [42, -3]  # numbers stay numbers, negative ones too


@pytest.mark.parametrize("text", HOSTILE)
def test_template_prefill_is_never_a_formula(text: str):
    """An institution name like =HYPERLINK(…) from the roster lands in the template as text."""
    spec = incubator_spec()
    data = build_template(spec, prefill={"established_on": text}, last_year={"tenants": text})
    ws = openpyxl.load_workbook(io.BytesIO(data))[KV_SHEET]
    cells = [c for row in ws.iter_rows() for c in row if c.value == text.replace("\r", "\n")]
    assert len(cells) == 2
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert b"<f>" not in _sheet_xml(data)


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_fields_are_neutralised(text: str):
    assert csv_safe(text) == "'" + text
    assert csv_row([text, "东莞", 3, -1.5, None]) == ["'" + text, "东莞", 3, -1.5, None]
