"""Registering or updating institutions in bulk from the bureau's roster spreadsheet.

All or nothing: the importer validates every row first; rows are then written through the
registry's own operations, and the first RegistryError (e.g. an incubator row without a
subclass) stops the import — the caller rolls the whole transaction back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

import importers
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.institutions.operations import record_recognition, register_institution, update_institution
from registry.models import Institution

#: roster column → institution field written by register/update
_FIELDS = ("name", "category", "subclass", "legal_form", "town", "operating_entity", "address", "established_on",
           "operating_since")
#: The roster gives only the year of recognition; the recognition is dated 1 January of it (provisional).
RECOGNITION_NOTE = "名录导入：仅知认定年份，生效日期暂按当年1月1日记录（暂定）"


@dataclass
class RosterResult:
    report: importers.RosterReport
    created: list[Institution] = field(default_factory=list)
    updated: list[Institution] = field(default_factory=list)
    unchanged: list[Institution] = field(default_factory=list)
    #: (sheet and row, error) of the first write the registry refused
    refused: tuple[str, RegistryError] | None = None

    @property
    def valid(self) -> bool:
        return self.report.valid and self.refused is None


def _fields(row: Mapping[str, importers.CellValue]) -> dict[str, Any]:
    out = {}
    for name in _FIELDS:
        cell = row.get(name)
        value = cell.value if cell is not None else None
        if isinstance(value, dt.datetime):
            value = value.date()
        out[name] = value
    return out


def _changed(inst: Institution, fields: Mapping[str, Any]) -> bool:
    for name, value in fields.items():
        if name == "town":
            if inst.town is None or value not in (inst.town.name, inst.town.code):
                return True
            continue
        current = getattr(inst, name)
        current = getattr(current, "value", current)
        if (current or None) != (value or None):
            return True
    return False


def import_roster(data: bytes, filename: str, *, recorded_by: Any = None) -> RosterResult:
    """Validate the roster; when clean, upsert each row by credit code (flushes; the caller commits or rolls back)."""
    report = importers.parse_roster(importers.read_workbook(data, filename))
    result = RosterResult(report)
    if not report.valid or report.rows is None:
        return result
    table = report.rows
    existing = {i.uscc: i for i in db.session.scalars(
        select(Institution).where(Institution.uscc.in_([c for c in table.values["uscc"] if isinstance(c, str)])))}
    for index, row in enumerate(table):
        code = row["uscc"].value
        fields = _fields(row)
        try:
            inst = existing.get(code)  # type: ignore[arg-type]
            if inst is None:
                level, year = row["recognition_level"].value, row["recognition_year"].value
                since = dt.date(int(year), 1, 1) if level and year else None  # type: ignore[arg-type]
                # the applicant step is dated with the recognition, so the history reads in order
                inst = register_institution(uscc=code, recorded_by=recorded_by, status_on=since, **fields)
                if since is not None:
                    record_recognition(inst, level=level, effective_from=since,  # type: ignore[arg-type]
                                       doc_no=row["recognition_doc_no"].value if "recognition_doc_no" in row else None,  # type: ignore[arg-type]
                                       note=RECOGNITION_NOTE, recorded_by=recorded_by)
                result.created.append(inst)
            elif _changed(inst, fields):
                update_institution(inst, **fields)
                result.updated.append(inst)
            else:
                result.unchanged.append(inst)
        except RegistryError as exc:
            result.refused = (f"{table.sheet} 第{table.row_numbers[index]}行", exc)
            return result
    return result
