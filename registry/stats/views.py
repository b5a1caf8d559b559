"""The statistics page: national-level incubators per year, per town or zone, and the plan's targets."""

from __future__ import annotations

from datetime import date

from flask import render_template, request

from registry.access import roles_required
from registry.models import Role
from registry.stats import bp
from registry.stats.chart import bar_chart
from registry.stats.definitions import DEFINITIONS
from registry.stats.queries import GROUPINGS, plan_counts, tenancy_counts
from registry.stats.targets import NATIONAL_TARGET, PLAN_TARGETS, TARGET_YEAR

#: the chart and tables start here (the first year of the plan period's data)
FIRST_YEAR = 2015


def last_data_day() -> date:
    """Today, or 31 December of the last year with figures when the data ends earlier (the demo's 2020):
    the tables end at the last year with data rather than run empty up to the calendar's year."""
    from sqlalchemy import func, select

    from registry.extensions import db
    from registry.models import SelfReport

    today = date.today()
    last = db.session.scalar(select(func.max(SelfReport.year)))
    if last is None or last >= today.year:
        return today
    return date(last, 12, 31)


@bp.route("/")
@roles_required(Role.ADMIN, Role.REVIEWER)
def index():
    # imported here: registry.exports imports registry.stats.queries, which initialises this package
    from registry.exports.counts import build_count_table
    from registry.exports.params import FORMATS, CountRequest

    today = last_data_day()
    by = request.args.get("by", "town")
    if by not in GROUPINGS:
        by = "town"
    # the current year is counted as of today (see count_dates): never on a 31 December still to come
    table = build_count_table(CountRequest(FIRST_YEAR, today.year, by, as_of=today, fmt="xlsx"))
    chart = bar_chart([(str(y), n) for y, n in zip(table.years, table.total)], target=NATIONAL_TARGET.value)
    plan = {p.year: p for p in plan_counts(sorted({TARGET_YEAR, today.year}), as_of=today)}
    progress = [(t, {year: getattr(p, t.code) for year, p in plan.items()}) for t in PLAN_TARGETS]
    tenancy = tenancy_counts(range(FIRST_YEAR, today.year + 1), as_of=today)
    return render_template("stats/index.html", table=table, chart=chart, by=by, groupings=GROUPINGS,
                           progress=progress, plan_years=sorted(plan), target_year=TARGET_YEAR, tenancy=tenancy,
                           today=today, formats=FORMATS, national_target=NATIONAL_TARGET, definitions=DEFINITIONS)
