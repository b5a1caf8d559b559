"""parse_self_report: a filled-in template → values with their cells, tables and every issue at once."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from assessment.inputs import ConsistencyCheck
from importers.cells import range_ref, ref
from importers.converters import Problem, converter_for, is_empty
from importers.issues import (CHECK_FAILED, IMPLAUSIBLE_JUMP, MERGED_INPUT_CELL, MISSING_FIELD, MISSING_SHEET,
                              REPORT_YEAR_MISMATCH,
                              NOT_A_TEMPLATE, OUTDATED_TEMPLATE, REQUIRED, ROW_COUNT_MISMATCH, WRONG_TEMPLATE, Issue,
                              sort_issues)
from importers.reference import category_label, subclass_label
from importers.report import CellValue, ImportReport, ReportIdentity, raw_text
from importers.spec import KV_SHEET, TemplateSpec, describe
from importers.tables import parse_table, problem_issue, special_cell_issue
from importers.workbook import Sheet, Workbook

#: The very hidden sheet holding the template identity (key in column A, value in column B).
META_SHEET = "_template"
#: Key/value sheet columns (0-based): code, label, unit, value, last year, note, guidance.
CODE_COL, LABEL_COL, UNIT_COL, VALUE_COL, LAST_YEAR_COL, NOTE_COL, HELP_COL = range(7)
_NUMERIC = ("int", "decimal", "percent")
_OPS = {"<=": "≤", ">=": "≥", "==": "="}


def read_identity(workbook: Workbook) -> dict[str, str] | None:
    """The template identity stored in the workbook, or None when the file carries none."""
    sheet = workbook.sheet(META_SHEET)
    if sheet is None:
        return None
    identity = {}
    for row in sheet.rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0]:
            identity[row[0]] = raw_text(row[1]) or ""
    return identity


def _template_title(category: str, subclass: str, year: str) -> str:
    sub = subclass_label(subclass)
    return f"{year}年度 {category_label(category)}" + (f"（{sub}）" if sub else "")


def parse_self_report(workbook: Workbook | ImportReport, spec: TemplateSpec, *,
                      previous: Mapping[str, object] | None = None) -> ImportReport:
    """Validate everything in one pass; data problems come back as issues, errors before warnings."""
    if isinstance(workbook, ImportReport):  # read_workbook already found the file unreadable
        return workbook
    report = ImportReport(filename=workbook.filename, sha256=workbook.sha256)
    issues: list[Issue] = []
    meta = read_identity(workbook)
    if meta is None:
        issues.append(Issue(NOT_A_TEMPLATE, params={"expected": spec.title}))
    else:
        found = (meta.get("category", ""), meta.get("subclass", ""), meta.get("year", ""))
        expected = (spec.category, spec.subclass or "", str(spec.year))
        if found != expected:
            issues.append(Issue(WRONG_TEMPLATE, params={"found": _template_title(*found), "expected": spec.title}))
            report.issues = issues
            report.identity = ReportIdentity(found[0] or None, found[1] or None, _int(found[2]),
                                             system_version=meta.get("system_version"),
                                             template_version=meta.get("template_version"))
            return report
        if meta.get("template_version") != spec.template_version:
            issues.append(Issue(OUTDATED_TEMPLATE, params={"found": meta.get("template_version") or "?",
                                                           "expected": spec.template_version}))

    kv = workbook.sheet(KV_SHEET)
    if kv is None:
        issues.append(Issue(MISSING_SHEET, sheet=KV_SHEET, params={"year": spec.year}))
    else:
        _parse_kv(kv, spec, report, issues)

    year_cell = report.values.get("report_year")
    if year_cell is not None and year_cell.value is not None and year_cell.value != spec.year:
        decl = spec.by_code().get("report_year")
        issues.append(Issue(REPORT_YEAR_MISMATCH, sheet=year_cell.sheet, cell=year_cell.cell, field="report_year",
                            label=decl.label if decl else "报告年度", value=str(year_cell.value),
                            params={"year": spec.year}))

    for table_decl in spec.tables:
        sheet = workbook.sheet(table_decl.label)
        if sheet is None:
            issues.append(Issue(MISSING_SHEET, sheet=table_decl.label, params={"year": spec.year}))
            continue
        table, table_issues = parse_table(sheet, table_decl.columns, code=table_decl.code, label=table_decl.label,
                                          year=spec.year, key=table_decl.key, max_rows=table_decl.max_rows,
                                          required=table_decl.required)
        issues.extend(table_issues)
        if table is None:
            continue
        report.tables[table_decl.code] = table
        if table_decl.count_input:
            count = report.values.get(table_decl.count_input)
            decl = spec.by_code().get(table_decl.count_input)
            if count is not None and isinstance(count.value, int) and count.value != len(table) and decl:
                issues.append(Issue(ROW_COUNT_MISMATCH, sheet=count.sheet, cell=count.cell, field=decl.code,
                                    label=decl.label, value=str(count.value),
                                    params={"rows": len(table), "sheet": table_decl.label}))

    for check in spec.checks:
        issue = _run_check(check, spec, report)
        if issue is not None:
            issues.append(issue)
    if previous and spec.plausibility_jump is not None:
        issues.extend(_plausibility(spec, report, previous))

    uscc = report.values.get("uscc")
    name = report.values.get("org_name")
    report.identity = ReportIdentity(
        category=(meta or {}).get("category") or spec.category, subclass=((meta or {}).get("subclass") or None),
        year=_int((meta or {}).get("year")) or spec.year,
        uscc=uscc.value if uscc is not None else None,  # type: ignore[arg-type]
        org_name=name.value if name is not None else None,  # type: ignore[arg-type]
        system_version=(meta or {}).get("system_version") or spec.system_version,
        template_version=(meta or {}).get("template_version"))
    sheet_order = {n: i for i, n in enumerate(workbook.sheet_names)}
    report.issues = sort_issues(issues, sheet_order)
    return report


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _parse_kv(sheet: Sheet, spec: TemplateSpec, report: ImportReport, issues: list[Issue]) -> None:
    rows_by_code: dict[str, int] = {}
    for r, line in enumerate(sheet.rows):
        if line and isinstance(line[CODE_COL], str) and line[CODE_COL]:
            rows_by_code.setdefault(line[CODE_COL].strip(), r)
    for decl in spec.fields:
        r = rows_by_code.get(decl.code)
        if r is None:
            if decl.required:
                issues.append(Issue(MISSING_FIELD, sheet=sheet.name, field=decl.code, label=decl.label))
            continue
        cell = ref(r, VALUE_COL)
        note = sheet.get(r, NOTE_COL)
        if not is_empty(note):
            report.notes[decl.code] = CellValue(str(note).strip(), raw_text(note), sheet.name, ref(r, NOTE_COL))
        merged = sheet.merged_range_at(r, VALUE_COL)
        if merged is not None:
            issues.append(Issue(MERGED_INPUT_CELL, sheet=sheet.name, cell=ref(merged[0], merged[1]), field=decl.code,
                                label=decl.label, params={"range": range_ref(*merged)}))
        raw = sheet.get(r, VALUE_COL)
        value: object = None
        if is_empty(raw):
            special = special_cell_issue(sheet, r, VALUE_COL, decl)
            if special is not None:
                issues.append(special)
            elif decl.required:
                expected_en, expected_zh = describe(decl)
                issues.append(Issue(REQUIRED, sheet=sheet.name, cell=cell, field=decl.code, label=decl.label,
                                    expected=expected_en, params={"expected_zh": expected_zh}))
        else:
            convert = converter_for(decl, year=spec.year)
            value = convert(raw, (r, VALUE_COL) in sheet.percent_cells)
            if type(value) is Problem:
                issues.append(problem_issue(value, sheet.name, r, VALUE_COL, decl, raw))
                value = value.value
        report.values[decl.code] = CellValue(value, raw_text(raw), sheet.name, cell)


def _operand(term: str, spec: TemplateSpec, report: ImportReport) -> tuple[Decimal, str] | None:
    """Value and label of a check term: an input code, or "table.column" for a column sum."""
    if "." in term:
        table_code, column = term.split(".", 1)
        table = report.tables.get(table_code)
        if table is None or column not in table.values:
            return None
        total = sum((_dec(v) or Decimal(0) for v in table.values[column]), Decimal(0))
        decl = next((t for t in spec.tables if t.code == table_code), None)
        col = next((c for c in decl.columns if c.code == column), None) if decl else None
        return total, f"{decl.label if decl else table_code}·{col.label if col else column}合计"
    cell = report.values.get(term)
    decl = spec.by_code().get(term)
    if cell is None or decl is None:
        return None
    value = _dec(cell.value)
    return (value, decl.label) if value is not None else None


def _dec(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    try:
        return Decimal(str(value)) if isinstance(value, float) else None
    except InvalidOperation:
        return None


def _side(terms: list[tuple[Decimal, str]]) -> str:
    if len(terms) == 1:
        return f"{terms[0][1]} {terms[0][0]}"
    return " + ".join(label for _, label in terms) + f" = {sum(v for v, _ in terms)}"


def _run_check(check: ConsistencyCheck, spec: TemplateSpec, report: ImportReport) -> Issue | None:
    left = [_operand(t, spec, report) for t in check.left]
    right = [_operand(t, spec, report) for t in check.right]
    if any(o is None for o in left + right):
        return None  # a missing or invalid operand is already reported on its own cell
    lsum = sum((o[0] for o in left), Decimal(0))  # type: ignore[index]
    rsum = sum((o[0] for o in right), Decimal(0))  # type: ignore[index]
    ok = {"<=": lsum <= rsum, ">=": lsum >= rsum, "==": lsum == rsum}[check.op]
    if ok:
        return None
    anchor = report.values.get(check.left[0])
    return Issue(CHECK_FAILED, sheet=anchor.sheet if anchor else None, cell=anchor.cell if anchor else None,
                 field=check.code, label=check.message, value=str(lsum), severity=check.severity,
                 params={"message": check.message, "message_en": check.message_en or check.message,
                         "check": check.code, "left": _side(left), "op": _OPS[check.op],  # type: ignore[arg-type]
                         "right": _side(right)})  # type: ignore[arg-type]


def _plausibility(spec: TemplateSpec, report: ImportReport, previous: Mapping[str, object]) -> list[Issue]:
    """A change beyond ±plausibility_jump % asks for a note; a note on that row answers it."""
    limit = spec.plausibility_jump
    issues = []
    codes = spec.by_code()
    for decl in spec.fields:
        if decl.type not in _NUMERIC or decl.code in report.notes:
            continue
        cell = report.values.get(decl.code)
        now = _dec(cell.value) if cell else None
        # "last year's figure" fields (…_prev) restate what was reported last year under the base code:
        # compare like with like, 上年孵化器总收入 with last year's 孵化器总收入
        base = decl.code.removesuffix("_prev")
        same_field = base if base != decl.code and base in codes else decl.code
        before = _dec(_coerce(previous.get(same_field)))
        if now is None or before is None or before == 0:
            continue
        change = (now - before) / abs(before) * 100
        if abs(change) > limit:  # type: ignore[operator]
            issues.append(Issue(IMPLAUSIBLE_JUMP, sheet=cell.sheet, cell=cell.cell, field=decl.code,  # type: ignore[union-attr]
                                label=decl.label, value=str(now), severity="warning",
                                params={"previous": str(before), "change": f"{change:+.0f}", "limit": str(limit)}))
    return issues


def _coerce(value: object) -> object:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return value

