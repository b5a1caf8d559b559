"""The import error model: one small Issue type with a stable code, and the reports that carry them.

Data problems are returned as Issues, never raised (style.md §F). Each IssueType has an English
msgid marked with ``N_`` (registry translates it with Flask-Babel at render time) and a Chinese
template kept here, so the CLI and the highlighted workbook speak Chinese without Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


def N_(message: str) -> str:
    """Mark a message for extraction (pybabel -k N_); registry translates it at render time."""
    return message


@dataclass(frozen=True, slots=True)
class IssueType:
    """A kind of problem: stable kebab-case code, English msgid, Chinese template."""

    code: str
    template: str
    template_zh: str
    #: position in the catalogue: reports group issues by rule in this order
    order: int = 0


_CATALOGUE: dict[str, IssueType] = {}


def _t(code: str, template: str, template_zh: str) -> IssueType:
    issue_type = IssueType(code, template, template_zh, len(_CATALOGUE))
    _CATALOGUE[code] = issue_type
    return issue_type


# --- the file itself -------------------------------------------------------------------------
NOT_A_SPREADSHEET = _t("not-a-spreadsheet",
    N_("“%(filename)s” is not a spreadsheet (.xlsx, .xlsm, .xls or .ods expected)."),
    "“%(filename)s”不是电子表格文件（应为 .xlsx、.xlsm、.xls 或 .ods）。")
ENCRYPTED_FILE = _t("encrypted-file",
    N_("“%(filename)s” is password-protected. Please remove the password to open (文件→信息→保护工作簿) and upload it again."),
    "“%(filename)s”设置了打开密码，请取消密码（文件→信息→保护工作簿）后重新上传。")
CORRUPT_FILE = _t("corrupt-file",
    N_("“%(filename)s” cannot be read (%(detail)s). Please open it in Excel, save it again and re-upload."),
    "无法读取“%(filename)s”（%(detail_zh)s），请用 Excel 打开后另存一次再上传。")
EMPTY_FILE = _t("empty-file",
    N_("“%(filename)s” is empty (0 bytes). Please choose the filled-in template."),
    "“%(filename)s”是空文件（0 字节），请选择已填写的模板。")
TOO_LARGE = _t("too-large",
    N_("The file is too large: %(size)s; the limit is %(limit)s."),
    "文件过大：%(size)s，上限为 %(limit)s。")
TOO_MANY_ROWS = _t("too-many-rows",
    N_("Sheet “%(sheet)s” has %(rows)s rows; at most %(limit)s are accepted."),
    "工作表“%(sheet)s”有 %(rows)s 行，最多接受 %(limit)s 行。")
TOO_MANY_COLUMNS = _t("too-many-columns",
    N_("Sheet “%(sheet)s” has %(columns)s columns; at most %(limit)s are accepted."),
    "工作表“%(sheet)s”有 %(columns)s 列，最多接受 %(limit)s 列。")
UNCOMPRESSED_TOO_LARGE = _t("uncompressed-too-large",
    N_("Unpacked, the file would take %(size)s (it is %(compressed)s packed); at most %(limit)s unpacked are accepted."),
    "文件解压后达 %(size)s（压缩后 %(compressed)s），超过解压后大小上限 %(limit)s。")
COMPRESSION_RATIO = _t("compression-ratio",
    N_("Part %(part)s of the file is compressed %(ratio)s:1 (%(size)s unpacked); at most %(limit)s:1 is accepted, "
       "as no real spreadsheet compresses that well."),
    "文件中的“%(part)s”压缩比为 %(ratio)s:1（解压后 %(size)s），超过压缩比上限 %(limit)s:1，正常的电子表格不会有如此高的压缩比。")
PART_TOO_LARGE = _t("part-too-large",
    N_("Part %(part)s of the file is %(size)s unpacked; at most %(limit)s are accepted."),
    "文件中的“%(part)s”解压后为 %(size)s，超过上限 %(limit)s。")
TOO_MANY_CELLS = _t("too-many-cells",
    N_("The used area of sheet “%(sheet)s” (with the sheets before it) spans at least %(cells)s cells; at most "
       "%(limit)s are accepted for this file. Please delete the rows, columns or sheets outside the template and "
       "upload it again."),
    "工作表“%(sheet)s”（连同此前读取的工作表）的已用区域至少有 %(cells)s 个单元格，超过本文件允许的 %(limit)s 个。"
    "请删除模板范围以外的行、列或工作表后重新上传。")
#: What read_workbook refuses before reading any cell: such a file is never opened again.
FILE_REFUSALS = frozenset({NOT_A_SPREADSHEET, ENCRYPTED_FILE, CORRUPT_FILE, EMPTY_FILE, TOO_LARGE,
                           UNCOMPRESSED_TOO_LARGE, COMPRESSION_RATIO, PART_TOO_LARGE, TOO_MANY_CELLS})
# --- template identity -----------------------------------------------------------------------
NOT_A_TEMPLATE = _t("not-a-template",
    N_("This file is not a self-report template downloaded from the system. Please download the %(expected)s template and fill it in."),
    "该文件不是从系统下载的自评报表模板，请下载“%(expected)s”模板后填写。")
WRONG_TEMPLATE = _t("wrong-template",
    N_("This file is the %(found)s template; %(expected)s was expected."),
    "该文件是“%(found)s”模板，应使用“%(expected)s”模板。")
OUTDATED_TEMPLATE = _t("outdated-template",
    N_("This template is version %(found)s; the current version is %(expected)s. Please download the current template and copy your figures into it."),
    "该模板版本为 %(found)s，当前版本为 %(expected)s，请下载最新模板并将数据填入。")
MISSING_SHEET = _t("missing-sheet",
    N_("Sheet “%(sheet)s” is missing. Please use the %(year)s template."),
    "缺少工作表“%(sheet)s”，请使用 %(year)s 年度模板。")
ROSTER_NOT_FOUND = _t("roster-not-found",
    N_("No sheet with roster columns (机构名称, 统一社会信用代码 …) was found. Please use the roster template."),
    "未找到包含名录表头（机构名称、统一社会信用代码等）的工作表，请使用名录模板。")
MISSING_FIELD = _t("missing-field",
    N_("The row for %(label)s (code %(field)s) is missing from sheet “%(sheet)s”. Please use the current template."),
    "工作表“%(sheet)s”中缺少“%(label)s”（代码 %(field)s）这一行，请使用最新模板。")
MISSING_COLUMN = _t("missing-column",
    N_("Column %(label)s (code %(field)s) is missing from sheet “%(sheet)s”."),
    "工作表“%(sheet)s”缺少“%(label)s”列（代码 %(field)s）。")
# --- cells -----------------------------------------------------------------------------------
REQUIRED = _t("required",
    N_("%(label)s is required."),
    "“%(label)s”为必填项。")
EXCEL_ERROR = _t("excel-error",
    N_("%(label)s contains the Excel error %(value)s. Please correct the formula or type the figure."),
    "“%(label)s”的单元格显示错误值 %(value)s，请修正公式或直接填写数值。")
FORMULA_WITHOUT_VALUE = _t("formula-without-value",
    N_("%(label)s is a formula without a calculated value. Please open the file in Excel, let it calculate, and save it again (or type the figure)."),
    "“%(label)s”是公式但没有计算结果，请在 Excel 中打开并重新计算后保存（或直接填写数值）。")
MERGED_INPUT_CELL = _t("merged-input-cell",
    N_("Cells %(range)s are merged over an input cell. Please unmerge them and type one value per cell."),
    "单元格 %(range)s 被合并，覆盖了填报单元格，请取消合并并逐格填写。")
NOT_A_NUMBER = _t("not-a-number",
    N_("%(label)s must be a number; found “%(value)s”."),
    "“%(label)s”应填写数字，实际为“%(value)s”。")
NOT_AN_INTEGER = _t("not-an-integer",
    N_("%(label)s must be a whole number; found “%(value)s”."),
    "“%(label)s”应填写整数，实际为“%(value)s”。")
OUT_OF_RANGE = _t("out-of-range",
    N_("%(label)s must be %(expected)s; found %(value)s."),
    "“%(label)s”应为%(expected_zh)s，实际为 %(value)s。")
WRONG_UNIT = _t("wrong-unit",
    N_("%(label)s is declared in %(unit)s but “%(value)s” is given in %(found_unit)s. Please convert it to %(unit)s and type the number only."),
    "“%(label)s”的单位为%(unit)s，但填写的“%(value)s”单位为%(found_unit)s，请换算为%(unit)s后只填数字。")
PERCENT_AS_FRACTION = _t("percent-as-fraction",
    N_("%(label)s was read as %(read)s%% from “%(value)s” (a fraction). Please type the percentage itself, e.g. 35 for 35%%."),
    "“%(label)s”按小数读取为 %(read)s%%（原值“%(value)s”），请直接填写百分数，例如 35%% 填 35。")
NOT_A_DATE = _t("not-a-date",
    N_("%(label)s must be a date such as 2019-05-01; found “%(value)s”."),
    "“%(label)s”应填写日期，例如 2019-05-01，实际为“%(value)s”。")
AMBIGUOUS_DATE = _t("ambiguous-date",
    N_("%(label)s: “%(value)s” could be read as day/month or month/day. Please write it as year-month-day, e.g. 2019-05-01."),
    "“%(label)s”的“%(value)s”无法确定是“日/月”还是“月/日”，请按“年-月-日”填写，例如 2019-05-01。")
DATE_OUTSIDE_YEAR = _t("date-outside-year",
    N_("%(label)s %(value)s lies after the end of the report year %(year)s."),
    "“%(label)s”%(value)s 晚于报告年度 %(year)s 年末。")
NOT_A_BOOLEAN = _t("not-a-boolean",
    N_("%(label)s must be 是 or 否; found “%(value)s”."),
    "“%(label)s”应填“是”或“否”，实际为“%(value)s”。")
NOT_A_CHOICE = _t("not-a-choice",
    N_("%(label)s must be one of %(expected)s; found “%(value)s”."),
    "“%(label)s”应为以下之一：%(expected_zh)s，实际为“%(value)s”。")
USCC_FORMAT = _t("uscc-format",
    N_("“%(value)s” is not a unified social credit code: %(reason)s."),
    "“%(value)s”不是统一社会信用代码：%(reason_zh)s。")
USCC_CHECKSUM = _t("uscc-checksum",
    N_("“%(value)s” is not a valid unified social credit code: the check digit (the last character) should be %(check)s."),
    "“%(value)s”不是有效的统一社会信用代码：校验位（最后一位）应为 %(check)s（校验位错误）。")
REPORT_YEAR_MISMATCH = _t("report-year-mismatch",
    N_("%(label)s is %(value)s, but this is the %(year)s template. Please type %(year)s, or download the %(value)s template for a %(value)s report."),
    "“%(label)s”填写为 %(value)s，但本文件是 %(year)s 年度模板。请填写 %(year)s；如要报送 %(value)s 年度，请下载 %(value)s 年度模板。")
# --- rows and cross-field rules ----------------------------------------------------------------
DUPLICATE_ROW_KEY = _t("duplicate-row-key",
    N_("%(label)s “%(value)s” appears again; it is already in row %(first_row)s."),
    "“%(label)s”“%(value)s”重复，已在第 %(first_row)s 行出现。")
ROW_COUNT_MISMATCH = _t("row-count-mismatch",
    N_("Sheet “%(sheet)s” lists %(rows)s rows but %(label)s is %(value)s."),
    "工作表“%(sheet)s”列出 %(rows)s 行，但“%(label)s”填报为 %(value)s。")
TABLE_REQUIRED = _t("table-required",
    N_("Sheet “%(sheet)s” needs at least one row."),
    "工作表“%(sheet)s”至少需要填写一行。")
MORE_ISSUES = _t("more-issues",
    N_("Column %(label)s (%(column)s) of sheet “%(sheet)s” has %(more)s more problems (%(total)s in all); only the "
       "first %(shown)s are listed. Please check the whole column."),
    "工作表“%(sheet)s”的“%(label)s”列（%(column)s 列）另有 %(more)s 个问题（共 %(total)s 个），仅列出前 %(shown)s 个，"
    "请整体核对该列。")
UNCHECKED_REST = _t("unchecked-rest",
    N_("Column %(label)s (%(column)s) of sheet “%(sheet)s” has too many errors: the first %(shown)s are listed and the "
       "%(rest)s filled cells after them were not checked one by one. Please correct the whole column."),
    "工作表“%(sheet)s”的“%(label)s”列（%(column)s 列）错误过多：已列出前 %(shown)s 个，其后 %(rest)s 个已填写的单元格"
    "未再逐一检查，请整体更正该列。")
CHECK_FAILED = _t("check-failed",
    N_("%(message_en)s (%(left)s %(op)s %(right)s does not hold)."),
    "%(message)s（%(left)s %(op)s %(right)s 不成立）。")
INVALID_COMBINATION = _t("invalid-combination",
    N_("%(label)s “%(value)s” does not fit %(other)s."),
    "“%(label)s”“%(value)s”与%(other)s不符。")
IMPLAUSIBLE_JUMP = _t("implausible-jump",
    N_("%(label)s changed from %(previous)s to %(value)s (%(change)s%%), more than ±%(limit)s%%. Please explain the change in the note column."),
    "“%(label)s”由上年 %(previous)s 变为 %(value)s（%(change)s%%），变化超过 ±%(limit)s%%，请在“备注”列说明原因。")


def issue_type(code: str) -> IssueType:
    """The IssueType with this code (KeyError for unknown codes: a bug, not bad data)."""
    return _CATALOGUE[code]


def catalogue() -> tuple[IssueType, ...]:
    """Every issue type, in reporting order (the order rules are grouped in)."""
    return tuple(_CATALOGUE.values())


_SEVERITY_RANK = {"error": 0, "warning": 1}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem, located at the physical sheet and cell the user sees."""

    type: IssueType
    sheet: str | None = None  #: "基本情况"
    cell: str | None = None  #: "D12": Excel's own coordinates
    field: str | None = None  #: "tenants"
    label: str | None = None  #: "在孵企业数"
    value: str | None = None  #: what was read, as text
    expected: str | None = None  #: "integer ≥ 0"
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    severity: Severity = "error"

    @property
    def code(self) -> str:
        return self.type.code

    @property
    def location(self) -> str:
        """``基本情况!D12`` (or just the sheet, or "" for file-level issues)."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    def context(self) -> dict[str, object]:
        """Placeholder values for the message templates."""
        return {"sheet": self.sheet, "cell": self.cell, "field": self.field,
                "label": self.label or self.field, "value": self.value,
                "expected": self.expected, "expected_zh": self.expected, **self.params}

    def message(self, locale: str = "en") -> str:
        """The message rendered in English ("en") or Chinese ("zh_CN") without Flask-Babel."""
        template = self.type.template_zh if locale.lower().startswith("zh") else self.type.template
        return template % _Defaulting(self.context())

    def sort_key(self) -> tuple[object, ...]:
        return (_SEVERITY_RANK[self.severity], self.type.order)

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "sheet": self.sheet, "cell": self.cell,
                "field": self.field, "label": self.label, "value": self.value,
                "expected": self.expected, "params": {k: _jsonable(v) for k, v in self.params.items()},
                "message": self.message("en"), "message_zh": self.message("zh_CN")}


class _Defaulting(dict):
    """Render missing or None placeholders as "" instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return ""

    def __getitem__(self, key: str) -> object:
        value = super().__getitem__(key) if key in self else ""
        return "" if value is None else value


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def file_issue(issue_type: IssueType, **params: object) -> Issue:
    """A file-level issue (no sheet, no cell)."""
    return Issue(issue_type, params=params)


def render_issues(issues: list[Issue], locale: str = "zh_CN") -> list[str]:
    """One line per issue for the CLI: "错误 基本情况!D12 [not-a-number] “在孵企业数”应填写数字…"."""
    zh = locale.lower().startswith("zh")
    names = {"error": "错误", "warning": "提示"} if zh else {"error": "error", "warning": "warning"}
    return [" ".join(part for part in (names[i.severity], i.location or ("（文件）" if zh else "(file)"),
                                       f"[{i.code}]", i.message(locale)) if part) for i in issues]


def sort_issues(issues: list[Issue], sheet_order: Mapping[str, int] | None = None) -> list[Issue]:
    """Errors before warnings, grouped by rule, then in sheet and reading order."""
    from importers.cells import split_ref  # local: cells imports nothing from here, keep it that way

    order = sheet_order or {}

    def key(issue: Issue) -> tuple[object, ...]:
        row, col = split_ref(issue.cell) if issue.cell else (0, 0)
        return (*issue.sort_key(), issue.sheet is not None, order.get(issue.sheet or "", 999), row, col)

    return sorted(issues, key=key)
