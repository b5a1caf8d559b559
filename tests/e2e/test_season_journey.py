"""The reporting season in a real Chromium, with jobs on the quickstart's queue (SQLite, worked by
threads of the served app): the admin opens a season; the institution uploads its work summary and
submits; its town officer returns it; it files again; the officer accepts; the admin starts an
assessment run from the web and watches it finish; the institution reads its notices."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from registry import create_app
from registry.extensions import db
from tests.conftest import _database_url, reset_schema
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _require_browser
from tests.factories import make_user
from tests.registry.assess_helpers import add_report, declared_values, recognised

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
INC = ("incubator", "comprehensive")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def season_app(tmp_path: Path):  # noqa: ANN201
    """The app served on a free local port, its jobs on an SQLite queue worked in-process (as the quickstart)."""
    from registry.jobs import job_queue
    from registry.jobs.queue import stop_inprocess_worker
    from registry.reference_data import ensure_reference_data

    app = create_app({"TESTING": True, "SECRET_KEY": "e2e", "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
                      "SHOW_DEMO_BANNER": False, "PROPAGATE_TEST_ERRORS": False,
                      "JOBS_BROKER_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}"})
    with app.app_context():
        reset_schema()
        ensure_reference_data()
        make_user("admin", username="boss", password=PASSWORD)
        inst = recognised(*INC, name="松山湖示范孵化器", town="songshanhu")
        other = recognised(*INC, name="松山湖第二孵化器", town="songshanhu")
        for i in (inst, other):
            add_report(i, 2019, declared_values(*INC, 2019))
        make_user("institution", username="shifan", password=PASSWORD, institution=inst)
        from registry.models import Jurisdiction, Role, Town, User

        jur = db.session.scalar(select(Jurisdiction).join(Town, Town.id == Jurisdiction.town_id)
                                .where(Town.code == "songshanhu"))
        officer = User(username="ssh", role=Role.TOWN_OFFICER, jurisdiction_id=jur.id, display_name="松山湖科技办")
        officer.set_password(PASSWORD)
        db.session.add(officer)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(timeout=5)
    stop_inprocess_worker(job_queue(app).huey)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _login(browser, base: str, username: str):  # noqa: ANN001, ANN202
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page, errors


def _reload_until(page, text: str, tries: int = 40) -> None:  # noqa: ANN001
    """Notices are written by a background job: reload until it has run."""
    for _ in range(tries):
        if text in page.content():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"{text!r} never appeared on {page.url}")


def test_a_season_from_opening_to_a_finished_run(season_app, tmp_path):  # noqa: ANN001
    _require_browser()
    from playwright.sync_api import sync_playwright

    base = season_app.config["LIVE_URL"]
    deadline = date.today() + timedelta(days=20)
    summary = tmp_path / "2019年度工作总结.pdf"
    summary.write_bytes(PDF)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        admin, admin_errors = _login(browser, base, "boss")
        # 1. the admin opens the 2019 season for incubators
        admin.click("a:has-text('年度填报')")
        admin.wait_for_url(re.compile(r"/seasons/$"))
        admin.fill("#year", "2019")
        admin.fill("#opens_on", (date.today() - timedelta(days=1)).isoformat())
        admin.fill("#deadline", deadline.isoformat())
        admin.check("input[name=categories][value=incubator]")
        admin.fill("#instructions", "请上传年度工作总结并提交。")
        admin.click("button:has-text('开启')")
        admin.wait_for_url(re.compile(r"/seasons/\d+/$"))
        assert admin.locator("#total-due").inner_text() == "2"
        assert admin.locator("td[data-state=draft] a").inner_text() == "2"  # their figures are in already

        # 2. the institution finds its task, uploads its summary and submits
        inst, inst_errors = _login(browser, base, "shifan")
        inst.goto(f"{base}/reports/mine")
        _reload_until(inst, 'id="unread-count"')  # the "season opened" notice, written by a job, shows in the menu
        task = inst.locator("#season-task-2019")
        assert "请上传年度工作总结并提交。" in task.inner_text()
        task.locator("input[type=file]").set_input_files(str(summary))
        task.locator("button:has-text('上传年度工作总结')").click()
        inst.wait_for_load_state()
        assert "2019年度工作总结.pdf" in inst.locator("#season-task-2019").inner_text()
        inst.locator("#season-task-2019 button:has-text('提交')").click()
        inst.wait_for_load_state()
        assert "已提交" in inst.content()

        # 3. the town officer returns it with a comment
        officer, officer_errors = _login(browser, base, "ssh")
        officer.click("a:has-text('年度填报')")
        officer.click("a:has-text('2019')")
        officer.wait_for_url(re.compile(r"/seasons/\d+/$"))
        officer.click("a:has-text('松山湖示范孵化器')")
        officer.select_option("#town-decide select[name=decision]", "returned")
        officer.fill("#town-decide textarea[name=comment]", "年度工作总结未盖章，请重新上传。")
        officer.click("#town-decide button[type=submit]")
        officer.wait_for_load_state()
        assert "镇街已退回" in officer.locator("#filing-state").inner_text()

        # 4. the institution reads why, uploads again and resubmits
        inst.goto(f"{base}/reports/mine")
        assert "年度工作总结未盖章" in inst.content()
        assert "镇街已退回" in inst.locator("#season-task-2019").inner_text()
        inst.locator("#season-task-2019 input[type=file]").set_input_files(str(summary))
        inst.locator("#season-task-2019 button:has-text('上传年度工作总结')").click()
        inst.wait_for_load_state()
        inst.locator("#season-task-2019 button:has-text('提交')").click()
        inst.wait_for_load_state()

        # 5. the officer accepts
        officer.reload()
        assert "已提交" in officer.locator("#filing-state").inner_text()
        officer.select_option("#town-decide select[name=decision]", "accepted")
        officer.click("#town-decide button[type=submit]")
        officer.wait_for_load_state()
        assert "镇街已受理" in officer.locator("#filing-state").inner_text()

        # 6. the admin starts a run from the web and sees it finish
        admin.goto(f"{base}/assessments/")
        admin.fill("#start-run input[name=year]", "2019")
        admin.fill("#start-run input[name=note]", "2019 年度考核")
        admin.click("#start-run button[type=submit]")
        admin.wait_for_load_state()
        row = admin.locator("#jobs tbody tr").first
        try:
            row.locator("a:has-text('批次 #')").wait_for(timeout=60_000)  # the page polls and reloads when it ends
        except Exception:
            print("ROW:", row.inner_text())
            raise
        text = row.inner_text()
        assert "已完成" in text and "已评价 2 家机构" in text and "2019 年度考核" in text

        # 7. the institution sees its notices: opened, returned
        inst.goto(f"{base}/inbox/")
        notices = inst.locator("#notices").inner_text()
        assert "2019 年度创新载体填报已开启" in notices and "被退回" in notices and "松山湖示范孵化器" in notices
        assert f"{deadline.year} 年 {deadline.month} 月 {deadline.day} 日" in notices
        assert inst.locator("#unread-count").count() == 1
        admin.goto(f"{base}/inbox/")
        assert "2019 年度考核运行已完成" in admin.locator("#notices").inner_text()
        browser.close()
    assert admin_errors == [] and inst_errors == [] and officer_errors == []
