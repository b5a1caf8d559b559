"""Reading input declarations from the data files, and turning declared types into value checks.

The same declarations drive the importer's template; here they also decide what counts as a
usable figure when scoring (the engine never trusts a value it did not check).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from assessment._schema import Reader
from assessment.inputs import INPUT_SOURCES, INPUT_TYPES, Choice, ConsistencyCheck, InputDecl, InputSet, TableDecl

INPUT_KEYS = ("code", "label", "label_en", "type", "unit", "min", "max", "decimals", "required", "choices",
              "section", "help", "source", "provisional", "reference")
TABLE_KEYS = ("code", "label", "label_en", "columns", "key", "count_input", "max_rows", "required", "help")
CHECK_KEYS = ("code", "left", "op", "right", "message", "message_en", "severity")
INPUT_FILE_KEYS = ("inputs", "tables", "checks", "plausibility_jump", "title", "reference")

NUMERIC_TYPES = frozenset({"int", "decimal", "percent", "score"})

#: Why a figure could not be used: absent, of the wrong kind, or outside its declared bounds.
Reason = str  # "missing" | "malformed" | "out-of-range"


def read_input(r: Reader, data: Mapping[str, Any], path: str) -> InputDecl:
    r.table(data, path, INPUT_KEYS, ("code", "label", "type"))
    type_ = r.choice(data, "type", path, INPUT_TYPES)
    choices: tuple[Choice, ...] = ()
    if type_ in ("choice", "multichoice"):
        items = r.tables(data, "choices", path)
        if not items:
            raise r.fail(f"{path}.choices", f"a {type_} input needs choices")
        choices = tuple(
            Choice(r.str(r.table(c, p, ("code", "label", "label_en"), ("code", "label")), "code", p),
                   r.str(c, "label", p), c.get("label_en", ""))
            for p, c in items
        )
    elif "choices" in data:
        raise r.fail(f"{path}.choices", f"only choice inputs take choices, not {type_}")
    lo, hi = r.num(data, "min", path, None), r.num(data, "max", path, None)
    if lo is not None and hi is not None and lo > hi:
        raise r.fail(f"{path}.max", "max is below min")
    return InputDecl(
        code=r.str(data, "code", path),
        label=r.str(data, "label", path),
        type=type_,
        label_en=r.str(data, "label_en", path, ""),
        unit=r.str(data, "unit", path, None),
        min=lo,
        max=hi,
        decimals=r.int(data, "decimals", path, None),
        required=r.bool(data, "required", path, True),
        choices=choices,
        section=r.str(data, "section", path, "基本情况"),
        help=r.str(data, "help", path, ""),
        source=r.choice(data, "source", path, INPUT_SOURCES, "self_report"),
        provisional=r.bool(data, "provisional", path, False),
        reference=r.str(data, "reference", path, ""),
    )


def read_input_set(r: Reader, data: Mapping[str, Any], path: str = "") -> InputSet:
    """The inputs, tables and checks declared in one file (a shared inputs file or a system)."""
    inputs = tuple(read_input(r, item, p) for p, item in r.tables(data, "inputs", path))
    tables = []
    for p, item in r.tables(data, "tables", path):
        r.table(item, p, TABLE_KEYS, ("code", "label", "columns"))
        columns = tuple(read_input(r, c, cp) for cp, c in r.tables(item, "columns", p))
        _unique(r, [c.code for c in columns], f"{p}.columns")
        tables.append(TableDecl(
            code=r.str(item, "code", p), label=r.str(item, "label", p), columns=columns,
            label_en=r.str(item, "label_en", p, ""), key=r.str(item, "key", p, None),
            count_input=r.str(item, "count_input", p, None), max_rows=r.int(item, "max_rows", p, 20000),
            required=r.bool(item, "required", p, False), help=r.str(item, "help", p, ""),
        ))
        if tables[-1].key is not None and tables[-1].key not in {c.code for c in columns}:
            raise r.fail(f"{p}.key", f"{tables[-1].key!r} is not a column")
    checks = []
    for p, item in r.tables(data, "checks", path):
        r.table(item, p, CHECK_KEYS, ("code", "left", "op", "right", "message"))
        checks.append(ConsistencyCheck(
            code=r.str(item, "code", p), left=r.strs(item, "left", p), op=r.choice(item, "op", p, ("<=", ">=", "==")),
            right=r.strs(item, "right", p), message=r.str(item, "message", p),
            message_en=r.str(item, "message_en", p, ""),
            severity=r.choice(item, "severity", p, ("error", "warning"), "error"),
        ))
    jump = r.num(data, "plausibility_jump", path, Decimal("50"))
    return InputSet(inputs=inputs, tables=tuple(tables), checks=tuple(checks), plausibility_jump=jump)


def merge_input_sets(r: Reader, base: InputSet, extra: InputSet, path: str) -> InputSet:
    """A shared inputs file plus a system's own additions; a code declared twice is an error."""
    seen = {i.code for i in base.inputs}
    for i, decl in enumerate(extra.inputs):
        if decl.code in seen:
            raise r.fail(f"{path}inputs[{i}].code", f"input {decl.code!r} is already declared in the shared inputs file")
    tables = {t.code for t in base.tables}
    for i, t in enumerate(extra.tables):
        if t.code in tables:
            raise r.fail(f"{path}tables[{i}].code", f"table {t.code!r} is already declared")
    return InputSet(inputs=base.inputs + extra.inputs, tables=base.tables + extra.tables,
                    checks=base.checks + extra.checks, plausibility_jump=base.plausibility_jump)


