from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from assessment.inputs import Choice, InputDecl
from importers.converters import Problem, converter_for, normalise_uscc, parse_date, uscc_is_valid

D = Decimal
AMOUNT = InputDecl("fund", "孵化基金", "decimal", unit="万元", min=D(0), decimals=2)
COUNT = InputDecl("tenants", "在孵企业数", "int", unit="家", min=D(0), max=D(10000))
AREA = InputDecl("area", "面积", "decimal", unit="m²", min=D(0))
RATIO = InputDecl("ratio", "占比", "percent", unit="%", min=D(0), max=D(100), decimals=1)
FLAG = InputDecl("flag", "是否", "bool")
KIND = InputDecl("kind", "类型", "choice", choices=(Choice("comprehensive", "综合", "Comprehensive"), Choice("specialised", "专业")))
FOCUS = InputDecl("focus", "功能定位", "multichoice", choices=(Choice("frontier", "前沿技术研究"), Choice("transfer", "成果转化")))


def conv(decl: InputDecl, raw: object, pct: bool = False, year: int | None = 2019) -> object:
    return converter_for(decl, year=year)(raw, pct)


def code(result: object) -> str:
    assert isinstance(result, Problem), result
    return result.type.code


@pytest.mark.parametrize(("raw", "expected"), [
    (1200.0, D("1200.00")), ("１２００", D("1200.00")), ("1,200", D("1200.00")), ("１，２００．５", D("1200.50")),
    ("120万元", D("120.00")), (" 120 万元 ", D("120.00")), ("120万", D("120.00")), (274.65999999999997, D("274.66")),
    ("0.125", D("0.13")), (7, D("7.00")),
])
def test_amounts(raw, expected):
    assert conv(AMOUNT, raw) == expected


@pytest.mark.parametrize(("raw", "issue"), [
    ("120元", "wrong-unit"), ("1200千元", "wrong-unit"), ("1,2", "not-a-number"), ("约100", "not-a-number"),
    ("100左右", "not-a-number"), ("二十四", "not-a-number"), ("-5", "out-of-range"), (True, "not-a-number"),
    (dt.date(2019, 5, 1), "not-a-number"), ("35%", "wrong-unit"),
])
def test_amount_problems(raw, issue):
    assert code(conv(AMOUNT, raw)) == issue


def test_wrong_unit_names_both_units():
    problem = conv(AMOUNT, "1,200,000元")
    assert problem.params == {"unit": "万元", "found_unit": "元"}


@pytest.mark.parametrize(("raw", "expected"), [(24.0, 24), ("24", 24), ("２４家", 24), ("24个", 24), ("1,024", 1024),
                                               ("24.0", 24)])
def test_counts(raw, expected):
    assert conv(COUNT, raw) == expected


@pytest.mark.parametrize(("raw", "issue"), [(24.5, "not-an-integer"), ("24.5", "not-an-integer"),
                                            (10001.0, "out-of-range"), ("24人", "wrong-unit")])
def test_count_problems(raw, issue):
    assert code(conv(COUNT, raw)) == issue


@pytest.mark.parametrize("raw", ["600㎡", "600m²", "600 m2", "600平方米", "600平米"])
def test_area_unit_spellings(raw):
    assert conv(AREA, raw) == D(600)


@pytest.mark.parametrize(("raw", "pct", "expected"), [
    ("35%", False, D("35.0")), ("３５％", False, D("35.0")), (35.0, False, D("35.0")), (0.35, True, D("35.0")),
    (1.0, True, D("100.0")), (0.0, False, D("0.0")), ("12.345", False, D("12.3")),
])
def test_percent(raw, pct, expected):
    assert conv(RATIO, raw, pct) == expected


@pytest.mark.parametrize("raw", [0.35, "0.35"])
def test_percent_fraction_is_read_with_a_warning(raw):
    result = conv(RATIO, raw)
    assert code(result) == "percent-as-fraction"
    assert (result.severity, result.value) == ("warning", D("35.0"))


def test_percent_out_of_range():
    assert code(conv(RATIO, "135%")) == "out-of-range"


