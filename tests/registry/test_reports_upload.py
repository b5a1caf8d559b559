"""Upload → preview → confirm, through the real views, with real .xlsx files and a real database."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import ReportedTenant, SelfReport, Upload
from tests.factories import make_institution, make_uscc
from tests.registry.test_reports_support import YEAR, filled_report


@pytest.fixture
def inst(app):
    with app.app_context():
        institution = make_institution(name="东莞松山湖示例孵化器有限公司")
        db.session.commit()
        return institution.id


def _institution(inst_id):
    from registry.models import Institution

    return db.session.get(Institution, inst_id)


def _post(client, inst_id, data: bytes, filename: str = "自评报表.xlsx", year: int = YEAR):
    return client.post(f"/reports/{inst_id}/{year}/upload",
                       data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def _upload_id(response) -> int:
    return int(response.headers["Location"].rstrip("/").split("/")[-2])


def test_upload_preview_confirm_stores_values_with_cells(app, admin_client, inst):
    with app.app_context():
        codes = [make_uscc(), make_uscc()]
        data = filled_report(_institution(inst), tenants=codes, overrides={"staff_total": 12})
    response = _post(admin_client, inst, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    upload_id = _upload_id(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(SelfReport.id))) == 0  # nothing until confirmed
        assert db.session.get(Upload, upload_id).outcome == "pending"

    page = admin_client.get(f"/reports/uploads/{upload_id}/preview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "确认并提交" in html  # the confirm button, in Chinese
    assert "基本情况!D" in html  # values shown with their cells

    response = admin_client.post(f"/reports/{inst}/{YEAR}/confirm", data={"upload_id": str(upload_id)})
    assert response.status_code == 302
    with app.app_context():
        report = db.session.scalar(select(SelfReport))
        upload = db.session.get(Upload, upload_id)
        assert (report.version, report.is_current, report.upload_id, report.supersedes_id) == (1, True, upload_id, None)
        assert upload.outcome == "accepted" and upload.kind == "xlsx" and len(upload.sha256) == 64
        staff = report.values["staff_total"]
        assert staff["value"] == "12" and staff["raw"] == "12" and staff["cell"].startswith("基本情况!D")
        assert report.values["uscc"]["value"] == _institution(inst).uscc
        rows = report.tables["tenants"]
        assert [r["uscc"]["value"] for r in rows] == codes
        assert rows[0]["uscc"]["cell"] == "在孵企业!B4"
        assert sorted(db.session.scalars(select(ReportedTenant.uscc))) == sorted(codes)


def _counts():
    return (db.session.scalar(select(func.count(SelfReport.id))),
            db.session.scalar(select(func.count(ReportedTenant.id))))


def test_file_with_errors_is_refused_with_its_cells_and_kept_as_rejected(app, admin_client, inst):
    with app.app_context():
        data = filled_report(_institution(inst), overrides={"staff_total": "二十", "tenants": 5})
    response = _post(admin_client, inst, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    # every problem with its sheet!cell, in Chinese, errors grouped by rule
    assert "“管理机构从业人员数”应填写数字，实际为“二十”。" in html
    assert 'data-code="not-a-number"' in html and 'data-code="row-count-mismatch"' in html
    assert "文件有 2 个错误，未保存为自评报表" in html
    assert "下载标注了问题单元格的文件" in html and "确认并提交" not in html
    with app.app_context():
        assert _counts() == (0, 0)
        upload = db.session.scalar(select(Upload))
        assert upload.outcome == "rejected"
        assert {i["code"] for i in upload.report["issues"]} >= {"not-a-number", "row-count-mismatch"}
        cells = {i["cell"] for i in upload.report["issues"] if i["code"] == "not-a-number"}
        assert all(c.startswith("D") for c in cells)
        assert f'data-cell="基本情况!{next(iter(cells))}"' in html
        upload_id = upload.id
    # a rejected upload cannot be confirmed, even by posting its id
    response = admin_client.post(f"/reports/{inst}/{YEAR}/confirm", data={"upload_id": str(upload_id)})
    assert response.status_code == 302
    with app.app_context():
        assert _counts() == (0, 0)


def test_annotated_workbook_has_the_problem_cells_commented(app, admin_client, inst):
    with app.app_context():
        data = filled_report(_institution(inst), overrides={"staff_total": "二十"})
    assert _post(admin_client, inst, data).status_code == 422
    with app.app_context():
        upload = db.session.scalar(select(Upload))
        cell = next(i["cell"] for i in upload.report["issues"] if i["code"] == "not-a-number")
    response = admin_client.get(f"/reports/uploads/{upload.id}/annotated")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    assert "问题清单" in wb.sheetnames
    comment = wb["基本情况"][cell].comment
    assert comment is not None and "应填写数字" in comment.text
    assert wb["基本情况"][cell].fill.fgColor.rgb.endswith("FF9999")


def test_file_of_another_institution_is_refused_without_storing(app, admin_client, inst):
    with app.app_context():
        other = make_institution(name="另一家孵化器")
        db.session.commit()
        data = filled_report(other)  # the other institution's own, clean template
    response = _post(admin_client, inst, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-code="wrong-institution"' in html
    assert "不是“东莞松山湖示例孵化器有限公司”的代码" in html
    with app.app_context():
        assert _counts() == (0, 0)


@pytest.mark.parametrize(("year", "code"), [(2018, "wrong-template")])
def test_template_of_another_year_is_refused(app, admin_client, inst, year, code):
    with app.app_context():
        data = filled_report(_institution(inst), year=year)  # a 2018 template uploaded as the 2019 report
    response = _post(admin_client, inst, data)
    assert response.status_code == 422
    assert f'data-code="{code}"' in response.get_data(as_text=True)
    assert "该文件是“2018年度 科技企业孵化器（综合）”模板，应使用“2019年度 科技企业孵化器（综合）”模板" in \
        response.get_data(as_text=True)


def test_template_of_another_category_is_refused(app, admin_client, inst):
    with app.app_context():
        maker = make_institution(name="创客空间", category="maker_space", subclass=None)
        db.session.commit()
        data = filled_report(maker, year=2019, uscc=_institution(inst).uscc)
    response = _post(admin_client, inst, data)
    assert response.status_code == 422
    assert 'data-code="wrong-template"' in response.get_data(as_text=True)


def test_year_without_a_system_is_refused_before_anything_is_stored(app, admin_client, inst):
    response = admin_client.get(f"/reports/{inst}/2010/upload")
    assert response.status_code == 404
    assert "2010 年度没有适用于“科技企业孵化器（综合）”的考核指标体系" in response.get_data(as_text=True)
    response = _post(admin_client, inst, b"whatever", year=2010)
    assert response.status_code == 404
    assert admin_client.get(f"/reports/{inst}/2010/template").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Upload.id))) == 0


def _bad_files(tmp_path, template: bytes) -> dict[str, tuple[bytes, str]]:
    from tests.importers.fixtures import rezip, set_cell_xml, sheet_part
    from importers.workbook import OLE2_MAGIC

    wb = openpyxl.load_workbook(io.BytesIO(template))
    wb["在孵企业"].title = "企业名单"
    renamed = io.BytesIO()
    wb.save(renamed)
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["基本情况"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "staff_total")
    ws.merge_cells(start_row=row, start_column=4, end_row=row + 1, end_column=4)
    merged = io.BytesIO()
    wb.save(merged)
    part = sheet_part(template, "在孵企业")
    return {
        "not-a-spreadsheet": ("报告.docx 内容".encode() * 50, "report.xlsx"),
        "corrupt-file": (template[: len(template) // 2], "truncated.xlsx"),
        "encrypted-file": (OLE2_MAGIC + b"\0" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 100, "secret.xlsx"),
        "compression-ratio": (rezip(template, {"xl/media/image1.bin": b"\0" * (60 * 1024 * 1024)}), "bomb.xlsx"),
        "too-many-rows": (rezip(template, {part: lambda x: x.replace(b'<dimension ref="', b'<dimension ref="A1:J1048576" x="')}),
                          "million.xlsx"),
        "missing-sheet": (renamed.getvalue(), "renamed.xlsx"),
        "merged-input-cell": (merged.getvalue(), "merged.xlsx"),
        "excel-error": (set_cell_xml(template, "基本情况", f"D{row}", f'<c r="D{row}" t="e"><f>1/0</f><v>#DIV/0!</v></c>'),
                        "error.xlsx"),
    }


@pytest.mark.parametrize("code", ["not-a-spreadsheet", "corrupt-file", "encrypted-file", "compression-ratio", "too-many-rows",
                                  "missing-sheet", "merged-input-cell", "excel-error"])
def test_bad_files_get_a_clear_message_and_nothing_is_stored(app, admin_client, inst, tmp_path, code):
    with app.app_context():
        template = filled_report(_institution(inst))
    data, filename = _bad_files(tmp_path, template)[code]
    response = _post(admin_client, inst, data, filename=filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:500]
    assert f'data-code="{code}"' in html
    with app.app_context():
        assert _counts() == (0, 0)
        upload = db.session.scalar(select(Upload))
        assert upload.outcome == "rejected" and upload.size == len(data)
        if code == "not-a-spreadsheet":  # not a spreadsheet: recorded, its bytes never kept
            assert upload.content is None
            assert admin_client.get(f"/reports/uploads/{upload.id}/download").status_code == 404
            return
        assert upload.content == data  # the original bytes, for audit
    download = admin_client.get(f"/reports/uploads/{upload.id}/download")
    assert download.data == data and download.headers["Content-Disposition"].startswith("attachment")


def test_empty_or_missing_file_is_a_form_error(app, admin_client, inst):
    response = admin_client.post(f"/reports/{inst}/{YEAR}/upload", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "请选择要上传的已填写模板" in response.get_data(as_text=True)
    response = _post(admin_client, inst, b"")
    assert response.status_code == 400 and "文件为空" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Upload.id))) == 0


def test_confirm_failure_mid_write_leaves_no_partial_rows(app, admin_client, inst, monkeypatch):
    """A constraint violation on the last write (tenant index) rolls back the version, the values and the outcome."""
    from registry.reports import operations

    with app.app_context():
        first = filled_report(_institution(inst))
    upload_id = _upload_id(_post(admin_client, inst, first))
    assert admin_client.post(f"/reports/{inst}/{YEAR}/confirm", data={"upload_id": str(upload_id)}).status_code == 302
    with app.app_context():
        second = filled_report(_institution(inst))
    second_id = _upload_id(_post(admin_client, inst, second))

    original = operations._tenant_rows

    def duplicated(report_row, tables):
        rows = original(report_row, tables)
        return rows + [ReportedTenant(self_report_id=rows[0].self_report_id, institution_id=rows[0].institution_id,
                                      year=rows[0].year, uscc=rows[0].uscc)]  # violates uq (report, uscc)

    monkeypatch.setattr(operations, "_tenant_rows", duplicated)
    response = admin_client.post(f"/reports/{inst}/{YEAR}/confirm", data={"upload_id": str(second_id)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/uploads/{second_id}/preview")
    with app.app_context():
        reports = list(db.session.scalars(select(SelfReport)))
        assert [(r.version, r.is_current) for r in reports] == [(1, True)]  # the first stays current
        assert db.session.get(Upload, second_id).outcome == "pending"
        assert db.session.scalar(select(func.count(ReportedTenant.id))) == 2
    page = admin_client.get(f"/reports/uploads/{second_id}/preview").get_data(as_text=True)
    assert "确认并提交" in page  # still confirmable once the fault is gone
