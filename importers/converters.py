"""Normalise what people really type into declared values; a converter returns a value or a Problem.

Rules (documented because they decide what a figure means):

* Text is NFKC-normalised first, so full-width digits and punctuation (１２００, ，, ％) read as
  their ASCII forms. Thousands separators are accepted only in proper groups ("1,200", not "1,2").
* Numbers stored as text are read as numbers. A unit suffix is accepted when it is the declared
  unit ("120万元" for a 万元 field, "600㎡" for m²); a different unit ("120元" for 万元) is a
  ``wrong-unit`` error: we never convert amounts for the filer. Any other suffix ("约100") is
  ``not-a-number``.
* Percent fields hold the number of percent (35 means 35 %). "35%" → 35. A cell with a percent
  number format (Excel stores 35 % as 0.35) → 35. A plain number above 1 → itself. A plain
  number in (0, 1] without a percent format is read as a fraction (0.35 → 35) **with a
  warning** (``percent-as-fraction``) that shows the value read, so the filer can correct it.
* Dates: real date cells, Excel serials (1950–2100), 2019-05-01, 2019/5/1, 2019.5.1, 2019年5月1日,
  20190501. Day-first/month-first forms are refused as ``ambiguous-date`` unless only one
  reading is a valid date (5/25/2019). Dates after the end of the report year are errors.
* Booleans: 是/否, Y/N, yes/no, true/false, 1/0, ✓/✗, √/×, 有/无.
* Choices: the Chinese label, the code, or the English label; multichoice values are separated
  by 、 , ; or spaces.
* Credit codes: spaces, hyphens and lower case are tolerated; checked with python-stdnum's rules.
  A code that Excel turned into a number has lost digits and is ``uscc-format``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from operator import mul
from decimal import Decimal, InvalidOperation, ROUND_HALF_UP
from typing import NamedTuple

from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from assessment.inputs import InputDecl
from importers.issues import (AMBIGUOUS_DATE, DATE_OUTSIDE_YEAR, NOT_A_BOOLEAN, NOT_A_CHOICE, NOT_A_DATE,
                              NOT_A_NUMBER, NOT_AN_INTEGER, OUT_OF_RANGE, PERCENT_AS_FRACTION, USCC_CHECKSUM,
                              USCC_FORMAT, WRONG_UNIT, IssueType)
from importers.report import raw_text


class Problem(NamedTuple):
    """What a converter found wrong; the caller adds sheet, cell and label to make an Issue.

    A warning may still carry the value it accepted (``value``).
    """

    type: IssueType
    params: Mapping[str, object] = {}
    severity: str = "error"
    value: object = None


#: A converter: (raw cell value, cell has a percent format) → value or Problem.
Converter = Callable[[object, bool], object]


def is_empty(raw: object) -> bool:
    return raw is None or raw == "" or (isinstance(raw, str) and not raw.strip())


def normalise_text(raw: str) -> str:
    """NFKC (full-width → ASCII), trimmed, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", raw).split())


# --- numbers -------------------------------------------------------------------------------------

_NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d*)(\.\d+)?(.*)")
_MONEY = {"元": "元", "千元": "千元", "万元": "万元", "亿元": "亿元", "百万元": "百万元", "万": "万元"}
_AREA = {"m2": "m2", "平方米": "m2", "平米": "m2", "平方": "m2"}
_COUNT = {k: "count" for k in ("家", "个", "项", "件", "场", "次", "户", "篇", "套", "台")}
_PERSON = {"人": "person", "名": "person", "人次": "person-times"}
_UNITS: dict[str, str] = {**_MONEY, **_AREA, **_COUNT, **_PERSON, "%": "%", "月": "month", "个月": "month",
                          "年": "year"}


def unit_key(unit: str | None) -> str | None:
    """Unit spellings that mean the same thing share a key: ㎡ / m² / 平方米 → "m2"; 家 / 个 → "count"."""
    if not unit:
        return None
    text = unicodedata.normalize("NFKC", unit).strip().lower()
    return _UNITS.get(text, text)