@pytest.mark.parametrize(("raw", "expected"), [
    (dt.datetime(2019, 5, 1, 0, 0), dt.date(2019, 5, 1)), (43586.0, dt.date(2019, 5, 1)),
    ("2019年5月1日", dt.date(2019, 5, 1)), ("2019/5/1", dt.date(2019, 5, 1)), ("2019.5.1", dt.date(2019, 5, 1)),
    ("2019-05-01", dt.date(2019, 5, 1)), ("２０１９年５月１日", dt.date(2019, 5, 1)), ("20190501", dt.date(2019, 5, 1)),
    ("2019-05-01 00:00:00", dt.date(2019, 5, 1)), ("5/25/2019", dt.date(2019, 5, 25)), ("25/5/2019", dt.date(2019, 5, 25)),
    ("5/5/2019", dt.date(2019, 5, 5)),
])
def test_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(("raw", "issue"), [("5/1/2019", "ambiguous-date"), ("01.05.2019", "ambiguous-date"),
                                            ("2019-02-30", "not-a-date"), ("2019年5月", "not-a-date"),
                                            ("明年", "not-a-date"), (2019.0, "not-a-date"), (True, "not-a-date")])
def test_date_problems(raw, issue):
    assert code(parse_date(raw)) == issue


def test_date_after_report_year():
    decl = InputDecl("entered_on", "入驻时间", "date")
    assert code(conv(decl, "2020-01-15", year=2019)) == "date-outside-year"
    assert conv(decl, "2019-12-31", year=2019) == dt.date(2019, 12, 31)


@pytest.mark.parametrize(("raw", "expected"), [("是", True), ("否", False), ("Y", True), ("n", False), ("✓", True),
                                               ("✗", False), ("√", True), ("×", False), (True, True), (0.0, False),
                                               ("yes", True), ("FALSE", False)])
def test_booleans(raw, expected):
    assert conv(FLAG, raw) is expected


def test_boolean_problem():
    assert code(conv(FLAG, "可能")) == "not-a-boolean"


@pytest.mark.parametrize(("raw", "expected"), [("综合", "comprehensive"), (" 专业 ", "specialised"),
                                               ("comprehensive", "comprehensive"), ("COMPREHENSIVE", "comprehensive")])
def test_choices_by_label_or_code(raw, expected):
    assert conv(KIND, raw) == expected


def test_choice_problem_lists_the_options():
    problem = conv(KIND, "混合")
    assert code(problem) == "not-a-choice"
    assert problem.params["expected_zh"] == "综合、专业"


def test_multichoice():
    assert conv(FOCUS, "成果转化、前沿技术研究") == ("frontier", "transfer")
    assert conv(FOCUS, "前沿技术研究，成果转化") == ("frontier", "transfer")
    assert code(conv(FOCUS, "前沿技术研究、别的")) == "not-a-choice"


@pytest.mark.parametrize(("raw", "expected"), [("91110000600037341L", "91110000600037341L"),
                                               (" 9111 0000 6000 3734 1l ", "91110000600037341L"),
                                               ("91110000-600037341L", "91110000600037341L"),
                                               ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L")])
def test_uscc_normalised(raw, expected):
    assert normalise_uscc(raw) == expected


@pytest.mark.parametrize(("raw", "issue"), [("91110000600037341X", "uscc-checksum"), ("9111000060003734", "uscc-format"),
                                            ("9111000060003734IL", "uscc-format"), (9.11100006e17, "uscc-format")])
def test_uscc_problems(raw, issue):
    assert code(normalise_uscc(raw)) == issue


@settings(max_examples=300)
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ", min_size=17, max_size=18))
def test_fast_uscc_check_agrees_with_stdnum(text):
    assert uscc_is_valid(text) == stdnum_uscc.is_valid(text)
    if len(text) == 17:
        full = text + stdnum_uscc.calc_check_digit(text) if all(c in "0123456789ABCDEFGHJKLMNPQRTUWXY" for c in text) else text
        assert uscc_is_valid(full) == stdnum_uscc.is_valid(full)
