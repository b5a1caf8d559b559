"""Helpers for the self-report tests: real templates from the shipped systems, filled with openpyxl.

No tests here; the test_reports_* modules import these.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl

import importers
from tests.factories import make_uscc

YEAR = 2019


def valid_values(spec: importers.TemplateSpec, *, name: str, uscc: str, tenants: int = 2) -> dict[str, object]:
    """A complete, consistent set of figures for any shipped spec (zeros where the rules allow)."""
    values: dict[str, object] = {}
    for d in spec.fields:
        match d.type:
            case "text":
                values[d.code] = "示例"
            case "uscc":
                values[d.code] = uscc
            case "choice" | "multichoice":
                values[d.code] = d.choices[0].label
            case "bool":
                values[d.code] = "否"
            case "date":
                values[d.code] = dt.date(2015, 6, 1)
            case "int" | "decimal" | "percent":
                values[d.code] = int(d.min) if d.min is not None and d.min > 0 else 0
    values.update(org_name=name, report_year=spec.year)
    for t in spec.tables:
        if t.count_input:
            values[t.count_input] = tenants
    for code in ("tenant_employees", "team_members", "startup_jobs"):
        if code in values:
            values[code] = 10 * tenants
    return values


def tenant_rows(spec: importers.TemplateSpec, codes: Sequence[str]) -> dict[str, list[list[object]]]:
    """Rows for every table sheet; the tenants table lists the given credit codes."""
    tables = {}
    for t in spec.tables:
        rows = []
        for i, code in enumerate(codes):
            row = []
            for c in t.columns:
                match c.type:
                    case "text":
                        row.append(f"东莞示例科技有限公司{i}")
                    case "uscc":
                        row.append(code)
                    case "choice":
                        row.append(c.choices[0].label)
                    case "bool":
                        row.append("否")
                    case "date":
                        row.append(dt.date(2017, 3, 1))
                    case "int":
                        row.append(1)
                    case _:
                        row.append(0)
            rows.append(row)
        tables[t.label] = rows
    return tables


def fill(template: bytes, values: Mapping[str, object], tables: Mapping[str, Sequence[Sequence[object]]] = (),
         notes: Mapping[str, str] | None = None) -> bytes:
    """Fill a downloaded template as a filer does in Excel (here with openpyxl)."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["基本情况"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    for code, value in values.items():
        ws.cell(row=rows[code], column=4, value=value)
    for code, note in (notes or {}).items():
        ws.cell(row=rows[code], column=6, value=note)
    for sheet, data in dict(tables).items():
        for i, row in enumerate(data):
            for c, value in enumerate(row):
                wb[sheet].cell(row=4 + i, column=c + 1, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filled_report(institution, year: int = YEAR, *, tenants: Sequence[str] | None = None,  # noqa: ANN001
                  overrides: Mapping[str, object] | None = None, uscc: str | None = None) -> bytes:
    """A clean, filled-in template for the institution (its own credit code unless `uscc` is given)."""
    from registry.reports.operations import spec_for

    spec = spec_for(institution, year)
    codes = list(tenants) if tenants is not None else [make_uscc(), make_uscc()]
    values = valid_values(spec, name=institution.name, uscc=uscc or institution.uscc, tenants=len(codes))
    values.update(overrides or {})
    return fill(importers.build_template(spec), values, tenant_rows(spec, codes))


def save(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
