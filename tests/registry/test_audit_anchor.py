"""The audit chain is keyed, gap-free and anchored: rewriting it, cutting its tail or truncating it is caught.

The attacker here has the database (they drop the guard triggers first) but not FUHUA_AUDIT_KEY,
except where a test says otherwise.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from registry import create_app
from registry.audit import audit_key, entry_hash, verify_chain
from registry.audit.cli import audit_cli
from registry.extensions import db
from registry.models import AuditEntry
from tests.factories import make_institution
from tests.registry.test_audit import _drop_guard
from tests.registry.test_review_fixtures import app  # noqa: F401


def _history(session, n: int = 4) -> list[dict]:  # noqa: ANN001
    """Append n changes; every entry of the log as plain column values (kept after rows are gone)."""
    for i in range(n):
        make_institution(name=f"机构{i}")
        session.commit()
    return _rows(list(session.scalars(select(AuditEntry).order_by(AuditEntry.id))))


def _anchor(app, tmp_path) -> str:  # noqa: ANN001
    path = tmp_path / "anchor.txt"
    result = app.test_cli_runner().invoke(audit_cli, ["anchor", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return str(path)


def _verify(app, *args: str):  # noqa: ANN001, ANN202
    return app.test_cli_runner().invoke(audit_cli, ["verify", *args])


def _rows(entries: list[AuditEntry]) -> list[dict]:
    return [{c.name: getattr(e, c.key) for c in AuditEntry.__table__.columns} for e in entries]


def _reinsert(rows: list[dict]) -> None:
    db.session.execute(AuditEntry.__table__.insert(), rows)
    db.session.commit()


def test_ids_run_without_holes_and_the_hash_is_keyed(app, session):
    entries = _history(session)
    assert [e["id"] for e in entries] == list(range(1, len(entries) + 1))
    assert verify_chain(session).ok
    assert not verify_chain(session, key=b"another key").ok  # the same rows under another key do not verify


def test_the_anchor_is_a_short_signed_statement(app, session, tmp_path):
    entries = _history(session)
    printed = app.test_cli_runner().invoke(audit_cli, ["anchor"]).output
    lines = printed.splitlines()
    assert lines[0] == "Fuhua audit anchor"
    assert f"last id: {entries[-1]['id']}" in lines and f"entries: {len(entries)}" in lines
    assert f"head hash: {entries[-1]['hash']}" in lines
    assert lines[-1].startswith("signature: ") and len(lines) == 6
    result = _verify(app, "--anchor", _anchor(app, tmp_path))
    assert result.exit_code == 0 and f"anchored head #{entries[-1]['id']}" in result.output


def test_later_entries_still_verify_against_an_older_anchor(app, session, tmp_path):
    _history(session, 2)
    anchor = _anchor(app, tmp_path)
    _history(session, 2)
    assert _verify(app, "--anchor", anchor).exit_code == 0


def test_a_cut_back_tail_verifies_alone_but_not_against_the_anchor(app, session, tmp_path):
    entries = _history(session)
    anchor = _anchor(app, tmp_path)
    _drop_guard()
    session.execute(text("DELETE FROM audit_log WHERE id >= :i"), {"i": entries[-2]["id"]})
    session.commit()
    assert _verify(app).exit_code == 0  # the chain alone cannot tell
    result = _verify(app, "--anchor", anchor)
    assert result.exit_code == 1
    assert f"entry #{entries[-1]['id']}, the anchored head, is missing" in result.output


def test_a_cut_back_tail_hidden_by_new_entries_is_caught_by_the_anchor(app, session, tmp_path):
    """Delete the last entries, then let the app append again: the ids and links look whole."""
    entries = _history(session)
    anchor = _anchor(app, tmp_path)
    _drop_guard()
    session.execute(text("DELETE FROM audit_log WHERE id >= :i"), {"i": entries[-2]["id"]})
    session.commit()
    _history(session, 3)
    assert _verify(app).exit_code == 0
    result = _verify(app, "--anchor", anchor)
    assert result.exit_code == 1 and "no longer has the anchored hash" in result.output


def test_truncate_and_reinsert_all_but_the_last_rows_is_caught(app, session, tmp_path):
    entries = _history(session)
    anchor = _anchor(app, tmp_path)
    rows = entries
    _drop_guard()
    if db.engine.dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_log_no_truncate ON audit_log"))
        session.execute(text("TRUNCATE audit_log"))
    else:
        session.execute(text("DELETE FROM audit_log"))
    session.commit()
    _reinsert(rows[:-1])
    assert _verify(app).exit_code == 0
    result = _verify(app, "--anchor", anchor)
    assert result.exit_code == 1 and "is missing" in result.output


def test_a_rewritten_chain_without_the_key_is_caught(app, session):
    """Edit an entry and recompute every hash after it, as the old plain SHA-256 chain allowed."""
    entries = _history(session)
    rows = entries
    rows[1]["after"] = {**rows[1]["after"], "name": "改写的名称"}
    prev = rows[0]["hash"]
    for row in rows[1:]:
        row["prev_hash"] = prev
        row["hash"] = entry_hash(prev, entry_id=row["id"], at=row["at"], actor_id=row["actor_id"],
                                 actor_label=row["actor_label"], action=row["action"], table_name=row["table_name"],
                                 record_id=row["record_id"], before=row["before"], after=row["after"],
                                 key=b"guessed key")
        prev = row["hash"]
    _drop_guard()
    session.execute(text("DELETE FROM audit_log WHERE id >= :i"), {"i": rows[1]["id"]})
    session.commit()
    _reinsert(rows[1:])
    report = verify_chain(session)
    assert (report.ok, report.broken_id, report.problem) == (False, rows[1]["id"], "hash")


def test_a_missing_id_is_reported_even_when_the_links_were_redone(app, session):
    """An insider with the key removes an entry and relinks the rest: the hole in the ids remains."""
    entries = _history(session)
    rows = entries
    gone = rows.pop(2)
    prev = rows[1]["hash"]
    for row in rows[2:]:
        row["prev_hash"] = prev
        row["hash"] = entry_hash(prev, entry_id=row["id"], at=row["at"], actor_id=row["actor_id"],
                                 actor_label=row["actor_label"], action=row["action"], table_name=row["table_name"],
                                 record_id=row["record_id"], before=row["before"], after=row["after"], key=audit_key())
        prev = row["hash"]
    _drop_guard()
    session.execute(text("DELETE FROM audit_log WHERE id >= :i"), {"i": gone["id"]})
    session.commit()
    _reinsert(rows[2:])
    report = verify_chain(session)
    assert (report.broken_id, report.problem) == (gone["id"] + 1, "gap")
    result = _verify(app)
    assert result.exit_code == 1 and f"ids jump from #{gone['id'] - 1} to #{gone['id'] + 1}" in result.output


def test_an_edited_or_foreign_anchor_is_refused(app, session, tmp_path):
    _history(session, 2)
    path = _anchor(app, tmp_path)
    from pathlib import Path

    original = Path(path).read_text(encoding="utf-8")
    Path(path).write_text(original.replace("entries: ", "entries: 1"), encoding="utf-8")
    result = _verify(app, "--anchor", path)
    assert result.exit_code == 1 and "signature does not match" in result.output
    app.config["AUDIT_KEY"] = "another installation"
    Path(path).write_text(original, encoding="utf-8")
    assert "signature does not match" in _verify(app, "--anchor", path).output


def test_postgresql_refuses_truncate(app, session):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite's DELETE-all fires the delete trigger)")
    _history(session, 1)
    with pytest.raises(Exception, match="append-only"):
        session.execute(text("TRUNCATE audit_log"))
    session.rollback()
    assert verify_chain(session).checked == 2


def test_the_migration_installs_the_truncate_guard(app):
    """The database built by Alembic (not create_all) refuses TRUNCATE too."""
    import flask_migrate

    from tests.conftest import reset_schema

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("TRUNCATE is PostgreSQL's")
        reset_schema()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        flask_migrate.upgrade()
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE audit_log")


@pytest.mark.parametrize("config, message", [
    ({"SECRET_KEY": "a real secret"}, "FUHUA_AUDIT_KEY"),
    ({"SECRET_KEY": "a real secret", "AUDIT_KEY": "a real secret"}, "must differ"),
])
def test_production_refuses_the_development_or_shared_audit_key(tmp_path, monkeypatch, config, message):
    monkeypatch.delenv("FUHUA_AUDIT_KEY", raising=False)
    with pytest.raises(RuntimeError, match=message):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}", "AUTO_MIGRATE": False, **config})
