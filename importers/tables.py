"""Reading a row-list sheet (在孵企业, 研发项目, the roster) column by column.

Columns are found by the code row the template writes above the Chinese header (or, for sheets
people made themselves, by header text). Each column is converted in one loop with a converter
specialised for its declaration: per-cell Python work is what dominates on 10,000-row sheets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessment.inputs import InputDecl
from importers import limits
from importers.cells import column_letter, range_ref, ref
from importers.converters import Problem, converter_for, normalise_text
from importers.issues import (DUPLICATE_ROW_KEY, EXCEL_ERROR, FORMULA_WITHOUT_VALUE, MERGED_INPUT_CELL, MISSING_COLUMN,
                              MORE_ISSUES, REQUIRED, TABLE_REQUIRED, TOO_MANY_ROWS, UNCHECKED_REST, Issue)
from importers.report import Table, raw_text
from importers.spec import describe
from importers.workbook import Sheet


@dataclass(frozen=True, slots=True)
class TableLayout:
    """Where a table's header is and which grid column holds each declared column."""

    header_row: int  #: 0-based row of the code row (or header text row)
    data_start: int  #: 0-based first data row
    columns: Mapping[str, int]  #: column code → 0-based grid column


_UNIT_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


def header_key(text: str) -> str:
    """Header text without the required marker and unit: "总收入（千元） *" → "总收入"."""
    return _UNIT_SUFFIX.sub("", normalise_text(text).rstrip("*").strip()).strip()


def find_layout(sheet: Sheet, columns: Sequence[InputDecl],
                synonyms: Mapping[str, Sequence[str]] | None = None) -> TableLayout | None:
    """Locate the code row (preferred) or the Chinese header row among the first rows."""
    by_code = {c.code.lower(): c.code for c in columns}
    by_label: dict[str, str] = {}
    for c in columns:
        by_label[header_key(c.label)] = c.code
        for alt in (synonyms or {}).get(c.code, ()):
            by_label[header_key(alt)] = c.code
    best: tuple[int, int, dict[str, int], bool] | None = None  # (matches, row, mapping, is_code_row)
    for r in range(min(sheet.nrows, limits.HEADER_SCAN_ROWS)):
        code_map: dict[str, int] = {}
        label_map: dict[str, int] = {}
        for c, cell in enumerate(sheet.rows[r]):
            if not isinstance(cell, str) or not cell:
                continue
            text = cell.strip()
            if text.lower() in by_code:
                code_map.setdefault(by_code[text.lower()], c)
            label = by_label.get(header_key(text))
            if label:
                label_map.setdefault(label, c)
        for mapping, is_code in ((code_map, True), (label_map, False)):
            if mapping and (best is None or (len(mapping), is_code) > (best[0], best[3])):
                best = (len(mapping), r, mapping, is_code)
    if best is None:
        return None
    _, row, mapping, is_code = best
    data_start = row + 1
    if is_code and data_start < sheet.nrows:
        labels = set(by_label)
        following = {header_key(v) for v in sheet.rows[data_start] if isinstance(v, str)}
        if following & labels:
            data_start += 1  # the Chinese header row under the code row
    return TableLayout(row, data_start, mapping)


def _issue(type_, sheet: str, row: int, col: int, decl: InputDecl, raw: object,
           params: Mapping[str, object] | None = None, severity: str = "error") -> Issue:
    expected_en, expected_zh = describe(decl)
    return Issue(type_, sheet=sheet, cell=ref(row, col), field=decl.code, label=decl.label, value=raw_text(raw),
                 expected=expected_en, params={"expected_zh": expected_zh, **(params or {})},
                 severity=severity)  # type: ignore[arg-type]


def problem_issue(problem: Problem, sheet: str, row: int, col: int, decl: InputDecl, raw: object) -> Issue:
    """Turn a converter's Problem into an Issue at a cell."""
    return _issue(problem.type, sheet, row, col, decl, raw, problem.params, problem.severity)


