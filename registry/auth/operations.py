"""Authentication with throttling, and account management. Each write flushes, never commits.

Throttling: repeated wrong passwords lock the account for a while (LOGIN_MAX_FAILURES,
LOGIN_LOCKOUT), and one client address may fail at most LOGIN_IP_MAX_FAILURES times within
LOGIN_IP_WINDOW whatever usernames it tries (counted in the login_failures table).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import Institution, Role, User
from registry.models.audit import LoginFailure
from registry.models.base import utcnow

#: marks a message for extraction (tools/i18n.sh); RegistryError.render() translates it when shown
N_ = str

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,80}$")
MIN_PASSWORD_LENGTH = 10


class LoginRefused(Exception):
    """Carries the reason shown to the user: 'invalid', 'locked' or 'throttled' (too many from this address)."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; we store UTC, so read them back as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _naive_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash("not a real password")


def ip_is_throttled(ip: str | None) -> bool:
    """True when this address failed LOGIN_IP_MAX_FAILURES times within LOGIN_IP_WINDOW."""
    if not ip:
        return False
    since = _naive_utc() - current_app.config["LOGIN_IP_WINDOW"]
    count = db.session.scalar(select(func.count(LoginFailure.id)).where(LoginFailure.ip == ip, LoginFailure.at > since))
    return count >= current_app.config["LOGIN_IP_MAX_FAILURES"]


def _record_ip_failure(ip: str | None, username: str) -> None:
    if not ip:
        return
    now = _naive_utc()
    db.session.execute(delete(LoginFailure).where(LoginFailure.at <= now - current_app.config["LOGIN_IP_WINDOW"]))
    db.session.add(LoginFailure(ip=ip[:64], username=username[:80], at=now))


def authenticate(username: str, password: str, ip: str | None = None) -> User:
    """Return the user, or raise LoginRefused. Counts failures and locks after too many. Flushes."""
    if ip_is_throttled(ip):
        raise LoginRefused("throttled")
    username = (username or "").strip()
    user = db.session.scalar(select(User).where(User.username == username))
    now = utcnow()
    if user is None:
        check_password_hash(_dummy_hash(), password)  # same work as a real check: no user enumeration by timing
        _record_ip_failure(ip, username)
        db.session.flush()
        raise LoginRefused("invalid")
    locked_until = _aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        raise LoginRefused("locked", locked_until)
    if not user.is_enabled or not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + current_app.config["LOGIN_LOCKOUT"]
            user.failed_logins = 0
        _record_ip_failure(ip, username)
        db.session.flush()
        raise LoginRefused("invalid")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.flush()
    return user


# --- accounts -------------------------------------------------------------------------------


def _check_password(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RegistryError(field, N_("The password must have at least %(min)s characters."), min=MIN_PASSWORD_LENGTH)


def _bind(user: User, role: Role, institution: Institution | None, affiliation: Institution | None,
          jurisdiction: Any = None) -> None:
    if role is Role.TOWN_OFFICER:
        jurisdiction_id = getattr(jurisdiction, "id", None) or user.jurisdiction_id
        if jurisdiction_id is None:
            raise RegistryError("jurisdiction", N_("A town officer account must be bound to a town."))
        user.jurisdiction_id = jurisdiction_id
    else:
        user.jurisdiction_id = None
    if role is Role.INSTITUTION and institution is None:
        raise RegistryError("institution", N_("An institution account must be bound to an institution."))
    if role is not Role.INSTITUTION and institution is not None:
        raise RegistryError("institution", N_("Only institution accounts are bound to an institution."))
    user.role = role
    user.institution_id = institution.id if institution is not None else None
    user.affiliation_id = affiliation.id if affiliation is not None else None


def create_user(*, username: str, role: Role | str, password: str, institution: Institution | None = None,
                display_name: str | None = None, affiliation: Institution | None = None,
                jurisdiction: Any = None) -> User:
    """Create an account; institution accounts are bound to exactly one institution, town officers to a town."""
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise RegistryError("username", N_("“%(value)s” is not a valid username: 3–80 letters, digits or . _ @ -."),
                            username)
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise RegistryError("username", N_("The username “%(value)s” is already taken."), username)
    try:
        role = Role(role)
    except ValueError:
        raise RegistryError("role", N_("“%(value)s” is not a role (admin, reviewer, institution, town_officer)."), role) from None
    _check_password(password)
    user = User(username=username, display_name=(display_name or "").strip() or None)
    _bind(user, role, institution, affiliation, jurisdiction)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, *, role: Role | str, institution: Institution | None = None,
                affiliation: Institution | None = None, display_name: str | None = None,
                acting: Any = None) -> User:
    """Change role, binding and name. A role change ends the account's sessions everywhere."""
    role = Role(role)
    if acting is not None and acting.id == user.id and role is not Role.ADMIN:
        raise RegistryError("role", N_("You cannot remove your own administrator role."))
    changed_role = role is not user.role or (institution.id if institution else None) != user.institution_id
    _bind(user, role, institution, affiliation)
    user.display_name = (display_name or "").strip() or None
    if changed_role:
        user.session_version += 1
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Reset the password and end every session of the account."""
    _check_password(password)
    user.set_password(password)
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()


def set_enabled(user: User, enabled: bool, acting: Any = None) -> None:
    """Disable (sessions end at once) or re-enable an account."""
    if not enabled and acting is not None and acting.id == user.id:
        raise RegistryError("is_enabled", N_("You cannot disable your own account."))
    if user.is_enabled != enabled:
        user.is_enabled = enabled
        user.session_version += 1
    db.session.flush()


def end_sessions(user: User) -> None:
    """Log the account out everywhere: every existing session carries the old session_version."""
    user.session_version += 1
    db.session.flush()


def find_institution(code: str | int) -> Institution | None:
    """An institution by credit code (统一社会信用代码) or id."""
    text = str(code).strip().upper()
    if len(text) != 18 and text.isdigit():
        return db.session.get(Institution, int(text))
    return db.session.scalar(select(Institution).where(Institution.uscc == text))
