"""Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from registry.extensions import db
from tests.conftest import reset_schema


def test_migrations_match_models(app):
    with app.app_context():
        reset_schema()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata)
        assert diff == [], f"models and migrations differ; run `fuhua db migrate`: {diff}"
