"""The tracker's reads: filings of a season as the user may see them (registry.access scopes every one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select

from registry.access import scoped
from registry.extensions import db
from registry.models import Filing, Institution, ReportingSeason, Town
from registry.models.seasons import SUBMITTED

#: the tracker's states, in the order shown (late: submitted after the deadline, not yet decided)
TRACKER_STATES = ("not_started", "draft", "submitted", "returned", "accepted", "late")


@dataclass(frozen=True)
class TrackerFilter:
    state: str | None = None
    town_id: int | None = None
    category: str | None = None
    q: str | None = None


def _display_state():  # noqa: ANN202
    return case((and_(Filing.state == SUBMITTED, Filing.is_late.is_(True)), "late"), else_=Filing.state)


def scoped_filings(season: ReportingSeason, user: Any = None) -> Select:
    """The season's filings of institutions the user may see (a town officer: its towns only)."""
    return (select(Filing).join(Institution, Institution.id == Filing.institution_id)
            .where(Filing.season_id == season.id, scoped(Filing.institution_id, user)))


def _filtered(stmt: Select, f: TrackerFilter) -> Select:
    if f.state in TRACKER_STATES:
        stmt = stmt.where(_display_state() == f.state)
    if f.town_id:
        stmt = stmt.where(Institution.town_id == f.town_id)
    if f.category:
        stmt = stmt.where(Institution.category == f.category)
    if f.q:
        like = f"%{f.q.strip()}%"
        stmt = stmt.where(or_(Institution.name.ilike(like), Institution.uscc.ilike(like)))
    return stmt


def tracker_rows(season: ReportingSeason, f: TrackerFilter, *, page: int = 1, per_page: int | None = 50,
                 user: Any = None, total: int | None = None) -> tuple[list[Any], int]:
    """(rows, total) of the filtered list; rows carry the institution's name, code, town and the state.
    `total` may be passed when the caller already counted (the unfiltered list: the sum of the state counts)."""
    base = _filtered(scoped_filings(season, user), f)
    if total is None:
        total = db.session.scalar(base.with_only_columns(func.count(Filing.id)).order_by(None))
    stmt = (base.with_only_columns(
        Filing.id, Filing.institution_id, Institution.name, Institution.uscc, Institution.category,
        Town.name.label("town"), Filing.state, Filing.is_late, _display_state().label("shown"),
        Filing.submitted_at, Filing.town_comment, Filing.city_decision, Filing.reopened_until)
        .join(Town, Town.id == Institution.town_id)
        # in the order institutions were registered: the (season, institution) index gives a page without
        # sorting the season's 15,000 filings (filter by town or state to narrow it)
        .order_by(Filing.institution_id))
    if per_page is not None:
        stmt = stmt.limit(per_page).offset((max(page, 1) - 1) * per_page)
    return list(db.session.execute(stmt).all()), total or 0


def town_state_counts(season: ReportingSeason, user: Any = None) -> tuple[dict[str, int], list[tuple[int, str, dict[str, int], int]]]:
    """Counts per state, and per town (id, name, counts per state, total) in the bureau's order of towns:
    one grouped scan of the season's filings."""
    shown = _display_state().label("shown")
    rows = db.session.execute(
        scoped_filings(season, user).with_only_columns(Institution.town_id, shown, func.count(Filing.id))
        .group_by(Institution.town_id, shown)).all()
    towns = dict((t.id, (t.name, t.sort_order)) for t in db.session.execute(select(Town.id, Town.name, Town.sort_order)))
    totals = dict.fromkeys(TRACKER_STATES, 0)
    out: dict[int, tuple[int, str, dict[str, int], int]] = {}
    for town_id, state, n in rows:
        totals[state] = totals.get(state, 0) + n
        tid, tname, counts, total = out.get(town_id, (town_id, towns.get(town_id, ("", 0))[0],
                                                        dict.fromkeys(TRACKER_STATES, 0), 0))
        counts[state] = counts.get(state, 0) + n
        out[town_id] = (tid, tname, counts, total + n)
    return totals, sorted(out.values(), key=lambda t: towns.get(t[0], ("", 0))[1])


def state_counts(season: ReportingSeason, user: Any = None) -> dict[str, int]:
    return town_state_counts(season, user)[0]


def town_counts(season: ReportingSeason, user: Any = None) -> list[tuple[int, str, dict[str, int], int]]:
    return town_state_counts(season, user)[1]


def not_submitted_institution_ids(season: ReportingSeason) -> list[int]:
    """Institutions still to submit (not started, draft, or returned): whom a reminder goes to."""
    return list(db.session.scalars(select(Filing.institution_id).where(
        Filing.season_id == season.id, Filing.state.in_(("not_started", "draft", "returned")))))
