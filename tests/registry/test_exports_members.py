"""The institutions behind a count: the xlsx's second sheet, `--list`, and the scoping of the web download."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import openpyxl
import pytest

from registry.extensions import db
from registry.institutions.operations import record_recognition
from registry.models import Institution, Level
from tests.factories import login, make_uscc, make_user
from tests.registry.test_exports_national_incubators import export, history, make_institution  # noqa: F401


@pytest.fixture
def formula_named(app, history):  # noqa: ANN001, ANN201, F811
    """A national incubator whose typed name and document number look like formulas."""
    with app.app_context():
        inst = make_institution(name="=HYPERLINK(\"http://x\",\"点我\")", town="humen", uscc=make_uscc())
        record_recognition(inst, level=Level.NATIONAL, effective_from=date(2020, 3, 5), doc_no="=1+1")
        db.session.commit()


def _rows(ws, first: int = 4) -> list[list[object]]:  # noqa: ANN001
    """Data rows of a list sheet: from the row under the header to the blank row before the notes."""
    out = []
    r = first
    while ws.cell(r, 1).value not in (None, ""):
        out.append([ws.cell(r, c).value for c in range(1, ws.max_column + 1)])
        r += 1
    return out


def test_count_xlsx_has_chinese_sheets_and_the_institutions_behind_each_figure(runner, tmp_path, formula_named):
    result, path = export(runner, tmp_path, "--from", "2016", "--to", "2020", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["逐年数量", "计入机构名单"]
    counts, members = wb["逐年数量"], wb["计入机构名单"]
    assert [c.value for c in counts[4]] == ["全市合计（每家机构计一次）", 1, 3, 2, 2, 3]
    assert members["A1"].value == "国家级科技企业孵化器（2016–2020年）：计入的机构名单"
    assert members["A1"].font.bold
    assert [c.value for c in members[3]] == ["年份", "名称", "统一社会信用代码", "镇街", "分类", "级别", "认定日期", "认定文号"]
    assert members.freeze_panes == "C4"
    rows = _rows(members)
    per_year = {y: sum(1 for r in rows if r[0] == y) for y in range(2016, 2021)}
    assert per_year == {2016: 1, 2017: 3, 2018: 2, 2019: 2, 2020: 3}  # exactly the count sheet's figures
    by_year_town = {(r[0], r[3]): r for r in rows}
    guancheng_2019 = by_year_town[(2019, "莞城街道")]
    # revoked 1 Mar 2019 and re-recognised 1 Sep 2019: the recognition in force on 31 Dec is the second one
    assert guancheng_2019[5] == "国家级"
    assert guancheng_2019[6].date() == date(2019, 9, 1)
    assert (2018, "大朗镇") not in by_year_town  # revoked on 31 Dec 2018
    humen = by_year_town[(2020, "虎门镇")]
    assert humen[1] == '=HYPERLINK("http://x","点我")' and humen[7] == "=1+1"
    r = 4 + rows.index(humen)
    assert members.cell(r, 2).data_type == "s" and members.cell(r, 8).data_type == "s"  # text, not formulas
    assert members.cell(r, 7).number_format == "yyyy-mm-dd"
    assert members.cell(r, 1).number_format == "#,##0"
    notes = [members.cell(x, 1).value for x in range(4 + len(rows) + 1, members.max_row + 1)]
    assert notes[0] == "说明"
    assert notes[1].startswith("统计口径（第1版）：孵化器的国家级认定")
    assert "2016: 1, 2017: 3, 2018: 2, 2019: 2, 2020: 3" in notes[2]
    assert notes[3].startswith("数据来源：孵化系统登记库")


def test_list_option_writes_the_list_alone_in_every_format(runner, tmp_path, history):  # noqa: F811
    result, path = export(runner, tmp_path, "--from", "2016", "--to", "2020", "--list", name="list.xlsx")
    assert result.exit_code == 0, result.output
    assert "10 rows" in result.output
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["计入机构名单"]
    assert len(_rows(wb.active)) == 1 + 3 + 2 + 2 + 2
    result, path = export(runner, tmp_path, "--from", "2016", "--to", "2020", "--list", "--lang", "en", name="list.csv")
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert table[0] == ["Year", "Name", "Credit code", "Town", "Subclass", "Level", "Recognised on", "Document number"]
    assert [r[0] for r in table[1:]].count("2020") == 2
    result, path = export(runner, tmp_path, "--from", "2019", "--to", "2020", "--list", name="list.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["definition"] == {"code": "national-incubators", "version": 1}
    assert data["total"] == {"2019": 2, "2020": 2}
    assert sorted((i["year"], i["town"]) for i in data["institutions"]) == [
        (2019, "松山湖高新区"), (2019, "莞城街道"), (2020, "松山湖高新区"), (2020, "莞城街道")]
    assert {i["level"] for i in data["institutions"]} == {"national"}


def test_reviewer_download_leaves_out_conflicted_institutions_and_says_so(app, history):  # noqa: F811
    with app.app_context():
        songshanhu = db.session.scalar(db.select(Institution).where(Institution.town.has(code="songshanhu")))
        make_user("reviewer", username="rev2")
        from registry.models import User

        reviewer = db.session.scalar(db.select(User).where(User.username == "rev2"))
        reviewer.affiliation_id = songshanhu.id  # its own employer: a hard conflict
        db.session.commit()
    client = app.test_client()
    login(client, "rev2")
    response = client.get("/exports/national-incubators?from=2016&to=2020&format=xlsx")
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    assert [c.value for c in wb["逐年数量"][4]][1:] == [1, 3, 2, 2, 2]  # the published figures are not scoped
    rows = _rows(wb["计入机构名单"])
    assert all(r[3] != "松山湖高新区" for r in rows)
    assert len(rows) == 10 - 5
    notes = [wb["计入机构名单"].cell(x, 1).value for x in range(4 + len(rows) + 2, wb["计入机构名单"].max_row + 1)]
    assert any(n == "有 5 行未列出：您的账号无权查看这些机构。" for n in notes)


@pytest.fixture
def rd_history(app):  # noqa: ANN001, ANN201
    """An R&D institution recognised municipal in 2018, provincial from 2019 (both in force), a maker space 2019."""
    from registry.models import CarrierType

    with app.app_context():
        rd = make_institution(category=CarrierType.RD_INSTITUTION, subclass="commercialisation", town="dalang",
                              name="成果转化研究院")
        record_recognition(rd, level=Level.MUNICIPAL, effective_from=date(2018, 1, 1), doc_no="东科〔2018〕9号")
        record_recognition(rd, level=Level.PROVINCIAL, effective_from=date(2019, 7, 1), doc_no="粤科〔2019〕3号")
        maker = make_institution(category=CarrierType.MAKER_SPACE, subclass=None, town="humen", name="虎门创客")
        record_recognition(maker, level=Level.MUNICIPAL, effective_from=date(2019, 1, 1))
        db.session.commit()


def test_any_definition_exports_with_its_list(runner, tmp_path, rd_history):
    result, path = export_count(runner, tmp_path, "rd-institutions", "--from", "2018", "--to", "2020", "--by", "subclass")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(path)
    counts, members = wb["逐年数量"], wb["计入机构名单"]
    assert counts["A1"].value == "新型研发机构（2018–2020年）"
    assert counts["A2"].value is None and counts["A4"].value == "技术创新类"  # R&D classes, not incubator subclasses
    by_label = {counts.cell(r, 1).value: [counts.cell(r, c).value for c in range(2, 5)] for r in range(4, 8)}
    assert by_label["成果转化类"] == [1, 1, 1]
    rows = _rows(members)
    assert [(r[0], r[5], r[7]) for r in rows] == [(2018, "市级", "东科〔2018〕9号"), (2019, "省级", "粤科〔2019〕3号"),
                                                  (2020, "省级", "粤科〔2019〕3号")]  # highest level in force, once a year
    bad = runner.invoke(args=["export", "count", "maker-spaces", "--from", "2019", "--to", "2019", "--by", "subclass",
                              "-o", str(tmp_path / "m.xlsx")])
    assert bad.exit_code == 2 and "town, zone" in bad.output and not (tmp_path / "m.xlsx").exists()
    unknown = runner.invoke(args=["export", "count", "spaceships", "--from", "2019", "--to", "2019",
                                  "-o", str(tmp_path / "s.xlsx")])
    assert unknown.exit_code == 2 and "national-incubators" in unknown.output
    listing = runner.invoke(args=["export", "definitions", "--lang", "en"])
    assert "rd-institutions (v1): New-type R&D institutions" in listing.output


def export_count(runner, tmp_path, code: str, *args: str, name: str = "count.xlsx"):  # noqa: ANN001, ANN201
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    path = out / name
    return runner.invoke(args=["export", "count", code, *args, "-o", str(path)]), path


def test_web_count_downloads_for_every_definition(app, rd_history):
    with app.app_context():
        make_user("admin", username="boss2")
        db.session.commit()
    client = app.test_client()
    login(client, "boss2")
    stats = client.get("/stats/").get_data(as_text=True)
    assert "/exports/counts/maker-spaces?from=2016&amp;to=2020&amp;format=xlsx" in stats
    response = client.get("/exports/counts/maker-spaces?from=2019&to=2020&list=1&format=csv")
    assert response.status_code == 200
    assert 'filename="maker-spaces_institutions_2019-2020.csv"' in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r[:2] for r in table[1:]] == [["2019", "虎门创客"], ["2020", "虎门创客"]]
    refused = client.get("/exports/counts/maker-spaces?from=2019&to=2020&by=subclass")
    assert refused.status_code == 400 and "该统计不能按“subclass”分组" in refused.get_data(as_text=True)
    assert client.get("/exports/counts/spaceships?from=2019&to=2020").status_code == 404
