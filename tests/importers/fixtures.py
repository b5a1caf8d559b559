"""Realistic InputSets (domain.md §11.1, §11.3) and helpers that write REAL workbooks with openpyxl."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import openpyxl
from stdnum.cn import uscc as stdnum_uscc

from assessment.inputs import Choice, ConsistencyCheck, InputDecl, InputSet, TableDecl
from importers.spec import TemplateSpec

D = Decimal
VALID_USCC = "91110000600037341L"  # python-stdnum's own doctest example


def make_uscc(i: int) -> str:
    """A valid credit code, distinct for each i."""
    base = f"91441900MA{i:07d}"
    return base + stdnum_uscc.calc_check_digit(base)


def _int(code: str, label: str, unit: str = "家", section: str = "孵化服务", **kw: object) -> InputDecl:
    return InputDecl(code, label, "int", unit=unit, min=D(0), section=section, **kw)  # type: ignore[arg-type]


def _dec(code: str, label: str, unit: str, section: str, **kw: object) -> InputDecl:
    return InputDecl(code, label, "decimal", unit=unit, min=D(0), decimals=2, section=section, **kw)  # type: ignore[arg-type]


TENANT_COLUMNS = (
    InputDecl("name", "企业名称", "text"),
    InputDecl("uscc", "统一社会信用代码", "uscc"),
    InputDecl("established_on", "成立时间", "date"),
    InputDecl("entered_on", "入驻时间", "date"),
    InputDecl("tech_field", "所属技术领域", "choice", choices=(
        Choice("electronics", "电子信息"), Choice("biomed", "生物与新医药"), Choice("new_materials", "新材料"),
        Choice("advanced_manufacturing", "先进制造与自动化"), Choice("other", "其他"))),
    InputDecl("is_hte", "是否高新技术企业", "bool"),
    InputDecl("revenue", "总收入", "decimal", unit="千元", min=D(0), decimals=1),
    InputDecl("rd_spend", "研究与试验发展经费支出", "decimal", unit="千元", min=D(0), decimals=1, required=False),
    InputDecl("employees", "从业人员", "int", unit="人", min=D(0)),
    InputDecl("area", "占用孵化器场地面积", "decimal", unit="m²", min=D(0), decimals=1),
)

INCUBATOR_SET = InputSet(
    inputs=(
        InputDecl("incubator_type", "孵化器类型", "choice", choices=(Choice("comprehensive", "综合", "Comprehensive"),
                                                                      Choice("specialised", "专业", "Specialised")),
                  section="基本情况"),
        InputDecl("established_on", "成立日期", "date", section="基本情况"),
        InputDecl("torch_stats_filed", "是否按时报送火炬统计", "bool", section="基本情况"),
        _dec("gross_floor_area", "场地建筑总面积", "m²", "场地"),
        _dec("tenant_area", "在孵企业用房面积", "m²", "场地"),
        _dec("public_service_area", "公共服务用房面积", "m²", "场地"),
        _int("staff_total", "管理机构从业人员", "人", "服务团队"),
        _int("pro_staff", "其中专业孵化服务人员", "人", "服务团队"),
        InputDecl("pro_staff_ratio", "专业孵化服务人员占比", "percent", unit="%", min=D(0), max=D(100), decimals=1,
                  section="服务团队"),
        _dec("incubation_fund_own", "孵化基金总额（自有）", "万元", "孵化资金", help="按万元填写"),
        _int("tenants", "在孵企业数", help="应与“在孵企业”表的行数一致"),
        _int("graduates_year", "当年毕业企业数"),
        _int("graduates_cum", "累计毕业企业数"),
        _int("tenant_employees", "在孵企业从业人员", "人"),
        _dec("tenant_revenue", "在孵企业总收入", "千元", "孵化服务"),
        InputDecl("events", "创新创业活动场次", "int", unit="场", min=D(0), required=False, section="孵化服务",
                  provisional=True),
        InputDecl("expert_score", "专家定性评价", "score", source="reviewer", section="评审"),
        InputDecl("recognition_level", "级别", "choice", source="registry",
                  choices=(Choice("municipal", "市级"), Choice("national", "国家级"))),
    ),
    tables=(TableDecl("tenants", "在孵企业", TENANT_COLUMNS, key="uscc", count_input="tenants", required=True),),
    checks=(
        ConsistencyCheck("areas-within-total", ("tenant_area", "public_service_area"), "<=", ("gross_floor_area",),
                         "在孵企业用房与公共服务用房之和不应超过场地建筑总面积",
                         "Tenant and public-service areas must not exceed the gross floor area"),
        ConsistencyCheck("graduates-within-cumulative", ("graduates_year",), "<=", ("graduates_cum",),
                         "当年毕业企业数不应超过累计毕业企业数"),
        ConsistencyCheck("employees-cover-tenants", ("tenant_employees",), ">=", ("tenants",),
                         "在孵企业从业人员不应少于在孵企业数"),
        ConsistencyCheck("pro-staff-within-staff", ("pro_staff",), "<=", ("staff_total",),
                         "专业孵化服务人员不应超过管理机构从业人员"),
        ConsistencyCheck("tenant-employees-match", ("tenants.employees",), "<=", ("tenant_employees",),
                         "在孵企业表中从业人员合计不应超过填报的在孵企业从业人员", severity="warning"),
    ),
)

PROJECT_COLUMNS = (
    InputDecl("project_no", "项目编号", "text"),
    InputDecl("title", "项目名称", "text"),
    InputDecl("level", "项目级别", "choice", choices=(Choice("national", "国家级"), Choice("provincial", "省级"),
                                                   Choice("municipal", "市级"))),
    InputDecl("funds", "项目经费", "decimal", unit="万元", min=D(0), decimals=2),
    InputDecl("started_on", "立项日期", "date"),
)

RD_SET = InputSet(
    inputs=(
        InputDecl("rd_class", "分类", "choice", choices=(
            Choice("tech_innovation", "技术创新类"), Choice("commercialisation", "成果转化类"),
            Choice("industry_cultivation", "产业培育类"), Choice("comprehensive", "综合发展类"))),
        InputDecl("functional_focus", "功能定位", "multichoice", choices=(
            Choice("frontier", "前沿技术研究"), Choice("industrial", "产业技术开发"), Choice("transfer", "成果转化"),
            Choice("services", "企业技术服务"), Choice("spinoffs", "创办科技企业"))),
        InputDecl("has_board", "理事会(董事会)制度", "bool"),
        _int("employees_total", "职工总数", "人", "人才"),
        _int("resident_rd_staff", "常驻研发人员数", "人", "人才"),
        _dec("equipment_value", "自有科研仪器设备原值", "万元", "条件"),
        _dec("research_floor_area", "固定科研场地面积", "m²", "条件"),
        _dec("total_revenue", "总收入", "万元", "收入"),
        _dec("rd_expenditure", "研究开发费用支出", "万元", "收入"),
        InputDecl("rd_intensity", "研发投入强度", "percent", unit="%", min=D(0), max=D(100), decimals=1, section="收入"),
        _int("projects_count", "承担科研项目数", "项", "项目"),
    ),
    tables=(TableDecl("projects", "研发项目", PROJECT_COLUMNS, key="project_no", count_input="projects_count"),),
    checks=(ConsistencyCheck("rd-staff-within-staff", ("resident_rd_staff",), "<=", ("employees_total",),
                             "常驻研发人员数不应超过职工总数"),),
)


def incubator_spec(**overrides: object) -> TemplateSpec:
    kw = {"category": "incubator", "year": 2019, "subclass": "comprehensive", "system_version": "2019.1"} | overrides
    return TemplateSpec.from_input_set(INCUBATOR_SET, **kw)  # type: ignore[arg-type]


def rd_spec(**overrides: object) -> TemplateSpec:
    kw = {"category": "rd_institution", "year": 2021, "system_version": "2021.1"} | overrides
    return TemplateSpec.from_input_set(RD_SET, **kw)  # type: ignore[arg-type]


GOOD_INCUBATOR_VALUES: dict[str, object] = {
    "org_name": "东莞松山湖示例孵化器有限公司", "uscc": VALID_USCC, "head": "张三", "filer": "李四",
    "phone": "0769-22890000", "incubator_type": "综合", "established_on": dt.date(2015, 6, 1),
    "torch_stats_filed": "是", "gross_floor_area": 20000, "tenant_area": 15000, "public_service_area": 3000,
    "staff_total": 20, "pro_staff": 16, "pro_staff_ratio": 80, "incubation_fund_own": 800.5, "tenants": 3,
    "graduates_year": 2, "graduates_cum": 25, "tenant_employees": 60, "tenant_revenue": 12345.6, "events": 24,
}


def tenant_row(i: int, **overrides: object) -> list[object]:
    row = {"name": f"东莞示例科技有限公司{i}", "uscc": make_uscc(i), "established_on": dt.date(2017, 3, 1),
           "entered_on": dt.date(2018, 5, 1), "tech_field": "电子信息", "is_hte": "否", "revenue": 1500.5,
           "rd_spend": 120.0, "employees": 12, "area": 300.0} | overrides
    return [row[c.code] for c in TENANT_COLUMNS]


def good_tenants(n: int = 3) -> list[list[object]]:
    return [tenant_row(i) for i in range(n)]


def fill_template(template: bytes, path: Path, values: Mapping[str, object] | None = None,
                  tables: Mapping[str, Sequence[Sequence[object]]] | None = None,
                  notes: Mapping[str, str] | None = None, percent_format: Sequence[str] = ()) -> Path:
    """Fill a downloaded template the way a filer does (in Excel: here with openpyxl) and save it."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["基本情况"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    for code, value in (values or {}).items():
        ws.cell(row=rows[code], column=4, value=value)
        if code in percent_format:
            ws.cell(row=rows[code], column=4).number_format = "0%"
    for code, note in (notes or {}).items():
        ws.cell(row=rows[code], column=6, value=note)
    for sheet, data in (tables or {}).items():
        ts = wb[sheet]
        for i, row in enumerate(data):
            for c, value in enumerate(row):
                ts.cell(row=4 + i, column=c + 1, value=value)
    wb.save(path)
    return path


