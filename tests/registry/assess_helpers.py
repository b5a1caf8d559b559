"""Builders for the assessment tests: institutions through the registry's operations, and
self-reports whose values are built from each system's declared inputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from assessment import load_system
from tests.assessment.conftest import BASES
from tests.factories import make_institution, make_uscc


def declared_values(category: str, subclass: str | None, year: int, **overrides: Any) -> dict[str, dict[str, Any]]:
    """SelfReport.values for every self-reported input the system declares, stored as text with a cell.

    Figures start from the engine tests' full-marks report; `overrides` replace some (None drops one).
    """
    system = load_system(category, year, subclass)
    base = {**BASES[category], **overrides}
    values: dict[str, dict[str, Any]] = {}
    for row, decl in enumerate(system.input_set.inputs, start=2):
        if decl.source != "self_report" or decl.code not in base or base[decl.code] is None:
            continue
        v = base[decl.code]
        if isinstance(v, bool):
            text: Any = "true" if v else "false"
        elif isinstance(v, (Decimal, int, dt.date)):
            text = str(v) if not isinstance(v, dt.date) else v.isoformat()
        else:
            text = v
        values[decl.code] = {"value": text, "raw": str(text), "cell": f"{decl.section}!D{row}"}
    return values


def add_report(inst: Any, year: int, values: dict[str, Any], *, current: bool = True, version: int = 1) -> Any:
    from registry.extensions import db
    from registry.models import SelfReport

    report = SelfReport(institution_id=inst.id, year=year, version=version, is_current=current, source="cli",
                        values=values, tables={})
    db.session.add(report)
    db.session.flush()
    return report


def recognised(category: str = "incubator", subclass: str | None = "comprehensive", *, level: str = "municipal",
               since: dt.date = dt.date(2016, 5, 1), **fields: Any) -> Any:
    """An institution registered and recognised through the registry's operations."""
    from registry.institutions.operations import record_recognition

    inst = make_institution(category=category, subclass=subclass, uscc=make_uscc(), status_on=since, **fields)
    record_recognition(inst, level=level, effective_from=since)
    return inst


def applicant(category: str = "incubator", subclass: str | None = "comprehensive", **fields: Any) -> Any:
    return make_institution(category=category, subclass=subclass, uscc=make_uscc(), status_on=dt.date(2018, 1, 1),
                            **fields)
