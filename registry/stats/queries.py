"""Year-end counts derived from dated recognitions and tenancies, each in ONE grouped SQL query.

The counting rule (domain.md §9, §12.7): a status counts for a year when it is in force on the
year's count date, with `Recognition.in_force_clause` semantics (effective_from <= day < ended_on).
The count date is 31 December, or the `as_of` date when that comes earlier (see `count_dates`).
Institutions are counted DISTINCT, so a revoked-and-re-recognised institution, or one holding two
recognitions at once, is counted once per year.

No Python row loops: the periods are a UNION ALL of (year, day) literals joined to the rows with
the in-force condition and grouped in SQL (ix_recognitions_level_dates serves the join).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Date, Integer, Select, and_, case, distinct, func, literal, or_, select, union_all
from sqlalchemy.sql import Subquery

from registry.extensions import db
from registry.models import (
    CarrierType,
    Institution,
    Level,
    Recognition,
    Tenancy,
    TenancyDayCount,
    TenancyExit,
    Town,
    Zone,
)
from registry.models.reference import zone_towns

GroupBy = Literal["town", "zone", "subclass"]
GROUPINGS: tuple[str, ...] = ("town", "zone", "subclass")

#: the plan's indicator "科技企业孵化器(加速器)" counts both categories
INCUBATORS_INCL_ACCELERATORS = (CarrierType.INCUBATOR, CarrierType.ACCELERATOR)
#: carriers that host tenant firms
TENANT_CARRIERS = (CarrierType.MAKER_SPACE, CarrierType.INCUBATOR, CarrierType.ACCELERATOR)


@dataclass(frozen=True, slots=True)
class CountRow:
    """One cell of a year × group table; `group` is a town/zone/subclass code, or None (ungrouped or none)."""

    year: int
    group: str | None
    count: int


@dataclass(frozen=True, slots=True)
class PlanCounts:
    """The plan's three tracked institution counts (domain.md §14) for one year."""

    year: int
    counted_on: date
    rd_institutions: int
    incubators_incl_accelerators: int
    national_incubators: int


@dataclass(frozen=True, slots=True)
class TenancyCounts:
    year: int
    counted_on: date
    #: firms hosted on the count date
    tenants: int
    #: tenancies that ended as graduations from 1 January to the count date (inclusive)
    graduated: int


def count_dates(years: Iterable[int], as_of: date | None = None) -> list[tuple[int, date]]:
    """(year, count date) pairs: 31 December, or `as_of` when earlier; years after `as_of` are left out.

    >>> count_dates([2019, 2020, 2021], as_of=date(2020, 6, 30))
    [(2019, datetime.date(2019, 12, 31)), (2020, datetime.date(2020, 6, 30))]
    """
    pairs = []
    for year in sorted(set(years)):
        day = date(year, 12, 31)
        if as_of is not None:
            if year > as_of.year:
                continue
            day = min(day, as_of)
        pairs.append((year, day))
    return pairs


def _periods(pairs: Sequence[tuple[int, date]]) -> Subquery:
    """The count dates as a derived table (UNION ALL of literals: SQLite has no aliased VALUES)."""
    selects = [select(literal(y, Integer).label("year"), literal(d, Date).label("day"),
                      literal(date(y - 1, 12, 31), Date).label("prev_end")) for y, d in pairs]
    return (union_all(*selects) if len(selects) > 1 else selects[0]).subquery("periods")


def _in_force(periods: Subquery):  # noqa: ANN202
    """Recognition.in_force_clause with the period's day as the date (the same half-open rule)."""
    return and_(Recognition.effective_from <= periods.c.day,
                or_(Recognition.ended_on.is_(None), Recognition.ended_on > periods.c.day))