def write_workbook(path: Path, sheets: Mapping[str, Mapping[str, object]]) -> Path:
    """A plain workbook with the given cells: {sheet: {"C12": value}}."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, cells in sheets.items():
        ws = wb.create_sheet(name)
        for ref, value in cells.items():
            ws[ref] = value
    wb.save(path)
    return path


def write_ods(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    """A minimal but valid OpenDocument spreadsheet (no odfpy needed): strings, floats and dates."""
    import zipfile
    from xml.sax.saxutils import escape

    def cell(value: object) -> str:
        if value is None or value == "":
            return "<table:table-cell/>"
        if isinstance(value, bool):
            return f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}"/>'
        if isinstance(value, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        if isinstance(value, dt.date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value.isoformat()}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{escape(name)}">'
        + "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
        + "</table:table>"
        for name, rows in sheets.items())
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def write_xls(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    """A legacy BIFF8 .xls written with xlwt (test-only dependency)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for name, rows in sheets.items():
        ws = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, dt.date):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
    book.save(str(path))
    return path


def grid_from_template(template: bytes, values: Mapping[str, object],
                       tables: Mapping[str, Sequence[Sequence[object]]]) -> dict[str, list[list[object]]]:
    """The filled template as plain rows per sheet (meta sheet included), to re-save as .xls/.ods."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["基本情况"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    for code, value in values.items():
        ws.cell(row=rows[code], column=4, value=value)
    for sheet, data in tables.items():
        for i, row in enumerate(data):
            for c, value in enumerate(row):
                wb[sheet].cell(row=4 + i, column=c + 1, value=value)
    return {s.title: [[c for c in row] for row in s.iter_rows(values_only=True)] for s in wb.worksheets}


def rezip(data: bytes, edits: Mapping[str, object]) -> bytes:
    """Copy an .xlsx zip, replacing members: {name: new bytes | callable(old bytes) -> new bytes}."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            content = src.read(name)
            edit = edits.get(name)
            if callable(edit):
                content = edit(content)
            elif edit is not None:
                content = edit  # type: ignore[assignment]
            dst.writestr(name, content)
        for name, content in edits.items():
            if name not in src.namelist():
                dst.writestr(name, content)  # type: ignore[arg-type]
    return out.getvalue()


def sheet_part(data: bytes, sheet: str) -> str:
    """The zip member holding a sheet's XML."""
    from importers.workbook import _sheet_parts
    import zipfile

    return _sheet_parts(zipfile.ZipFile(io.BytesIO(data)))[sheet]


def set_cell_xml(data: bytes, sheet: str, cell: str, xml: str) -> bytes:
    """Replace one cell's XML element (as openpyxl wrote it) with hand-written XML, e.g. a cached error."""
    import re

    part = sheet_part(data, sheet)

    def edit(content: bytes) -> bytes:
        pattern = re.compile(rb'<c r="' + cell.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
        new, n = pattern.subn(xml.encode(), content, count=1)
        assert n == 1, f"{cell} not found in {part}"
        return new

    return rezip(data, {part: edit})
