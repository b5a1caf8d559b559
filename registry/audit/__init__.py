"""The audit trail: every change to an audited table, recorded in the same transaction, hash-chained.

How it works: a SQLAlchemy session listener looks at every flush. For each new, changed or
deleted object of an audited table it writes one AuditEntry (who, when, what, before, after)
through the flush's own connection, so the entry commits or rolls back with the change. Other
helpers' operations are audited without calling anything. Bulk `update()`/`delete()` statements
bypass the ORM unit of work and are NOT audited: audited tables are written through objects.

Acting user: the logged-in account in a web request; otherwise the label set with
`acting_as(...)` (CLI commands), else "cli:<os user>@<host>".

Tamper evidence: entry.hash = HMAC-SHA256(AUDIT_KEY, prev_hash + canonical JSON of the entry,
its id included). The key (FUHUA_AUDIT_KEY) is kept apart from the database and from the secret
key, so someone who can write the database cannot recompute a rewritten chain. Appends are
serialised (PostgreSQL: a transaction-scoped advisory lock taken before the flush writes
anything; SQLite serialises writers itself), so the chain is a single line, and each entry's id
is the previous one plus one (assigned here, not by a sequence that rollbacks leave holes in):
a missing id is a deleted entry. Dropping entries at the very end cannot be seen from the chain
alone: `fuhua audit anchor` writes the head (last id, count, hash) as a signed statement to keep
outside the database, and `fuhua audit verify --anchor FILE` checks the log still reaches it.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import getpass
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from registry.models.audit import AuditEntry

#: tables whose every change is recorded (accounts, registry facts, reports, the review workflow)
AUDITED_TABLES: frozenset[str] = frozenset({
    "users", "institutions", "recognitions", "status_changes", "firms", "tenancies",
    "uploads", "self_reports",
    "review_rounds", "review_assignments", "conflicts_of_interest", "review_decisions",
    "reporting_seasons", "filings", "work_summaries",
    "assessment_run_voids",
    "api_tokens",
})

#: columns never recorded: bookkeeping that changes on every login or save
IGNORED_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"last_login_at"}),
    "api_tokens": frozenset({"last_used_at"}),
}
IGNORED_EVERYWHERE = frozenset({"updated_at"})
#: columns whose change is recorded but not their value
MASKED_COLUMNS: dict[str, frozenset[str]] = {"users": frozenset({"password_hash"}),
                                             "api_tokens": frozenset({"token_hash"})}
MASK = "***"

GENESIS = "0" * 64
#: PostgreSQL advisory lock key serialising chain appends (any constant unique to this use)
_CHAIN_LOCK_KEY = 7_465_120_042

_actor: contextvars.ContextVar[tuple[int | None, str] | None] = contextvars.ContextVar("fuhua_audit_actor", default=None)


@contextlib.contextmanager
def acting_as(label: str, user: Any = None) -> Iterator[None]:
    """Attribute changes made inside the block to `label` (and `user`, if given): CLI commands, jobs."""
    token = _actor.set((getattr(user, "id", None), label[:120]))
    try:
        yield
    finally:
        _actor.reset(token)


def cli_label(command: str = "") -> str:
    """'cli:<os user>@<host> <command>': who ran a command without a web account."""
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 — no login name in some containers
        who = "unknown"
    return f"cli:{who}@{socket.gethostname()} {command}".strip()[:120]


def remember_request_user(user: Any) -> None:
    """Called when a request's user is loaded, so flush listeners never lazy-load it mid-flush."""
    from flask import g

    g.fuhua_actor = (user.id, user.username)


def current_actor() -> tuple[int | None, str]:
    """(user id, label) of whoever is making the change now."""
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    from flask import g, has_request_context

    if has_request_context():
        known = g.get("fuhua_actor")
        if known is not None:
            return known
        return None, "anonymous"
    return None, cli_label()


# --- canonical form -------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """A value as JSON primitives that read back identically from JSON/JSONB (hashing depends on it)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def audit_key() -> bytes:
    """The chain's HMAC key (FUHUA_AUDIT_KEY; create_app refuses the development default outside debug)."""
    from flask import current_app

    return str(current_app.config["AUDIT_KEY"]).encode("utf-8")


def entry_hash(prev_hash: str, *, entry_id: int, at: datetime, actor_id: int | None, actor_label: str, action: str,
               table_name: str, record_id: str, before: Any, after: Any, key: bytes) -> str:
    """HMAC-SHA256 (keyed with the audit key) over the previous hash and the canonical JSON of the entry."""
    payload = {"id": entry_id, "at": _at_text(at), "actor_id": actor_id, "actor_label": actor_label,
               "action": action, "table": table_name, "record_id": record_id, "before": before, "after": after}
    return hmac.new(key, (prev_hash + canonical(payload)).encode("utf-8"), hashlib.sha256).hexdigest()