def _parse_number(text: str, decl: InputDecl, declared_unit: str | None) -> Decimal | Problem:
    """A Decimal from typed text, checking any unit suffix against the declared unit."""
    s = normalise_text(text).replace(" ", "")
    m = _NUMBER.fullmatch(s)
    if not m or not (m.group(2) or m.group(3)):
        return Problem(NOT_A_NUMBER)
    sign, whole, frac, suffix = m.groups()
    if suffix:
        found = unit_key(suffix)
        if found == "%" and decl.type == "percent":
            pass
        elif found not in _UNITS.values():
            return Problem(NOT_A_NUMBER)
        elif found != declared_unit:
            return Problem(WRONG_UNIT, {"unit": decl.unit or "（无单位）", "found_unit": suffix})
    try:
        return Decimal(f"{sign}{(whole or '0').replace(',', '')}{frac or ''}")
    except InvalidOperation:
        return Problem(NOT_A_NUMBER)


def _float_decimal(raw: float) -> Decimal:
    # '.15g' drops binary noise such as 274.65999999999997 → 274.66
    return Decimal(format(raw, ".15g"))


def _bounds_checker(decl: InputDecl) -> Callable[[object], Problem | None]:
    lo, hi = decl.min, decl.max
    from importers.spec import describe

    expected_en, expected_zh = describe(decl)
    params = {"expected": expected_en, "expected_zh": expected_zh}

    def check(value: object) -> Problem | None:
        if (lo is not None and value < lo) or (hi is not None and value > hi):  # type: ignore[operator]
            return Problem(OUT_OF_RANGE, params)
        return None

    return check


def _quantizer(decl: InputDecl) -> Callable[[Decimal], Decimal]:
    if decl.decimals is None:
        return lambda d: d
    q = Decimal(1).scaleb(-decl.decimals)
    return lambda d: d.quantize(q, rounding=ROUND_HALF_UP)


def int_converter(decl: InputDecl) -> Converter:
    check = _bounds_checker(decl)
    declared = unit_key(decl.unit)

    def convert(raw: object, pct: bool = False) -> object:
        if type(raw) is float:
            if not raw.is_integer():
                return Problem(NOT_AN_INTEGER)
            value: object = int(raw)
        elif type(raw) is int:
            value = raw
        elif isinstance(raw, str):
            d = _parse_number(raw, decl, declared)
            if isinstance(d, Problem):
                return d
            if d != d.to_integral_value():
                return Problem(NOT_AN_INTEGER)
            value = int(d)
        else:
            return Problem(NOT_A_NUMBER)
        return check(value) or value

    return convert


def decimal_converter(decl: InputDecl) -> Converter:
    check = _bounds_checker(decl)
    quantize = _quantizer(decl)
    declared = unit_key(decl.unit)
    # with a declared precision, rounding removes binary noise, so the cheaper repr() will do
    from_float = (lambda f: Decimal(repr(f))) if decl.decimals is not None else _float_decimal

    def convert(raw: object, pct: bool = False) -> object:
        if type(raw) is float:
            value = from_float(raw)
        elif type(raw) is int:
            value = Decimal(raw)
        elif isinstance(raw, str):
            value = _parse_number(raw, decl, declared)  # type: ignore[assignment]
            if isinstance(value, Problem):
                return value
        else:
            return Problem(NOT_A_NUMBER)
        value = quantize(value)
        return check(value) or value

    return convert


def percent_converter(decl: InputDecl) -> Converter:
    check = _bounds_checker(decl)
    quantize = _quantizer(decl)
    hundred = Decimal(100)

    def convert(raw: object, pct: bool = False) -> object:
        fraction_warning = False
        if isinstance(raw, (float, int)) and not isinstance(raw, bool):
            number = _float_decimal(float(raw))
            if pct:
                number *= hundred
            elif 0 < number <= 1:
                number *= hundred
                fraction_warning = True
        elif isinstance(raw, str):
            text = normalise_text(raw)
            parsed = _parse_number(text, decl, "%")
            if isinstance(parsed, Problem):
                return parsed
            number = parsed
            if not text.endswith("%") and 0 < number <= 1:
                number *= hundred
                fraction_warning = True
        else:
            return Problem(NOT_A_NUMBER)
        value = quantize(number.normalize() if number == number.to_integral_value() else number)
        bad = check(value)
        if bad:
            return bad
        if fraction_warning:
            return Problem(PERCENT_AS_FRACTION, {"read": str(value)}, "warning", value)
        return value

    return convert


