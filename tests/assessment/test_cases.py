"""Golden cases as data (style.md §I): tests/assessment/cases/*.toml, one parametrized test.

Each case starts from the category's full-marks self-report (conftest.BASES), applies
`inputs` overrides and `remove`s, evaluates, and checks only what `expect` names.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assessment import PastOutcome, Standing, evaluate, load_system
from tests.assessment.conftest import BASES, as_inputs

CASES = Path(__file__).parent / "cases"


def _load() -> list[Any]:
    out = []
    for path in sorted(CASES.glob("*.toml")):
        data = tomllib.loads(path.read_text("utf-8"), parse_float=Decimal)
        for case in data["case"]:
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