def special_cell_issue(sheet: Sheet, row: int, col: int, decl: InputDecl) -> Issue | None:
    """An Excel error value or an uncalculated formula where a value was expected."""
    if sheet.errors and (row, col) in sheet.errors:
        return _issue(EXCEL_ERROR, sheet.name, row, col, decl, sheet.errors[(row, col)])
    if sheet.formulas_without_value and (row, col) in sheet.formulas_without_value:
        return _issue(FORMULA_WITHOUT_VALUE, sheet.name, row, col, decl, None)
    return None


def parse_table(sheet: Sheet, columns: Sequence[InputDecl], *, code: str, label: str, year: int | None = None,
                key: str | None = None, max_rows: int = 20000, required: bool = False,
                aliases: Mapping[str, Mapping[str, str]] | None = None,
                synonyms: Mapping[str, Sequence[str]] | None = None) -> tuple[Table | None, list[Issue]]:
    """Convert and validate every row of a table sheet; returns the table and all issues found."""
    issues: list[Issue] = []
    layout = find_layout(sheet, columns, synonyms)
    if layout is None:
        for decl in columns:
            if decl.required:
                issues.append(Issue(MISSING_COLUMN, sheet=sheet.name, field=decl.code, label=decl.label))
        return None, issues
    present = [d for d in columns if d.code in layout.columns]
    for decl in columns:
        if decl.code not in layout.columns and decl.required:
            issues.append(Issue(MISSING_COLUMN, sheet=sheet.name, cell=ref(layout.header_row, 0),
                                field=decl.code, label=decl.label))
    grid_cols = [layout.columns[d.code] for d in present]
    rows = sheet.rows
    width = sheet.ncols
    special_rows = {r for r, _ in sheet.errors} | {r for r, _ in sheet.formulas_without_value}
    data_rows: list[int] = []
    for r in range(layout.data_start, len(rows)):
        line = rows[r]
        if len(line) < width:
            line = rows[r] = line + [""] * (width - len(line))
        for c in grid_cols:
            v = line[c]
            if v != "" and v is not None and not (type(v) is str and not v.strip()):
                data_rows.append(r)
                break
        else:
            if r in special_rows and any((r, c) in sheet.errors or (r, c) in sheet.formulas_without_value
                                         for c in grid_cols):
                data_rows.append(r)
    if len(data_rows) > max_rows:
        issues.append(Issue(TOO_MANY_ROWS, sheet=sheet.name, params={"rows": len(data_rows), "limit": max_rows}))
        return None, issues
    if required and not data_rows:
        issues.append(Issue(TABLE_REQUIRED, sheet=sheet.name, cell=ref(layout.data_start, grid_cols[0] if grid_cols else 0)))

    for rng in sheet.merged:
        r0, c0, r1, c1 = rng
        if r1 >= layout.data_start and any(c0 <= c <= c1 for c in grid_cols):
            issues.append(Issue(MERGED_INPUT_CELL, sheet=sheet.name, cell=ref(r0, c0),
                                params={"range": range_ref(*rng)}))

    values: dict[str, list[object]] = {}
    raws: dict[str, list[object]] = {}
    for decl, c in zip(present, grid_cols):
        col_raw = [rows[r][c] for r in data_rows]
        col_vals, col_issues = convert_column(sheet, decl, c, data_rows, col_raw, year=year,
                                              aliases=(aliases or {}).get(decl.code))
        values[decl.code] = col_vals
        raws[decl.code] = col_raw
        issues.extend(col_issues)

    if key and key in values:
        issues.extend(_duplicates(sheet.name, next(d for d in present if d.code == key), layout.columns[key],
                                  data_rows, values[key], raws[key]))
    table = Table(code, label, sheet.name, [d.code for d in present],
                  {d.code: column_letter(c) for d, c in zip(present, grid_cols)},
                  [r + 1 for r in data_rows], values, raws)
    return table, issues