# --- booleans, choices, text, credit codes ------------------------------------------------------

_TRUE = {"是", "Y", "YES", "TRUE", "1", "✓", "✔", "√", "有", "T", "对"}
_FALSE = {"否", "N", "NO", "FALSE", "0", "✗", "✘", "×", "X", "无", "F", "错"}


def bool_converter(decl: InputDecl) -> Converter:
    def convert(raw: object, pct: bool = False) -> object:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, float) and raw in (0.0, 1.0):
            return raw == 1.0
        if isinstance(raw, str):
            text = normalise_text(raw).upper()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        return Problem(NOT_A_BOOLEAN)

    return convert


def _choice_lookup(decl: InputDecl, aliases: Mapping[str, str] | None) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for c in decl.choices:
        lookup[normalise_text(c.code).lower()] = c.code
        if c.label_en:
            lookup[normalise_text(c.label_en).lower()] = c.code
        lookup[normalise_text(c.label).lower()] = c.code
    for alias, target in (aliases or {}).items():
        code = lookup.get(normalise_text(target).lower())
        if code is not None:
            lookup.setdefault(normalise_text(alias).lower(), code)
    return lookup


_SPLIT = re.compile(r"[,;、/\s]+")


def choice_converter(decl: InputDecl, aliases: Mapping[str, str] | None = None) -> Converter:
    lookup = _choice_lookup(decl, aliases)
    from importers.spec import describe

    expected_en, expected_zh = describe(decl)
    params = {"expected": expected_en, "expected_zh": expected_zh}
    order = {c.code: i for i, c in enumerate(decl.choices)}

    def convert(raw: object, pct: bool = False) -> object:
        text = normalise_text(raw_text(raw) or "").lower()
        if decl.type == "choice":
            code = lookup.get(text)
            return code if code is not None else Problem(NOT_A_CHOICE, params)
        codes = []
        for part in _SPLIT.split(text):
            if not part:
                continue
            code = lookup.get(part)
            if code is None:
                return Problem(NOT_A_CHOICE, params)
            codes.append(code)
        return tuple(sorted(set(codes), key=order.__getitem__))

    return convert


def text_converter(decl: InputDecl) -> Converter:
    def convert(raw: object, pct: bool = False) -> object:
        if isinstance(raw, str):
            return raw.strip()
        return raw_text(raw)

    return convert


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_INDEX = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"\d{8}[0-9A-HJ-NPQRTUWXY]{10}")


def uscc_is_valid(code: str) -> bool:
    """Fast check of an already compacted code; agrees with stdnum.cn.uscc.is_valid (tested)."""
    if len(code) != 18 or not _USCC_SHAPE.fullmatch(code):
        return False
    total = sum(map(mul, map(_USCC_INDEX.__getitem__, code[:17]), _USCC_WEIGHTS))
    return _USCC_ALPHABET[(31 - total) % 31] == code[17]


def uscc_reason(code: str) -> dict[str, str]:
    """What is wrong with a credit code that is not well formed, in English and Chinese (issue params)."""
    if len(code) != 18:
        return {"reason": f"it has {len(code)} characters; 18 are expected",
                "reason_zh": f"共 {len(code)} 位，应为 18 位"}
    for position, char in enumerate(code, 1):
        if char not in _USCC_INDEX or (position <= 8 and position > 2 and not char.isdigit()):
            allowed_en = ("only digits are allowed there (the administrative-division code)" if 2 < position <= 8 else
                          "only digits and capital letters other than I, O, S, V and Z are allowed")
            allowed_zh = ("该位只能是数字（行政区划码）" if 2 < position <= 8 else
                          "统一社会信用代码只能使用数字和除 I、O、S、V、Z 以外的大写字母")
            shown_en = f"the letter {char}" if char.isalpha() else f"“{char}”"
            shown_zh = f"字母“{char}”" if char.isalpha() and char.isascii() else f"“{char}”"
            return {"reason": f"character {position} is {shown_en}, but {allowed_en}",
                    "reason_zh": f"第 {position} 位是{shown_zh}，{allowed_zh}"}
    return {"reason": "its characters do not follow the coding rules", "reason_zh": "各位字符不符合编码规则"}


