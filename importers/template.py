"""build_template: the .xlsx an institution downloads, generated from the declared inputs only.

Layout (the reader depends on it, see self_report.py):
* 说明 — instructions and the template identity in words.
* 基本情况 — one row per field: A code | B label | C unit | D value | E last year | F note | G guidance.
  Rows are found by the code in column A, never by row number or header text.
* one sheet per table (在孵企业, 研发项目 …): row 1 title, row 2 column codes, row 3 Chinese
  headers, data from row 4.
* _template (very hidden) — category, subclass, year, system version, template version.
* _lists (very hidden) — the choice lists the dropdowns point at.

Sheets are protected **without a password** so labels stay put while input cells (unlocked)
remain editable; 审阅 → 撤销工作表保护 lifts it when someone really needs to.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal

from openpyxl import Workbook as XlsxWorkbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from assessment.inputs import InputDecl, TableDecl
from importers.cells import column_letter
from importers.safe_cells import text_cell
from importers.self_report import (CODE_COL, HELP_COL, LABEL_COL, LAST_YEAR_COL, META_SHEET, NOTE_COL, UNIT_COL,
                                   VALUE_COL)
from importers.spec import KV_SHEET, TemplateSpec, describe

LISTS_SHEET = "_lists"
INSTRUCTIONS_SHEET = "说明"
#: First data row of a table sheet (1-based): title, code row, header row come first.
TABLE_CODE_ROW, TABLE_HEADER_ROW, TABLE_FIRST_DATA_ROW = 2, 3, 4

_TITLE = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_CODE_FONT = Font(color="808080", size=9)
_GREY = PatternFill("solid", fgColor="EDEDED")
_SECTION = PatternFill("solid", fgColor="DDEBF7")
_HEADER = PatternFill("solid", fgColor="BDD7EE")
_INPUT = PatternFill("solid", fgColor="FFFFFF")
_THIN = Side(style="thin", color="BFBFBF")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNLOCKED = Protection(locked=False)
_DATE_FORMAT = "yyyy-mm-dd"


def build_template(spec: TemplateSpec, *, prefill: Mapping[str, object] | None = None,
                   last_year: Mapping[str, object] | None = None,
                   rows: Mapping[str, Sequence[Mapping[str, object]]] | None = None) -> bytes:
    """The self-report template as .xlsx bytes; `prefill` fills header/value cells, `last_year` the
    reference column, `rows` (table code → rows of column code → value) pre-fills table sheets."""
    wb = XlsxWorkbook()
    lists = _Lists(wb.create_sheet(LISTS_SHEET))
    _instructions(wb.active, spec)
    _kv_sheet(wb.create_sheet(KV_SHEET), spec, lists, prefill or {}, last_year or {})
    for table in spec.tables:
        _table_sheet(wb.create_sheet(table.label), table, spec, lists, (rows or {}).get(table.code, ()))
    _meta_sheet(wb.create_sheet(META_SHEET), spec)
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    lists.sheet.sheet_state = "veryHidden"
    wb.active = 1  # open on 基本情况
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _protect(ws: Worksheet, *, rows_editable: bool = False) -> None:
    ws.protection.sheet = True  # no password, documented in 说明
    ws.protection.formatColumns = False  # False = allowed: let people widen columns
    ws.protection.formatRows = False
    if rows_editable:
        ws.protection.insertRows = False
        ws.protection.deleteRows = False


def _instructions(ws: Worksheet, spec: TemplateSpec) -> None:
    ws.title = INSTRUCTIONS_SHEET
    ws["A1"] = f"{spec.title} 自评报表 填报说明"
    ws["A1"].font = _TITLE
    table_names = "、".join(f"“{t.label}”" for t in spec.tables) or "（无）"
    lines = [
        f"类别：{spec.title}；指标体系版本：{spec.system_version or '—'}；模板版本：{spec.template_version}。",
        "1. 本模板由系统根据指标体系的填报项自动生成，请勿增删工作表、修改代码列（A列）或表格第2行的代码行。",
        "2. 只在白色单元格填写；灰色单元格为说明或上年数据。工作表已保护但未设密码，如确需调整可“审阅→撤销工作表保护”。",
        "3. 数值只填数字，不带单位；单位以“单位”列为准（注意“万元”与“千元”的区别）。",
        "4. 百分比填写百分数，例如 35% 填 35。",
        "5. 日期按“年-月-日”填写，例如 2019-05-01。",
        "6. 统一社会信用代码为18位，单元格已设为文本格式，请勿填写为数字。",
        f"7. 表格工作表 {table_names} 从第{TABLE_FIRST_DATA_ROW}行起每行填写一条，行数应与“基本情况”中对应的数量一致。",
        f"8. 与上年相比变化超过 ±{spec.plausibility_jump}% 的数据，请在“备注”列说明原因。" if spec.plausibility_jump
        is not None else "8. 如数据变化较大，请在“备注”列说明原因。",
        "9. 上传后系统逐格检查全部数据，并可下载标注了问题单元格（红色为错误，黄色为提示）的文件。",
    ]
    for i, line in enumerate(lines, start=3):
        ws.cell(row=i, column=1, value=line).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110
    _protect(ws)


class _Lists:
    """Choice lists on a very hidden sheet, one column per field, for dropdowns too long to inline."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.next_col = 1
        self.cache: dict[tuple[str, ...], str] = {}

    def formula(self, labels: Sequence[str]) -> str:
        key = tuple(labels)
        inline = ",".join(labels)
        if len(inline) <= 250 and not any("," in label or '"' in label for label in labels):
            return f'"{inline}"'
        if key not in self.cache:
            col = self.next_col
            self.next_col += 1
            for r, label in enumerate(labels, start=1):
                self.sheet.cell(row=r, column=col, value=label)
            letter = column_letter(col - 1)
            self.cache[key] = f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(labels)}"
        return self.cache[key]


