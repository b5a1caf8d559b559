"""The bureau's roster spreadsheet: one row per institution, keyed by unified social credit code.

parse_roster accepts our own template (found by its code row) and roster sheets people made
themselves (found by Chinese header text, with common synonyms), on the first sheet that has one.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook as XlsxWorkbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from assessment.inputs import Choice, InputDecl
from importers.cells import column_letter
from importers.issues import INVALID_COMBINATION, ROSTER_NOT_FOUND, Issue, sort_issues
from importers.reference import (CATEGORY_LABELS, LEGAL_FORM_LABELS, RECOGNITION_LEVEL_LABELS, SUBCLASS_CHOICES,
                                 SUBCLASS_LABELS,
                                 SUBCLASSES_BY_CATEGORY, TOWN_ALIASES, TOWN_CHOICES)
from importers.report import ImportReport, RosterReport
from importers.tables import find_layout, parse_table
from importers.workbook import Workbook

ROSTER_SHEET = "机构名录"


def _choices(labels: dict[str, str] | tuple[tuple[str, str], ...]) -> tuple[Choice, ...]:
    pairs = labels.items() if isinstance(labels, dict) else labels
    return tuple(Choice(code, label) for code, label in pairs)


#: The roster's columns, declared once; the template and the reader both use them.
ROSTER_COLUMNS: tuple[InputDecl, ...] = (
    InputDecl("name", "机构名称", "text"),
    InputDecl("uscc", "统一社会信用代码", "uscc"),
    InputDecl("category", "类别", "choice", choices=_choices(CATEGORY_LABELS)),
    InputDecl("subclass", "子类", "choice", choices=_choices(SUBCLASS_CHOICES), required=False),
    InputDecl("legal_form", "法人类型", "choice", choices=_choices(LEGAL_FORM_LABELS)),
    InputDecl("town", "所在镇街(园区)", "choice", choices=tuple(Choice(t, t) for t in TOWN_CHOICES)),
    InputDecl("operating_entity", "运营主体", "text", required=False),
    InputDecl("address", "地址", "text"),
    InputDecl("established_on", "成立日期", "date"),
    InputDecl("operating_since", "开始运营日期", "date", required=False),
    InputDecl("recognition_level", "认定级别", "choice", choices=_choices(RECOGNITION_LEVEL_LABELS)),
    InputDecl("recognition_year", "认定年份", "int", min=Decimal(1990), max=Decimal(2100)),
    InputDecl("recognition_doc_no", "认定文号", "text", required=False),
)

#: Header texts seen in hand-made rosters, per column.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "单位名称", "机构全称", "载体名称"),
    "uscc": ("信用代码", "社会信用代码", "统一社会信用代码证号"),
    "category": ("载体类型", "机构类别"),
    "legal_form": ("单位性质", "法人性质"),
    "town": ("镇街", "所在镇街", "所属镇街", "镇街(园区)", "所在镇(街道)"),
    "operating_entity": ("运营单位", "运营机构"),
    "address": ("详细地址", "注册地址"),
    "established_on": ("成立时间",),
    "operating_since": ("运营时间", "投入运营时间"),
    "recognition_level": ("级别",),
    "recognition_year": ("认定年度",),
    "recognition_doc_no": ("文号", "认定文件"),
}


def parse_roster(workbook: Workbook | ImportReport) -> RosterReport:
    """Validate every roster row at once: types, towns, category/subclass fit, duplicate credit codes."""
    if isinstance(workbook, ImportReport):
        return RosterReport(filename=workbook.filename, sha256=workbook.sha256, issues=workbook.issues)
    report = RosterReport(filename=workbook.filename, sha256=workbook.sha256)
    sheet = workbook.sheet(ROSTER_SHEET)
    if sheet is None:  # a hand-made roster: the first visible sheet with a recognisable header
        sheet = next((s for s in workbook.sheets.values()
                      if s.visibility == "visible" and find_layout(s, ROSTER_COLUMNS, SYNONYMS) is not None), None)
    if sheet is None:
        report.issues = [Issue(ROSTER_NOT_FOUND)]
        return report
    table, issues = parse_table(sheet, ROSTER_COLUMNS, code="institutions", label=ROSTER_SHEET, key="uscc",
                                max_rows=5000, required=True, aliases={"town": TOWN_ALIASES}, synonyms=SYNONYMS)
    if table is not None and "category" in table.values and "subclass" in table.values:
        categories, subclasses = table.values["category"], table.values["subclass"]
        for i, (cat, sub) in enumerate(zip(categories, subclasses)):
            if sub is None or cat is None:
                continue
            if sub not in SUBCLASSES_BY_CATEGORY.get(cat, ()):  # type: ignore[arg-type]
                issues.append(Issue(INVALID_COMBINATION, sheet=sheet.name,
                                    cell=f"{table.letters['subclass']}{table.row_numbers[i]}", field="subclass",
                                    label="子类", value=SUBCLASS_LABELS.get(str(sub), str(sub)),
                                    params={"other": f"类别“{CATEGORY_LABELS.get(str(cat), cat)}”"}))
    report.rows = table
    report.issues = sort_issues(issues, {n: i for i, n in enumerate(workbook.sheet_names)})
    return report


def build_roster_template() -> bytes:
    """The roster template: code row, Chinese headers, dropdowns for categories, towns and levels."""
    wb = XlsxWorkbook()
    ws = wb.active
    ws.title = ROSTER_SHEET
    lists = wb.create_sheet("_lists")
    ws["A1"] = "机构名录（每行一家机构，从第4行起填写；第2行为代码行，请勿修改）"
    ws["A1"].font = Font(bold=True)
    list_col = 0
    for c, decl in enumerate(ROSTER_COLUMNS):
        letter = column_letter(c)
        ws.cell(row=2, column=c + 1, value=decl.code).font = Font(color="808080", size=9)
        head = ws.cell(row=3, column=c + 1, value=decl.label + (" *" if decl.required else ""))
        head.font, head.fill = Font(bold=True), PatternFill("solid", fgColor="BDD7EE")
        head.alignment = Alignment(wrap_text=True)
        dim = ws.column_dimensions[letter]
        dim.width = 18 if decl.type != "text" else 28
        dim.protection = Protection(locked=False)
        if decl.type in ("text", "uscc"):
            dim.number_format = "@"
        elif decl.type == "date":
            dim.number_format = "yyyy-mm-dd"
        dv = None
        if decl.choices:
            lcol = column_letter(list_col)
            for r, choice in enumerate(decl.choices, start=1):
                lists.cell(row=r, column=list_col + 1, value=choice.label)
            dv = DataValidation(type="list", formula1=f"'_lists'!${lcol}$1:${lcol}${len(decl.choices)}")
            list_col += 1
        elif decl.type == "int":
            dv = DataValidation(type="whole", operator="between", formula1=str(decl.min), formula2=str(decl.max))
        elif decl.type == "date":
            dv = DataValidation(type="date", operator="between", formula1="DATE(1950,1,1)",
                                formula2=f"DATE({dt.date.today().year + 1},12,31)")
        if dv is not None:
            dv.allow_blank = True
            dv.showErrorMessage = True
            dv.error = f"{decl.label}填写不符合要求"
            ws.add_data_validation(dv)
            dv.add(f"{letter}4:{letter}5003")
    ws.freeze_panes = "C4"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.insertRows = False
    ws.protection.deleteRows = False
    for r in (1, 2, 3):
        for c in range(len(ROSTER_COLUMNS)):
            ws.cell(row=r, column=c + 1).protection = Protection(locked=True)
    lists.sheet_state = "veryHidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["ROSTER_COLUMNS", "ROSTER_SHEET", "build_roster_template", "parse_roster"]
