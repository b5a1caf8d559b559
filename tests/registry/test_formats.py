"""Figures, dates and times as readers expect them, in each locale (registry/i18n.py filters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from registry.i18n import fmt_date, fmt_datetime, fmt_figure, fmt_ratio


@pytest.mark.parametrize(("value", "unit", "zh", "en"), [
    ("387642.85", "千元", "387,642.85千元", "387,642.85千元"),
    (Decimal("78.5511"), "%", "78.6%", "78.6%"),
    ("81.25", "%", "81.3%", "81.3%"),  # half up, as score sheets round
    (84, "家", "84家", "84家"),
    ("52155.00", "m²", "52,155.00m²", "52,155.00m²"),
    (True, None, "是", "yes"),
    (None, "家", "—", "—"),
    ("不详", None, "不详", "不详"),
])
def test_figures_carry_separators_units_and_one_decimal_ratios(app, value, unit, zh, en):
    with app.test_request_context("/?lang=zh_CN"):
        assert fmt_figure(value, unit) == zh
    with app.test_request_context("/?lang=en"):
        assert fmt_figure(value, unit) == en


def test_one_date_format_per_locale_and_times_in_beijing(app):
    stored = dt.datetime(2020, 3, 5, 17, 3, 9, 123456)  # naive UTC, as the database keeps it
    with app.test_request_context("/?lang=zh_CN"):
        assert fmt_date(dt.date(2020, 3, 5)) == "2020年3月5日"
        assert fmt_date("2010-12-22") == "2010年12月22日"
        assert fmt_datetime(stored) == "2020年3月6日 01:03:09"  # UTC+8 crosses midnight; to the second
        assert fmt_date(stored) == "2020年3月6日"
    with app.test_request_context("/?lang=en"):
        assert fmt_date(dt.date(2020, 3, 5)) == "2020-03-05"
        assert fmt_datetime(stored) == "2020-03-06 01:03:09"
        assert fmt_ratio("12.34") == "12.3%"
