"""Registry pages as a user sees them: status codes, Chinese messages, and what the database holds."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.institutions import operations as ops
from registry.models import CarrierType, Firm, Institution, Level, Recognition, Status, StatusChange, Tenancy, Town
from tests.factories import make_uscc
from tests.registry.test_institutions_support import (  # noqa: F401 — stats_placeholder is an autouse fixture
    alerts,
    client_as,
    count,
    institution,
    stats_placeholder,
)


def _town_id(code: str) -> int:
    return db.session.scalar(select(Town.id).where(Town.code == code))


def _form(**overrides) -> dict:  # noqa: ANN003
    data = {"name": "东莞松湖创新孵化器", "uscc": make_uscc(), "category": "incubator", "subclass": "comprehensive",
            "legal_form": "enterprise", "town": str(_town_id("songshanhu")), "established_on": "2012-05-01",
            "operating_since": "2013-01-01", "gross_floor_area": "20000", "controlled_area": "15000",
            "operating_entity": "东莞松湖孵化运营有限公司"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ------------------------------------------------------------------------------------------ create

def test_register_then_record_provincial_2018_and_national_2020(admin_client, session):
    response = admin_client.post("/institutions/new", data=_form(has_venture_model="y"))
    assert response.status_code == 302
    inst = session.scalar(select(Institution).where(Institution.name == "东莞松湖创新孵化器"))
    assert inst.has_venture_model and inst.status is Status.APPLICANT
    assert inst.status_changes[0].effective_on == date(2012, 5, 1)  # applicant since establishment by default
    assert "已登记机构“东莞松湖创新孵化器”" in admin_client.get(response.location).get_data(as_text=True)

    base = f"/institutions/{inst.id}/recognitions"
    assert admin_client.post(f"{base}/new", data={"level": "provincial", "effective_from": "2018-03-15",
                                                  "doc_no": "粤科高字〔2018〕12号"}).status_code == 302
    provincial = session.scalar(select(Recognition).where(Recognition.institution_id == inst.id))
    assert admin_client.post(f"{base}/{provincial.id}/end", data={
        "ended_on": "2020-06-30", "reason": "upgraded", "doc_no": "粤科函〔2020〕3号"}).status_code == 302
    assert admin_client.post(f"{base}/new", data={"level": "national", "effective_from": "2020-06-30",
                                                  "doc_no": "国科发区〔2020〕200号"}).status_code == 302

    session.expire_all()
    inst = session.get(Institution, inst.id)
    assert [(r.level, r.effective_from, r.ended_on) for r in inst.recognitions] == [
        (Level.PROVINCIAL, date(2018, 3, 15), date(2020, 6, 30)), (Level.NATIONAL, date(2020, 6, 30), None)]
    assert inst.status is Status.RECOGNISED
    page = admin_client.get(f"/institutions/{inst.id}").get_data(as_text=True)
    assert "认定为省级" in page and "省级认定终止：升级" in page and "认定为国家级" in page
    assert "国科发区〔2020〕200号" in page and "粤科函〔2020〕3号" in page


@pytest.mark.parametrize(("uscc", "message"), [
    ("91110000600037341X", "“91110000600037341X”不是有效的统一社会信用代码：校验码错误。"),
    ("9111000060003734", "“9111000060003734”不是统一社会信用代码：应为 18 位。"),
    ("91110000600037341!", "“91110000600037341!”不是统一社会信用代码：含有不允许的字符。"),
])
def test_bad_credit_code_is_rejected_with_the_reason(admin_client, session, uscc, message):
    response = admin_client.post("/institutions/new", data=_form(uscc=uscc))
    assert response.status_code == 422
    assert message in alerts(response)
    assert count(Institution) == 0


def test_duplicate_credit_code_names_the_existing_institution(admin_client, session):
    existing = institution(name="东莞市燕园孵化器有限公司")
    session.commit()
    response = admin_client.post("/institutions/new", data=_form(uscc=existing.uscc))
    assert response.status_code == 422
    assert f"统一社会信用代码 {existing.uscc} 已被“东莞市燕园孵化器有限公司”（#{existing.id}）登记。" in alerts(response)
    assert count(Institution) == 1 and count(StatusChange) == 1


@pytest.mark.parametrize(("overrides", "message"), [
    ({"controlled_area": "25000"}, "可自主支配面积（25000 m²）不能大于场地建筑总面积。"),
    ({"operating_since": "2011-01-01"}, "开始运营日期（2011-01-01）不能早于成立日期。"),
    ({"category": "maker_space"}, "“comprehensive”不属于该类别的考核类别。"),
    ({"subclass": ""}, "请选择分类考核所用的考核类别。"),
    ({"established_on": "2020-13-45"}, "“2020-13-45”不是有效日期：请按 YYYY-MM-DD 填写，例如 2020-06-30。"),
    ({"gross_floor_area": "很多"}, "“很多”不是有效的面积数值（平方米）。"),
    ({"gross_floor_area": "-5"}, "面积不能为负数。"),
    ({"category": "spaceship"}, "“spaceship”不是可选的值。"),
    ({"town": "999"}, "“999”不是可选的值。"),
    ({"name": ""}, "此项为必填项。"),
    ({"is_strata_title": "y", "strata_divisible_area": "100", "strata_sold_area": "150"},
     "已分割销售面积（150 m²）不能大于可分割面积。"),
])
def test_invalid_institution_is_rejected_with_a_specific_message(admin_client, session, overrides, message):
    response = admin_client.post("/institutions/new", data=_form(**overrides))
    assert response.status_code == 422
    assert message in alerts(response)
    assert count(Institution) == 0


def test_strata_areas_are_dropped_unless_strata_title(admin_client, session):
    admin_client.post("/institutions/new", data=_form(strata_divisible_area="100", strata_sold_area="50"))
    inst = session.scalar(select(Institution))
    assert not inst.is_strata_title and inst.strata_divisible_area is None and inst.strata_sold_area is None


def test_rd_institution_with_its_subclass(admin_client, session):
    response = admin_client.post("/institutions/new", data=_form(
        name="广东华中科技大学工业技术研究院", category="rd_institution", subclass="commercialisation",
        legal_form="public_institution"))
    assert response.status_code == 302
    inst = session.scalar(select(Institution))
    assert inst.category is CarrierType.RD_INSTITUTION and inst.subclass == "commercialisation"


# ------------------------------------------------------------------------------------------ edit

def test_edit_saves_and_prefills(admin_client, session):
    inst = institution(name="旧名称", operating_entity="旧运营方")
    session.commit()
    page = admin_client.get(f"/institutions/{inst.id}/edit").get_data(as_text=True)
    assert 'value="旧名称"' in page and '<option selected value="comprehensive">' in page
    response = admin_client.post(f"/institutions/{inst.id}/edit", data=_form(name="新名称", uscc=inst.uscc,
                                                                              is_hmt_base="y"))
    assert response.status_code == 302
    session.expire_all()
    inst = session.get(Institution, inst.id)
    assert inst.name == "新名称" and inst.is_hmt_base and inst.operating_entity == "东莞松湖孵化运营有限公司"


def test_edit_with_duplicate_code_writes_nothing(admin_client, session):
    first = institution(name="甲")
    second = institution(name="乙")
    session.commit()
    response = admin_client.post(f"/institutions/{second.id}/edit", data=_form(name="乙改", uscc=first.uscc))
    assert response.status_code == 422
    assert any("已被“甲”" in a for a in alerts(response))
    session.expire_all()
    again = session.get(Institution, second.id)
    assert again.name == "乙" and again.uscc != first.uscc


# ------------------------------------------------------------------------------------------ recognitions

def _recognitions(session, inst_id: int) -> list[tuple]:
    session.expire_all()
    return [(r.level.value, r.effective_from, r.ended_on) for r in
            session.scalars(select(Recognition).where(Recognition.institution_id == inst_id)
                            .order_by(Recognition.id))]


def test_overlapping_recognition_is_rejected(admin_client, session):
    inst = institution()
    ops.record_recognition(inst, level="provincial", effective_from=date(2018, 1, 1))
    session.commit()
    response = admin_client.post(f"/institutions/{inst.id}/recognitions/new",
                                 data={"level": "provincial", "effective_from": "2019-01-01"})
    assert response.status_code == 422
    assert "与自 2018-01-01 起有效（尚未终止）的省级认定时间重叠。" in alerts(response)
    assert _recognitions(session, inst.id) == [("provincial", date(2018, 1, 1), None)]


@pytest.mark.parametrize(("data", "message"), [
    ({"ended_on": "2017-01-01", "end_reason": "expired"}, "终止日期（2017-01-01）必须晚于生效日期（2018-01-01）。"),
    ({"ended_on": "2019-01-01"}, "终止日期与终止原因须同时填写。"),
    ({"effective_from": "2018-02-30"}, "“2018-02-30”不是有效日期：请按 YYYY-MM-DD 填写，例如 2020-06-30。"),
    ({"effective_from": ""}, "此项为必填项。"),
    ({"level": "galactic"}, "“galactic”不是可选的值。"),
    ({"level": "national_filed"}, "“national_filed”不是可选的值。"),  # incubators cannot be filed maker spaces
])
def test_bad_recognition_input(admin_client, session, data, message):
    inst = institution()
    session.commit()
    response = admin_client.post(f"/institutions/{inst.id}/recognitions/new",
                                 data={"level": "provincial", "effective_from": "2018-01-01", **data})
    assert response.status_code == 422
    assert message in alerts(response)
    assert _recognitions(session, inst.id) == []


@pytest.mark.parametrize(("data", "message"), [
    ({"ended_on": "2019-01-01", "reason": ""}, "请填写认定终止的原因。"),
    ({"ended_on": "2017-06-01", "reason": "revoked"}, "终止日期（2017-06-01）必须晚于生效日期（2018-01-01）。"),
    ({"ended_on": "", "reason": "revoked"}, "此项为必填项。"),
    ({"ended_on": "2019-01-01", "reason": "bored"}, "“bored”不是可选的值。"),
])
def test_bad_end_of_recognition(admin_client, session, data, message):
    inst = institution()
    rec = ops.record_recognition(inst, level="provincial", effective_from=date(2018, 1, 1))
    session.commit()
    response = admin_client.post(f"/institutions/{inst.id}/recognitions/{rec.id}/end", data=data)
    assert response.status_code == 422
    assert message in alerts(response)
    assert _recognitions(session, inst.id) == [("provincial", date(2018, 1, 1), None)]


def test_recognition_of_another_institution_is_404(admin_client, session):
    a, b = institution(), institution()
    rec = ops.record_recognition(a, level="municipal", effective_from=date(2018, 1, 1))
    session.commit()
    assert admin_client.get(f"/institutions/{b.id}/recognitions/{rec.id}/end").status_code == 404


# ------------------------------------------------------------------------------------------ status

def test_exit_without_reason_then_with_reason(admin_client, session):
    inst = institution()
    ops.record_recognition(inst, level="municipal", effective_from=date(2018, 1, 1))
    session.commit()
    url = f"/institutions/{inst.id}/status"
    response = admin_client.post(url, data={"status": "exited", "effective_on": "2021-01-01", "reason": " "})
    assert response.status_code == 422
    assert "请填写退出原因。" in alerts(response)
    assert session.get(Institution, inst.id).status is Status.RECOGNISED
    response = admin_client.post(url, data={"status": "exited", "effective_on": "2021-01-01",
                                            "reason": "连续两年考核不合格", "doc_no": "东科〔2021〕9号"})
    assert response.status_code == 302
    session.expire_all()
    inst = session.get(Institution, inst.id)
    assert inst.status is Status.EXITED and inst.status_changes[-1].reason == "连续两年考核不合格"
    assert "连续两年考核不合格" in admin_client.get(f"/institutions/{inst.id}").get_data(as_text=True)


def test_disallowed_status_move_is_explained(admin_client, session):
    inst = institution()
    session.commit()
    response = admin_client.post(f"/institutions/{inst.id}/status",
                                 data={"status": "rectifying", "effective_on": "2021-01-01"})
    assert response.status_code == 422
    assert "不能从“申报中”变更为“整改中”。" in alerts(response)
    assert count(StatusChange) == 1


# ------------------------------------------------------------------------------------------ tenants

def test_add_and_end_a_tenant(admin_client, session):
    inst = institution()
    session.commit()
    code = make_uscc()
    response = admin_client.post(f"/institutions/{inst.id}/tenants/new", data={
        "firm_name": "东莞智造科技有限公司", "firm_uscc": code, "entered_on": "2019-03-01"})
    assert response.status_code == 302
    tenancy = session.scalar(select(Tenancy))
    assert tenancy.firm.uscc == code and tenancy.exited_on is None
    url = f"/institutions/{inst.id}/tenants/{tenancy.id}/end"
    response = admin_client.post(url, data={"exited_on": "2021-03-01", "exit_reason": "graduated"})
    assert response.status_code == 422
    assert "请选择该企业满足的毕业条件。" in alerts(response)
    response = admin_client.post(url, data={"exited_on": "2021-03-01", "exit_reason": "graduated",
                                            "graduation_criterion": "high_tech"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Tenancy, tenancy.id).exited_on == date(2021, 3, 1)


def test_tenant_entry_after_exit_is_rejected(admin_client, session):
    inst = institution()
    session.commit()
    response = admin_client.post(f"/institutions/{inst.id}/tenants/new", data={
        "firm_name": "倒序企业", "firm_uscc": make_uscc(), "entered_on": "2020-05-01", "exited_on": "2020-04-01",
        "exit_reason": "failed"})
    assert response.status_code == 422
    assert "离开日期（2020-04-01）早于入驻日期（2020-05-01）。" in alerts(response)
    assert count(Tenancy) == 0 and count(Firm) == 0  # the new firm was rolled back too


def test_bad_firm_code_and_rd_institution_tenant(admin_client, session):
    inc = institution()
    rd = institution(category=CarrierType.RD_INSTITUTION, subclass="tech_innovation")
    session.commit()
    response = admin_client.post(f"/institutions/{inc.id}/tenants/new", data={
        "firm_name": "坏代码企业", "firm_uscc": "91110000600037341X", "entered_on": "2020-05-01"})
    assert response.status_code == 422
    assert "“91110000600037341X”不是有效的统一社会信用代码：校验码错误。" in alerts(response)
    response = admin_client.post(f"/institutions/{rd.id}/tenants/new", data={
        "firm_name": "企业", "firm_uscc": make_uscc(), "entered_on": "2020-05-01"})
    assert response.status_code == 422
    assert "新型研发机构在名录中不登记在孵企业。" in alerts(response)
    assert count(Firm) == 0


def test_existing_firm_is_reused_by_credit_code(admin_client, session):
    a, b = institution(), institution()
    firm = ops.get_or_create_firm(name="原名企业", uscc=make_uscc())
    ops.add_tenancy(a, firm, entered_on=date(2018, 1, 1), exited_on=date(2019, 1, 1), exit_reason="moved_on")
    session.commit()
    response = admin_client.post(f"/institutions/{b.id}/tenants/new", data={
        "firm_name": "别名企业", "firm_uscc": firm.uscc, "entered_on": "2019-01-01"}, follow_redirects=True)
    assert "该信用代码属于名录中已有的“原名企业”，已使用该企业。" in response.get_data(as_text=True)
    assert count(Firm) == 1 and count(Tenancy) == 2


# ------------------------------------------------------------------------------------------ detail and firm pages

def test_detail_shows_facts_history_and_tenants(admin_client, session, app):
    inst = institution(name="东莞华协科技孵化有限公司", is_synthetic=True, is_strata_title=True,
                       strata_divisible_area=3000, strata_sold_area=1200, town="dalang")
    rec = ops.record_recognition(inst, level="municipal", effective_from=date(2016, 1, 1))
    ops.end_recognition(rec, ended_on=date(2019, 1, 1), reason="revoked", doc_no="东科〔2019〕1号")
    today = date.today()
    for n in range(23):
        firm = ops.get_or_create_firm(name=f"在孵企业{n:02d}", uscc=make_uscc())
        ops.add_tenancy(inst, firm, entered_on=date(2018, 1, 1))
    for n in range(3):
        firm = ops.get_or_create_firm(name=f"毕业企业{n}", uscc=make_uscc())
        ops.add_tenancy(inst, firm, entered_on=date(2015, 1, 1), exited_on=date(2017, 1, 1),
                        exit_reason="graduated", graduation_criterion="investment")
    session.commit()
    page = admin_client.get(f"/institutions/{inst.id}").get_data(as_text=True)
    assert "这是合成的演示记录" in page and "大朗镇" in page and "可分割面积" in page
    assert "市级认定终止：撤销" in page and "东科〔2019〕1号" in page
    assert "当前在孵企业: <strong>23</strong>" in page and "毕业企业: <strong>3</strong>" in page
    assert "累计入驻企业: <strong>26</strong>" in page
    assert page.count("在孵企业") >= 20 and "第 1 页，共 2 页" in page
    assert "累计获得天使或风险投资超过500万元" in page
    second = admin_client.get(f"/institutions/{inst.id}?cp=2").get_data(as_text=True)
    assert "第 2 页，共 2 页" in second
    assert today >= date(2018, 1, 1)


@pytest.mark.parametrize("url", [
    "/institutions/999", "/institutions/99999999999999999999", "/institutions/abc",
    "/institutions/firms/999", "/institutions/firms/99999999999999999999",
    "/institutions/999/edit", "/institutions/1/recognitions/999/end", "/institutions/1/tenants/999/end",
])
def test_bad_ids_are_friendly_404(admin_client, session, url):
    institution()
    session.commit()
    response = admin_client.get(url)
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_firm_page_shows_the_path_across_carriers(admin_client, session):
    maker = institution(name="松湖创客空间", category=CarrierType.MAKER_SPACE, subclass=None)
    inc = institution(name="松湖孵化器")
    acc = institution(name="松湖加速器", category=CarrierType.ACCELERATOR, subclass=None)
    park = institution(name="松湖产业园", category=CarrierType.INDUSTRIAL_PARK, subclass=None)
    firm = ops.get_or_create_firm(name="成长企业", uscc=make_uscc())
    ops.add_tenancy(maker, firm, entered_on=date(2015, 1, 1), exited_on=date(2016, 1, 1), exit_reason="moved_on")
    ops.add_tenancy(inc, firm, entered_on=date(2016, 1, 1), exited_on=date(2018, 1, 1), exit_reason="graduated",
                    graduation_criterion="revenue")
    ops.add_tenancy(acc, firm, entered_on=date(2018, 1, 1), exited_on=date(2020, 1, 1), exit_reason="moved_on")
    ops.add_tenancy(park, firm, entered_on=date(2020, 1, 1))
    session.commit()
    page = admin_client.get(f"/institutions/firms/{firm.id}").get_data(as_text=True)
    positions = [page.index(name) for name in ("松湖创客空间", "松湖孵化器", "松湖加速器", "松湖产业园")]
    assert positions == sorted(positions)
    assert "众创空间·前孵化器" in page and "产业园区" in page and "至今" in page
    detail = admin_client.get(f"/institutions/{inc.id}").get_data(as_text=True)
    assert f'href="/institutions/firms/{firm.id}"' in detail


# ------------------------------------------------------------------------------------------ access

def test_institution_account_sees_only_its_own(app, session):
    own = institution(name="本机构")
    other = institution(name="他机构")
    firm = ops.get_or_create_firm(name="两地企业", uscc=make_uscc())
    ops.add_tenancy(other, firm, entered_on=date(2015, 1, 1), exited_on=date(2016, 1, 1), exit_reason="moved_on")
    ops.add_tenancy(own, firm, entered_on=date(2016, 1, 1))
    lonely = ops.get_or_create_firm(name="他处企业", uscc=make_uscc())
    ops.add_tenancy(other, lonely, entered_on=date(2016, 1, 1))
    session.commit()
    client = client_as(app, "institution", own.id)
    listing = client.get("/institutions/").get_data(as_text=True)
    assert "本机构" in listing and "他机构" not in listing and "共 1 家机构符合条件。" in listing
    assert client.get(f"/institutions/{own.id}").status_code == 200
    assert client.get(f"/institutions/{other.id}").status_code == 404
    path = client.get(f"/institutions/firms/{firm.id}").get_data(as_text=True)
    assert "本机构" in path and "他机构" not in path
    assert client.get(f"/institutions/firms/{lonely.id}").status_code == 404
    assert client.get(f"/institutions/{own.id}/edit").status_code == 403


@pytest.mark.parametrize(("method", "url"), [
    ("get", "/institutions/new"), ("post", "/institutions/new"), ("get", "/institutions/{id}/edit"),
    ("post", "/institutions/{id}/edit"), ("post", "/institutions/{id}/recognitions/new"),
    ("post", "/institutions/{id}/status"), ("post", "/institutions/{id}/tenants/new"),
])
def test_reviewer_cannot_write(app, session, method, url):
    inst = institution(name="不可改")
    session.commit()
    client = client_as(app, "reviewer")
    response = getattr(client, method)(url.format(id=inst.id), data=_form(name="被改"))
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Institution, inst.id).name == "不可改" and count(Institution) == 1


def test_reviewer_sees_everything_without_write_buttons(app, session):
    institution(name="机构一")
    institution(name="机构二")
    session.commit()
    listing = client_as(app, "reviewer").get("/institutions/").get_data(as_text=True)
    assert "机构一" in listing and "机构二" in listing and "登记新机构" not in listing


def test_anonymous_is_sent_to_login(client):
    response = client.get("/institutions/")
    assert response.status_code == 302 and "/auth/login" in response.location
