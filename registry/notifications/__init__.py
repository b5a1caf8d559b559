"""In-app notices (the inbox, with its unread count in the menu) and their e-mail copies.

`notify` writes the notices in the caller's transaction; e-mail goes out from a background job
(registry.jobs) after the commit, so a slow mail server never holds up a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask
from flask_mailman import Mail
from sqlalchemy import func, insert, select

from registry.extensions import db
from registry.models import Notification, User
from registry.models.base import utcnow

bp = Blueprint("notifications", __name__, url_prefix="/inbox")
mail = Mail()


def init_app(app: Flask) -> None:
    if not app.config.get("MAIL_BACKEND"):
        app.config["MAIL_BACKEND"] = "smtp" if app.config.get("MAIL_SERVER") else "registry.notifications.log_backend"
    mail.init_app(app)

    @app.context_processor
    def _unread() -> dict[str, Any]:
        from flask_login import current_user

        if not getattr(current_user, "is_authenticated", False):
            return {"unread_notices": 0}
        return {"unread_notices": unread_count(current_user.id)}


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def notify(user_ids: Iterable[int], kind: str, subject: str, body: str, link: str | None = None,
           params: dict[str, Any] | None = None) -> int:
    """One notice per user (bulk insert). Flushes; returns how many were written."""
    now = utcnow()
    rows = [{"user_id": uid, "kind": kind, "subject": subject[:200], "body": body, "link": link,
             "params": params, "created_at": now} for uid in dict.fromkeys(user_ids)]
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(Notification), rows[start:start + 1000])
    return len(rows)


def institution_account_ids(institution_ids: Iterable[int]) -> list[int]:
    ids = list(institution_ids)
    if not ids:
        return []
    out: list[int] = []
    for start in range(0, len(ids), 1000):
        out += list(db.session.scalars(select(User.id).where(User.institution_id.in_(ids[start:start + 1000]),
                                                             User.is_enabled.is_(True))))
    return out


from registry.notifications import views  # noqa: E402,F401
