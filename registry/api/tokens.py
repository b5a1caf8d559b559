"""API tokens: create (the secret is returned once), revoke, and recognise a bearer token on a request.

Operations flush, never commit (the caller commits), and are audited through the ORM like every
other change (the hash is masked in the log).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update

from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import ApiToken

#: every token starts with this, so a leaked one is recognisable in logs and secret scanners
TOKEN_PREFIX = "fuhua_"
#: how often last_used_at is refreshed at most (one UPDATE per minute per token, not per request)
LAST_USED_RESOLUTION = timedelta(minutes=1)


def N_(message: str) -> str:
    return message


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    #: the only time the secret exists outside the client: show it once, never store it
    secret: str


def create_token(name: str, *, created_by: Any = None, label: str | None = None) -> NewToken:
    name = (name or "").strip()
    if not name:
        raise RegistryError("name", N_("Give the token a name that says who uses it."))
    if len(name) > 120:
        raise RegistryError("name", N_("The name is too long (at most %(max)s characters)."), name, max=120)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=secret[:len(TOKEN_PREFIX) + 6], token_hash=_digest(secret), scope="read",
                     created_by_id=getattr(created_by, "id", None),
                     created_by_label=(label or getattr(created_by, "username", None) or "system")[:120])
    db.session.add(token)
    db.session.flush()
    return NewToken(token, secret)


def find_token(ident: str) -> ApiToken | None:
    """A token by id or by its shown prefix (what `list` and the admin page print)."""
    ident = (ident or "").strip()
    if ident.isdigit():
        return db.session.get(ApiToken, int(ident))
    matches = list(db.session.scalars(select(ApiToken).where(ApiToken.prefix == ident)))
    return matches[0] if len(matches) == 1 else None


def revoke_token(token: ApiToken, *, label: str) -> ApiToken:
    if token.revoked_at is not None:
        raise RegistryError("token", N_("This token was already revoked."))
    token.revoked_at = datetime.now(timezone.utc).replace(tzinfo=None)
    token.revoked_by_label = label[:120]
    db.session.flush()
    return token


def tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def token_from_header(header: str | None) -> tuple[ApiToken | None, str]:
    """(token, "") for a valid `Authorization: Bearer …`; else (None, why): "missing" or "invalid".

    Revoked and unknown tokens are both "invalid": a client learns nothing about which tokens exist.
    """
    if not header:
        return None, "missing"
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None, "missing"
    digest = _digest(value.strip())
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest) or token.revoked_at is not None:
        return None, "invalid"
    return token, ""


def note_use(token: ApiToken) -> None:
    """Refresh last_used_at when older than LAST_USED_RESOLUTION (a plain UPDATE: not an audited change)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    db.session.commit()
