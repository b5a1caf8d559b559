"""Reporting seasons: opening one, the institution's task, summary upload and submission, the town's
first review with return and resubmission, the city's override, the deadline lock and reopening,
the tracker (scoped to a town officer's own town), its xlsx, reminders and notices."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEntry, Filing, Jurisdiction, Notification, ReportingSeason, Town, WorkSummary
from tests.factories import login, make_user
from tests.registry.assess_helpers import add_report, declared_values, recognised

INC = ("incubator", "comprehensive")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def town_officer(username: str, town_code: str):  # noqa: ANN201
    jur = db.session.scalar(select(Jurisdiction).join(Town, Town.id == Jurisdiction.town_id)
                            .where(Town.code == town_code))
    from registry.models import Role, User

    user = User(username=username, role=Role.TOWN_OFFICER, jurisdiction_id=jur.id, display_name=f"{town_code}科技办")
    user.set_password("correct horse battery")
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def world(app):  # noqa: ANN201
    with app.app_context():
        a = recognised(*INC, name="松山湖甲孵化器", town="songshanhu")
        b = recognised(*INC, name="松山湖乙孵化器", town="songshanhu")
        c = recognised(*INC, name="大朗丙孵化器", town="dalang")
        d = recognised("maker_space", None, name="大朗众创空间", town="dalang")
        make_user("admin", username="boss")
        inst_user = make_user("institution", username="jia", institution=a)
        inst_user.email = "jia@example.org"
        make_user("institution", username="bing", institution=c)
        town_officer("ssh", "songshanhu")
        town_officer("dl", "dalang")
        db.session.commit()
        return {"a": a.id, "b": b.id, "c": c.id, "d": d.id}


def _open(client, deadline: date, year: int = 2019) -> None:  # noqa: ANN001
    resp = client.post("/seasons/open", data={
        "year": str(year), "categories": ["incubator"], "opens_on": (deadline - timedelta(days=60)).isoformat(),
        "deadline": deadline.isoformat(), "instructions": "请按时填报。"}, follow_redirects=True)
    assert resp.status_code == 200, resp.text
    return resp


def _filing(institution_id: int) -> Filing:
    return db.session.scalar(select(Filing).where(Filing.institution_id == institution_id))


def test_a_season_from_opening_to_the_towns_acceptance(app, world):
    deadline = date.today() + timedelta(days=20)
    admin = app.test_client()
    login(admin, "boss")
    page = _open(admin, deadline).text
    assert "3" in page and "2019" in page  # three incubators due; the maker space is not
    with app.app_context():
        season = db.session.scalar(select(ReportingSeason))
        assert season.categories == ["incubator"]
        assert db.session.scalar(select(func.count(Filing.id))) == 3
        notices = list(db.session.scalars(select(Notification).where(Notification.kind == "opened")))
        assert {n.user_id for n in notices} and all("2019" in n.subject for n in notices)
        jia_notice = next(n for n in notices if "松山湖甲孵化器" in n.body)
        assert f"{deadline.year} 年 {deadline.month} 月 {deadline.day} 日" in jia_notice.body

    inst = app.test_client()
    login(inst, "jia")
    home = inst.get("/reports/mine").text
    assert 'id="season-task-2019"' in home and "未开始" in home and "请按时填报。" in home
    assert 'id="unread-count"' in inst.get("/reports/mine").text
    with app.app_context():
        fid = _filing(world["a"]).id
    # a wrong file type is refused in Chinese, naming the file
    bad = inst.post(f"/seasons/filings/{fid}/summary", data={"file": (io.BytesIO(b"hello"), "总结.txt")},
                    follow_redirects=True)
    assert "总结.txt" in bad.text and "不是 Word" in bad.text
    ok = inst.post(f"/seasons/filings/{fid}/summary", data={"file": (io.BytesIO(PDF), "2019年度工作总结.pdf")},
                   follow_redirects=True)
    assert "2019年度工作总结.pdf" in ok.text
    with app.app_context():
        assert _filing(world["a"]).state == "draft"
        summary = db.session.scalar(select(WorkSummary))
        import hashlib

        assert summary.kind == "pdf" and summary.sha256 == hashlib.sha256(PDF).hexdigest()
    refused = inst.post(f"/seasons/filings/{fid}/submit", follow_redirects=True)
    assert "请先上传并确认 2019 年度自评报表" in refused.text
    with app.app_context():
        from registry.models import Institution

        add_report(db.session.get(Institution, world["a"]), 2019, declared_values(*INC, 2019))
        db.session.commit()
    done = inst.post(f"/seasons/filings/{fid}/submit", follow_redirects=True)
    assert "已提交" in done.text
    with app.app_context():
        f = _filing(world["a"])
        assert f.state == "submitted" and not f.is_late and f.self_report_id and f.work_summary_id

    # the town officer of 松山湖 sees its two institutions only
    ssh = app.test_client()
    login(ssh, "ssh")
    with app.app_context():
        season_id = db.session.scalar(select(ReportingSeason.id))
    tracker = ssh.get(f"/seasons/{season_id}/").text
    assert "松山湖甲孵化器" in tracker and "松山湖乙孵化器" in tracker and "大朗丙孵化器" not in tracker
    assert 'id="total-due">2<' in tracker
    # return with a comment: the institution is told why, with its name and the deadline
    returned = ssh.post(f"/seasons/filings/{fid}/decide", data={"decision": "returned", "comment": "缺少在孵企业名单"},
                        follow_redirects=True)
    assert "已退回" in returned.text
    inbox = inst.get("/inbox/").text
    assert "被退回" in inbox and "缺少在孵企业名单" in inbox and "松山湖甲孵化器" in inbox
    assert f"{deadline.year} 年 {deadline.month} 月 {deadline.day} 日" in inbox
    home = inst.get("/reports/mine").text
    assert "缺少在孵企业名单" in home
    # resubmit, then the town accepts
    inst.post(f"/seasons/filings/{fid}/summary", data={"file": (io.BytesIO(docx_bytes()), "工作总结（修订）.docx")})
    inst.post(f"/seasons/filings/{fid}/submit")
    with app.app_context():
        assert _filing(world["a"]).state == "submitted"
    ssh.post(f"/seasons/filings/{fid}/decide", data={"decision": "accepted", "comment": ""})
    page = admin.get(f"/seasons/filings/{fid}").text
    assert "镇街已受理" in page or "已受理" in page
    assert "songshanhu科技办" in page  # the city sees who decided
    # the city overrides the town's acceptance, with a reason
    admin.post(f"/seasons/filings/{fid}/override", data={"decision": "returned", "comment": "数据与统计不符"})
    with app.app_context():
        f = _filing(world["a"])
        assert f.state == "returned" and f.town_decision == "accepted" and f.city_decision == "returned"
    page = admin.get(f"/seasons/filings/{fid}").text
    assert "数据与统计不符" in page and 'id="town-decision"' in page and 'id="city-decision"' in page


def test_a_town_officer_reaches_nothing_of_another_town(app, world):
    admin = app.test_client()
    login(admin, "boss")
    _open(admin, date.today() + timedelta(days=5))
    dl = app.test_client()
    login(dl, "dl")
    with app.app_context():
        season_id = db.session.scalar(select(ReportingSeason.id))
        other = _filing(world["a"]).id
        own = _filing(world["c"]).id
    assert dl.get(f"/seasons/filings/{other}").status_code == 404
    assert dl.get(f"/seasons/filings/{own}").status_code == 200
    assert dl.get(f"/institutions/{world['a']}").status_code == 404
    listing = dl.get("/institutions/").text
    assert "大朗丙孵化器" in listing and "松山湖甲孵化器" not in listing
    xlsx = dl.get(f"/seasons/{season_id}/export.xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    names = [ws.cell(r, 2).value for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value]
    assert "大朗丙孵化器" in names and not any("松山湖" in str(n) for n in names)
    assert dl.post(f"/seasons/filings/{other}/decide", data={"decision": "accepted"}).status_code == 404
    assert dl.post(f"/seasons/{season_id}/remind").status_code == 403


def test_after_the_deadline_uploads_are_locked_until_reopened_and_late_filings_are_marked(app, world):
    admin = app.test_client()
    login(admin, "boss")
    deadline = date.today() - timedelta(days=1)
    _open(admin, deadline)
    inst = app.test_client()
    login(inst, "jia")
    locked = inst.get(f"/reports/{world['a']}/2019/upload")
    assert locked.status_code == 404 and "截止" in locked.text
    with app.app_context():
        fid = _filing(world["a"]).id
    refused = inst.post(f"/seasons/filings/{fid}/summary", data={"file": (io.BytesIO(PDF), "总结.pdf")},
                        follow_redirects=True)
    assert "截止" in refused.text
    before = _audit_count(app)
    admin.post(f"/seasons/filings/{fid}/reopen", data={"until": (date.today() + timedelta(days=3)).isoformat(),
                                                       "reason": "系统故障导致未能按时提交"})
    with app.app_context():
        f = _filing(world["a"])
        assert f.reopen_reason == "系统故障导致未能按时提交"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "filings")
                                  .order_by(AuditEntry.id.desc()))
        assert entry.after["reopen_reason"] == "系统故障导致未能按时提交"
    assert _audit_count(app) > before
    assert inst.get(f"/reports/{world['a']}/2019/upload").status_code == 200
    inst.post(f"/seasons/filings/{fid}/summary", data={"file": (io.BytesIO(PDF), "总结.pdf")})
    with app.app_context():
        from registry.models import Institution

        add_report(db.session.get(Institution, world["a"]), 2019, declared_values(*INC, 2019))
        db.session.commit()
    inst.post(f"/seasons/filings/{fid}/submit")
    with app.app_context():
        f = _filing(world["a"])
        assert f.state == "submitted" and f.is_late
        season_id = f.season_id
    tracker = admin.get(f"/seasons/{season_id}/?state=late").text
    assert "松山湖甲孵化器" in tracker and "逾期提交" in tracker and "大朗丙孵化器" not in tracker
    # another institution of the same season stays locked
    other = app.test_client()
    login(other, "bing")
    assert other.get(f"/reports/{world['c']}/2019/upload").status_code == 404


def _audit_count(app) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEntry.id)))


def test_years_without_a_season_work_as_before_and_say_so(app, world):
    inst = app.test_client()
    login(inst, "jia")
    page = inst.get("/reports/mine").text
    assert "无填报批次" in page
    assert inst.get(f"/reports/{world['a']}/2019/upload").status_code == 200


def test_tracker_counts_filter_export_and_reminder(app, world):
    admin = app.test_client()
    login(admin, "boss")
    _open(admin, date.today() + timedelta(days=3))
    with app.app_context():
        season_id = db.session.scalar(select(ReportingSeason.id))
    page = admin.get(f"/seasons/{season_id}/").text
    assert 'data-state="not_started"><a' in page and 'id="total-due">3<' in page
    assert "松山湖高新区" in page and "大朗镇" in page
    only_dalang = admin.get(f"/seasons/{season_id}/?town=" + str(_town_id(app, "dalang"))).text
    assert "大朗丙孵化器" in only_dalang and "松山湖甲孵化器" not in only_dalang
    xlsx = admin.get(f"/seasons/{season_id}/export.xlsx")
    wb = load_workbook(io.BytesIO(xlsx.data))
    ws = wb.active
    assert "2019" in ws["A1"].value and ws["B3"].value == "机构名称" or ws["B3"].value
    assert ws["B3"].font.bold and ws["B3"].fill.start_color.rgb.endswith("E6F4EF")
    rows = [[ws.cell(r, c).value for c in range(1, 9)] for r in range(4, 7)]
    assert {r[1] for r in rows} == {"松山湖甲孵化器", "松山湖乙孵化器", "大朗丙孵化器"}
    assert all(r[5] == "未开始" for r in rows)
    with app.app_context():
        before = db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "reminder"))
    resp = admin.post(f"/seasons/{season_id}/remind", follow_redirects=True)
    assert "3 家" in resp.text
    with app.app_context():
        reminders = list(db.session.scalars(select(Notification).where(Notification.kind == "reminder")))
        assert len(reminders) - before == 2  # two of the three institutions have accounts
        assert any("松山湖甲孵化器" in n.body and "催报" in n.subject for n in reminders)


def _town_id(app, code: str) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(Town.id).where(Town.code == code))


def test_the_deadline_notice_goes_out_once_three_days_before(app, world, runner):
    admin = app.test_client()
    login(admin, "boss")
    _open(admin, date.today() + timedelta(days=10))
    first = runner.invoke(args=["seasons", "deadline-notices"])
    assert "No season is due" in first.output
    app.config["TODAY"] = (date.today() + timedelta(days=7)).isoformat()
    try:
        sent = runner.invoke(args=["seasons", "deadline-notices"])
        assert "1 deadline notice job(s) queued" in sent.output, sent.output
        again = runner.invoke(args=["seasons", "deadline-notices"])
        assert "No season is due" in again.output
    finally:
        app.config.pop("TODAY")
    with app.app_context():
        notices = list(db.session.scalars(select(Notification).where(Notification.kind == "deadline_soon")))
        assert len(notices) == 2 and all("3 天后截止" in n.subject for n in notices)
        assert any("松山湖甲孵化器" in n.body for n in notices)
