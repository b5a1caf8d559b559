"""National-incubator exports: files read back cell by cell, the CLI, and the web download."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date

import openpyxl
import pytest

from registry.extensions import db
from registry.institutions.operations import end_recognition, record_recognition
from registry.models import Level
from tests.factories import login, make_user
from tests.factories import make_institution as _make_institution

TITLE_ZH = "国家级科技企业孵化器数量（2016–2020年）"


def make_institution(**fields):  # noqa: ANN003, ANN201
    return _make_institution(status_on=date(2010, 1, 1), **fields)


@pytest.fixture
def history(app):  # noqa: ANN001, ANN201
    """松山湖: national from 2016; 大朗: 2017 to 31 Dec 2018 (not counted 2018); 莞城: revoked and re-recognised."""
    with app.app_context():
        record_recognition(make_institution(town="songshanhu", subclass="specialised"),
                           level=Level.NATIONAL, effective_from=date(2016, 1, 1))
        dalang = record_recognition(make_institution(town="dalang"), level=Level.NATIONAL,
                                    effective_from=date(2017, 1, 1))
        end_recognition(dalang, ended_on=date(2018, 12, 31), reason="revoked")
        guancheng = make_institution(town="guancheng")
        first = record_recognition(guancheng, level=Level.NATIONAL, effective_from=date(2017, 5, 1))
        end_recognition(first, ended_on=date(2019, 3, 1), reason="revoked")
        record_recognition(guancheng, level=Level.NATIONAL, effective_from=date(2019, 9, 1))
        record_recognition(guancheng, level=Level.PROVINCIAL, effective_from=date(2015, 1, 1))
        db.session.commit()


def export(runner, tmp_path, *args: str, name: str = "out.xlsx"):  # noqa: ANN001, ANN201
    """Run the command into an empty folder of its own (the SQLite test database lives in tmp_path)."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    path = out / name
    result = runner.invoke(args=["export", "national-incubators", *args, "-o", str(path)])
    return result, path


def test_xlsx_by_town_cell_by_cell(runner, tmp_path, history):
    result, path = export(runner, tmp_path, "--from", "2016", "--to", "2020", "--by", "town", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == TITLE_ZH
    assert ws["A1"].font.bold and ws["A1"].font.size == 14
    assert [c.value for c in ws[3]] == ["镇街", 2016, 2017, 2018, 2019, 2020]
    assert ws["B3"].fill.start_color.rgb.endswith("E6F4EF")
    assert ws.freeze_panes == "B4"
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(2, 7)] for r in range(4, 4 + 34)}
    assert len(rows) == 34  # every town-level unit, with zeros
    assert rows["莞城街道"] == [0, 1, 1, 1, 1]  # revoked 1 Mar 2019, re-recognised 1 Sep 2019: in force on 31 Dec
    assert rows["大朗镇"] == [0, 1, 0, 0, 0]  # revoked on 31 Dec 2018: not counted for 2018
    assert rows["松山湖高新区"] == [1, 1, 1, 1, 1]
    assert rows["虎门镇"] == [0, 0, 0, 0, 0]
    total_row = 4 + 34
    assert [c.value for c in ws[total_row]] == ["全市合计（每家机构计一次）", 1, 3, 2, 2, 2]
    assert ws.cell(total_row, 1).font.bold
    assert ws.cell(5, 3).number_format == "#,##0"
    assert ws.column_dimensions["A"].width >= 18
    assert ws.cell(total_row + 2, 1).value == "说明"
    notes = [ws.cell(r, 1).value for r in range(total_row + 3, ws.max_row + 1)]
    assert notes[0].startswith("统计口径（第1版）：孵化器的国家级认定在当年12月31日")
    assert notes[1].startswith("数据来源：孵化系统登记库")
    assert len(notes) == 2  # no synthetic-data warning: nothing here is synthetic


def test_xlsx_marks_synthetic_data(runner, tmp_path, app):
    with app.app_context():
        record_recognition(make_institution(is_synthetic=True), level=Level.NATIONAL, effective_from=date(2016, 1, 1))
        db.session.commit()
    result, path = export(runner, tmp_path, "--from", "2016", "--to", "2017")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[4]] == ["全市合计（每家机构计一次）", 1, 1]
    assert ws.cell(ws.max_row, 1).value == "本数据库含合成演示数据：以上数字并非真实数据。"


def test_csv_has_bom_and_the_same_cells(runner, tmp_path, history):
    result, path = export(runner, tmp_path, "--from", "2017", "--to", "2019", "--by", "zone", "--format", "csv",
                          name="zones.csv")
    assert result.exit_code == 0, result.output
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [
        ["片区", "2017", "2018", "2019"],
        ["“1+6”统筹区", "2", "1", "1"],
        ["环松山湖九镇", "1", "0", "0"],
        ["九个中心镇（街）", "0", "0", "0"],
        ["不属于上述片区的镇街", "1", "1", "1"],
        ["全市合计（每家机构计一次）", "3", "2", "2"],
    ]


def test_json_with_as_of_date(runner, tmp_path, history):
    result, path = export(runner, tmp_path, "--from", "2018", "--to", "2019", "--as-of", "2019-06-30",
                          "--by", "subclass", "--format", "json", "--lang", "en", name="sub.json")
    assert result.exit_code == 0, result.output
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["as_of"] == "2019-06-30"
    assert data["years"] == [2018, 2019]
    assert data["counted_on"] == {"2018": "2018-12-31", "2019": "2019-06-30"}
    # on 30 Jun 2019 莞城 is between its revocation and its re-recognition
    assert data["rows"] == [
        {"code": "comprehensive", "label": "Comprehensive", "counts": {"2018": 1, "2019": 0}},
        {"code": "specialised", "label": "Specialised", "counts": {"2018": 1, "2019": 1}},
    ]
    assert data["total"] == {"2018": 2, "2019": 1}
    assert data["synthetic"] is False
    assert any("counted on 2019-06-30" in n for n in data["notes"])


