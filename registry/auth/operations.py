"""Authentication with throttling: repeated failures lock the account for a while."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select

from registry.extensions import db
from registry.models import User
from registry.models.base import utcnow


class LoginRefused(Exception):
    """Carries the reason shown to the user: 'invalid' or 'locked'."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; we store UTC, so read them back as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def authenticate(username: str, password: str) -> User:
    """Return the user, or raise LoginRefused. Counts failures and locks after too many. Flushes."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    now = utcnow()
    if user is None:
        raise LoginRefused("invalid")
    locked_until = _aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        raise LoginRefused("locked", locked_until)
    if not user.is_enabled or not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + current_app.config["LOGIN_LOCKOUT"]
            user.failed_logins = 0
        db.session.flush()
        raise LoginRefused("invalid")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.flush()
    return user
