"""The backup and restore drill of README's Production section, and /healthz.

A loaded demo database with an assessment run and an anchored audit log is backed up with the
database's own tools (PostgreSQL: pg_dump -Fc / pg_restore into a database created for the drill
and dropped after; SQLite: the online backup API while the app holds its connection), restored
into a new database, and opened by a new app: every table's count, every run result and the
audit chain (verified against the anchor taken before the backup) are identical.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from registry import create_app
from registry.audit import audit_key, check_against_anchor, read_anchor, take_anchor, verify_chain
from registry.audit.cli import audit_cli
from registry.extensions import db
from registry.models import AssessmentResult
from tests.registry.test_demo import TINY


def _snapshot() -> dict:
    """Everything the drill compares: row counts of every table, the run results, the chain's head."""
    counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
    results = db.session.execute(
        select(AssessmentResult.run_id, AssessmentResult.institution_id, AssessmentResult.score, AssessmentResult.grade,
               AssessmentResult.recommendation, AssessmentResult.system_sha256).order_by(AssessmentResult.id)).all()
    chain = verify_chain(db.session)
    return {"counts": counts, "results": [tuple(r) for r in results], "head": (chain.last_id, chain.last_hash)}


def _loaded(app: Flask) -> tuple[dict, str]:
    from registry.assessments.operations import run_assessment
    from registry.demo.cli import load_demo
    from registry.models import Institution

    with app.app_context():
        load_demo(TINY, 11, progress=False)
        run_assessment(2020, label="drill")
        inst = db.session.scalar(select(Institution).order_by(Institution.id).limit(1))
        inst.notes = "备份演练前的修改"  # one audited change through the ORM
        db.session.commit()
        anchor = take_anchor(db.session).signed(audit_key())
        before = _snapshot()
    assert before["counts"]["institutions"] > 50 and before["results"] and before["head"][0] > 0
    return before, anchor


def _restored_app(url: str) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": url, "SHOW_DEMO_BANNER": False})


def _check_restored(url: str, before: dict, anchor: str, tmp_path: Path) -> None:
    restored = _restored_app(url)
    with restored.app_context():
        try:
            assert _snapshot() == before
            assert check_against_anchor(db.session, read_anchor(anchor)) is None
            path = tmp_path / "anchor.txt"
            path.write_text(anchor, encoding="utf-8")
            result = restored.test_cli_runner().invoke(audit_cli, ["verify", "--anchor", str(path)])
            assert result.exit_code == 0 and "unchanged" in result.output, result.output
            assert restored.test_client().get("/healthz").get_json()["database"] == "ok"
        finally:
            db.session.remove()
            db.engine.dispose()


def test_backup_and_restore_drill(app: Flask, tmp_path: Path) -> None:
    before, anchor = _loaded(app)
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            target = tmp_path / "restored.sqlite"
            with db.engine.connect() as held:  # online: the app keeps a connection open throughout
                held.execute(text("SELECT 1"))
                source = sqlite3.connect(url.database)
                copy = sqlite3.connect(target)
                with copy:
                    source.backup(copy)
                source.close()
                copy.close()
            _check_restored(f"sqlite:///{target}", before, anchor, tmp_path)
            return
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed (apt-get install postgresql-client)")
    name = f"{url.database}_drill_{uuid.uuid4().hex[:8]}"
    conn = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    dump = tmp_path / "fuhua.dump"
    subprocess.run(["pg_dump", *conn, "-Fc", "--no-owner", "-f", str(dump), url.database], check=True)
    subprocess.run(["createdb", *conn, name], check=True)
    try:
        subprocess.run(["pg_restore", *conn, "--no-owner", "--exit-on-error", "-d", name, str(dump)], check=True)
        restored_url = url.set(database=name).render_as_string(hide_password=False)
        _check_restored(restored_url, before, anchor, tmp_path)
        with _restored_app(restored_url).app_context():  # the guards came back with the data
            with pytest.raises(Exception, match="append-only"):
                with db.engine.begin() as c:
                    c.exec_driver_sql("TRUNCATE audit_log")
            db.engine.dispose()
    finally:
        subprocess.run(["dropdb", *conn, "--if-exists", name], check=True)


# --- /healthz ----------------------------------------------------------------------------------

def test_healthz_reports_the_database_and_its_schema_version(app: Flask) -> None:
    import flask_migrate

    from registry.health import code_revision
    from tests.conftest import reset_schema

    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["database"] == "ok" and body["schema"] is None  # create_all: no Alembic stamp
    with app.app_context():
        reset_schema()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        flask_migrate.upgrade()
    body = app.test_client().get("/healthz").get_json()
    assert body["schema"] == code_revision() and body["schema_current"] is True and len(body["schema"]) >= 8


def test_healthz_answers_503_when_the_database_is_unreachable(app: Flask, tmp_path: Path) -> None:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        dead = f"sqlite:///{tmp_path / 'no-such-dir' / 'gone.sqlite'}"
    else:
        dead = url.set(port=1).render_as_string(hide_password=False)  # nothing listens on port 1
    down = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": dead, "AUTO_MIGRATE": False})
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable", "schema": None,
                                   "code_schema": response.get_json()["code_schema"]}
    assert "Traceback" not in response.get_data(as_text=True)
