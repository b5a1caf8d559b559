"""A new bureau user's first journey through the registry, in a real Chromium.

Open the registry, filter it, open a detail page, register an institution with a bad credit
code, read the message, correct it, and find the new institution in the list.
"""

from __future__ import annotations

import re

import pytest

from registry.extensions import db
from tests.factories import VALID_USCC, make_institution, make_uscc, make_user

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


@pytest.fixture
def seeded(live_app):  # noqa: ANN001, ANN201
    with live_app.app_context():
        make_user("admin", username="bureau", password=PASSWORD)
        incubator = make_institution(name="松湖智谷孵化器", category="incubator", subclass="comprehensive",
                                     town="songshanhu")
        make_institution(name="大朗创客工场", category="maker_space", subclass=None, town="dalang")
        db.session.commit()
        return {"url": live_app.config["LIVE_URL"], "incubator_uscc": incubator.uscc}


def test_new_user_filters_opens_and_registers(browser_page, seeded):  # noqa: ANN001
    page, base = browser_page, seeded["url"]

    page.goto(f"{base}/institutions/")
    assert "/auth/login" in page.url  # the registry is not public
    page.fill("#username", "bureau")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/institutions/"))
    assert page.locator("text=松湖智谷孵化器").count() == 1
    assert page.locator("text=大朗创客工场").count() == 1

    # filter to incubators only
    page.select_option("select#category", "incubator")
    page.click("button:has-text('筛选')")
    page.wait_for_url(re.compile(r"category=incubator"))
    assert page.locator("text=松湖智谷孵化器").count() == 1
    assert page.locator("text=大朗创客工场").count() == 0

    # open the detail page
    page.click("a:has-text('松湖智谷孵化器')")
    page.wait_for_url(re.compile(r"/institutions/\d+$"))
    assert page.locator(f"text={seeded['incubator_uscc']}").count() >= 1

    # register a new one with a wrong check digit
    page.goto(f"{base}/institutions/new")
    bad = VALID_USCC[:-1] + ("X" if VALID_USCC[-1] != "X" else "Y")
    page.fill("#name", "东莞市示例加速器有限公司")
    page.fill("#uscc", bad)
    page.select_option("select#category", "accelerator")
    page.select_option("select#legal_form", "enterprise")
    page.select_option("select#town", label="虎门镇")
    page.click("button:has-text('保存')")
    message = page.locator(".error", has_text="校验码错误")
    message.wait_for()
    assert bad in message.inner_text()

    # correct it and save
    good = make_uscc(987654)
    page.fill("#uscc", good)
    page.click("button:has-text('保存')")
    page.wait_for_url(re.compile(r"/institutions/\d+$"))
    assert page.locator("text=东莞市示例加速器有限公司").count() >= 1

    # and find it in the list by searching
    page.goto(f"{base}/institutions/")
    page.fill("#q", "示例加速器")
    page.click("button:has-text('筛选')")
    page.wait_for_url(re.compile(r"q="))
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "东莞市示例加速器有限公司" in rows.first.inner_text()