def _validation(decl: InputDecl, lists: _Lists, year: int) -> DataValidation | None:
    """Excel data validation for a declared input (the reader checks again: pasting bypasses it)."""
    expected_en, expected_zh = describe(decl)
    dv: DataValidation | None = None
    if decl.type in ("int", "decimal", "percent"):
        kind = "whole" if decl.type == "int" else "decimal"
        lo = decl.min if decl.min is not None else Decimal("-1e12")
        hi = decl.max if decl.max is not None else Decimal("1e12")
        if decl.type == "percent" and decl.min is None:
            lo = Decimal(0)
        dv = DataValidation(type=kind, operator="between", formula1=str(lo), formula2=str(hi))
    elif decl.type == "date":
        dv = DataValidation(type="date", operator="between", formula1="DATE(1950,1,1)",
                            formula2=f"DATE({year},12,31)")
    elif decl.type == "bool":
        dv = DataValidation(type="list", formula1='"是,否"')
    elif decl.type == "choice":
        dv = DataValidation(type="list", formula1=lists.formula([c.label for c in decl.choices]))
    elif decl.type == "uscc":
        dv = DataValidation(type="textLength", operator="equal", formula1="18", errorStyle="warning")
    if dv is None:
        return None
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.errorTitle = "填写不符合要求"
    dv.error = f"{decl.label}：应为{expected_zh}"[:255]
    dv.showInputMessage = True
    dv.promptTitle = decl.label[:32]
    dv.prompt = (f"{expected_zh}" + (f"；{decl.help}" if decl.help else ""))[:255]
    return dv


def _number_format(decl: InputDecl) -> str | None:
    if decl.type in ("uscc", "text", "multichoice"):
        return "@"
    if decl.type == "date":
        return _DATE_FORMAT
    if decl.type == "int":
        return "0"
    if decl.type in ("decimal", "percent") and decl.decimals is not None:
        return "0" if decl.decimals == 0 else "0." + "0" * decl.decimals
    return None


