"""Hostile and careless uploads through the real views (issue 12): bounded work, nothing unsafe kept or served."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

import importers
from importers.safe_cells import set_text
from importers.spec import KV_SHEET
from registry.extensions import db
from registry.models import SelfReport, Upload
from tests.factories import make_institution
from tests.importers.hostile import digits_workbook
from tests.registry.test_reports_support import YEAR, filled_report

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 8 + b"\x02\x00\x3e\x00" + bytes(range(256)) * 8


@pytest.fixture
def inst(app):
    with app.app_context():
        institution = make_institution(name="东莞松山湖示例孵化器有限公司")
        db.session.commit()
        return institution.id


def _institution(inst_id):
    from registry.models import Institution

    return db.session.get(Institution, inst_id)


def _post(client, inst_id, data: bytes, filename: str):
    """POST the file; the builder's spooled body (a temporary file for big uploads) is closed afterwards."""
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path=f"/reports/{inst_id}/{YEAR}/upload", method="POST",
                             data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
    try:
        environ = builder.get_environ()
        return client.open(environ)
    finally:
        builder.close()
        environ["wsgi.input"].close()


def _only_upload() -> Upload:
    return db.session.scalar(select(Upload))


@pytest.fixture
def no_parsing(monkeypatch):
    """After the upload itself, any attempt to read a workbook again fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a stored upload was parsed again")

    def arm() -> None:
        monkeypatch.setattr(importers, "read_workbook", refuse)
        monkeypatch.setattr("importers.annotate.read_workbook", refuse)
        monkeypatch.setattr("importers.workbook.python_calamine.CalamineWorkbook.from_object", refuse)

    return arm


def test_elf_binary_renamed_xlsx_is_refused_and_its_bytes_are_not_kept(app, admin_client, inst):
    response = _post(admin_client, inst, ELF, "prog.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“prog.xlsx”不是电子表格文件" in html
    with app.app_context():
        upload = _only_upload()
        assert (upload.outcome, upload.content, upload.kind, upload.size) == ("rejected", None, None, len(ELF))
        upload_id = upload.id
    assert admin_client.get(f"/reports/uploads/{upload_id}/download").status_code == 404
    annotated = admin_client.get(f"/reports/uploads/{upload_id}/annotated")
    summary = openpyxl.load_workbook(io.BytesIO(annotated.data))["问题清单"]
    assert "不是电子表格文件" in summary["H4"].value


def test_downloads_use_the_detected_type_and_a_matching_name(app, admin_client, inst):
    with app.app_context():
        data = filled_report(_institution(inst))
    _post(admin_client, inst, data, "prog.exe")  # a real .xlsx under a misleading name
    with app.app_context():
        upload_id = _only_upload().id
    response = admin_client.get(f"/reports/uploads/{upload_id}/download")
    assert response.data == data
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "prog.xlsx" in disposition and ".exe" not in disposition


def test_xls_upload_is_served_as_xls(app, admin_client, inst, tmp_path):
    from tests.importers.fixtures import write_xls

    data = write_xls(tmp_path / "a.xls", {"S": [["x", 1]]}).read_bytes()
    _post(admin_client, inst, data, "旧版.xls")
    with app.app_context():
        upload = _only_upload()
        assert upload.kind == "xls" and upload.content == data
    response = admin_client.get(f"/reports/uploads/{upload.id}/download")
    assert response.mimetype == "application/vnd.ms-excel"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_7_mb_workbook_is_refused_once_and_never_parsed_again(app, admin_client, inst, no_parsing):
    """Issue 12: kept as a rejected upload, its preview re-parsed it on every click (9.5 s, ~900 MB)."""
    data = digits_workbook(sheets=(KV_SHEET, "在孵企业"), rows=19_000, dimension=False)
    response = _post(admin_client, inst, data, "digits.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-code="too-many-cells"' in html
    assert "工作表“基本情况”（连同此前读取的工作表）的已用区域至少有" in html
    with app.app_context():
        upload = _only_upload()
        assert upload.outcome == "rejected" and upload.content == data
        assert [i["code"] for i in upload.report["issues"]] == ["too-many-cells"]
        upload_id = upload.id

    no_parsing()
    preview = admin_client.get(f"/reports/uploads/{upload_id}/preview")
    assert preview.status_code == 422 and 'data-code="too-many-cells"' in preview.get_data(as_text=True)
    annotated = admin_client.get(f"/reports/uploads/{upload_id}/annotated")
    assert annotated.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(annotated.data))
    assert wb.sheetnames == ["问题清单"]  # the summary alone: the refused file is not opened again
    assert wb["问题清单"]["C4"].value == "too-many-cells"
    assert "超过本文件允许的" in wb["问题清单"]["H4"].value


def test_18_mb_workbook_is_answered_with_a_chinese_message(app, admin_client, inst):
    data = digits_workbook()  # Sheet1, Sheet2: not the template's sheets, so none of their cells is read
    response = _post(admin_client, inst, data, "digits.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "该文件不是从系统下载的自评报表模板" in html
    with app.app_context():
        assert _only_upload().outcome == "rejected"


def test_clean_upload_is_previewed_and_confirmed_from_its_stored_report(app, admin_client, inst, no_parsing):
    with app.app_context():
        data = filled_report(_institution(inst), overrides={"staff_total": 17})
    response = _post(admin_client, inst, data, "自评报表.xlsx")
    assert response.status_code == 302
    upload_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
    no_parsing()
    page = admin_client.get(f"/reports/uploads/{upload_id}/preview").get_data(as_text=True)
    assert "确认并提交" in page and 'data-field="staff_total"' in page
    assert admin_client.post(f"/reports/{inst}/{YEAR}/confirm", data={"upload_id": str(upload_id)}).status_code == 302
    with app.app_context():
        report = db.session.scalar(select(SelfReport))
        assert report.values["staff_total"]["value"] == "17" and report.values["staff_total"]["cell"].startswith(KV_SHEET)
        assert len(report.tables["tenants"]) == 2


def test_annotated_copy_keeps_formula_like_values_as_text(app, admin_client, inst):
    """A value typed as text "=HYPERLINK(…)" comes back in 问题清单 as text, not as a live link."""
    hostile = '=HYPERLINK("http://evil.example","点击")'
    with app.app_context():
        data = filled_report(_institution(inst))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[KV_SHEET]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "staff_total")
    set_text(ws.cell(row=row, column=4), hostile)  # the filer typed it as text
    out = io.BytesIO()
    wb.save(out)
    assert _post(admin_client, inst, out.getvalue(), "f.xlsx").status_code == 422
    with app.app_context():
        upload_id = _only_upload().id
    annotated = openpyxl.load_workbook(io.BytesIO(admin_client.get(f"/reports/uploads/{upload_id}/annotated").data))
    listed = [c for row in annotated["问题清单"].iter_rows(min_row=4) for c in row if c.value == hostile]
    assert listed and all(c.data_type == "s" for c in listed)
    with app.app_context():
        assert db.session.scalar(select(func.count(SelfReport.id))) == 0
