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
    for name in app.jinja_env.list_templates(extensions=("html",)):
        app.jinja_env.get_template(name)
