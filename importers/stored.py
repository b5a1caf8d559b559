"""An ImportReport rebuilt from its stored `to_dict()` form, so a kept upload is never parsed twice.

The registry keeps each upload's report (issues, values with their cells, tables) beside its bytes;
the preview page and the highlighted workbook are made from that, not by reading the file again.
Values come back in their JSON form (decimals and dates as text), which is what pages show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from importers.issues import Issue, IssueType, issue_type
from importers.report import CellValue, ImportReport, ReportIdentity, Table, jsonable, raw_text

_CELL = re.compile(r"^([A-Z]+)(\d+)$")


def issue_from_dict(data: Mapping[str, Any], extra_types: Mapping[str, IssueType] | None = None) -> Issue:
    """An Issue from `Issue.to_dict()`; `extra_types` resolves codes outside the importers' catalogue."""
    code = data["code"]
    kind = (extra_types or {}).get(code) or issue_type(code)
    return Issue(kind, sheet=data.get("sheet"), cell=data.get("cell"), field=data.get("field"),
                 label=data.get("label"), value=data.get("value"), expected=data.get("expected"),
                 params=dict(data.get("params") or {}), severity=data.get("severity", "error"))


def _cell_value(data: Mapping[str, Any]) -> CellValue:
    return CellValue(data.get("value"), data.get("raw"), data.get("sheet", ""), data.get("cell", ""))


#: Rows of each table kept with a report that has errors: enough for the preview, as such a report
#: can never be accepted (a corrected file is uploaded instead).
REJECTED_ROWS_KEPT = 100


def report_to_stored(report: ImportReport) -> dict[str, Any]:
    """`report.to_dict()` with each table stored by column (a list per column, not a dict per cell).

    A 20,000-row table is then a few megabytes of JSON written in a fraction of a second, rather
    than 17 MB of {"value", "raw", "sheet", "cell"} objects; `report_from_dict` reads both forms.
    A report with errors keeps the first `REJECTED_ROWS_KEPT` rows of each table and the row count.
    """
    rows = None if report.valid else REJECTED_ROWS_KEPT
    return {
        "filename": report.filename, "sha256": report.sha256, "valid": report.valid,
        "identity": {k: getattr(report.identity, k) for k in ReportIdentity.__slots__},
        "issues": [i.to_dict() for i in report.issues],
        "values": {k: v.to_dict() for k, v in report.values.items()},
        "notes": {k: v.to_dict() for k, v in report.notes.items()},
        "tables": {k: _columns(t, rows) for k, t in report.tables.items()},
    }


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _columns(table: Table, rows: int | None) -> dict[str, Any]:
    end = len(table) if rows is None else min(rows, len(table))
    return {"code": table.code, "label": table.label, "sheet": table.sheet, "columns": list(table.columns),
            "letters": table.letters, "row_numbers": table.row_numbers[:end], "row_count": len(table),
            "values": {c: _plain(table.values[c][:end]) for c in table.columns},
            "raws": {c: _texts(table.raws[c][:end]) for c in table.columns}}


def _plain(values: list[object]) -> list[object]:
    return values if all(type(v) in _PLAIN for v in values) else [jsonable(v) for v in values]


def _texts(raws: list[object]) -> list[object]:
    if all(type(r) is str for r in raws):
        return [r if r != "" else None for r in raws]
    return [raw_text(r) for r in raws]


class StoredTable(Table):
    """A table read back from a stored report; `row_count` is the table's full length when rows were dropped."""

    __slots__ = ("row_count",)


def _table(data: Mapping[str, Any]) -> Table:
    if "columns" in data:  # stored by column (report_to_stored)
        table = StoredTable(data["code"], data["label"], data["sheet"], data["columns"], data["letters"],
                            list(data["row_numbers"]), {c: list(v) for c, v in data["values"].items()},
                            {c: list(v) for c, v in data["raws"].items()})
        table.row_count = data.get("row_count", len(table))
        return table
    rows: list[Mapping[str, Any]] = data.get("rows") or []
    columns = list(rows[0]) if rows else []
    letters: dict[str, str] = {}
    row_numbers: list[int] = []
    for c in columns:
        m = _CELL.match(rows[0][c].get("cell") or "")
        letters[c] = m.group(1) if m else ""
    for row in rows:
        first = next(iter(row.values()), {})
        m = _CELL.match(first.get("cell") or "")
        row_numbers.append(int(m.group(2)) if m else 0)
    values = {c: [row.get(c, {}).get("value") for row in rows] for c in columns}
    raws = {c: [row.get(c, {}).get("raw") for row in rows] for c in columns}
    return Table(data.get("code", ""), data.get("label", ""), data.get("sheet", ""), columns, letters, row_numbers,
                 values, raws)


def report_from_dict(data: Mapping[str, Any], extra_types: Mapping[str, IssueType] | None = None) -> ImportReport:
    """The ImportReport that `to_dict()` produced (issues, values, notes, tables, identity)."""
    identity = data.get("identity") or {}
    return ImportReport(
        filename=data.get("filename", ""), sha256=data.get("sha256", ""),
        issues=[issue_from_dict(i, extra_types) for i in data.get("issues") or []],
        values={k: _cell_value(v) for k, v in (data.get("values") or {}).items()},
        notes={k: _cell_value(v) for k, v in (data.get("notes") or {}).items()},
        tables={k: _table(v) for k, v in (data.get("tables") or {}).items()},
        identity=ReportIdentity(**{k: identity.get(k) for k in ReportIdentity.__slots__}))
