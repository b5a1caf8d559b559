"""Create or upgrade the database on start, so a new install or an upgrade needs no extra step."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from registry.extensions import db

#: arbitrary key for PostgreSQL's advisory lock, so concurrent gunicorn workers migrate one at a time
_MIGRATION_LOCK_KEY = 7_465_120_017


def upgrade_database(app: Flask) -> None:
    """Run Alembic migrations to head and seed reference data (idempotent)."""
    import flask_migrate

    from registry.reference_data import ensure_reference_data

    with app.app_context():
        is_postgres = db.engine.dialect.name == "postgresql"
        if is_postgres:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
                try:
                    flask_migrate.upgrade()
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY})
                    conn.commit()
        else:
            flask_migrate.upgrade()
        if ensure_reference_data():
            db.session.commit()
