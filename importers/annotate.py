"""annotate_workbook: the filer's own workbook back, with every problem cell marked and explained in Chinese."""

from __future__ import annotations

import io
import warnings
from collections import defaultdict

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook as XlsxWorkbook

from assessment import glossary
from importers.issues import Issue
from importers.report import ImportReport, RosterReport
from importers.workbook import Workbook, read_workbook

SUMMARY_SHEET = "问题清单"
ERROR_FILL = PatternFill("solid", fgColor="FF9999")
WARNING_FILL = PatternFill("solid", fgColor="FFEB84")
_SEVERITY_ZH = {"error": "错误", "warning": "提示"}


def annotate_workbook(original_bytes: bytes, report: ImportReport | RosterReport) -> bytes:
    """Fill problem cells red (errors) or yellow (warnings), add a Chinese comment to each and a summary sheet.

    .xlsx / .xlsm come back as themselves (macros dropped, saved as .xlsx); .xls, .ods and files
    openpyxl cannot open come back as an .xlsx copy of their cell values.
    """
    wb = _open(original_bytes, report.filename)
    by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    for issue in report.issues:
        if issue.sheet and issue.cell and issue.sheet in wb.sheetnames:
            by_cell[(issue.sheet, issue.cell)].append(issue)
    for (sheet_name, coordinate), issues in by_cell.items():
        ws = wb[sheet_name]
        cell = ws[coordinate]
        if isinstance(cell, MergedCell):  # comments and fills live on the range's top-left cell
            for rng in ws.merged_cells.ranges:
                if coordinate in rng:
                    cell = ws.cell(row=rng.min_row, column=rng.min_col)
                    break
        worst = "error" if any(i.severity == "error" for i in issues) else "warning"
        cell.fill = ERROR_FILL if worst == "error" else WARNING_FILL
        text = "\n".join(f"【{_SEVERITY_ZH[i.severity]}】{i.message('zh_CN')}" for i in issues)
        comment = Comment(text, "系统校验")
        comment.width, comment.height = 320, 40 + 40 * len(issues)
        cell.comment = comment
    _summary(wb, report)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _open(data: bytes, filename: str) -> XlsxWorkbook:
    parsed = read_workbook(data, filename)
    if isinstance(parsed, Workbook) and parsed.format in ("xlsx", "xlsm"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops; irrelevant here
                return openpyxl.load_workbook(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - openpyxl is stricter than calamine; fall back to a copy
            pass
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if isinstance(parsed, Workbook):
        for sheet in parsed.sheets.values():
            ws = wb.create_sheet(sheet.name[:31])
            for row in sheet.rows:
                ws.append([None if v == "" else v for v in row])
    return wb


def _summary(wb: XlsxWorkbook, report: ImportReport | RosterReport) -> None:
    if SUMMARY_SHEET in wb.sheetnames:
        del wb[SUMMARY_SHEET]
    ws = wb.create_sheet(SUMMARY_SHEET, 0)
    errors = sum(1 for i in report.issues if i.severity == "error")
    ws["A1"] = (f"共发现 {errors} 个错误、{len(report.issues) - errors} 个提示。红色单元格为错误，黄色为提示，"
                "鼠标移到单元格上可查看说明。") if report.issues else "未发现问题。"
    ws["A1"].font = Font(bold=True)
    headers = ("序号", "级别", "规则", "工作表", "单元格", "项目", "填写值", "说明")
    ws.append([])
    ws.append(list(headers))
    for c in range(1, len(headers) + 1):
        ws.cell(row=3, column=c).font = Font(bold=True)
    for n, issue in enumerate(report.issues, start=1):
        ws.append([n, _SEVERITY_ZH[issue.severity], glossary.zh("issue_kind", issue.code), issue.sheet or "（文件）", issue.cell or "",
                   issue.label or "", issue.value or "", issue.message("zh_CN")])
        fill = ERROR_FILL if issue.severity == "error" else WARNING_FILL
        ws.cell(row=ws.max_row, column=2).fill = fill
        ws.cell(row=ws.max_row, column=8).alignment = Alignment(wrap_text=True)
    for letter, width in zip("ABCDEFGH", (6, 8, 22, 12, 9, 24, 24, 70)):
        ws.column_dimensions[letter].width = width
    for ws_other in wb.worksheets:
        ws_other.sheet_view.tabSelected = False
    wb.active = 0