def test_format_follows_the_file_name(runner, tmp_path, history):
    result, path = export(runner, tmp_path, "--from", "2016", "--to", "2016", name="n.json")
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text(encoding="utf-8"))["total"] == {"2016": 1}


@pytest.mark.parametrize(("args", "name", "message"), [
    (["--from", "2020", "--to", "2016"], "o.xlsx", "起始年份（2020）晚于截止年份（2016）"),
    (["--from", "2016", "--to", "2020", "--by", "province"], "o.xlsx", "“province”不是分组方式"),
    (["--from", "2016", "--to", "2020", "--as-of", "2020-02-30"], "o.xlsx", "“2020-02-30”不是日期"),
    (["--from", "2016", "--to", "2020", "--as-of", "2019-12-31"], "o.xlsx", "截至日期2019-12-31早于截止年份2020"),
    (["--from", "2016", "--to", "2020", "--as-of", "2015-12-31"], "o.xlsx", "没有可统计的年份"),
    (["--from", "二〇一六", "--to", "2020"], "o.xlsx", "“二〇一六”不是年份"),
    (["--from", "2016", "--to", "2020", "--format", "pdf"], "o.pdf", "“pdf”不是导出格式"),
    (["--from", "2016", "--to", "2020", "--format", "csv"], "o.xlsx", "ends in .xlsx but --format is csv"),
    (["--from", "2016", "--to", "2020"], "o.txt", "Cannot tell the format"),
])
def test_bad_options_are_clear_errors_and_write_nothing(runner, tmp_path, args, name, message):
    result, path = export(runner, tmp_path, *args, name=name)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert list(path.parent.iterdir()) == []


def test_every_problem_is_reported_at_once(runner, tmp_path):
    result, _path = export(runner, tmp_path, "--from", "2021", "--to", "2020", "--by", "x", "--as-of", "soon")
    assert result.exit_code == 2
    for option in ("--from:", "--by:", "--as-of:"):
        assert option in result.output


def test_missing_folder_is_refused(runner, tmp_path):
    result = runner.invoke(args=["export", "national-incubators", "--from", "2016", "--to", "2020",
                                 "-o", str(tmp_path / "nope" / "out.xlsx")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_unwritable_location_is_refused(runner, tmp_path):
    """A read-only folder for a normal user; for root (CI containers) /proc, where nothing can be created."""
    if os.geteuid() == 0:
        target = "/proc/national-incubators.xlsx"
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = str(locked / "out.xlsx")
    result = runner.invoke(args=["export", "national-incubators", "--from", "2016", "--to", "2020", "-o", target])
    if os.geteuid() != 0:
        (tmp_path / "locked").chmod(0o700)
    assert result.exit_code != 0
    assert "cannot be written" in result.output or "Could not write" in result.output
    assert "Traceback" not in result.output
    assert not os.path.exists(target)


def test_write_failure_leaves_no_partial_file(runner, tmp_path, monkeypatch):
    """A failure while writing (disk full …) is a clear error, and neither the file nor a temp file stays."""
    import registry.exports.cli as cli_module

    def failing_replace(src, dst):  # noqa: ANN001, ANN202
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli_module.os, "replace", failing_replace)
    result, path = export(runner, tmp_path, "--from", "2016", "--to", "2017")
    assert result.exit_code == 1
    assert "Could not write" in result.output and "No space left on device" in result.output
    assert list(path.parent.iterdir()) == []


def test_directory_as_output_is_refused(runner, tmp_path):
    result = runner.invoke(args=["export", "national-incubators", "--from", "2016", "--to", "2020",
                                 "-o", str(tmp_path)])
    assert result.exit_code == 2


# --- web download -------------------------------------------------------------------------------

@pytest.fixture
def reviewer_client(app):  # noqa: ANN001, ANN201
    with app.app_context():
        make_user("reviewer", username="rev")
        db.session.commit()
    client = app.test_client()
    assert login(client, "rev").status_code == 302
    return client


def test_download_xlsx_from_the_web(reviewer_client, history):
    response = reviewer_client.get("/exports/national-incubators?from=2016&to=2020&by=town&format=xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="national-incubators_2016-2020_by-town.xlsx"' in response.headers["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert ws["A1"].value == TITLE_ZH
    assert [c.value for c in ws[4 + 34]][1:] == [1, 3, 2, 2, 2]


def test_download_csv_in_english(reviewer_client, history):
    response = reviewer_client.get("/exports/national-incubators?from=2018&to=2018&format=csv&lang=en")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")))) == [
        ["Area", "2018"], ["City total (each institution once)", "2"]]


def test_bad_download_is_a_friendly_400_in_chinese(admin_client):
    response = admin_client.get("/exports/national-incubators?from=2020&to=2016&by=city&format=pdf&as_of=x")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "无法导出" in page
    assert "起始年份（2020）晚于截止年份（2016）。" in page
    assert "“city”不是分组方式" in page
    assert "“pdf”不是导出格式" in page
    assert "“x”不是日期" in page


def test_institution_account_cannot_download(app, client):
    with app.app_context():
        inst = make_institution()
        make_user("institution", username="inst", institution=inst)
        db.session.commit()
    login(client, "inst")
    assert client.get("/exports/national-incubators?from=2016&to=2020").status_code == 403


def test_anonymous_download_goes_to_login(client):
    response = client.get("/exports/national-incubators?from=2016&to=2020")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
