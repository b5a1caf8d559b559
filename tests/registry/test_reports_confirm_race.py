"""Confirming one upload twice at the same moment stores one version; the other click is told why.

Two threads, two clients, two database sessions, on PostgreSQL (where requests really run side by
side; SQLite serialises writers). A barrier in `queries.next_version` (called after the checks,
before the version is written) holds the first request until the second has also got past its
checks — unless the second is waiting on the upload's row lock, in which case the barrier times
out and the first goes on alone. Without the lock both pass the "pending" check.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from registry.extensions import db
from registry.models import SelfReport, Upload
from registry.reports import queries
from tests.factories import login, make_user
from tests.registry.test_reports_upload import YEAR, _institution, _post, _upload_id, filled_report, inst  # noqa: F401


def _pending_upload(app, inst) -> tuple[int, list]:  # noqa: ANN001
    with app.app_context():
        make_user("admin", username="clerk1")
        make_user("admin", username="clerk2")
        db.session.commit()
        data = filled_report(_institution(inst), overrides={"staff_total": 12})
    clients = [app.test_client(), app.test_client()]
    for client, name in zip(clients, ("clerk1", "clerk2")):
        assert login(client, name).status_code == 302
    response = _post(clients[0], inst, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return _upload_id(response), clients


def test_two_simultaneous_confirms_store_one_version(app, inst, monkeypatch):  # noqa: ANN001
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers need PostgreSQL (FUHUA_TEST_DATABASE_URL)")
    upload_id, clients = _pending_upload(app, inst)
    barrier = threading.Barrier(2)
    real_next_version = queries.next_version

    def next_version_after_both(institution_id: int, year: int) -> int:
        try:
            barrier.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass  # the other request is waiting for the row lock: go on alone
        return real_next_version(institution_id, year)

    monkeypatch.setattr(queries, "next_version", next_version_after_both)
    responses: list = [None, None]

    def confirm(i: int) -> None:
        response = clients[i].post(f"/reports/{inst}/{YEAR}/confirm", data={"upload_id": str(upload_id)},
                                   follow_redirects=True)
        responses[i] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None for r in responses), "a confirm did not finish"
    with app.app_context():
        versions = db.session.scalars(select(SelfReport).where(SelfReport.upload_id == upload_id)).all()
        assert len(versions) == 1 and versions[0].version == 1
        assert db.session.get(Upload, upload_id).outcome == "accepted"
    pages = [html for _status, html in responses]
    assert sum("已保存为第 1 版" in p or "stored as version 1" in p for p in pages) == 1, [p[:300] for p in pages]
    assert sum("该上传文件已经提交。" in p for p in pages) == 1  # the other click is told plainly why


def test_confirming_an_accepted_upload_again_says_so(app, inst):  # noqa: ANN001
    upload_id, clients = _pending_upload(app, inst)
    for client in clients:
        client.post(f"/reports/{inst}/{YEAR}/confirm", data={"upload_id": str(upload_id)})
    page = clients[1].get(f"/reports/{inst}/{YEAR}/").get_data(as_text=True)
    assert "该上传文件已经提交。" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(SelfReport.id)).where(SelfReport.upload_id == upload_id)) == 1


def test_one_upload_cannot_be_two_versions(app, inst):  # noqa: ANN001
    """The database itself refuses a second version from the same upload (the backstop behind the lock)."""
    upload_id, _clients = _pending_upload(app, inst)
    with app.app_context():
        for version in (1, 2):
            db.session.add(SelfReport(institution_id=inst, year=YEAR, version=version, upload_id=upload_id,
                                      is_current=version == 2, values={}, tables={}))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
