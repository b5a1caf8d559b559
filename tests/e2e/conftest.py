"""End-to-end fixtures: the app served on 127.0.0.1 by a real WSGI server, and Debian's Chromium.

Playwright drives the system browser (`/usr/bin/chromium`); browser downloads do not work here.
Without Chromium the tests are skipped — unless FUHUA_E2E_REQUIRED is set (CI), then they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from registry import create_app
from registry.extensions import db
from tests.conftest import _database_url, reset_schema

CHROMIUM = os.environ.get("FUHUA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def _require_browser() -> None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("FUHUA_E2E_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def live_app(tmp_path: Path):  # noqa: ANN201
    """A fresh database with reference data and an admin account, served on a free local port."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "e2e",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
        "SHOW_DEMO_BANNER": False,
        "PROPAGATE_TEST_ERRORS": False,  # a server error must render the 500 page, as in production
    })
    with app.app_context():
        reset_schema()
        from registry.reference_data import ensure_reference_data

        ensure_reference_data()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def browser_page(live_app) -> Iterator:  # noqa: ANN001
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # pages the test expects to fail (a 422 form) are its own business; a failing script,
        # stylesheet or image is a broken page
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.request.resource_type != "document" else None)
        yield page
        context.close()
        browser.close()
        assert errors == [], f"browser errors on the page: {errors}"
