"""Every list can be taken away: run results with each indicator's points, recommendations grouped for the
decision meeting, gap lists (one institution, and every candidate for a level), the registry list.
Each file is read back cell by cell."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from assessment import load_version
from assessment.outcome import expand_stored
from registry.assessments.downloads import stored_points
from registry.extensions import db
from registry.models import AssessmentResult, Institution, User
from tests.factories import login, make_user
from tests.registry.test_assess_pages import INC, assessed  # noqa: F401


def _book(response) -> openpyxl.Workbook:  # noqa: ANN001
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _table(ws) -> tuple[list[object], list[list[object]], list[str]]:  # noqa: ANN001
    """(header, rows up to the first empty row, notes after "说明")."""
    header = [c.value for c in ws[3]]
    rows, r = [], 4
    while ws.cell(r, 1).value not in (None, ""):
        rows.append([ws.cell(r, c).value for c in range(1, ws.max_column + 1)])
        r += 1
    assert ws.cell(r + 1, 1).value == "说明"
    notes = [ws.cell(x, 1).value for x in range(r + 2, ws.max_row + 1)]
    return header, rows, notes


def test_stored_points_read_without_expanding_match_the_expanded_outcome(app, assessed):
    with app.app_context():
        for res in db.session.scalars(select(AssessmentResult).where(AssessmentResult.run_id == assessed["run"])):
            stored = res.outcome
            assert stored.get("form") == "compact/1"
            system = load_version(res.category, res.system_version, res.subclass)
            full = expand_stored(stored, system)
            assert stored_points(stored) == {i["code"]: i["points"] for i in full["indicators"]}
            assert stored_points(full) == stored_points(stored)


def test_run_results_with_every_indicators_points(app, assessed, admin_client):
    wb = _book(admin_client.get(f"/assessments/runs/{assessed['run']}/results.xlsx"))
    assert wb.sheetnames == ["孵化器·综合"]
    ws = wb.active
    header, rows, notes = _table(ws)
    assert ws["A1"].value.startswith(f"第 {assessed['run']} 次运行") or str(assessed["run"]) in ws["A1"].value
    assert ws["A1"].font.bold and ws.freeze_panes == "B4"
    assert header[:8] == ["名称", "统一社会信用代码", "镇街", "总分", "等级", "建议", "缺失数据", "暂定"]
    with app.app_context():
        star = db.session.get(AssessmentResult, assessed["star"][1])
        sys_ = load_version(star.category, star.system_version, star.subclass)
        expected_headers = [f"{i.label}（满分 {format(i.weight.normalize(), 'f')}）" for i in sys_.indicators]
        assert header[8:] == expected_headers
        full = expand_stored(star.outcome, sys_)
        points = {i["code"]: i["points"] for i in full["indicators"]}
        star_row = next(r for r in rows if r[0] == "星光孵化器")
        assert star_row[3] == float(star.score) and star_row[4] == star.grade
        for code, value in zip([i.code for i in sys_.indicators], star_row[8:]):
            assert (value == "—") if points[code] is None else Decimal(str(value)) == Decimal(points[code]), code
        assert len(rows) == 4
    scores = [r[3] for r in rows if isinstance(r[3], float)]
    assert scores == sorted(scores, reverse=True)
    r = 4 + rows.index(star_row)
    assert ws.cell(r, 4).number_format == "0.00" and ws.cell(r, 1).data_type == "s"
    assert any("指标体系" in n and "sha256" in n for n in notes)
    # the page's filters apply to the download
    wb = _book(admin_client.get(f"/assessments/runs/{assessed['run']}/results.xlsx?recommendation=exit"))
    header, rows, notes = _table(wb.active)
    assert [r[0] for r in rows] == ["沉默孵化器"]
    assert any("建议: 退出" in n for n in notes)
    page = admin_client.get(f"/assessments/runs/{assessed['run']}?recommendation=exit").get_data(as_text=True)
    assert f"/assessments/runs/{assessed['run']}/results.xlsx?recommendation=exit" in page


def test_recommendations_grouped_for_the_decision_meeting(app, assessed, admin_client):
    page = admin_client.get("/assessments/recommendations?year=2019").get_data(as_text=True)
    assert "/assessments/recommendations.xlsx?year=2019" in page
    wb = _book(admin_client.get("/assessments/recommendations.xlsx?year=2019"))
    ws = wb.active
    assert ws.title == "2019年度建议"
    assert ws["A1"].value == "2019 年度考核建议"
    headings = {}
    current = None
    r = 4
    while ws.cell(r, 1).value not in (None, ""):
        value = ws.cell(r, 1).value
        if ws.cell(r, 2).value in (None, "") and "（" in value:
            current = value
            headings[current] = []
        else:
            headings[current].append([ws.cell(r, c).value for c in range(1, 10)])
        r += 1
    # the meeting's order, every group present (empty ones with 0)
    assert list(headings) == ["准予认定（1）", "鼓励升级（1）", "限期整改（0）", "退出（1）", "保留（1）", "不予认定（0）",
                              "暂无建议（0）"]
    flat = {row[0]: (heading, row) for heading, rows in headings.items() for row in rows}
    assert flat["新芽孵化器"][0] == "准予认定（1）"
    assert flat["沉默孵化器"][0] == "退出（1）"
    assert ws.cell(4, 1).fill.start_color.rgb.endswith("F2F4F7") and ws.cell(4, 1).font.bold
    assert "连续" in flat["沉默孵化器"][1][6]  # the reason, as a sentence
    assert flat["沉默孵化器"][1][8] == assessed["run"]
    assert sum(len(rows) for rows in headings.values()) == 4


def test_one_institutions_gap_list_and_the_pipeline_of_candidates(app, assessed, admin_client):
    inst_id, _ = assessed["weak"]
    page = admin_client.get(f"/assessments/gaps/{inst_id}?level=national_candidate&year=2019").get_data(as_text=True)
    assert f"/assessments/gaps/{inst_id}.xlsx?level=national_candidate&amp;year=2019" in page
    assert "/assessments/pipeline.xlsx?category=incubator&amp;level=national_candidate&amp;year=2019" in page
    wb = _book(admin_client.get(f"/assessments/gaps/{inst_id}.xlsx?level=national_candidate&year=2019"))
    header, rows, notes = _table(wb.active)
    assert header == ["条件", "要求", "实际", "单位", "是否满足", "差距", "所读数据（来源）", "依据条款", "备注"]
    from assessment import load_criteria
    from assessment.glossary import public_reference

    crit = load_criteria("incubator_national_candidate_comprehensive", 2019)
    assert [r[7] for r in rows if not str(r[0]).startswith("　")] == [public_reference(c.reference) or "—"
                                                                      for c in crit.criteria]
    tenants = next(r for r in rows if r[0] == "在孵企业数")
    assert tenants[2] == 12 and tenants[4] == "否" and tenants[5] > 0  # short by a number of firms
    assert "在孵企业数 = 12" in tenants[6] and "!" in tenants[6]  # the figure read, with its cell
    assert notes[0].startswith("认定条件 ") and crit.source in notes[0]
    assert notes[1] == "2 项条件未满足" and [r[4] for r in rows].count("否") == 2
    assert any("艰苦边远地区" in n for n in notes)
    pipeline = _book(admin_client.get("/assessments/pipeline.xlsx?category=incubator&level=national_candidate&year=2019"))
    assert pipeline.sheetnames == ["候选机构", "逐条对照"]
    header, rows, notes = _table(pipeline["候选机构"])
    assert header[:2] == ["名称", "统一社会信用代码"]
    names = [r[0] for r in rows]
    assert set(names) == {"星光孵化器", "微光孵化器", "新芽孵化器", "沉默孵化器"}
    # fewest unmet first; what is missing named for each
    assert [(r[0], r[5], r[6]) for r in rows] == [("新芽孵化器", 14, 14), ("星光孵化器", 14, 14), ("微光孵化器", 12, 14),
                                                 ("沉默孵化器", 0, 14)]
    assert rows[0][7] == "全部条件均已满足" and rows[3][8] == "否"  # the silent one never reported
    assert rows[2][7] == "在孵企业数; 累计毕业企业数"
    _h, detail, _n = _table(pipeline["逐条对照"])
    assert sum(1 for d in detail if d[0] == "微光孵化器" and not str(d[2]).startswith("　")) == len(crit.criteria)
    assert [d[6] for d in detail if d[0] == "微光孵化器" and d[2] == "在孵企业数"] == ["否"]


def test_registry_list_download_with_the_pages_filters_and_scope(app, assessed, admin_client):
    page = admin_client.get("/institutions/?q=光").get_data(as_text=True)
    assert "/institutions/export.xlsx?q=%E5%85%89" in page
    wb = _book(admin_client.get("/institutions/export.xlsx?q=光"))
    ws = wb.active
    assert ws.title == "登记名录"
    header, rows, notes = _table(ws)
    assert header[:6] == ["名称", "统一社会信用代码", "类别", "分类", "镇街", "当前有效级别"]
    assert [r[0] for r in rows] == ["微光孵化器", "星光孵化器"]  # the page's order (by name)
    assert rows[0][5] == "市级" and rows[0][6].year == 2016
    assert any("搜索: 光" in n for n in notes)
    everything = _table(_book(admin_client.get("/institutions/export.xlsx")).active)[1]
    assert len(everything) == 4
    # an institution account sees only its own institution, in the download as on the page
    with app.app_context():
        own = db.session.scalar(select(Institution).where(Institution.name == "新芽孵化器"))
        make_user("institution", username="own", institution=own)
        db.session.commit()
    client = app.test_client()
    login(client, "own")
    assert [r[0] for r in _table(_book(client.get("/institutions/export.xlsx")).active)[1]] == ["新芽孵化器"]


def test_typed_text_is_never_a_formula(app, assessed, admin_client):
    with app.app_context():
        inst = db.session.scalar(select(Institution).where(Institution.name == "星光孵化器"))
        inst.name = "=cmd|' /C calc'!A0"
        inst.operating_entity = "@SUM(1+1)"
        db.session.commit()
    ws = _book(admin_client.get("/institutions/export.xlsx")).active
    cells = [c for row in ws.iter_rows(min_row=4) for c in row if isinstance(c.value, str) and c.value[:1] in "=@"]
    assert {c.value for c in cells} == {"=cmd|' /C calc'!A0", "@SUM(1+1)"}
    assert all(c.data_type == "s" for c in cells)
    run = _book(admin_client.get(f"/assessments/runs/{assessed['run']}/results.xlsx")).active
    name_cells = [c for c in run["A"] if c.value == "=cmd|' /C calc'!A0"]
    assert name_cells and name_cells[0].data_type == "s"


@pytest.mark.parametrize("url", ["/assessments/runs/{run}/results.xlsx", "/assessments/recommendations.xlsx?year=2019",
                                 "/assessments/pipeline.xlsx?level=national_candidate&year=2019"])
def test_reviewer_downloads_leave_out_conflicted_institutions(app, assessed, url):
    with app.app_context():
        star = db.session.get(Institution, assessed["star"][0])
        reviewer = make_user("reviewer", username="conflicted")
        reviewer.affiliation_id = star.id
        db.session.commit()
        assert db.session.scalar(select(User.id).where(User.username == "conflicted"))
    client = app.test_client()
    login(client, "conflicted")
    wb = _book(client.get(url.format(run=assessed["run"])))
    names = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert "星光孵化器" not in names and "微光孵化器" in names
