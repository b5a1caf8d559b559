"""Extensions, created unbound and bound to the app in init_app()."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from registry.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
#: request-rate limits (the login form); keyed by the client address ProxyFix restores
limiter = Limiter(key_func=get_remote_address)

MIGRATIONS_DIR = __import__("pathlib").Path(__file__).resolve().parent / "migrations"


def init_app(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    limiter.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _enable_sqlite_foreign_keys(app)


def _enable_sqlite_foreign_keys(app: Flask) -> None:
    """SQLite ignores foreign keys unless asked per connection; we want the same rules as PostgreSQL."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
