"""`fuhua reports template|import`: real files, real database, exit codes."""

from __future__ import annotations


import openpyxl
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import Institution, SelfReport, Upload
from tests.factories import make_institution, make_uscc
from tests.registry.test_reports_support import YEAR, filled_report, save


def _setup(app, n: int = 1):
    with app.app_context():
        insts = [make_institution(name=f"示例孵化器{i}") for i in range(n)]
        db.session.commit()
        return [i.id for i in insts]


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_template_for_a_category_and_for_an_institution(app, runner, tmp_path):
    out = tmp_path / "t.xlsx"
    result = runner.invoke(args=["reports", "template", "--category", "incubator", "--subclass", "comprehensive",
                                 "--year", "2019", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert "基本情况" in wb.sheetnames and "在孵企业" in wb.sheetnames
    (inst_id,) = _setup(app)
    with app.app_context():
        uscc = db.session.get(Institution, inst_id).uscc
    result = runner.invoke(args=["reports", "template", "--year", "2019", "--institution", uscc, "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)["基本情况"]
    assert uscc in [ws.cell(row=r, column=4).value for r in range(1, ws.max_row + 1)]
    result = runner.invoke(args=["reports", "template", "--category", "incubator", "--subclass", "comprehensive",
                                 "--year", "2010", "-o", str(out)])
    assert result.exit_code == 1 and "2010 年度没有适用于“科技企业孵化器（综合）”的考核指标体系" in result.output
    result = runner.invoke(args=["reports", "template", "--year", "2019", "--institution", make_uscc(), "-o", str(out)])
    assert result.exit_code == 1 and "不在机构名录中" in result.output


def test_import_stores_a_clean_file_and_dry_run_writes_nothing(app, runner, tmp_path):
    (inst_id,) = _setup(app)
    with app.app_context():
        path = save(tmp_path, "ok.xlsx", filled_report(db.session.get(Institution, inst_id)))
    result = runner.invoke(args=["reports", "import", "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert "检查通过（试运行，未写入）" in result.output
    with app.app_context():
        assert (_count(SelfReport), _count(Upload)) == (0, 0)
    result = runner.invoke(args=["reports", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "已导入为第 1 版" in result.output
    with app.app_context():
        report = db.session.scalar(select(SelfReport))
        assert (report.institution_id, report.year, report.source, report.upload.outcome) == (inst_id, YEAR, "cli", "accepted")
        assert report.upload.content == path.read_bytes()
    assert runner.invoke(args=["reports", "import", str(path)]).exit_code == 0
    with app.app_context():
        assert [r.version for r in db.session.scalars(select(SelfReport).where(SelfReport.is_current))] == [2]


def test_import_prints_chinese_problems_and_exits_1(app, runner, tmp_path):
    (inst_id,) = _setup(app)
    with app.app_context():
        path = save(tmp_path, "bad.xlsx", filled_report(db.session.get(Institution, inst_id),
                                                        overrides={"staff_total": "二十"}))
    result = runner.invoke(args=["reports", "import", str(path)])
    assert result.exit_code == 1
    assert "[not-a-number] “管理机构从业人员数”应填写数字，实际为“二十”。" in result.output
    assert "错误 基本情况!D" in result.output
    with app.app_context():
        assert (_count(SelfReport), _count(Upload)) == (0, 0)


def test_import_refuses_unknown_credit_codes_and_unknown_years(app, runner, tmp_path):
    (inst_id,) = _setup(app)
    with app.app_context():
        inst = db.session.get(Institution, inst_id)
        stranger = make_uscc()
        unknown = save(tmp_path, "unknown.xlsx", filled_report(inst, uscc=stranger))
        clean = save(tmp_path, "clean.xlsx", filled_report(inst))
    result = runner.invoke(args=["reports", "import", str(unknown)])
    assert result.exit_code == 1 and f"文件中的统一社会信用代码（{stranger}）不在机构名录中" in result.output
    result = runner.invoke(args=["reports", "import", "--year", "2010", str(clean)])
    assert result.exit_code == 1 and "2010 年度没有适用于“科技企业孵化器（综合）”的考核指标体系" in result.output
    result = runner.invoke(args=["reports", "import", "--year", "2018", str(clean)])  # a 2019 template as 2018
    assert result.exit_code == 1 and "[wrong-template]" in result.output
    not_a_sheet = save(tmp_path, "notes.xlsx", "不是表格".encode() * 100)
    result = runner.invoke(args=["reports", "import", str(not_a_sheet)])
    assert result.exit_code == 1 and "[not-a-spreadsheet]" in result.output
    with app.app_context():
        assert (_count(SelfReport), _count(Upload)) == (0, 0)


def test_many_files_each_its_own_transaction_with_a_summary(app, runner, tmp_path):
    ids = _setup(app, 3)
    with app.app_context():
        insts = [db.session.get(Institution, i) for i in ids]
        paths = [save(tmp_path, "a.xlsx", filled_report(insts[0])),
                 save(tmp_path, "b.xlsx", filled_report(insts[1], overrides={"tenants": 7})),
                 save(tmp_path, "c.xlsx", filled_report(insts[2]))]
    result = runner.invoke(args=["reports", "import", *map(str, paths)])
    assert result.exit_code == 1
    assert "共 3 个文件：已导入 2 个，有错误 1 个。" in result.output
    assert "✗ b.xlsx" in result.output and "[row-count-mismatch]" in result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(SelfReport.institution_id))) == [ids[0], ids[2]]
        assert _count(Upload) == 2