def _display(decl: InputDecl, value: object) -> object:
    """A stored value as it should appear in a cell (labels for codes, 是/否 for booleans)."""
    if value is None:
        return None
    if decl.type == "bool":
        return "是" if value else "否"
    if decl.type in ("choice", "multichoice"):
        labels = {c.code: c.label for c in decl.choices}
        codes = value if isinstance(value, (list, tuple)) else [value]
        return "、".join(labels.get(str(c), str(c)) for c in codes)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _kv_sheet(ws: Worksheet, spec: TemplateSpec, lists: _Lists, prefill: Mapping[str, object],
              last_year: Mapping[str, object]) -> None:
    ws["B1"] = f"{spec.title} 自评报表"
    ws["B1"].font = _TITLE
    ws["B2"] = f"报告年度：{spec.year}　模板版本：{spec.template_version}　（白色单元格为填报区）"
    headers = ("代码", "项目", "单位", "填报值", f"上年值（{spec.year - 1}）", "备注（变化说明）", "填报说明")
    for c, text in enumerate(headers):
        cell = ws.cell(row=3, column=c + 1, value=text)
        cell.font, cell.fill, cell.border = _BOLD, _HEADER, _BOX
    row = 4
    section = None
    for decl in spec.fields:
        if decl.section != section:
            section = decl.section
            for c in range(len(headers)):
                ws.cell(row=row, column=c + 1).fill = _SECTION
            ws.cell(row=row, column=LABEL_COL + 1, value=section).font = _BOLD
            row += 1
        expected_en, expected_zh = describe(decl)
        ws.cell(row=row, column=CODE_COL + 1, value=decl.code).font = _CODE_FONT
        ws.cell(row=row, column=LABEL_COL + 1, value=decl.label + (" *" if decl.required else ""))
        ws.cell(row=row, column=UNIT_COL + 1, value=decl.unit or "")
        # prefilled and last-year values come from the registry and earlier reports: text, never formulas
        value_cell = text_cell(ws, row, VALUE_COL + 1, _display(decl, prefill.get(decl.code)))
        value_cell.protection, value_cell.fill, value_cell.border = _UNLOCKED, _INPUT, _BOX
        fmt = _number_format(decl)
        if fmt:
            value_cell.number_format = fmt
        last = text_cell(ws, row, LAST_YEAR_COL + 1, _display(decl, last_year.get(decl.code)))
        last.fill = _GREY
        if fmt:
            last.number_format = fmt
        note = ws.cell(row=row, column=NOTE_COL + 1)
        note.protection, note.border = _UNLOCKED, _BOX
        note.number_format = "@"
        guidance = expected_zh + (f"。{decl.help}" if decl.help else "") + ("（暂定口径）" if decl.provisional else "")
        ws.cell(row=row, column=HELP_COL + 1, value=guidance).alignment = Alignment(wrap_text=True)
        for c in (CODE_COL, LABEL_COL, UNIT_COL, HELP_COL):
            ws.cell(row=row, column=c + 1).fill = _GREY
        dv = _validation(decl, lists, spec.year)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(value_cell.coordinate)
        row += 1
    for letter, width in zip("ABCDEFG", (16, 34, 8, 18, 16, 26, 48)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "D4"
    _protect(ws)


def _table_rows(ws: Worksheet, table: TableDecl, rows: Sequence[Mapping[str, object]]) -> None:
    """Pre-filled rows (what the registry and last year's report hold), editable like typed ones."""
    for i, row in enumerate(rows):
        for c, decl in enumerate(table.columns):
            value = _display(decl, row.get(decl.code))
            if value is None:
                continue
            cell = ws.cell(row=TABLE_FIRST_DATA_ROW + i, column=c + 1, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text from the registry is text, never a formula
            cell.protection = _UNLOCKED


def _table_sheet(ws: Worksheet, table: TableDecl, spec: TemplateSpec, lists: _Lists,
                 rows: Sequence[Mapping[str, object]] = ()) -> None:
    title = f"{table.label}（每行一条，从第{TABLE_FIRST_DATA_ROW}行起填写）" + (f"：{table.help}" if table.help else "")
    ws.cell(row=1, column=1, value=title).font = _BOLD
    last_row = TABLE_FIRST_DATA_ROW + table.max_rows - 1
    for c, decl in enumerate(table.columns):
        letter = column_letter(c)
        code_cell = ws.cell(row=TABLE_CODE_ROW, column=c + 1, value=decl.code)
        code_cell.font, code_cell.fill = _CODE_FONT, _GREY
        head = ws.cell(row=TABLE_HEADER_ROW, column=c + 1,
                       value=decl.label + (f"（{decl.unit}）" if decl.unit else "") + (" *" if decl.required else ""))
        head.font, head.fill, head.border = _BOLD, _HEADER, _BOX
        head.alignment = Alignment(wrap_text=True, vertical="center")
        _, expected_zh = describe(decl)
        head.comment = Comment(expected_zh + (f"。{decl.help}" if decl.help else ""), "模板")
        # Column-level style: Excel applies it to every empty cell below, so data cells are
        # unlocked (and credit codes are text) without writing thousands of styled cells.
        dim = ws.column_dimensions[letter]
        dim.protection = _UNLOCKED
        fmt = _number_format(decl)
        if fmt:
            dim.number_format = fmt
        dim.width = max(12, min(40, 2 * len(decl.label) + 4))
        dv = _validation(decl, lists, spec.year)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}{TABLE_FIRST_DATA_ROW}:{letter}{last_row}")
    for r in (1, TABLE_CODE_ROW, TABLE_HEADER_ROW):  # header rows stay locked
        for c in range(max(1, len(table.columns))):
            ws.cell(row=r, column=c + 1).protection = Protection(locked=True)
    _table_rows(ws, table, rows)
    ws.row_dimensions[TABLE_HEADER_ROW].height = 32
    ws.freeze_panes = f"A{TABLE_FIRST_DATA_ROW}"
    _protect(ws, rows_editable=True)


def _meta_sheet(ws: Worksheet, spec: TemplateSpec) -> None:
    for r, (key, value) in enumerate(spec.identity().items(), start=1):
        ws.cell(row=r, column=1, value=key)
        ws.cell(row=r, column=2, value=value).number_format = "@"
    ws.cell(row=len(spec.identity()) + 1, column=1, value="generator")
    ws.cell(row=len(spec.identity()) + 1, column=2, value="fuhua.importers")
    ws.sheet_state = "veryHidden"
    _protect(ws)
