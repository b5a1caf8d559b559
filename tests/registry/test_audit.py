"""The audit log: every change recorded in its transaction, hash-chained, append-only, browsable, exportable."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from registry.audit import GENESIS, acting_as, verify_chain
from registry.audit.cli import audit_cli
from registry.extensions import db
from registry.models import AuditEntry, User
from tests.factories import make_institution, make_user
from tests.registry.test_review_fixtures import app, audit_count, client_for  # noqa: F401


def _entries(table: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == table).order_by(AuditEntry.id)))


def test_insert_update_delete_are_recorded_with_actor_before_and_after(session):
    with acting_as("cli:test import"):
        inst = make_institution(name="旧名称")
        session.commit()
        inst.name = "新名称"  # set on an expired object: the old value must still be recorded
        session.commit()
    inserted, updated = _entries("institutions")
    assert (inserted.action, inserted.before, inserted.after["name"]) == ("insert", None, "旧名称")
    assert inserted.record_id == str(inst.id)
    assert (updated.action, updated.before, updated.after) == ("update", {"name": "旧名称"}, {"name": "新名称"})
    assert updated.actor_label == "cli:test import"

    with acting_as("cli:cleanup"):
        user = make_user("reviewer", username="temp")
        session.commit()
        session.delete(user)
        session.commit()
    deleted = _entries("users")[-1]
    assert (deleted.action, deleted.after, deleted.before["username"]) == ("delete", None, "temp")


def test_rolled_back_change_leaves_no_entry(session):
    make_institution()
    session.commit()
    count = audit_count()
    inst = make_institution(name="未提交")
    assert audit_count() > count  # written by the flush, inside the transaction
    session.rollback()
    assert audit_count() == count
    assert inst.name == "未提交" and session.scalar(select(AuditEntry).where(AuditEntry.after["name"].as_string() == "未提交")) is None


def test_password_changes_are_recorded_but_not_the_hash(session):
    user = make_user("admin", username="pw")
    session.commit()
    user.set_password("another long password")
    session.commit()
    change = _entries("users")[-1]
    assert change.before == {"password_hash": "***"} and change.after == {"password_hash": "***"}
    assert "scrypt" not in str(_entries("users")[0].after)


def test_login_bookkeeping_is_not_audited(app, session):
    make_user("admin", username="quiet")
    session.commit()
    count = audit_count()
    client_for(app, "quiet")
    assert audit_count() == count  # last_login_at / failed_logins change on every login: noise, not history


def test_web_changes_name_the_logged_in_user(app, session):
    make_user("admin", username="boss")
    target = make_user("reviewer", username="someone")
    session.commit()
    client = client_for(app, "boss")
    response = client.post(f"/admin/users/{target.id}", data={"role": "reviewer", "display_name": "张评审"})
    assert response.status_code == 302
    entry = _entries("users")[-1]
    assert entry.actor_label == "boss" and entry.after == {"display_name": "张评审"}
    assert entry.actor_id == session.scalar(select(User.id).where(User.username == "boss"))


def test_chain_verifies_and_reports_the_first_edited_entry(app, session):
    for n in range(4):
        make_institution(name=f"机构{n}")
        session.commit()
    assert verify_chain(session).ok
    first = session.scalar(select(AuditEntry).order_by(AuditEntry.id))
    assert first.prev_hash == GENESIS
    victim = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()[3]
    _drop_guard()
    session.execute(text("UPDATE audit_log SET after = :a WHERE id = :i"),
                    {"a": '{"name": "篡改"}', "i": victim.id})
    session.commit()
    report = verify_chain(session)
    assert (report.ok, report.broken_id, report.problem) == (False, victim.id, "hash")


def test_chain_reports_a_removed_entry(app, session):
    for n in range(3):
        make_institution(name=f"机构{n}")
        session.commit()
    ids = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    _drop_guard()
    session.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": ids[2]})
    session.commit()
    report = verify_chain(session)
    assert (report.broken_id, report.problem) == (ids[3], "prev_hash")

    result = app.test_cli_runner().invoke(audit_cli, ["verify"])
    assert result.exit_code == 1
    assert f"BROKEN at entry #{ids[3]}" in result.output


def test_cli_verify_reports_an_intact_chain(app, session):
    make_institution()
    session.commit()
    result = app.test_cli_runner().invoke(audit_cli, ["verify"])
    assert result.exit_code == 0, result.output
    assert "Audit log intact: 2 entries" in result.output


def _drop_guard() -> None:
    """What an attacker with DDL rights would do first; the chain must still give them away."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP TRIGGER audit_log_no_change ON audit_log"))
    else:
        db.session.execute(text("DROP TRIGGER audit_log_no_update"))
        db.session.execute(text("DROP TRIGGER audit_log_no_delete"))
    db.session.commit()


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor_label = 'someone else'", "DELETE FROM audit_log"])
def test_database_refuses_to_edit_the_log(session, statement):
    make_institution()
    session.commit()
    count = audit_count()
    with pytest.raises(Exception, match="append-only"):
        session.execute(text(statement))
        session.flush()
    session.rollback()
    assert audit_count() == count
    assert verify_chain(session).ok


def test_admin_browses_filters_and_exports(app, session):
    make_user("admin", username="boss")
    a = make_institution(name="甲机构")
    make_institution(name="乙机构")
    session.commit()
    client = client_for(app, "boss")
    page = client.get(f"/admin/audit?table=institutions&record={a.id}").get_data(as_text=True)
    assert "审计日志" in page and "甲机构" in page and "乙机构" not in page

    csv_text = client.get("/admin/audit/export?format=csv&table=institutions").get_data(as_text=True)
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,at,actor_id,actor_label,action,table_name,record_id")
    assert len(lines) == 3 and "甲机构" in csv_text and "乙机构" in csv_text

    response = client.get("/admin/audit/export?format=xlsx&user=boss")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "at", "actor_id")
    assert all(r[3] == "boss" for r in rows[1:])  # only what boss did (nothing: the factories ran outside requests)
    assert client.get("/admin/audit/export?format=pdf").status_code == 404


def test_no_route_edits_the_log(app):
    methods = {m for rule in app.url_map.iter_rules() if "audit" in rule.rule for m in rule.methods}
    assert methods <= {"GET", "HEAD", "OPTIONS"}
