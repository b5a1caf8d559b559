"""The audit log as people read it: labelled tables and fields, a before/after diff, names, local times.

The stored entries are the auditors' record (hash-chained, see registry/audit); this module only
presents them. Raw JSON stays one click away (the export's JSON format, per entry).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from registry.extensions import db
from registry.i18n import fmt_date, fmt_datetime, fmt_figure
from registry.labels import current_locale, term
from registry.models import AuditEntry, Institution, User
from registry.models.reference import Town

#: columns whose value is a code of a glossary kind (per table where the same name means different things)
VALUE_KINDS: dict[str, str] = {
    "category": "category", "subclass": "subclass", "legal_form": "legal_form", "level": "level", "status": "status",
    "end_reason": "end_reason", "exit_reason": "tenancy_exit", "graduation_criterion": "graduation_criterion",
    "role": "role", "grade": "grade", "recommendation": "recommendation", "recommendation_rule": "recommendation_rule",
    "decision": "decision", "method": "assignment_method", "outcome": "upload_outcome", "source": "report_source",
}
TABLE_VALUE_KINDS: dict[tuple[str, str], str] = {("review_assignments", "status"): "assignment_status"}
#: columns that point at a person or an institution (shown by name)
USER_COLUMNS = frozenset({"recorded_by_id", "uploaded_by_id", "submitted_by_id", "started_by_id", "assigned_by_id",
                          "reviewer_id", "waived_by_id", "published_by_id", "signed_by_id", "created_by_id"})
INSTITUTION_COLUMNS = frozenset({"institution_id", "carrier_id", "affiliation_id"})
#: never shown, only said to have changed
SECRET_COLUMNS = frozenset({"password_hash", "content", "token_hash"})
#: bookkeeping that every change touches; shown only when nothing else changed
QUIET_COLUMNS = frozenset({"updated_at", "session_version"})

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


#: values a person typed or chose as identifiers: shown verbatim (and marked so in the page)
VERBATIM_COLUMNS = frozenset({"username", "filename", "sha256", "uscc", "doc_no", "end_doc_no", "cell"})


@dataclass(slots=True)
class Change:
    field: str
    before: str
    after: str
    verbatim: bool = False


@dataclass(slots=True)
class EntryView:
    id: int
    at: str
    who: str
    action: str
    action_code: str
    table: str
    table_code: str
    record_id: str
    record: str
    changes: list[Change] = field(default_factory=list)


@dataclass(slots=True)
class _Names:
    users: Mapping[int, str]
    institutions: Mapping[int, str]
    towns: Mapping[int, str]


def _ids(entries: Sequence[AuditEntry], columns: frozenset[str]) -> set[int]:
    found: set[int] = set()
    for e in entries:
        for side in (e.before or {}, e.after or {}):
            for k, v in side.items():
                if k in columns and isinstance(v, int):
                    found.add(v)
    return found


def _names(entries: Sequence[AuditEntry]) -> _Names:
    """The people, institutions and towns the page mentions, fetched once."""
    user_ids = _ids(entries, USER_COLUMNS) | {e.actor_id for e in entries if e.actor_id}
    user_ids |= {int(e.record_id) for e in entries if e.table_name == "users" and e.record_id.isdigit()}
    inst_ids = _ids(entries, INSTITUTION_COLUMNS)
    inst_ids |= {int(e.record_id) for e in entries if e.table_name == "institutions" and e.record_id.isdigit()}
    town_ids = _ids(entries, frozenset({"town_id"}))
    users = {u.id: u.display_name or u.username for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))} \
        if user_ids else {}
    insts = dict(db.session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(inst_ids))).all()) \
        if inst_ids else {}
    english = current_locale() == "en"
    towns = {t.id: (t.name_en or t.name) if english else t.name
             for t in db.session.scalars(select(Town).where(Town.id.in_(town_ids)))} if town_ids else {}
    return _Names(users, insts, towns)


def value_text(table: str, column: str, value: Any, names: _Names) -> str:
    """One stored value as a reader understands it."""
    if value is None or value == "":
        return "—"
    if column in SECRET_COLUMNS:
        return _("(not shown)")
    kind = TABLE_VALUE_KINDS.get((table, column)) or VALUE_KINDS.get(column)
    if kind and isinstance(value, str):
        return term(kind, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if column in USER_COLUMNS and isinstance(value, int):
        return names.users.get(value) or _("account #%(id)s", id=value)
    if column in INSTITUTION_COLUMNS and isinstance(value, int):
        return names.institutions.get(value) or _("institution #%(id)s", id=value)
    if column == "town_id" and isinstance(value, int):
        return names.towns.get(value) or "—"
    if isinstance(value, (dict, list)):
        return ngettext("%(num)s item (see the raw record)", "%(num)s items (see the raw record)", len(value))
    if isinstance(value, str):
        if _ISO_DATETIME.match(value):
            return fmt_datetime(value)
        if _ISO_DATE.match(value):
            return fmt_date(value)
        return value
    return fmt_figure(value)


def _changes(e: AuditEntry, names: _Names) -> list[Change]:
    before, after = e.before or {}, e.after or {}
    columns = [c for c in dict.fromkeys([*after, *before]) if c != "id"]
    if e.action == "update":
        columns = [c for c in columns if before.get(c) != after.get(c)]
        loud = [c for c in columns if c not in QUIET_COLUMNS]
        columns = loud or columns
    else:
        side = after if e.action == "insert" else before
        columns = [c for c in columns if side.get(c) not in (None, "", [], {}) and c not in QUIET_COLUMNS]
    return [Change(term("field", c), value_text(e.table_name, c, before.get(c), names) if e.action != "insert" else "",
                   value_text(e.table_name, c, after.get(c), names) if e.action != "delete" else "",
                   c in VERBATIM_COLUMNS)
            for c in columns]


def _record(e: AuditEntry, names: _Names) -> str:
    if e.record_id.isdigit():
        rid = int(e.record_id)
        if e.table_name == "institutions" and rid in names.institutions:
            return names.institutions[rid]
        if e.table_name == "users" and rid in names.users:
            return names.users[rid]
    return f"#{e.record_id}"


def _who(e: AuditEntry, names: _Names) -> str:
    if e.actor_id and e.actor_id in names.users:
        return names.users[e.actor_id]
    label = e.actor_label or ""
    if label.startswith("cli:"):
        return _("command line (%(who)s)", who=label[4:])
    return {"system": _("the system"), "anonymous": _("not logged in")}.get(label, label or "—")


def entry_views(entries: Iterable[AuditEntry]) -> list[EntryView]:
    """The page's rows, with every name looked up once."""
    entries = list(entries)
    names = _names(entries)
    return [EntryView(e.id, fmt_datetime(e.at), _who(e, names), term("action", e.action), e.action,
                      term("table", e.table_name), e.table_name, e.record_id, _record(e, names), _changes(e, names))
            for e in entries]


def raw_entry(e: AuditEntry) -> dict[str, Any]:
    """The stored entry as data, for auditors (the JSON export)."""
    return {"id": e.id, "at": e.at.isoformat() + "Z" if isinstance(e.at, datetime) else e.at, "actor_id": e.actor_id,
            "actor_label": e.actor_label, "action": e.action, "table_name": e.table_name, "record_id": e.record_id,
            "before": e.before, "after": e.after, "prev_hash": e.prev_hash, "hash": e.hash}
