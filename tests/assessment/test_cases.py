"""Golden cases as data (style.md §I): tests/assessment/cases/*.toml, parametrized tests.

Each ``[[case]]`` starts from the category's full-marks self-report (conftest.BASES), applies
`inputs` overrides and `remove`s, evaluates, and checks only what `expect` names; ``gap_rows``
names gap-list rows and the fields to check (unit, required, actual, gap, the inputs read).
Each ``[[cohort]]`` evaluates several members of one system and year, applies the grade quota,
then decides, and checks each member's `expect` (grade, recommendation, params).
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assessment import PastOutcome, Standing, apply_quota, decide, evaluate, load_system
from tests.assessment.conftest import BASES, as_inputs

CASES = Path(__file__).parent / "cases"


def _load(kind: str = "case") -> list[Any]:
    out = []
    for path in sorted(CASES.glob("*.toml")):
        data = tomllib.loads(path.read_text("utf-8"), parse_float=Decimal)
        for case in data.get(kind, ()):
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


@pytest.mark.parametrize("case", _load())
def test_golden_case(case: dict[str, Any]) -> None:
    values = {} if case.get("empty") else dict(BASES[case["category"]])
    values.update(case.get("inputs", {}))
    for code in case.get("remove", ()):
        values.pop(code)
    system = load_system(case["category"], case["year"], case.get("subclass"))
    standing = Standing(**case.get("standing", {"status": "recognised", "level": "municipal"}))
    history = [PastOutcome(h["year"], None if h["grade"] == "none" else h["grade"], h.get("reported", True))
               for h in case.get("history", ())]
    outcome = evaluate(system, case["year"], as_inputs(values), standing=standing, history=history)
    expect = case["expect"]

    if "version" in expect:
        assert outcome.system.version == expect["version"]
    if "status" in expect:
        assert outcome.status == expect["status"]
    if "score" in expect:
        assert outcome.score == (None if expect["score"] == "none" else Decimal(expect["score"]))
    if "grade" in expect:
        assert outcome.grade == (None if expect["grade"] == "none" else expect["grade"])
    rec = outcome.recommendation
    if "recommendation" in expect:
        assert (rec.kind if rec else "none") == expect["recommendation"]
    if "rule" in expect:
        assert rec is not None and rec.rule == expect["rule"]
    if "params" in expect:
        assert rec is not None
        for key, value in expect["params"].items():
            assert rec.params[key] == value, key
    if "unmet" in expect:
        assert rec is not None and rec.gaps is not None
        assert [r.code for r in rec.gaps.unmet()] == expect["unmet"]
    points = {i.code: i.points for i in outcome.indicators}
    for code, value in expect.get("points", {}).items():
        assert points[code] == (None if value == "none" else Decimal(value)), code
    if "missing" in expect:
        assert [[m.indicator, m.code, m.reason, m.policy] for m in outcome.missing] == expect["missing"]
    if "vetoes" in expect:
        assert [v.indicator for v in outcome.vetoes] == expect["vetoes"]
    if "gap_rows" in expect:
        assert rec is not None and rec.gaps is not None
        _check_gap_rows(rec.gaps, expect["gap_rows"])


def _check_gap_rows(gaps: Any, expected: dict[str, Any]) -> None:
    rows = {r.code: r for r in gaps.rows}
    for code, fields in expected.items():
        row = rows[code]
        for key, value in fields.items():
            if key == "inputs":  # [code, value, source] of every input read, in order
                assert [[i.code, str(i.value), i.source] for i in row.inputs] == value, code
            elif key == "alternatives":
                _check_gap_rows(type(gaps)(gaps.code, gaps.version, gaps.level, gaps.source, gaps.sha256,
                                           gaps.provisional, gaps.hardship_area, row.alternatives), value)
            elif key in ("required", "actual", "gap", "shortfall"):
                got = getattr(row, key)
                assert (None if got is None else str(got)) == (None if value == "none" else str(value)), (code, key)
            else:
                assert getattr(row, key) == value, (code, key)


@pytest.mark.parametrize("cohort", _load("cohort"))
def test_golden_cohort(cohort: dict[str, Any]) -> None:
    """The quota settles grades before anything is recommended: each member's recommendation reads its final grade."""
    system = load_system(cohort["category"], cohort["year"], cohort.get("subclass"))
    standing = Standing(**cohort.get("standing", {"status": "recognised", "level": "municipal"}))
    members = cohort["members"]
    graded = []
    for m in members:
        values = {**BASES[cohort["category"]], **m.get("inputs", {})}
        graded.append(evaluate(system, cohort["year"], as_inputs(values), standing=standing, decide=False))
    decided = [decide(o) for o in apply_quota(graded, system)]
    for i, (m, o) in enumerate(zip(members, decided)):
        expect = m["expect"]
        if "grade" in expect:
            assert o.grade == expect["grade"], i
        if "before_quota" in expect:
            assert o.trace.find("grade").detail.get("before_quota") == expect["before_quota"], i
        rec = o.recommendation
        if "recommendation" in expect:
            assert rec is not None and rec.kind == expect["recommendation"], i
        for key, value in expect.get("params", {}).items():
            assert rec is not None and rec.params[key] == value, (i, key)