def validate_input_set(r: Reader, s: InputSet) -> None:
    """Codes unique; checks and table counts refer to declared numeric inputs."""
    _unique(r, [i.code for i in s.inputs], "inputs")
    _unique(r, [t.code for t in s.tables], "tables")
    _unique(r, [c.code for c in s.checks], "checks")
    by_code = s.by_code()
    for i, t in enumerate(s.tables):
        if t.count_input is not None and t.count_input not in by_code:
            raise r.fail(f"tables[{i}].count_input", f"{t.count_input!r} is not a declared input")
    for i, c in enumerate(s.checks):
        for side in ("left", "right"):
            for code in getattr(c, side):
                decl = by_code.get(code)
                if decl is None:
                    raise r.fail(f"checks[{i}].{side}", f"{code!r} is not a declared input")
                if decl.type not in NUMERIC_TYPES:
                    raise r.fail(f"checks[{i}].{side}", f"{code!r} is not numeric ({decl.type})")


def _unique(r: Reader, codes: list[str], path: str) -> None:
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if code in seen:
            raise r.fail(f"{path}[{i}].code", f"duplicate code {code!r}")
        seen.add(code)


# --- value checks ---------------------------------------------------------------------------

Coercer = Callable[[object], tuple[Any, "Reason | None"]]


def coercer(decl: InputDecl) -> Coercer:
    """A function turning a supplied value into the declared type, or reporting why it cannot."""
    lo, hi = decl.min, decl.max

    t = decl.type
    if t == "int":
        def conv(value: object) -> tuple[Any, Reason | None]:
            if type(value) is not int:
                if isinstance(value, bool):
                    return None, "malformed"
                d = _to_decimal(value)
                if d is None or not d.is_finite() or d != d.to_integral_value():
                    return None, "malformed"
                value = int(d)
            if (lo is not None and value < lo) or (hi is not None and value > hi):  # type: ignore[operator]
                return None, "out-of-range"
            return value, None
        return conv
    if t in ("decimal", "percent", "score"):
        def conv(value: object) -> tuple[Any, Reason | None]:
            if type(value) is Decimal:
                d = value
            elif isinstance(value, bool):
                return None, "malformed"
            else:
                d = _to_decimal(value)
                if d is None:
                    return None, "malformed"
            if not d.is_finite():
                return None, "malformed"
            if (lo is not None and d < lo) or (hi is not None and d > hi):
                return None, "out-of-range"
            return d, None
        return conv
    if t == "bool":
        return lambda value: (value, None) if isinstance(value, bool) else (None, "malformed")
    if t == "date":
        def conv(value: object) -> tuple[Any, Reason | None]:
            if isinstance(value, _dt.datetime):
                return value.date(), None
            if isinstance(value, _dt.date):
                return value, None
            if isinstance(value, str):
                try:
                    return _dt.date.fromisoformat(value.strip()), None
                except ValueError:
                    return None, "malformed"
            return None, "malformed"
        return conv
    if t == "choice":
        codes = frozenset(decl.choice_codes())
        return lambda value: (value, None) if isinstance(value, str) and value in codes else (None, "malformed")
    if t == "multichoice":
        codes = frozenset(decl.choice_codes())

        def conv(value: object) -> tuple[Any, Reason | None]:
            if isinstance(value, str):
                items = frozenset(p.strip() for p in value.split(",") if p.strip())
            elif isinstance(value, (list, tuple, set, frozenset)):
                items = frozenset(value)
            else:
                return None, "malformed"
            return (items, None) if items <= codes else (None, "malformed")
        return conv
    return lambda value: (value, None) if isinstance(value, str) else (None, "malformed")


def _to_decimal(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            return None
    return None
