"""Declared input types decide what counts as a usable figure; nothing here raises."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from assessment import Choice, InputDecl
from assessment.declarations import coercer

INT = InputDecl("n", "数", "int", min=D(0))
DEC = InputDecl("x", "额", "decimal", min=D(0), max=D(100))
DATE = InputDecl("d", "日期", "date")
CHOICE = InputDecl("c", "类型", "choice", choices=(Choice("a", "甲"), Choice("b", "乙")))
MULTI = InputDecl("m", "事项", "multichoice", choices=(Choice("none", "无"), Choice("falsified_data", "弄虚作假")))
FLAG = InputDecl("f", "是否", "bool")


@pytest.mark.parametrize(("decl", "raw", "expected"), [
    (INT, 3, (3, None)), (INT, D("4"), (4, None)), (INT, "5", (5, None)), (INT, 0, (0, None)),
    (INT, D("4.5"), (None, "malformed")), (INT, True, (None, "malformed")), (INT, -1, (None, "out-of-range")),
    (INT, "三", (None, "malformed")), (INT, D("NaN"), (None, "malformed")),
    (DEC, 3, (D(3), None)), (DEC, "5.25", (D("5.25"), None)), (DEC, D(100), (D(100), None)),
    (DEC, D("100.01"), (None, "out-of-range")), (DEC, D("-0.01"), (None, "out-of-range")),
    (DEC, D("Infinity"), (None, "malformed")), (DEC, False, (None, "malformed")), (DEC, [1], (None, "malformed")),
    (DATE, dt.date(2019, 1, 1), (dt.date(2019, 1, 1), None)), (DATE, dt.datetime(2019, 1, 1, 8), (dt.date(2019, 1, 1), None)),
    (DATE, "2019-02-30", (None, "malformed")), (DATE, 43466, (None, "malformed")),
    (CHOICE, "a", ("a", None)), (CHOICE, "甲", (None, "malformed")),
    (MULTI, "none", (frozenset({"none"}), None)), (MULTI, ("falsified_data",), (frozenset({"falsified_data"}), None)),
    (MULTI, "none,lying", (None, "malformed")),
    (FLAG, True, (True, None)), (FLAG, "是", (None, "malformed")), (FLAG, 1, (None, "malformed")),
])
def test_coercion(decl, raw, expected):
    assert coercer(decl)(raw) == expected