def _at_text(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _now() -> datetime:
    """Naive UTC with microseconds: stored and read back unchanged by SQLite and PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


# --- capture --------------------------------------------------------------------------------


def _is_audited(obj: Any) -> bool:
    table = getattr(obj, "__table__", None)
    return table is not None and table.name in AUDITED_TABLES


def _columns(obj: Any) -> Iterator[tuple[str, str]]:
    """(attribute key, column name) of the object's recorded columns."""
    table = obj.__table__.name
    ignored = IGNORED_COLUMNS.get(table, frozenset()) | IGNORED_EVERYWHERE
    for prop in inspect(obj).mapper.column_attrs:
        name = prop.columns[0].name
        if name not in ignored:
            yield prop.key, name


def _recorded(table: str, name: str, value: Any) -> Any:
    if name in MASKED_COLUMNS.get(table, frozenset()):
        return None if value is None else MASK
    return jsonable(value)


def _row(obj: Any) -> dict[str, Any]:
    """The loaded column values (unloaded deferred columns are skipped, never lazy-loaded mid-flush)."""
    state = inspect(obj)
    table = obj.__table__.name
    return {name: _recorded(table, name, state.dict[key]) for key, name in _columns(obj) if key in state.dict}


def _changes(obj: Any, stored: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    table = obj.__table__.name
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, name in _columns(obj):
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else stored.get(name)
        new = hist.added[0] if hist.added else None
        old_r, new_r = _recorded(table, name, old), _recorded(table, name, new)
        if old_r == new_r and name not in MASKED_COLUMNS.get(table, frozenset()):
            continue
        before[name], after[name] = old_r, new_r
    return before, after


def _record_id(obj: Any) -> str:
    # identity keys of new objects are assigned only after after_flush; the PK values are already set
    state = inspect(obj)
    values = [state.dict.get(state.mapper.get_property_by_column(col).key) for col in state.mapper.primary_key]
    return ",".join(str(v) for v in values)


def _pending_audit(session: Session) -> bool:
    return any(_is_audited(o) for o in (*session.new, *session.dirty, *session.deleted))


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Take the chain lock before this flush writes anything (lock order is always chain → rows),
    and read the stored value of every changed column whose old value was never loaded (an
    attribute set on an expired object has no history), so `before` is always the true value.
    """
    if not _pending_audit(session):
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    unknown_before: dict[int, dict[str, Any]] = session.info.setdefault("audit_unknown_before", {})
    for obj in session.dirty:
        if not _is_audited(obj):
            continue
        state = inspect(obj)
        missing = [(key, name) for key, name in _columns(obj)
                   if (h := state.attrs[key].history).added and not h.deleted and not h.unchanged]
        if not missing or state.key is None:
            continue
        table = obj.__table__
        pk = dict(zip((c.name for c in state.mapper.primary_key), state.key[1]))
        row = conn.execute(select(*(table.c[name] for _k, name in missing))
                           .where(*(table.c[n] == v for n, v in pk.items()))).first()
        if row is not None:
            unknown_before[id(obj)] = dict(zip((name for _k, name in missing), row))


def _after_flush(session: Session, _context: Any) -> None:
    """Write one entry per audited change, through the flush's connection (same transaction)."""
    entries: list[tuple[str, str, str, Any, Any]] = []
    stored = session.info.pop("audit_unknown_before", {})
    for obj in session.new:
        if _is_audited(obj):
            entries.append(("insert", obj.__table__.name, _record_id(obj), None, _row(obj)))
    for obj in session.dirty:
        if _is_audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj, stored.get(id(obj), {}))
            if before or after:
                entries.append(("update", obj.__table__.name, _record_id(obj), before, after))
    for obj in session.deleted:
        if _is_audited(obj):
            entries.append(("delete", obj.__table__.name, _record_id(obj), _row(obj), None))
    if not entries:
        return
    conn = session.connection()
    actor_id, actor_label = current_actor()
    last = conn.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    last_id, prev = (last.id, last.hash) if last is not None else (0, GENESIS)
    at = _now()
    key = audit_key()
    rows = []
    for action, table, record_id, before, after in entries:
        last_id += 1
        digest = entry_hash(prev, entry_id=last_id, at=at, actor_id=actor_id, actor_label=actor_label, action=action,
                            table_name=table, record_id=record_id, before=before, after=after, key=key)
        rows.append({"id": last_id, "at": at, "actor_id": actor_id, "actor_label": actor_label, "action": action,
                     "table_name": table, "record_id": record_id, "before": before, "after": after,
                     "prev_hash": prev, "hash": digest})
        prev = digest
    conn.execute(AuditEntry.__table__.insert(), rows)


def install(session_class: Any = Session) -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Result of verifying the chain: how many entries were checked and the first broken one."""

    checked: int
    broken_id: int | None = None
    #: "prev_hash" (an entry was removed or reordered), "gap" (an id is missing) or "hash" (edited, or another key)
    problem: str | None = None
    last_hash: str = GENESIS
    last_id: int = 0

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(session: Session, key: bytes | None = None) -> ChainReport:
    """Recompute every hash in id order; report the first entry whose link, id or content does not match."""
    key = audit_key() if key is None else key
    prev, last_id = GENESIS, 0
    checked = 0
    stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    result = session.scalars(stmt)  # a server-side cursor on PostgreSQL: close it even when stopping early
    try:
        for entry in result:
            checked += 1
            if entry.prev_hash != prev:
                return ChainReport(checked, entry.id, "prev_hash", prev, last_id)
            if entry.id != last_id + 1:
                return ChainReport(checked, entry.id, "gap", prev, last_id)
            expected = entry_hash(prev, entry_id=entry.id, at=entry.at, actor_id=entry.actor_id,
                                  actor_label=entry.actor_label, action=entry.action, table_name=entry.table_name,
                                  record_id=entry.record_id, before=entry.before, after=entry.after, key=key)
            if not hmac.compare_digest(expected, entry.hash):
                return ChainReport(checked, entry.id, "hash", prev, last_id)
            prev, last_id = entry.hash, entry.id
    finally:
        result.close()
    return ChainReport(checked, None, None, prev, last_id)


# --- anchors: the head of the chain, kept outside the database --------------------------------

ANCHOR_TITLE = "Fuhua audit anchor"
_ANCHOR_FIELDS = ("last id", "entries", "head hash", "taken at")


class AnchorError(ValueError):
    """The anchor file cannot be read, or its signature does not match (edited, or another key)."""


@dataclass(frozen=True, slots=True)
class Anchor:
    last_id: int
    entries: int
    head_hash: str
    taken_at: str

    def body(self) -> str:
        values = (self.last_id, self.entries, self.head_hash, self.taken_at)
        return ANCHOR_TITLE + "\n" + "".join(f"{name}: {value}\n" for name, value in zip(_ANCHOR_FIELDS, values))

    def signature(self, key: bytes) -> str:
        return hmac.new(key, self.body().encode("utf-8"), hashlib.sha256).hexdigest()

    def signed(self, key: bytes) -> str:
        """The statement to keep (print it, mail it, file it with the yearly report)."""
        return self.body() + f"signature: {self.signature(key)}\n"


def take_anchor(session: Session, key: bytes | None = None) -> Anchor:
    """The head of the chain now. Refuses (AnchorError) when the chain itself does not verify."""
    report = verify_chain(session, key)
    if not report.ok:
        raise AnchorError(f"the audit log is broken at entry #{report.broken_id}; no anchor taken")
    taken_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Anchor(report.last_id, report.checked, report.last_hash, taken_at)


def read_anchor(text_: str, key: bytes | None = None) -> Anchor:
    """Parse and check a signed anchor statement."""
    key = audit_key() if key is None else key
    fields: dict[str, str] = {}
    for line in text_.strip().splitlines()[1:]:
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    try:
        anchor = Anchor(int(fields["last id"]), int(fields["entries"]), fields["head hash"], fields["taken at"])
        signature = fields["signature"]
    except (KeyError, ValueError) as error:
        raise AnchorError(f"not an audit anchor ({error})") from None
    if not text_.startswith(ANCHOR_TITLE) or not hmac.compare_digest(anchor.signature(key), signature):
        raise AnchorError("the anchor's signature does not match: it was edited, or signed with another audit key")
    return anchor


def check_against_anchor(session: Session, anchor: Anchor) -> str | None:
    """None when the stored log still contains the anchored head unchanged; else what is wrong."""
    head = session.get(AuditEntry, anchor.last_id) if anchor.last_id else None
    if anchor.last_id and head is None:
        return (f"entry #{anchor.last_id}, the anchored head, is missing: the log was cut back or truncated "
                f"after the anchor was taken")
    if head is not None and head.hash != anchor.head_hash:
        return f"entry #{anchor.last_id} no longer has the anchored hash: the log was rewritten up to the anchor"
    from sqlalchemy import func

    count = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.id <= anchor.last_id)) or 0
    if count != anchor.entries:
        return f"{count} entries up to #{anchor.last_id}, the anchor counted {anchor.entries}: entries were deleted"
    return None


install()
