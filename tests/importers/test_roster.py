from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from importers import TOWNS, build_roster_template, parse_roster, read_workbook
from importers.reference import TOWN_ALIASES
from importers.roster import ROSTER_COLUMNS, ROSTER_SHEET
from tests.importers.fixtures import VALID_USCC, make_uscc, write_ods, write_workbook


def _fill(tmp_path, rows, name="roster.xlsx"):
    wb = openpyxl.load_workbook(io.BytesIO(build_roster_template()))
    ws = wb[ROSTER_SHEET]
    for i, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.cell(row=4 + i, column=c + 1, value=value)
    wb.save(tmp_path / name)
    return read_workbook((tmp_path / name).read_bytes(), name)


def _row(i: int, **kw) -> list[object]:
    row = {"name": f"示例机构{i}", "uscc": make_uscc(i), "category": "科技企业孵化器", "subclass": "综合",
           "legal_form": "企业", "town": "松山湖高新区", "operating_entity": "示例运营公司", "address": "东莞市松山湖某路1号",
           "established_on": dt.date(2015, 6, 1), "operating_since": None, "recognition_level": "国家级",
           "recognition_year": 2018, "recognition_doc_no": "国科发区〔2018〕1号"} | kw
    return [row[c.code] for c in ROSTER_COLUMNS]


def test_towns_reference_has_the_33_units():
    assert len(TOWNS) == len(set(TOWNS)) == 33
    assert TOWNS[:4] == ("莞城街道", "南城街道", "东城街道", "万江街道") and TOWNS[-1] == "松山湖高新区"
    assert TOWN_ALIASES["虎门"] == "虎门镇" and TOWN_ALIASES["松山湖"] == "松山湖高新区"


def test_template_has_code_row_and_dropdowns():
    wb = openpyxl.load_workbook(io.BytesIO(build_roster_template()))
    ws = wb[ROSTER_SHEET]
    assert [c.value for c in ws[2]] == [c.code for c in ROSTER_COLUMNS]
    town_col = [c.code for c in ROSTER_COLUMNS].index("town")
    lists = wb["_lists"]
    listed = [lists.cell(row=r, column=4).value for r in range(1, 36)]
    assert listed == list(TOWNS) + ["滨海湾新区", None]
    sqrefs = {str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert f"{chr(65 + town_col)}4:{chr(65 + town_col)}5003" in sqrefs
    assert ws.column_dimensions["B"].number_format == "@"


def test_valid_roster(tmp_path):
    report = parse_roster(_fill(tmp_path, [_row(0), _row(1, category="新型研发机构", subclass="技术创新类", town="虎门",
                                                        legal_form="事业单位", recognition_level="省级")]))
    assert report.valid and report.issues == []
    rows = report.institutions()
    assert rows[1] | {} == {"name": "示例机构1", "uscc": make_uscc(1), "category": "rd_institution",
                            "subclass": "tech_innovation", "legal_form": "public_institution", "town": "虎门镇",
                            "operating_entity": "示例运营公司", "address": "东莞市松山湖某路1号",
                            "established_on": dt.date(2015, 6, 1), "operating_since": None,
                            "recognition_level": "provincial", "recognition_year": 2018,
                            "recognition_doc_no": "国科发区〔2018〕1号"}
    assert report.rows[0]["uscc"].cell == "B4"
    assert report.by_uscc()[make_uscc(1)]["town"].value == "虎门镇"
    assert report.by_uscc()[make_uscc(1)]["town"].raw == "虎门"


def test_every_roster_problem_at_once(tmp_path):
    report = parse_roster(_fill(tmp_path, [
        _row(0),
        _row(1, uscc=make_uscc(0)),  # duplicate credit code
        _row(2, town="火星镇", category="孵化器X"),
        _row(3, subclass="技术创新类"),  # an incubator cannot be an R&D class
        _row(4, recognition_year=1980, established_on="5/1/2019", name=None),
    ]))
    assert report.flatten("code", "cell") == [
        ("required", "A8"), ("out-of-range", "L8"), ("ambiguous-date", "I8"), ("not-a-choice", "C6"),
        ("not-a-choice", "F6"), ("duplicate-row-key", "B5"), ("invalid-combination", "D7"),
    ]
    assert report.issues[-1].message("zh_CN") == "“子类”“技术创新类”与类别“科技企业孵化器”不符。"


def test_hand_made_roster_found_by_header_text(tmp_path):
    path = write_workbook(tmp_path / "bureau.xlsx", {"2023年名录": {
        "A1": "东莞市孵化载体名录（2023）",
        "A3": "单位名称", "B3": "统一社会信用代码", "C3": "载体类型", "D3": "子类", "E3": "单位性质", "F3": "所属镇街",
        "G3": "运营单位", "H3": "详细地址", "I3": "成立时间", "J3": "级别", "K3": "认定年度", "L3": "文号",
        "A4": "示例孵化器", "B4": VALID_USCC, "C4": "科技企业孵化器", "D4": "专业", "E4": "企业", "F4": "长安",
        "H4": "长安镇某路", "I4": "2016-03-01", "J4": "市级", "K4": 2017,
    }})
    report = parse_roster(read_workbook(path.read_bytes(), path.name))
    assert report.valid, report.issues
    assert report.institutions()[0]["town"] == "长安镇"
    assert report.rows[0]["recognition_year"].cell == "K4"


def test_roster_as_ods(tmp_path):
    header = [c.code for c in ROSTER_COLUMNS]
    path = write_ods(tmp_path / "r.ods", {ROSTER_SHEET: [["名录"], header, [c.label for c in ROSTER_COLUMNS],
                                                         _row(0, established_on="2015-06-01")]})
    report = parse_roster(read_workbook(path.read_bytes(), "r.ods"))
    assert report.valid and report.institutions()[0]["uscc"] == make_uscc(0)


@pytest.mark.parametrize(("data", "code"), [(b"junk", "not-a-spreadsheet"), (b"", "empty-file")])
def test_unreadable_roster(data, code):
    report = parse_roster(read_workbook(data, "r.xlsx"))
    assert report.flatten("code") == [(code,)]


def test_workbook_without_a_roster(tmp_path):
    path = write_workbook(tmp_path / "x.xlsx", {"Sheet": {"A1": "hello"}})
    report = parse_roster(read_workbook(path.read_bytes(), "x.xlsx"))
    assert report.flatten("code", "sheet") == [("roster-not-found", None)]
    assert report.issues[0].message("zh_CN") == "未找到包含名录表头（机构名称、统一社会信用代码等）的工作表，请使用名录模板。"
