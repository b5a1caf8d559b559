"""The tenancy summary (`tenancy_day_counts`), kept in step with `tenancies` in the same transaction.

Every flush that adds, ends, changes or deletes a tenancy through the ORM (the operations) adds
its difference to the summary with one upsert per touched (category, day); a change of a carrier's
category, and bulk writes that bypass the ORM (demo load, demo purge), rebuild it with one grouped
INSERT … SELECT. `rebuild_tenancy_summary` is also the reference the tests compare against.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import case, delete, event, func, inspect, literal, select, union_all
from sqlalchemy.orm import Session

from registry.models import Institution, Tenancy, TenancyDayCount, TenancyExit

Key = tuple[str, date]
COUNTS = TenancyDayCount.__table__


def _val(x: Any) -> Any:
    return getattr(x, "value", x)


def _contribution(category: str | None, entered_on: date | None, exited_on: date | None,
                  exit_reason: Any) -> list[tuple[Key, int, int, int]]:
    if category is None or entered_on is None:
        return []
    out = [((category, entered_on), 1, 0, 0)]
    if exited_on is not None:
        out.append(((category, exited_on), 0, 1, int(_val(exit_reason) == TenancyExit.GRADUATED.value)))
    return out


def _old(state: Any, name: str) -> Any:
    """The attribute's value before this flush's change (the current one when unchanged)."""
    hist = state.attrs[name].history
    if hist.deleted:
        return hist.deleted[0]
    return state.attrs[name].loaded_value if not hist.added else None


def _after_flush(session: Session, _context: Any) -> None:
    deltas: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
    categories: dict[int, str] = {}
    rebuild = False

    def category_of(carrier_id: int | None) -> str | None:
        if carrier_id is None:
            return None
        if carrier_id not in categories:
            found = session.connection().execute(select(Institution.category).where(Institution.id == carrier_id)).scalar()
            categories[carrier_id] = _val(found) if found is not None else None
        return categories[carrier_id]

    def add(parts: list[tuple[Key, int, int, int]], sign: int) -> None:
        for key, e, x, g in parts:
            d = deltas[key]
            d[0] += sign * e
            d[1] += sign * x
            d[2] += sign * g

    for obj in session.new:
        if isinstance(obj, Tenancy):
            add(_contribution(category_of(obj.carrier_id), obj.entered_on, obj.exited_on, obj.exit_reason), 1)
    for obj in session.dirty:
        if isinstance(obj, Institution) and inspect(obj).attrs.category.history.has_changes():
            rebuild = True
        elif isinstance(obj, Tenancy) and session.is_modified(obj, include_collections=False):
            state = inspect(obj)
            names = ("carrier_id", "entered_on", "exited_on", "exit_reason")
            if not any(state.attrs[n].history.has_changes() for n in names):
                continue
            old = {n: _old(state, n) if state.attrs[n].history.has_changes() else getattr(obj, n) for n in names}
            add(_contribution(category_of(old["carrier_id"]), old["entered_on"], old["exited_on"], old["exit_reason"]), -1)
            add(_contribution(category_of(obj.carrier_id), obj.entered_on, obj.exited_on, obj.exit_reason), 1)
    for obj in session.deleted:
        if isinstance(obj, Tenancy):
            add(_contribution(category_of(obj.carrier_id), obj.entered_on, obj.exited_on, obj.exit_reason), -1)
    if rebuild:
        rebuild_tenancy_summary(session)
        return
    changes = [{"category": c, "day": d, "entered": e, "exited": x, "graduated": g}
               for (c, d), (e, x, g) in deltas.items() if e or x or g]
    if changes:
        _upsert(session, changes)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(COUNTS)
    stmt = stmt.on_conflict_do_update(index_elements=["category", "day"], set_={
        c: COUNTS.c[c] + stmt.excluded[c] for c in ("entered", "exited", "graduated")})
    conn.execute(stmt, rows)


def rebuild_tenancy_summary(session: Session) -> None:
    """Recompute the whole summary from `tenancies` (after bulk writes that bypass the ORM)."""
    conn = session.connection()
    category = Institution.category
    entries = (select(category.label("category"), Tenancy.entered_on.label("day"), literal(1).label("e"),
                      literal(0).label("x"), literal(0).label("g"))
               .join(Institution, Institution.id == Tenancy.carrier_id))
    exits = (select(category, Tenancy.exited_on, literal(0), literal(1),
                    case((Tenancy.exit_reason == TenancyExit.GRADUATED, 1), else_=0))
             .join(Institution, Institution.id == Tenancy.carrier_id).where(Tenancy.exited_on.is_not(None)))
    events = union_all(entries, exits).subquery()
    conn.execute(delete(COUNTS))
    conn.execute(COUNTS.insert().from_select(
        ["category", "day", "entered", "exited", "graduated"],
        select(events.c.category, events.c.day, func.sum(events.c.e), func.sum(events.c.x), func.sum(events.c.g))
        .group_by(events.c.category, events.c.day)))


def install(session_class: Any = Session) -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)


install()