def normalise_uscc(raw: object) -> str | Problem:
    """Compact and validate a unified social credit code; a problem says what is wrong."""
    if not isinstance(raw, str):
        # a number: Excel has already dropped leading zeros or the trailing letter
        return Problem(USCC_FORMAT, {"reason": "it was stored as a number; type it as text", "reason_zh":
                                     "单元格中是数字而非文本（Excel 可能已丢失首位的 0 或末位字母），请按文本格式填写"})
    if uscc_is_valid(raw):  # the common case: already clean
        return raw
    code = unicodedata.normalize("NFKC", raw).replace(" ", "").replace("-", "").strip().upper()
    if uscc_is_valid(code):
        return code
    try:
        return stdnum_uscc.validate(code)
    except InvalidChecksum:
        return Problem(USCC_CHECKSUM, {"check": stdnum_uscc.calc_check_digit(code[:17])})
    except ValidationError:
        return Problem(USCC_FORMAT, uscc_reason(code))


def uscc_converter(decl: InputDecl) -> Converter:
    def convert(raw: object, pct: bool = False) -> object:
        return normalise_uscc(raw)

    return convert


# --- dates ---------------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 18264, 73415  # 1950-01-01 … 2100-12-31
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_TIME = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _make_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(raw: object) -> dt.date | Problem:
    """A date from a date cell, an Excel serial or one of the accepted text forms."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (float, int)) and not isinstance(raw, bool):
        if _SERIAL_MIN <= raw <= _SERIAL_MAX:
            return _EXCEL_EPOCH + dt.timedelta(days=int(raw))
        return Problem(NOT_A_DATE)
    if not isinstance(raw, str):
        return Problem(NOT_A_DATE)
    text = _TIME.sub("", normalise_text(raw))
    m = _YMD.fullmatch(text) or _COMPACT.fullmatch(text)
    if m:
        date = _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return date if date is not None else Problem(NOT_A_DATE)
    m = _DMY.fullmatch(text)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        readings = {r for r in (_make_date(y, a, b), _make_date(y, b, a)) if r is not None}
        if len(readings) == 1:
            return readings.pop()
        if len(readings) > 1:
            return Problem(AMBIGUOUS_DATE)
    return Problem(NOT_A_DATE)


def date_converter(decl: InputDecl, year: int | None = None) -> Converter:
    year_end = dt.date(year, 12, 31) if year else None
    params = {"year": year}

    def convert(raw: object, pct: bool = False) -> object:
        value = parse_date(raw)
        if year_end is not None and isinstance(value, dt.date) and value > year_end:
            return Problem(DATE_OUTSIDE_YEAR, params)
        return value

    return convert


def converter_for(decl: InputDecl, *, year: int | None = None,
                  aliases: Mapping[str, str] | None = None) -> Converter:
    """The converter for a declared input, specialised once so a whole column reuses it."""
    match decl.type:
        case "int":
            return int_converter(decl)
        case "decimal":
            return decimal_converter(decl)
        case "percent":
            return percent_converter(decl)
        case "bool":
            return bool_converter(decl)
        case "date":
            return date_converter(decl, year)
        case "choice" | "multichoice":
            return choice_converter(decl, aliases)
        case "uscc":
            return uscc_converter(decl)
        case "text":
            return text_converter(decl)
    raise ValueError(f"input {decl.code!r} has type {decl.type!r}, which has no template converter")