def convert_column(sheet: Sheet, decl: InputDecl, col: int, data_rows: Sequence[int], col_raw: Sequence[object],
                   *, year: int | None = None, aliases: Mapping[str, str] | None = None) -> tuple[list[object], list[Issue]]:
    """One column in one loop: empties, Excel errors, conversion, bounds."""
    convert = converter_for(decl, year=year, aliases=aliases)
    out: list[object] = [None] * len(col_raw)
    issues: list[Issue] = []
    special = {r for r, c in sheet.errors if c == col} | {r for r, c in sheet.formulas_without_value if c == col}
    percent_rows = {r for r, c in sheet.percent_cells if c == col}
    required = decl.required
    capped = _Capped(issues)
    for i, raw in enumerate(col_raw):
        if capped.given_up:  # the column is wrong as a whole: the rest is counted, not checked cell by cell
            capped.unchecked = sum(1 for v in col_raw[i:] if not (v == "" or v is None or (type(v) is str and v.isspace())))
            break
        if raw == "" or raw is None or (type(raw) is str and raw.isspace()):
            r = data_rows[i]
            if special and r in special:
                issue = special_cell_issue(sheet, r, col, decl)
                if issue:
                    capped.add(issue)
            elif required:
                capped.add(_issue(REQUIRED, sheet.name, r, col, decl, None) if capped.room else "error")
            continue
        value = convert(raw, data_rows[i] in percent_rows) if percent_rows else convert(raw, False)
        if type(value) is Problem:
            capped.add(problem_issue(value, sheet.name, data_rows[i], col, decl, raw) if capped.room
                       else value.severity)
            value = value.value
        out[i] = value
    capped.close(sheet.name, decl, col)
    return out, issues


class _Capped:
    """At most `limits.MAX_COLUMN_ISSUES` issues per column, then one summary issue.

    A 20,000-row table with a bad value in every cell would otherwise make 200,000 issues (and a
    77 MB report) and take seconds to check: the filer needs the first problems, not every one.
    Once a column holds that many *errors* the report cannot be accepted, so the rest of the
    column is only counted (`unchecked`); past the cap, warnings are counted (`more`) but every
    cell is still converted, as a report with warnings only is accepted with all its values.
    """

    __slots__ = ("issues", "more", "worst", "errors", "unchecked")

    def __init__(self, issues: list[Issue]) -> None:
        self.issues, self.more, self.worst, self.errors, self.unchecked = issues, 0, "warning", 0, 0

    @property
    def room(self) -> bool:
        return len(self.issues) < limits.MAX_COLUMN_ISSUES

    @property
    def given_up(self) -> bool:
        return self.errors >= limits.MAX_COLUMN_ISSUES

    def add(self, issue: Issue | str) -> None:
        """An issue while there is room; past the cap, pass just its severity (no Issue is built)."""
        severity = issue if isinstance(issue, str) else issue.severity
        if severity == "error":
            self.errors += 1
        if isinstance(issue, Issue) and self.room:
            self.issues.append(issue)
            return
        self.more += 1
        if severity == "error":
            self.worst = "error"

    def close(self, sheet: str, decl: InputDecl, col: int) -> None:
        where = {"sheet": sheet, "field": decl.code, "label": decl.label}
        if self.unchecked:
            self.issues.append(Issue(UNCHECKED_REST, **where, params={  # type: ignore[arg-type]
                "column": column_letter(col), "shown": len(self.issues), "rest": self.unchecked}))
        elif self.more:
            self.issues.append(Issue(MORE_ISSUES, **where, severity=self.worst,  # type: ignore[arg-type]
                                     params={"column": column_letter(col), "more": self.more, "shown": len(self.issues),
                                             "total": self.more + len(self.issues)}))


def _duplicates(sheet: str, decl: InputDecl, col: int, data_rows: Sequence[int], values: Sequence[object],
                raws: Sequence[object]) -> list[Issue]:
    first: dict[object, int] = {}
    issues: list[Issue] = []
    capped = _Capped(issues)
    for i, v in enumerate(values):
        if v is None:
            continue
        k = v.lower() if isinstance(v, str) else v
        if k in first:
            capped.add(_issue(DUPLICATE_ROW_KEY, sheet, data_rows[i], col, decl, raws[i], {"first_row": first[k] + 1})
                       if capped.room else "error")
        else:
            first[k] = data_rows[i]
    capped.close(sheet, decl, col)
    return issues
