"""annotate_workbook: the filer's own workbook back, with every problem cell marked and explained in Chinese."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections import defaultdict

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook as XlsxWorkbook
from openpyxl.worksheet.worksheet import Worksheet

from assessment import glossary
from importers import limits
from importers.budget import Budget, count_xlsx
from importers.cells import to_grid
from importers.issues import FILE_REFUSALS, Issue
from importers.report import ImportReport, RosterReport
from importers.safe_cells import append_row, is_formula_like, write_only_cell
from importers.workbook import Workbook, read_workbook

SUMMARY_SHEET = "问题清单"
ERROR_FILL = PatternFill("solid", fgColor="FF9999")
WARNING_FILL = PatternFill("solid", fgColor="FFEB84")
_SEVERITY_ZH = {"error": "错误", "warning": "提示"}
_WRAP = Alignment(wrap_text=True)


#: Problem cells marked (fill and comment) and rows listed in 问题清单; the rest are counted, so a
#: report with a problem in every one of 200,000 cells still produces a small file quickly.
MAX_MARKED = 1_000
#: Rows of a trimmed sheet kept whatever they hold: a table's title, code and header rows.
_KEPT_HEAD_ROWS = 3


def annotate_workbook(original_bytes: bytes, report: ImportReport | RosterReport, *,
                      budget: Budget | None = None) -> bytes:
    """Fill problem cells red (errors) or yellow (warnings), add a Chinese comment to each and a summary sheet.

    The work is bounded whatever the file: a file refused before its cells were read comes back
    as the summary alone (it is not opened again); an .xlsx / .xlsm whose every sheet fits within
    `limits.OPENPYXL_CELLS` comes back as itself (macros dropped, saved as .xlsx); anything else
    (.xls, .ods, bigger workbooks, files openpyxl cannot open) as a streamed .xlsx copy of the
    cell values of the sheets `budget` reads (default: all, within `limits.MAX_CELLS`); sheets
    over `limits.FULL_COPY_CELLS` keep only their header rows and the rows with a mark.
    """
    by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    for issue in report.issues:
        if issue.sheet and issue.cell and len(by_cell) < MAX_MARKED:
            by_cell[(issue.sheet, issue.cell)].append(issue)
    if any(i.type in FILE_REFUSALS for i in report.issues) or not original_bytes:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        _summary(wb, report)
        return _saved(wb)
    wb = _open_in_place(original_bytes)
    if wb is None:
        return _values_copy(original_bytes, report, by_cell, budget)
    for (sheet_name, coordinate), issues in by_cell.items():
        if sheet_name not in wb.sheetnames:
            continue
        ws = wb[sheet_name]
        cell = ws[coordinate]
        if isinstance(cell, MergedCell):  # comments and fills live on the range's top-left cell
            for rng in ws.merged_cells.ranges:
                if coordinate in rng:
                    cell = ws.cell(row=rng.min_row, column=rng.min_col)
                    break
        cell.fill = _fill(issues)
        cell.comment = _comment(issues)
    _summary(wb, report)
    return _saved(wb)


def _fill(issues: list[Issue]) -> PatternFill:
    return ERROR_FILL if any(i.severity == "error" for i in issues) else WARNING_FILL


def _comment(issues: list[Issue]) -> Comment:
    text = "\n".join(f"【{_SEVERITY_ZH[i.severity]}】{i.message('zh_CN')}" for i in issues)
    comment = Comment(text, "系统校验")
    comment.width, comment.height = 320, 40 + 40 * len(issues)
    return comment


def _saved(wb: XlsxWorkbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _open_in_place(data: bytes) -> XlsxWorkbook | None:
    """The workbook itself, when it is an .xlsx small enough for openpyxl (~1 KB and ~10 µs a cell)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if "xl/workbook.xml" not in zf.namelist():
                return None
            _sizes, over = count_xlsx(zf, Budget(cells=limits.OPENPYXL_CELLS))
        if over is not None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops; irrelevant here
            return openpyxl.load_workbook(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - openpyxl is stricter than calamine; fall back to a copy
        return None


def _values_copy(data: bytes, report: ImportReport | RosterReport, by_cell: dict[tuple[str, str], list[Issue]],
                 budget: Budget | None) -> bytes:
    """A write-only .xlsx of the sheets' cell values with the problem cells marked: memory stays flat."""
    parsed = read_workbook(data, report.filename, budget=budget)
    big = isinstance(parsed, Workbook) and any(
        len(sheet.rows) * sheet.ncols > limits.FULL_COPY_CELLS for sheet in parsed.sheets.values())
    wb = openpyxl.Workbook(write_only=True)
    _summary_rows(wb.create_sheet(SUMMARY_SHEET), report, write_only=True, trimmed=big)
    if isinstance(parsed, Workbook):
        marks: dict[str, dict[tuple[int, int], list[Issue]]] = defaultdict(dict)
        for (sheet_name, coordinate), issues in by_cell.items():
            marks[sheet_name][to_grid(coordinate)] = issues
        for sheet in parsed.sheets.values():
            ws = wb.create_sheet(sheet.name[:31])
            sheet_marks = marks.get(sheet.name, {})
            trim = len(sheet.rows) * sheet.ncols > limits.FULL_COPY_CELLS
            marked_rows = {r for r, _ in sheet_marks}
            for r, row in enumerate(sheet.rows):
                if trim and r >= _KEPT_HEAD_ROWS and r not in marked_rows:
                    ws.append([])  # keeps the row numbers of the original
                    continue
                cells = []
                for c, value in enumerate(row):
                    value = None if value == "" else value
                    issues = sheet_marks.get((r, c))
                    if issues is None and not is_formula_like(value):
                        cells.append(value)
                        continue
                    cell = write_only_cell(ws, value)
                    if issues:
                        cell.fill, cell.comment = _fill(issues), _comment(issues)
                    cells.append(cell)
                ws.append(cells)
    return _saved(wb)


def _summary(wb: XlsxWorkbook, report: ImportReport | RosterReport) -> None:
    if SUMMARY_SHEET in wb.sheetnames:
        del wb[SUMMARY_SHEET]
    ws = wb.create_sheet(SUMMARY_SHEET, 0)
    _summary_rows(ws, report, write_only=False)
    for letter, width in zip("ABCDEFGH", _WIDTHS):
        ws.column_dimensions[letter].width = width
    for ws_other in wb.worksheets:
        ws_other.sheet_view.tabSelected = False
    wb.active = 0


_HEADERS = ("序号", "级别", "规则", "工作表", "单元格", "项目", "填写值", "说明")
_WIDTHS = (6, 8, 22, 12, 9, 24, 24, 70)


def _summary_rows(ws: Worksheet, report: ImportReport | RosterReport, *, write_only: bool,
                  trimmed: bool = False) -> None:
    """问题清单: a count, then one row per issue (at most MAX_MARKED); the filer's values are written as text."""
    errors = sum(1 for i in report.issues if i.severity == "error")
    head = (f"共发现 {errors} 个错误、{len(report.issues) - errors} 个提示。红色单元格为错误，黄色为提示，"
            "鼠标移到单元格上可查看说明。") if report.issues else "未发现问题。"
    if trimmed:
        head += "文件较大，较大的工作表只保留表头和有问题的行（行号与原文件一致）。"
    if len(report.issues) > MAX_MARKED:
        head += f"以下列出前 {MAX_MARKED} 个，其余请按上述问题类型逐一核对。"
    bold = Font(bold=True)
    if write_only:
        for letter, width in zip("ABCDEFGH", _WIDTHS):
            ws.column_dimensions[letter].width = width
        title = WriteOnlyCell(ws, head)
        title.font = bold
        ws.append([title])
        ws.append([])
        header = []
        for text in _HEADERS:
            cell = WriteOnlyCell(ws, text)
            cell.font = bold
            header.append(cell)
        ws.append(header)
    else:
        ws["A1"] = head
        ws["A1"].font = bold
        ws.append([])
        ws.append(list(_HEADERS))
        for c in range(1, len(_HEADERS) + 1):
            ws.cell(row=3, column=c).font = bold
    for n, issue in enumerate(report.issues[:MAX_MARKED], start=1):
        values = [n, _SEVERITY_ZH[issue.severity], glossary.zh("issue_kind", issue.code), issue.sheet or "（文件）", issue.cell or "",
                  issue.label or "", issue.value or "", issue.message("zh_CN")]
        fill = ERROR_FILL if issue.severity == "error" else WARNING_FILL
        if write_only:
            cells = [write_only_cell(ws, v) for v in values]
            cells[1].fill = fill
            cells[7].alignment = _WRAP
            ws.append(cells)
        else:
            append_row(ws, values)
            ws.cell(row=ws.max_row, column=2).fill = fill
            ws.cell(row=ws.max_row, column=8).alignment = _WRAP
