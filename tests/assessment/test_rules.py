"""Each rule kind at its edges: the band minimum itself, just below it, zero denominators."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from assessment import rules

BANDS = ((D(30), D(10)), (D(20), D(6)), (D(10), D(3)))


@pytest.mark.parametrize(("value", "points", "index"), [
    (D(30), D(10), 0), (D("29.9999"), D(6), 1), (D(20), D(6), 1), (D("19.99"), D(3), 2),
    (D(10), D(3), 2), (D("9.9999"), D(0), None), (D(0), D(0), None), (D(500), D(10), 0),
])
def test_band_points_edges(value, points, index):
    assert rules.band_points(value, BANDS) == (points, index)


@pytest.mark.parametrize(("num", "den", "scale", "expected"), [
    (24, 100, D(100), D("24.0000")),
    (1, 3, D(100), D("33.3333")),
    (2, 3, D(100), D("66.6667")),
    (60, D(20001), D(1000), D("2.9999")),
    (60, D(20000), D(1000), D("3.0000")),
    (5, 0, D(100), None),
    (0, 0, D(100), None),
    (D("0.0"), D("0.00"), D(100), None),
])
def test_ratio_rounds_to_four_places_and_refuses_zero_denominators(num, den, scale, expected):
    assert rules.ratio(num, den, scale) == expected


@pytest.mark.parametrize(("cur", "prev", "expected"), [
    (120, 100, D("20.0000")), (80, 100, D("-20.0000")), (5, -10, D("150.0000")), (100, 0, None),
])
def test_growth(cur, prev, expected):
    assert rules.growth(cur, prev) == expected


@pytest.mark.parametrize(("value", "floor", "target", "expected"), [
    (D(0), D(0), D(20), D(0)), (D(-5), D(0), D(20), D(0)), (D(10), D(0), D(20), D("4.00")),
    (D(20), D(0), D(20), D(8)), (D(25), D(0), D(20), D(8)), (D("19.99"), D(0), D(20), D("7.996").quantize(D("0.01"))),
    # lower is better: floor above target
    (D(80), D(80), D(30), D(0)), (D(55), D(80), D(30), D("4.00")), (D(30), D(80), D(30), D(8)), (D(10), D(80), D(30), D(8)),
])
def test_linear_is_capped_both_ends(value, floor, target, expected):
    assert rules.linear_points(value, floor, target, D(8)) == expected


@pytest.mark.parametrize(("value", "expected"), [(D(3), D(5)), (D("2.99"), D(0)), (D(4), D(5))])
def test_threshold_met_or_not(value, expected):
    assert rules.threshold_points(value, D(3), D(5)) == expected


@pytest.mark.parametrize(("value", "expect", "expected"), [(True, True, D(4)), (False, True, D(0)), (False, False, D(4))])
def test_boolean(value, expect, expected):
    assert rules.boolean_points(value, D(4), expect) == expected


@pytest.mark.parametrize(("score", "expected"), [
    (D(0), (D("0.00"), False)), (D("7.5"), (D("7.50"), False)), (D(10), (D("10.00"), False)),
    (D("10.01"), (D(10), True)), (D(-1), (D(0), True)),
])
def test_reviewer_scores_are_clamped_and_flagged(score, expected):
    assert rules.reviewer_points(score, D(10)) == expected


@pytest.mark.parametrize(("count", "expected"), [
    (0, D(0)), (1, D("0.50")), (4, D("2.00")), (5, D(2)), (True, D("0.50")), (False, D(0)),
])
def test_bonus_is_capped_per_item(count, expected):
    assert rules.bonus_points(count, D("0.5"), D(2)) == expected


@pytest.mark.parametrize(("value", "when", "contains", "hit"), [
    (True, True, None, True), (False, True, None, False), (False, False, None, True),
    (frozenset({"falsified_data"}), None, "falsified_data", True),
    (frozenset({"none"}), None, "falsified_data", False),
    ("falsified_data", None, "falsified_data", False),  # a raw string is not a parsed multi-choice
])
def test_veto_triggers(value, when, contains, hit):
    assert rules.veto_triggered(value, when, contains) is hit


def test_compiled_ratio_rule_reports_zero_denominator_in_detail():
    run = rules.compile_rule("ratio_bands", {"numerator": ("a",), "denominator": ("b",), "bands": BANDS}, D(10), ("a", "b"))
    points, detail = run({"a": D(5), "b": D(0)})
    assert points == 0
    assert detail == {"numerator": D(5), "denominator": D(0), "ratio": None, "zero_denominator": True}
    points, detail = run({"a": 20, "b": 100})
    assert (points, detail["ratio"], detail["matched"]) == (D("6.00"), D("20.0000"), 1)
    points, detail = run({"a": D("9.99995"), "b": 100})  # 9.99995 % rounds to 10.0000: judged as shown
    assert (points, detail["ratio"]) == (D("3.00"), D("10.0000"))


def test_compiled_bands_sum_several_inputs():
    run = rules.compile_rule("bands", {"bands": BANDS}, D(10), ("own", "partner"))
    assert run({"own": D(15), "partner": D(15)}) == (D(10), {"value": D(30), "matched": 0})
    assert run({"own": D(15), "partner": D("14.99")}) == (D(6), {"value": D("29.99"), "matched": 1})
