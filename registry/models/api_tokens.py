"""Bearer tokens for the read-only JSON API: created and revoked by an administrator, stored as a hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, utcnow


class ApiToken(Base):
    """One API client. The token itself is shown once at creation; only its sha256 is kept.

    Tokens are 256 random bits, so a plain sha256 cannot be reversed or guessed; a slow password
    hash would only slow every API request down. Revoked tokens stay (the audit log names them).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: who the token is for, e.g. "市统计局数据平台"
    name: Mapped[str] = mapped_column(String(120))
    #: the token's first characters, so an administrator can tell tokens apart without the secret
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: what the token may do; only "read" exists (the API has no writing endpoint)
    scope: Mapped[str] = mapped_column(String(20), default="read")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_label: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None]
    revoked_by_label: Mapped[str | None] = mapped_column(String(120))
    #: updated at most once a minute (not audited: it changes on use, not by anyone's decision)
    last_used_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
