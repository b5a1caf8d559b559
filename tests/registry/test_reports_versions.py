"""Versions, differences, template download, duplicate tenants and who may do what."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import Institution, SelfReport, Upload
from tests.factories import login, make_institution, make_uscc, make_user
from tests.registry.test_reports_support import YEAR, filled_report


def _submit(client, inst_id: int, data: bytes, year: int = YEAR) -> int:
    response = client.post(f"/reports/{inst_id}/{year}/upload", data={"file": (io.BytesIO(data), "自评.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    upload_id = int(response.headers["Location"].split("/")[-2])
    assert client.post(f"/reports/{inst_id}/{year}/confirm", data={"upload_id": str(upload_id)}).status_code == 302
    return upload_id


@pytest.fixture
def inst(app):
    with app.app_context():
        institution = make_institution(name="东莞示例孵化器")
        db.session.commit()
        return institution.id


def _inst(inst_id: int) -> Institution:
    return db.session.get(Institution, inst_id)


def test_second_submission_becomes_current_and_the_first_stays_downloadable(app, admin_client, inst):
    with app.app_context():
        first = filled_report(_inst(inst), overrides={"staff_total": 12})
        second = filled_report(_inst(inst), overrides={"staff_total": 15})
    first_id, second_id = _submit(admin_client, inst, first), _submit(admin_client, inst, second)
    with app.app_context():
        v1, v2 = db.session.scalars(select(SelfReport).order_by(SelfReport.version)).all()
        assert (v1.version, v1.is_current, v2.version, v2.is_current) == (1, False, 2, True)
        assert v2.supersedes_id == v1.id and v1.upload_id == first_id and v2.upload_id == second_id
    page = admin_client.get(f"/reports/{inst}/{YEAR}/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-version="2" data-current="yes"' in html and 'data-version="1" data-current="no"' in html
    assert "staff" in html  # who submitted
    assert admin_client.get(f"/reports/uploads/{first_id}/download").data == first  # the original bytes
    assert admin_client.get(f"/reports/uploads/{second_id}/download").data == second


def test_diff_lists_changed_fields_with_their_cells(app, admin_client, inst):
    with app.app_context():
        codes = [make_uscc(), make_uscc()]
        first = filled_report(_inst(inst), tenants=codes, overrides={"staff_total": 12})
        added = make_uscc()
        second = filled_report(_inst(inst), tenants=[codes[0], added], overrides={"staff_total": 15})
    _submit(admin_client, inst, first)
    _submit(admin_client, inst, second)
    with app.app_context():
        from registry.reports.queries import diff

        v1, v2 = db.session.scalars(select(SelfReport).order_by(SelfReport.version)).all()
        fields, tables = diff(v1, v2)
        assert [(c.code, c.label, c.old, c.new) for c in fields] == [("staff_total", "管理机构从业人员数", "12", "15")]
        assert fields[0].old_cell == fields[0].new_cell and fields[0].new_cell.startswith("基本情况!D")
        assert [(t.code, t.added, t.removed) for t in tables] == [("tenants", (added,), (codes[1],))]
    html = admin_client.get(f"/reports/{inst}/{YEAR}/diff?a=1&b=2").get_data(as_text=True)
    assert 'data-field="staff_total"' in html and "管理机构从业人员数" in html and added in html
    assert admin_client.get(f"/reports/{inst}/{YEAR}/diff?a=1&b=9").status_code == 404


def test_template_download_prefills_the_header_and_last_years_figures(app, admin_client, inst):
    with app.app_context():
        last_year = filled_report(_inst(inst), year=2018, overrides={"staff_total": 9})
    _submit(admin_client, inst, last_year, year=2018)
    response = admin_client.get(f"/reports/{inst}/{YEAR}/template")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    ws = openpyxl.load_workbook(io.BytesIO(response.data))["基本情况"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    with app.app_context():
        institution = _inst(inst)
        assert ws.cell(row=rows["org_name"], column=4).value == institution.name
        assert ws.cell(row=rows["uscc"], column=4).value == institution.uscc
    assert ws.cell(row=rows["report_year"], column=4).value == YEAR
    assert ws.cell(row=rows["staff_total"], column=5).value == 9  # last year beside the input column
    assert ws.cell(row=rows["staff_total"], column=4).value is None


def test_a_plausibility_jump_against_last_year_is_a_warning_on_the_preview(app, admin_client, inst):
    with app.app_context():
        last_year = filled_report(_inst(inst), year=2018, overrides={"staff_total": 10})
        this_year = filled_report(_inst(inst), overrides={"staff_total": 40})
    _submit(admin_client, inst, last_year, year=2018)
    response = admin_client.post(f"/reports/{inst}/{YEAR}/upload", data={"file": (io.BytesIO(this_year), "a.xlsx")},
                                 content_type="multipart/form-data")
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-code="implausible-jump" data-severity="warning"' in page
    assert "由上年 10 变为 40" in page and "确认并提交" in page


def _institution_client(app, institution_id: int):
    with app.app_context():
        make_user("institution", username=f"inst{institution_id}", institution=db.session.get(Institution, institution_id))
        db.session.commit()
    client = app.test_client()
    assert login(client, f"inst{institution_id}").status_code == 302
    return client


def test_institution_account_files_for_itself_only(app, inst):
    with app.app_context():
        other = make_institution(name="别家孵化器")
        db.session.commit()
        other_id = other.id
        own_file = filled_report(_inst(inst))
        other_file = filled_report(other)
    client = _institution_client(app, inst)
    assert client.get(f"/reports/{other_id}/{YEAR}/upload").status_code == 404
    response = client.post(f"/reports/{other_id}/{YEAR}/upload", data={"file": (io.BytesIO(other_file), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 404
    assert client.get(f"/reports/{other_id}/{YEAR}/").status_code == 404
    assert client.get(f"/reports/{other_id}/{YEAR}/template").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Upload.id)) is None
    _submit(client, inst, own_file)
    with app.app_context():
        upload_id = db.session.scalar(select(Upload.id))
        assert db.session.scalar(select(SelfReport.submitted_by_id)) is not None
    # another institution's account cannot download this upload, nor confirm into it
    other_client = _institution_client(app, other_id)
    assert other_client.get(f"/reports/uploads/{upload_id}/download").status_code == 404
    assert other_client.get(f"/reports/uploads/{upload_id}/preview").status_code == 404
    assert other_client.post(f"/reports/{inst}/{YEAR}/confirm", data={"upload_id": str(upload_id)}).status_code == 404


def test_reviewer_sees_but_may_not_upload(app, inst):
    with app.app_context():
        make_user("reviewer", username="rev")
        db.session.commit()
    client = app.test_client()
    login(client, "rev")
    assert client.get(f"/reports/{inst}/{YEAR}/").status_code == 200
    assert client.get(f"/reports/{inst}/{YEAR}/upload").status_code == 403
    assert client.get("/reports/mine").status_code == 403


def test_anonymous_is_sent_to_login(client, inst):
    assert client.get(f"/reports/{inst}/{YEAR}/").status_code == 302
    assert client.get(f"/reports/{inst}/{YEAR}/template").status_code == 302


def test_duplicate_tenants_neutral_for_the_filer_named_for_staff(app, admin_client, inst):
    shared, registry_only = make_uscc(), make_uscc()
    with app.app_context():
        from registry.institutions.operations import add_tenancy, get_or_create_firm

        rival = make_institution(name="竞争对手孵化器")
        keeper = make_institution(name="登记在册的加速器", category="accelerator", subclass=None)
        firm = get_or_create_firm(name="东莞示例科技有限公司", uscc=registry_only)
        add_tenancy(keeper, firm, entered_on=dt.date(2018, 1, 1))
        db.session.commit()
        rival_id = rival.id
        rival_file = filled_report(rival, tenants=[shared, make_uscc()])
        own_file = filled_report(_inst(inst), tenants=[shared, registry_only])
    _submit(admin_client, rival_id, rival_file)

    filer = _institution_client(app, inst)
    response = filer.post(f"/reports/{inst}/{YEAR}/upload", data={"file": (io.BytesIO(own_file), "a.xlsx")},
                          content_type="multipart/form-data")
    preview = filer.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-code="duplicate-tenant"' in preview
    assert f"“统一社会信用代码”“{shared}”在 2019 年度也由其他载体填报" in preview
    assert registry_only in preview
    assert "竞争对手孵化器" not in preview and "登记在册的加速器" not in preview  # never the other carrier's name
    upload_id = int(response.headers["Location"].split("/")[-2])
    assert filer.post(f"/reports/{inst}/{YEAR}/confirm", data={"upload_id": str(upload_id)}).status_code == 302

    staff_preview = admin_client.get(f"/reports/uploads/{upload_id}/preview").get_data(as_text=True)
    assert 'data-code="duplicate-tenant-named"' in staff_preview and "“竞争对手孵化器”" in staff_preview
    staff_versions = admin_client.get(f"/reports/{inst}/{YEAR}/").get_data(as_text=True)
    assert "竞争对手孵化器" in staff_versions and "登记在册的加速器" in staff_versions
    filer_versions = filer.get(f"/reports/{inst}/{YEAR}/").get_data(as_text=True)
    assert "2 家本年度也由其他载体填报" in filer_versions
    assert "竞争对手孵化器" not in filer_versions and "登记在册的加速器" not in filer_versions
    # the rival's page names this institution to staff, from the index of current reports
    assert "东莞示例孵化器" in admin_client.get(f"/reports/{rival_id}/{YEAR}/").get_data(as_text=True)


def test_claims_follow_the_current_version_and_the_year(app, admin_client, inst):
    shared = make_uscc()
    with app.app_context():
        rival = make_institution(name="竞争对手孵化器")
        db.session.commit()
        rival_id = rival.id
        with_shared = filled_report(rival, tenants=[shared, make_uscc()])
        without = filled_report(rival, tenants=[make_uscc(), make_uscc()])
    _submit(admin_client, rival_id, with_shared)
    with app.app_context():
        from registry.reports.queries import tenant_claims

        assert [c.institution_name for c in tenant_claims(YEAR, [shared], institution_id=inst)[shared]] == ["竞争对手孵化器"]
        assert tenant_claims(YEAR + 1, [shared], institution_id=inst) == {}
        assert tenant_claims(YEAR, [shared], institution_id=rival_id) == {}  # not a clash with itself
    _submit(admin_client, rival_id, without)  # the new current version no longer lists the firm
    with app.app_context():
        assert tenant_claims(YEAR, [shared], institution_id=inst) == {}


def test_my_reports_and_the_institution_panel(app, inst):
    client = _institution_client(app, inst)
    html = client.get("/reports/mine").get_data(as_text=True)
    assert "<h1>我的报表</h1>" in html and 'class="active">我的报表</a>' in html
    assert f'href="/reports/{inst}/{YEAR}/template"' in html and f'href="/reports/{inst}/{YEAR}/upload"' in html
    with app.app_context(), app.test_request_context():
        from flask import render_template_string
        from flask_login import login_user

        from registry.models import User

        login_user(db.session.scalar(select(User).where(User.username == f"inst{inst}")))
        panel = render_template_string('{% include "reports/_institution_panel.html" %}', institution=_inst(inst))
    assert 'id="self-reports"' in panel and f'data-year="{YEAR}"' in panel and "下载模板" in panel
