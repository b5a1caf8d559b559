"""The audit log (append-only, hash-chained) and the login-failure counter used for per-IP throttling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, JSONType


class AuditEntry(Base):
    """One change to one audited row: who, when, what, before and after.

    Written by registry.audit in the same transaction as the change. `hash` is
    HMAC-SHA256(audit key, prev_hash + canonical JSON of the entry), and ids run 1, 2, 3, ... without
    holes, so editing or deleting any entry breaks the chain from that entry on (`fuhua audit
    verify`); an anchor (`fuhua audit anchor`) catches a cut-back tail.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_table_record", "table_name", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: naive UTC, microseconds (hashed as text, so it must round-trip exactly on every database)
    at: Mapped[datetime] = mapped_column(index=True)
    #: the acting account, if any (no foreign key: the log outlives anything it mentions)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    #: "admin" (username) for web requests, "cli:root@host" for commands, "anonymous", "system"
    actor_label: Mapped[str] = mapped_column(String(120))
    #: "insert", "update" or "delete"
    action: Mapped[str] = mapped_column(String(10))
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str] = mapped_column(String(60))
    #: changed columns only (update), the whole row (delete) or None (insert)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class LoginFailure(Base):
    """A failed login, kept for a while to throttle guessing from one address across accounts."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_ip_at", "ip", "at"), Index("ix_login_failures_username_at", "username", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]


#: No one edits the log, not even with SQL: both databases refuse UPDATE and DELETE (and
#: PostgreSQL TRUNCATE; SQLite has none, and its DELETE-all honours the delete trigger).
#: (Alembic's create_table does not fire these events; the migration issues the same DDL.)
AUDIT_GUARD_SQLITE = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
AUDIT_GUARD_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    # TRUNCATE fires no row triggers: it needs its own statement trigger
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)

for _sql in AUDIT_GUARD_SQLITE:
    event.listen(AuditEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in AUDIT_GUARD_POSTGRESQL:
    event.listen(AuditEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
