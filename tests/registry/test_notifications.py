"""Notices by e-mail through a real SMTP server (aiosmtpd) started here, and the inbox's unread count."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from tests.factories import login, make_user
from tests.registry.assess_helpers import recognised

SMTP_PORT = 8501


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():  # noqa: ANN201
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def mail_app(tmp_path):  # noqa: ANN201
    from registry import create_app
    from registry.reference_data import ensure_reference_data
    from tests.conftest import _database_url, reset_schema

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False, "SHOW_DEMO_BANNER": False,
                      "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path), "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": SMTP_PORT, "MAIL_DEFAULT_SENDER": "fuhua@bureau.test"})
    with app.app_context():
        reset_schema()
        ensure_reference_data()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_season_notices_are_emailed_in_chinese_with_the_name_and_the_deadline(mail_app, smtp):
    app = mail_app
    with app.app_context():
        inst = recognised("incubator", "comprehensive", name="松山湖示范孵化器")
        user = make_user("institution", username="shifan", institution=inst)
        user.email = "shifan@example.org"
        make_user("institution", username="noemail", institution=recognised("incubator", "comprehensive",
                                                                            name="无邮箱孵化器"))
        make_user("admin", username="boss")
        db.session.commit()
    admin = app.test_client()
    login(admin, "boss")
    deadline = date.today() + timedelta(days=25)
    admin.post("/seasons/open", data={"year": "2020", "categories": ["incubator"],
                                      "opens_on": date.today().isoformat(), "deadline": deadline.isoformat()})
    assert len(smtp.messages) == 1  # only the account with an address is e-mailed
    msg = smtp.messages[0]
    assert msg["To"] == "shifan@example.org" and msg["From"] == "fuhua@bureau.test"
    assert "2020 年度创新载体填报已开启" in msg["Subject"]
    body = msg.get_content()
    assert "松山湖示范孵化器" in body and f"{deadline.year} 年 {deadline.month} 月 {deadline.day} 日" in body
    # the same notice is in both institutions' inboxes, with the unread count in the menu
    client = app.test_client()
    login(client, "noemail")
    page = client.get("/inbox/").text
    assert "无邮箱孵化器" in page and 'id="unread-count">1<' in page
    with app.app_context():
        from registry.models import Notification

        notice = db.session.scalar(select(Notification).where(Notification.body.contains("无邮箱孵化器")))
        assert notice.emailed_at is None
    opened = client.post(f"/inbox/{notice.id}/open")
    assert opened.status_code == 302
    assert 'id="unread-count"' not in client.get("/inbox/").text


def test_a_returned_filing_is_emailed_with_the_towns_comment(mail_app, smtp):
    from tests.registry.test_seasons import PDF, town_officer
    from tests.registry.assess_helpers import add_report, declared_values

    app = mail_app
    with app.app_context():
        inst = recognised("incubator", "comprehensive", name="松山湖退回孵化器", town="songshanhu")
        user = make_user("institution", username="tui", institution=inst)
        user.email = "tui@example.org"
        make_user("admin", username="boss")
        town_officer("ssh", "songshanhu")
        add_report(inst, 2020, declared_values("incubator", "comprehensive", 2020))
        db.session.commit()
        inst_id = inst.id
    admin = app.test_client()
    login(admin, "boss")
    deadline = date.today() + timedelta(days=9)
    admin.post("/seasons/open", data={"year": "2020", "categories": ["incubator"],
                                      "opens_on": date.today().isoformat(), "deadline": deadline.isoformat()})
    from registry.models import Filing

    with app.app_context():
        fid = db.session.scalar(select(Filing.id).where(Filing.institution_id == inst_id))
    inst_client = app.test_client()
    login(inst_client, "tui")
    import io

    inst_client.post(f"/seasons/filings/{fid}/summary", data={"file": (io.BytesIO(PDF), "总结.pdf")})
    inst_client.post(f"/seasons/filings/{fid}/submit")
    officer = app.test_client()
    login(officer, "ssh")
    officer.post(f"/seasons/filings/{fid}/decide", data={"decision": "returned", "comment": "请补充孵化场地证明"})
    returned = [m for m in smtp.messages if "被退回" in m["Subject"]]
    assert len(returned) == 1
    body = returned[0].get_content()
    assert "松山湖退回孵化器" in body and "请补充孵化场地证明" in body and "松山湖高新区" in body
    assert f"{deadline.year} 年 {deadline.month} 月 {deadline.day} 日" in body
