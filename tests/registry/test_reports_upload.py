"""Upload → preview → confirm, through the real views, with real .xlsx files and a real database."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import ReportedTenant, SelfReport, Upload
from tests.factories import login, make_institution, make_uscc, make_user
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