def recognised_counts_query(pairs: Sequence[tuple[int, date]], *, categories: Sequence[CarrierType],
                            levels: Sequence[Level] | None = None, by: GroupBy | None = None) -> Select:
    """The SQL behind `recognised_counts` (exposed for EXPLAIN in the benchmark)."""
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; expected one of {GROUPINGS}")
    periods = _periods(pairs)
    rec_cond = _in_force(periods)
    if levels is not None:
        rec_cond = and_(Recognition.level.in_([Level(lv) for lv in levels]), rec_cond)
    inst_cond = and_(Institution.id == Recognition.institution_id,
                     Institution.category.in_([CarrierType(c) for c in categories]))
    count = func.count(distinct(Institution.id)).label("count")
    if by is None:
        # outer joins keep years with no institution (count 0)
        target = Recognition.__table__.join(Institution.__table__, inst_cond)
        return (select(periods.c.year, literal(None).label("grp"), count)
                .select_from(periods.outerjoin(target, rec_cond))
                .group_by(periods.c.year).order_by(periods.c.year))
    stmt = select(periods.c.year).select_from(periods).join(Recognition, rec_cond).join(Institution, inst_cond)
    if by == "town":
        group = Town.code
        stmt = stmt.join(Town, Town.id == Institution.town_id)
    elif by == "zone":
        # a town may sit in several zones (they overlap) or in none (group None)
        group = Zone.code
        stmt = (stmt.outerjoin(zone_towns, zone_towns.c.town_id == Institution.town_id)
                .outerjoin(Zone, Zone.id == zone_towns.c.zone_id))
    else:
        group = Institution.subclass
    return (stmt.add_columns(group.label("grp"), count)
            .group_by(periods.c.year, group).order_by(periods.c.year, group))


def recognised_counts(years: Iterable[int], *, categories: Sequence[CarrierType], levels: Sequence[Level] | None = None,
                      as_of: date | None = None, by: GroupBy | None = None) -> list[CountRow]:
    """Distinct institutions of `categories` holding a recognition (of `levels`, or any) in force on each count date.

    Ungrouped, every year appears (0 when none). Grouped, only non-empty (year, group) cells appear.
    """
    pairs = count_dates(years, as_of)
    if not pairs:
        return []
    stmt = recognised_counts_query(pairs, categories=categories, levels=levels, by=by)
    return [CountRow(year=int(y), group=g, count=int(c)) for y, g, c in db.session.execute(stmt)]


def national_incubator_counts(years: Iterable[int], *, as_of: date | None = None,
                              by: GroupBy | None = None) -> list[CountRow]:
    """国家级科技企业孵化器 in force on 31 December of each year (or on `as_of` when earlier): the published
    definition "national-incubators" (registry.stats.definitions)."""
    from registry.stats.definitions import NATIONAL_INCUBATORS

    return NATIONAL_INCUBATORS.counts(years, as_of=as_of, by=by)


def plan_counts(years: Iterable[int], *, as_of: date | None = None) -> list[PlanCounts]:
    """The plan's targets (domain.md §14) per year, in one query of conditional distinct counts.

    Each target is counted with its published definition (registry.stats.definitions.TARGET_DEFINITIONS),
    so the progress shown beside a target is the figure `/api/v1/counts/<code>` and the exports give.
    """
    from registry.stats.definitions import TARGET_DEFINITIONS

    pairs = count_dates(years, as_of)
    if not pairs:
        return []
    periods = _periods(pairs)
    inst_id = Institution.id

    def distinct_when(cond):  # noqa: ANN001, ANN202
        return func.count(distinct(case((cond, inst_id))))

    definitions = [TARGET_DEFINITIONS[name] for name in ("rd_institutions", "incubators_incl_accelerators",
                                                         "national_incubators")]
    counted = sorted({c for d in definitions for c in d.categories}, key=lambda c: c.value)
    target = Recognition.__table__.join(Institution.__table__, and_(Institution.id == Recognition.institution_id,
                                                                    Institution.category.in_(counted)))
    stmt = (select(periods.c.year, periods.c.day, *[distinct_when(d.clause()) for d in definitions])
            .select_from(periods.outerjoin(target, _in_force(periods)))
            .group_by(periods.c.year, periods.c.day).order_by(periods.c.year))
    return [PlanCounts(int(y), _as_date(d), int(rd), int(inc), int(nat)) for y, d, rd, inc, nat in db.session.execute(stmt)]


