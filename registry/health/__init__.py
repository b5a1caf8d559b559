"""`/healthz` for the reverse proxy and monitoring: is the database reachable, and at which schema version.

JSON, no login, never cached. 200 when the database answers (with the Alembic revision it is at,
and whether that is the code's head revision); 503 when it does not.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from registry.extensions import MIGRATIONS_DIR, db

bp = Blueprint("health", __name__)


@lru_cache(maxsize=1)
def code_revision() -> str | None:
    """The head revision of the migrations shipped with this code."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def database_revision() -> str | None:
    """The Alembic revision stored in the database (None for a schema made by create_all)."""
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None


@bp.route("/healthz")
def healthz():  # noqa: ANN201
    head = code_revision()
    try:
        revision = database_revision()
    except SQLAlchemyError as error:
        current_app.logger.warning("health check: database unreachable: %s", type(error).__name__)
        body, status = {"status": "unavailable", "database": "unreachable", "schema": None, "code_schema": head}, 503
    else:
        body = {"status": "ok", "database": "ok", "schema": revision, "code_schema": head,
                "schema_current": revision == head}
        status = 200
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
