"""Authentication with throttling, and account management. Each write flushes, never commits.

Throttling slows guessing down without letting anyone lock an account out. Every failed login is
kept for LOGIN_FAILURE_WINDOW in the login_failures table (shared by every worker), under the
username tried (whether or not the account exists) and the client address. Three counts each
allow a few free failures, then make the next attempt wait 1, 2, 4, ... seconds after the last
failure, up to a cap (`delay_after`):

- the username from this address (LOGIN_FREE_PER_ACCOUNT_ADDRESS): one guesser slows itself down;
- this address, any usernames (LOGIN_FREE_PER_ADDRESS): password spraying;
- the username from anywhere (LOGIN_FREE_PER_ACCOUNT, capped at LOGIN_ACCOUNT_DELAY_MAX):
  distributed guessing. A browser that has logged into the account before carries a signed
  "known device" cookie and is exempt from this count, so strangers cannot keep its owner out.

A refusal while waiting says the same thing whether or not the account exists, and the password
is not checked (a right password must not be confirmed during a wait). Behind a reverse proxy,
set FUHUA_TRUSTED_PROXIES so the address is the client's, not the proxy's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, delete, func, select
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
    """Carries the reason shown to the user: 'invalid', or 'wait' (for `retry_after` seconds)."""

    def __init__(self, reason: str, retry_after: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _naive_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash("not a real password")


def delay_after(failures: int, free: int, cap: timedelta, base: timedelta = timedelta(seconds=1)) -> timedelta:
    """How long after the last failure the next attempt must wait: nothing for the first `free`
    failures, then `base`, twice that, four times, ... never more than `cap`.

    >>> [delay_after(n, 3, timedelta(seconds=10)).seconds for n in range(2, 9)]
    [0, 1, 2, 4, 8, 10, 10]
    """
    if failures < free:
        return timedelta(0)
    return min(base * 2 ** min(failures - free, 30), cap)


@dataclass(frozen=True)
class _Count:
    where: ColumnElement[bool]
    free: int
    cap: timedelta


def _key(username: str) -> str:
    return (username or "").strip().lower()[:80]


def seconds_to_wait(username: str, ip: str | None, *, known_device: bool = False) -> int:
    """Seconds before this username may be tried from this address again (0: now)."""
    config = current_app.config
    since = _naive_utc() - config["LOGIN_FAILURE_WINDOW"]
    name, cap = _key(username), config["LOGIN_DELAY_MAX"]
    counts = [_Count(and_(LoginFailure.username == name, LoginFailure.ip == (ip or "")),
                     config["LOGIN_FREE_PER_ACCOUNT_ADDRESS"], cap)]
    if ip:
        counts.append(_Count(LoginFailure.ip == ip, config["LOGIN_FREE_PER_ADDRESS"], cap))
    if not known_device:
        counts.append(_Count(LoginFailure.username == name, config["LOGIN_FREE_PER_ACCOUNT"],
                             config["LOGIN_ACCOUNT_DELAY_MAX"]))
    now, wait = _naive_utc(), 0.0
    for count in counts:
        n, last = db.session.execute(select(func.count(LoginFailure.id), func.max(LoginFailure.at))
                                     .where(count.where, LoginFailure.at > since)).one()
        if n and last is not None:
            until = last.replace(tzinfo=None) + delay_after(n, count.free, count.cap, config["LOGIN_DELAY_BASE"])
            wait = max(wait, (until - now).total_seconds())
    return math.ceil(wait) if wait > 0 else 0


def _record_failure(ip: str | None, username: str) -> None:
    now = _naive_utc()
    db.session.execute(delete(LoginFailure).where(LoginFailure.at <= now - current_app.config["LOGIN_FAILURE_WINDOW"]))
    db.session.add(LoginFailure(ip=(ip or "")[:64], username=_key(username), at=now))


def authenticate(username: str, password: str, ip: str | None = None, *, known_device: bool = False) -> User:
    """Return the user, or raise LoginRefused (wrong credentials, or wait first). Flushes."""
    username = (username or "").strip()
    wait = seconds_to_wait(username, ip, known_device=known_device)
    if wait:
        raise LoginRefused("wait", wait)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), password)  # same work as a real check: no user enumeration by timing
    if user is None or not user.check_password(password) or not user.is_enabled:
        _record_failure(ip, username)
        db.session.flush()
        raise LoginRefused("invalid")
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == _key(username),
                                                  LoginFailure.ip == (ip or "")))
    user.last_login_at = utcnow()
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
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == _key(user.username)))
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
