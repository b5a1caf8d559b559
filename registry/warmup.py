"""Fill the process's lazy caches at start, so no user's first request pays for them.

Without this, each gunicorn worker's first page that shows assessments parsed every indicator
system and criteria file, and each template compiled on first use: ~250 ms once per worker.
"""

from __future__ import annotations

from flask import Flask


def warm_caches(app: Flask) -> None:
    import assessment

    for category, subclass, version in assessment.all_systems():
        assessment.load_version(category, version, subclass)
    for code, version in assessment.all_criteria():
        assessment.load_criteria(code, version)
    _warm_pinned(app)
    for name in app.jinja_env.list_templates(extensions=("html",)):
        app.jinja_env.get_template(name)


def _warm_pinned(app: Flask) -> None:
    """The rule files stored with past runs (explanations read those, not the files on disk)."""
    from registry.assessments.pinning import warm_pinned
    from registry.extensions import db

    try:
        with app.app_context():
            warm_pinned()
            db.session.remove()
    except Exception as exc:  # noqa: BLE001 — a database not reachable yet must not stop the server
        app.logger.warning("could not pre-load the stored rule files: %s", exc)
