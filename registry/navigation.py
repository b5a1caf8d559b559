"""The main menu: each entry shows when its page exists and the user's role may open it."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

#: (endpoint, label, roles allowed)
MENU: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("assessments.index", _l("Assessments"), ("admin", "reviewer")),
    ("assessments.recommendations", _l("Recommendations"), ("admin",)),
    ("reviews.index", _l("Reviews"), ("admin", "reviewer")),
    ("seasons.index", _l("Reporting season"), ("admin", "town_officer")),
    ("reports.mine", _l("My reports"), ("institution",)),
    ("reviews.my_results", _l("My results"), ("institution",)),
    ("admin.users", _l("Accounts"), ("admin",)),
    ("admin.audit", _l("Audit log"), ("admin",)),
    ("api_tokens.index", _l("API tokens"), ("admin",)),
)


def init_app(app: Flask) -> None:
    @app.context_processor
    def _menu() -> dict[str, Any]:
        from registry.models import Institution

        links = [(ep, text, roles) for ep, text, roles in MENU if ep in current_app.view_functions]
        return {"nav_links": links, "demo_banner": _has_demo_data(Institution)}


def _has_demo_data(institution_model: Any) -> bool:
    """Label synthetic data on every page; cached per app (demo loads happen from the CLI)."""
    if not current_app.config.get("SHOW_DEMO_BANNER"):
        return False
    cache = current_app.extensions.setdefault("fuhua_demo_banner", {})
    if "value" not in cache:
        from sqlalchemy import select

        from registry.extensions import db

        try:
            cache["value"] = db.session.scalar(
                select(institution_model.id).where(institution_model.is_synthetic.is_(True)).limit(1)
            ) is not None
        except Exception:  # noqa: BLE001 — before the first migration there is no table yet
            db.session.rollback()
            return False
    return cache["value"]