def tenancy_counts(years: Iterable[int], *, as_of: date | None = None,
                   categories: Sequence[CarrierType] = TENANT_CARRIERS) -> list[TenancyCounts]:
    """Firms hosted on each count date, and graduations from 1 January up to it (exited_on is exclusive).

    Read from the summary `tenancy_day_counts` (entries, exits and graduations per category and
    day, kept in step with the tenancies by registry.stats.summary): one grouped pass over a few
    thousand rows instead of every tenancy. Firms hosted on day d = entries up to d − exits up to d.
    Equal to `tenancy_counts_scan` by construction, and the tests check it.
    """
    pairs = count_dates(years, as_of)
    if not pairs:
        return []
    day = TenancyDayCount.day
    bucket = case(*[(day <= d, i) for i, (_year, d) in enumerate(pairs)], else_=len(pairs)).label("b")
    in_year = case(*[(and_(day > date(y - 1, 12, 31), day <= d), i) for i, (y, d) in enumerate(pairs)],
                   else_=None).label("g")
    stmt = (select(bucket, in_year, func.sum(TenancyDayCount.entered), func.sum(TenancyDayCount.exited),
                   func.sum(TenancyDayCount.graduated))
            .where(TenancyDayCount.category.in_([CarrierType(c).value for c in categories]))
            .group_by("b", "g"))
    entries = [0] * (len(pairs) + 1)
    exits = [0] * (len(pairs) + 1)
    graduations = [0] * (len(pairs) + 1)
    for b, g, entered, exited, graduated in db.session.execute(stmt):
        entries[b] += int(entered or 0)
        exits[b] += int(exited or 0)
        if g is not None:
            graduations[g] += int(graduated or 0)
    rows, hosted = [], 0
    for i, (year, d) in enumerate(pairs):
        hosted += entries[i] - exits[i]
        rows.append(TenancyCounts(year, d, hosted, graduations[i]))
    return rows


def tenancy_counts_scan(years: Iterable[int], *, as_of: date | None = None,
                   categories: Sequence[CarrierType] = TENANT_CARRIERS) -> list[TenancyCounts]:
    """`tenancy_counts` computed from the tenancies themselves (the definition the summary must equal).

    One grouped scan of the tenancies: each is bucketed by the first count date on or after its
    entry and its exit. A firm is at one carrier at a time (add_tenancy enforces it), so firms
    hosted on day d = entries up to d − exits up to d; the running sums run over at most a few
    dozen aggregated groups, never over rows.
    """
    pairs = count_dates(years, as_of)
    if not pairs:
        return []

    def bucket(column):  # noqa: ANN001, ANN202
        """Index of the first count date >= the column's date; len(pairs) when after the last one."""
        return case(*[(column <= day, i) for i, (_year, day) in enumerate(pairs)], else_=len(pairs))

    graduated_in_year = or_(*[and_(Tenancy.exited_on > date(year - 1, 12, 31), Tenancy.exited_on <= day)
                              for year, day in pairs])
    is_graduation = and_(Tenancy.exit_reason == TenancyExit.GRADUATED, graduated_in_year)
    target = Tenancy.__table__.join(Institution.__table__, and_(
        Institution.id == Tenancy.carrier_id, Institution.category.in_([CarrierType(c) for c in categories])))
    entry_b, exit_b = bucket(Tenancy.entered_on).label("entry_b"), bucket(Tenancy.exited_on).label("exit_b")
    stmt = (select(entry_b, case((Tenancy.exited_on.is_(None), None), else_=exit_b).label("exit_b"),
                   func.count(), func.count(case((is_graduation, Tenancy.id))))
            .select_from(target).group_by("entry_b", "exit_b"))
    entries = [0] * (len(pairs) + 1)
    exits = [0] * (len(pairs) + 1)
    graduations = [0] * (len(pairs) + 1)
    for entry_bucket, exit_bucket, count, graduated in db.session.execute(stmt):
        entries[entry_bucket] += count
        if exit_bucket is not None:
            exits[exit_bucket] += count
            graduations[exit_bucket] += graduated
    rows, hosted = [], 0
    for i, (year, day) in enumerate(pairs):
        hosted += entries[i] - exits[i]
        rows.append(TenancyCounts(year, day, hosted, graduations[i]))
    return rows


def has_synthetic_data() -> bool:
    """True when any institution is synthetic demo data: exports and pages must say so."""
    return db.session.scalar(select(Institution.id).where(Institution.is_synthetic.is_(True)).limit(1)) is not None


def _as_date(value: object) -> date:
    """SQLite returns the literal date column of a UNION as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
