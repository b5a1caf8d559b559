"""`fuhua roster template|import`: upsert by credit code, all or nothing."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Institution, Level, Recognition, Status
from tests.factories import make_institution, make_uscc


def _roster(path, rows) -> str:
    """Fill the roster template (row 4 on) as the bureau does."""
    from importers import build_roster_template

    wb = openpyxl.load_workbook(io.BytesIO(build_roster_template()))
    ws = wb["机构名录"]
    for i, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.cell(row=4 + i, column=c + 1, value=value)
    wb.save(path)
    return str(path)


def _row(name, uscc, category="科技企业孵化器", subclass="综合", town="松山湖", level="市级", year=2018):
    return [name, uscc, category, subclass, "企业", town, "运营公司", "东莞市松山湖大道1号", dt.date(2015, 3, 1),
            dt.date(2016, 1, 1), level, year, "东科〔2018〕12号"]


def test_roster_template(runner, tmp_path):
    out = tmp_path / "roster.xlsx"
    result = runner.invoke(args=["roster", "template", "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)["机构名录"]
    assert ws["A2"].value == "name" and ws["B2"].value == "uscc"


def test_roster_import_registers_and_updates_by_credit_code(app, runner, tmp_path):
    with app.app_context():
        existing = make_institution(name="旧名称孵化器")
        db.session.commit()
        existing_code = existing.uscc
    new_code = make_uscc()
    path = _roster(tmp_path / "r.xlsx", [_row("新登记孵化器", new_code, level="省级", year=2017),
                                          _row("新名称孵化器", existing_code)])
    result = runner.invoke(args=["roster", "import", "--dry-run", path])
    assert result.exit_code == 0, result.output
    assert "试运行" in result.output and "新登记 1 家，更新 1 家" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Institution.id))) == 1
        assert db.session.scalar(select(Institution.name)) == "旧名称孵化器"
    result = runner.invoke(args=["roster", "import", path])
    assert result.exit_code == 0, result.output
    with app.app_context():
        new = db.session.scalar(select(Institution).where(Institution.uscc == new_code))
        assert (new.name, new.category.value, new.subclass, new.town.name, new.status) == (
            "新登记孵化器", "incubator", "comprehensive", "松山湖高新区", Status.RECOGNISED)
        rec = db.session.scalar(select(Recognition).where(Recognition.institution_id == new.id))
        assert (rec.level, rec.effective_from, rec.doc_no) == (Level.PROVINCIAL, dt.date(2017, 1, 1), "东科〔2018〕12号")
        assert "暂定" in rec.note
        assert db.session.scalar(select(Institution.name).where(Institution.uscc == existing_code)) == "新名称孵化器"
    result = runner.invoke(args=["roster", "import", path])  # idempotent
    assert result.exit_code == 0 and "无变化 2 家" in result.output


def test_roster_with_a_bad_row_writes_nothing(app, runner, tmp_path):
    good, bad = make_uscc(), make_uscc()
    path = _roster(tmp_path / "r.xlsx", [_row("好孵化器", good), _row("坏孵化器", bad[:-1] + ("0" if bad[-1] != "0" else "1"))])
    result = runner.invoke(args=["roster", "import", path])
    assert result.exit_code == 1
    assert "名录有错误，未写入任何数据" in result.output and "[uscc-checksum]" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Institution.id))) == 0


def test_roster_row_the_registry_refuses_rolls_back_the_rows_before_it(app, runner, tmp_path):
    """An incubator without a subclass passes the reader but not register_institution: nothing stays."""
    path = _roster(tmp_path / "r.xlsx", [_row("第一家", make_uscc()), _row("无子类孵化器", make_uscc(), subclass=None)])
    result = runner.invoke(args=["roster", "import", path])
    assert result.exit_code == 1, result.output
    assert "机构名录 第5行" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Institution.id))) == 0
        assert db.session.scalar(select(func.count(Recognition.id))) == 0
