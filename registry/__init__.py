"""Fuhua registry: the Flask app that orchestrates the assessment engine and the importers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

__version__ = "0.1.0"

TEMPLATES_DIR = str(Path(__file__).resolve().parent.parent / "templates")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Tests pass overrides; deployments use FUHUA_* environment variables."""
    from registry import cli, extensions, i18n, inputs, jobs, navigation, security
    from registry.config import Config, database_url_from_env

    app = Flask(__name__, instance_relative_config=True, template_folder=TEMPLATES_DIR)
    app.config.from_object(Config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url_from_env() or (
        f"sqlite:///{Path(app.instance_path) / 'fuhua.sqlite'}"
    )
    app.config.from_prefixed_env("FUHUA")  # e.g. FUHUA_SECRET_KEY, FUHUA_MAX_CONTENT_LENGTH
    if test_config is not None:
        app.config.update(test_config)
    _trust_proxies(app)
    if app.config["SECRET_KEY"] == "dev" and not (app.debug or app.testing or app.config.get("ALLOW_DEV_SECRET")):
        raise RuntimeError("Refusing to start with the development SECRET_KEY: set FUHUA_SECRET_KEY.")
    if not (app.debug or app.testing or app.config.get("ALLOW_DEV_SECRET")):
        if app.config["AUDIT_KEY"] == "dev-audit":
            raise RuntimeError("Refusing to start with the development audit key: set FUHUA_AUDIT_KEY.")
        if app.config["AUDIT_KEY"] == app.config["SECRET_KEY"]:
            raise RuntimeError("FUHUA_AUDIT_KEY must differ from FUHUA_SECRET_KEY.")

    _use_systems_root(app)
    extensions.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    inputs.init_app(app)  # the <id:…> converter must exist before the blueprints add their routes
    navigation.init_app(app)
    jobs.init_app(app)
    from registry import notifications

    notifications.init_app(app)
    _register_blueprints(app)
    cli.init_app(app)
    if not app.testing and _migrating():
        if app.config.get("AUTO_MIGRATE"):
            from registry.database import upgrade_database

            upgrade_database(app)
        if _serving():
            from registry.warmup import warm_caches

            warm_caches(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """FUHUA_TRUSTED_PROXIES=N: take the client address and scheme from the last N proxies' headers.

    Without it, X-Forwarded-* headers are ignored (a client could forge them), and behind a proxy
    every user would share the proxy's address for login throttling.
    """
    try:
        hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    except (TypeError, ValueError):
        hops = -1
    if hops < 0:
        raise RuntimeError("FUHUA_TRUSTED_PROXIES must be the number of reverse proxies in front of the app (0, 1, 2…).")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _use_systems_root(app: Flask) -> None:
    """Read the bureau's own indicator systems and criteria (SYSTEMS_ROOT) besides the shipped ones."""
    root = app.config.get("SYSTEMS_ROOT")
    if not root:
        return
    path = Path(root).expanduser().resolve()
    if not path.is_dir():
        raise RuntimeError(f"FUHUA_SYSTEMS_ROOT {root!r} is not a folder.")
    import assessment

    assessment.add_data_root(path)


def _migrating() -> bool:
    """Migrate on start when serving (gunicorn, `fuhua run`); other `fuhua` commands open the
    database only when they need it (registry/cli.py prepares it), and `--help` never does."""
    import sys

    program = Path(sys.argv[0]).name if sys.argv else ""
    if program in ("fuhua", "flask"):
        return sys.argv[1:2] == ["run"]
    return True


def _serving() -> bool:
    """Warm the caches only for a server (gunicorn, `fuhua run`, `fuhua quickstart`): a command such as
    `fuhua assess run` would otherwise spend seconds compiling every template it never renders."""
    import sys

    if "gunicorn" in sys.modules:
        return True
    argv = sys.argv[1:]
    return not argv or argv[0] in ("run", "quickstart")


def _register_blueprints(app: Flask) -> None:
    from registry import (admin, api, assessments, auth, errors, exports, health, institutions, notifications, reports,
                          reviews, seasons, stats)
    from registry.api import admin_views as api_admin
    from registry.extensions import csrf

    for module in (auth, institutions, stats, exports, reports, assessments, reviews, seasons, notifications, admin,
                   errors, health):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_admin.bp)
    csrf.exempt(api.bp)  # bearer tokens only, never the session cookie: nothing for CSRF to protect
