"""Year-end counts: the in-force rule at its edges, DISTINCT counting, groupings, the as-of date."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from registry.extensions import db
from registry.institutions.operations import end_recognition, record_recognition
from registry.models import CarrierType, Level
from registry.stats.queries import (
    CountRow,
    count_dates,
    national_incubator_counts,
    plan_counts,
    recognised_counts_query,
    tenancy_counts,
)
from tests.factories import make_institution as _make_institution
from tests.factories import make_uscc

YEARS = range(2015, 2022)


def make_institution(**fields):  # noqa: ANN003, ANN201
    """Registered long before the histories below (status changes must stay in date order)."""
    return _make_institution(status_on=date(2010, 1, 1), **fields)


def national(inst, start: date, end: date | None = None, reason: str = "revoked"):  # noqa: ANN001, ANN201
    rec = record_recognition(inst, level=Level.NATIONAL, effective_from=start)
    if end is not None:
        end_recognition(rec, ended_on=end, reason=reason)
    return rec


def totals(rows: list[CountRow]) -> dict[int, int]:
    assert all(r.group is None for r in rows)
    return {r.year: r.count for r in rows}


def test_every_year_appears_with_zero_when_nothing_is_recognised(session):
    assert totals(national_incubator_counts(YEARS)) == {y: 0 for y in YEARS}


def test_recognised_on_31_december_counts_for_that_year(session):
    national(make_institution(), date(2017, 12, 31))
    counts = totals(national_incubator_counts(YEARS))
    assert counts[2016] == 0
    assert counts[2017] == 1
    assert counts[2021] == 1


def test_recognised_on_1_january_does_not_count_for_the_year_before(session):
    national(make_institution(), date(2018, 1, 1))
    counts = totals(national_incubator_counts(YEARS))
    assert (counts[2017], counts[2018]) == (0, 1)


def test_revoked_on_31_december_does_not_count_for_that_year(session):
    national(make_institution(), date(2016, 3, 1), end=date(2018, 12, 31))
    counts = totals(national_incubator_counts(YEARS))
    assert [counts[y] for y in (2015, 2016, 2017, 2018, 2019)] == [0, 1, 1, 0, 0]


def test_revoked_on_1_january_still_counts_for_the_year_before(session):
    national(make_institution(), date(2016, 3, 1), end=date(2019, 1, 1))
    counts = totals(national_incubator_counts(YEARS))
    assert (counts[2018], counts[2019]) == (1, 0)


def test_revoked_and_re_recognised_in_the_same_year_counts_once(session):
    inst = make_institution()
    national(inst, date(2016, 5, 1), end=date(2018, 3, 1))
    national(inst, date(2018, 9, 1), end=date(2020, 12, 31))
    national(inst, date(2020, 12, 31))  # re-recognised the very day the previous one ended: still one institution
    counts = totals(national_incubator_counts(YEARS))
    assert [counts[y] for y in YEARS] == [0, 1, 1, 1, 1, 1, 1]


def test_gap_year_between_revocation_and_re_recognition_is_not_counted(session):
    inst = make_institution()
    national(inst, date(2016, 5, 1), end=date(2017, 6, 1))
    national(inst, date(2018, 2, 1))
    counts = totals(national_incubator_counts(YEARS))
    assert [counts[y] for y in (2016, 2017, 2018)] == [1, 0, 1]


def test_two_overlapping_recognitions_of_different_levels_count_once(session):
    inst = make_institution()
    record_recognition(inst, level=Level.PROVINCIAL, effective_from=date(2015, 1, 1))
    record_recognition(inst, level=Level.MUNICIPAL, effective_from=date(2014, 1, 1))
    national(inst, date(2017, 7, 1))
    counts = totals(national_incubator_counts(YEARS))
    assert [counts[y] for y in (2016, 2017, 2018)] == [0, 1, 1]
    plan = {p.year: p for p in plan_counts([2016, 2017])}
    assert plan[2016].incubators_incl_accelerators == 1
    assert plan[2017].incubators_incl_accelerators == 1  # three recognitions in force, one institution
    assert plan[2017].national_incubators == 1


def test_only_incubators_count_as_national_level_incubators(session):
    national(make_institution(category=CarrierType.ACCELERATOR, subclass=None), date(2016, 1, 1))
    record_recognition(make_institution(), level=Level.NATIONAL_CANDIDATE, effective_from=date(2016, 1, 1))
    record_recognition(make_institution(), level=Level.PROVINCIAL, effective_from=date(2016, 1, 1))
    assert totals(national_incubator_counts([2016])) == {2016: 0}


def test_as_of_counts_on_that_date_and_drops_later_years(session):
    national(make_institution(), date(2018, 4, 1))
    national(make_institution(), date(2019, 7, 1))  # after the as-of date
    national(make_institution(), date(2017, 1, 1), end=date(2019, 6, 30))  # ends on the as-of date
    rows = national_incubator_counts(range(2017, 2022), as_of=date(2019, 6, 30))
    assert totals(rows) == {2017: 1, 2018: 2, 2019: 1}


def test_as_of_after_year_end_is_the_same_as_31_december(session):
    national(make_institution(), date(2018, 4, 1), end=date(2019, 3, 1))
    assert national_incubator_counts([2018], as_of=date(2019, 12, 1)) == national_incubator_counts([2018])


def test_count_dates():
    assert count_dates([2020, 2019]) == [(2019, date(2019, 12, 31)), (2020, date(2020, 12, 31))]
    assert count_dates([2019, 2020, 2021], as_of=date(2020, 2, 29)) == [
        (2019, date(2019, 12, 31)), (2020, date(2020, 2, 29))]
    assert count_dates([2021], as_of=date(2020, 12, 31)) == []


def test_years_after_as_of_give_no_rows(session):
    assert national_incubator_counts([2021, 2022], as_of=date(2020, 12, 31)) == []


def _grouping_fixture():  # noqa: ANN202
    songshanhu = make_institution(town="songshanhu", subclass="specialised")
    dalang = make_institution(town="dalang", subclass="comprehensive")
    guancheng = make_institution(town="guancheng", subclass="comprehensive")
    national(songshanhu, date(2016, 1, 1))
    national(dalang, date(2017, 1, 1), end=date(2018, 12, 31))
    national(guancheng, date(2017, 5, 1))


def test_by_town(session):
    _grouping_fixture()
    rows = national_incubator_counts([2016, 2017, 2018], by="town")
    assert sorted((r.year, r.group, r.count) for r in rows) == [
        (2016, "songshanhu", 1),
        (2017, "dalang", 1), (2017, "guancheng", 1), (2017, "songshanhu", 1),
        (2018, "guancheng", 1), (2018, "songshanhu", 1),
    ]


def test_by_zone_counts_overlapping_zones_and_towns_outside_any_zone(session):
    _grouping_fixture()
    rows = national_incubator_counts([2017, 2018], by="zone")
    # 大朗 is in both the "1+6" area and the ring of nine towns; 莞城 is in no zone (group None)
    assert sorted(((r.year, r.group or "", r.count) for r in rows)) == [
        (2017, "", 1), (2017, "one_plus_six", 2), (2017, "songshanhu_ring", 1),
        (2018, "", 1), (2018, "one_plus_six", 1),
    ]


def test_by_subclass(session):
    _grouping_fixture()
    rows = national_incubator_counts([2017], by="subclass")
    assert sorted((r.group, r.count) for r in rows) == [("comprehensive", 2), ("specialised", 1)]


def test_unknown_grouping_is_a_wrong_call(session):
    with pytest.raises(ValueError, match="unknown grouping"):
        national_incubator_counts([2017], by="province")  # type: ignore[arg-type]


def test_plan_counts_per_category(session):
    rd = make_institution(category=CarrierType.RD_INSTITUTION, subclass="tech_innovation")
    record_recognition(rd, level=Level.MUNICIPAL, effective_from=date(2016, 1, 1))
    acc = make_institution(category=CarrierType.ACCELERATOR, subclass=None)
    record_recognition(acc, level=Level.PROVINCIAL, effective_from=date(2017, 1, 1))
    maker = make_institution(category=CarrierType.MAKER_SPACE, subclass=None)
    record_recognition(maker, level=Level.NATIONAL_FILED, effective_from=date(2016, 1, 1))
    national(make_institution(), date(2016, 6, 1), end=date(2017, 12, 31))
    make_institution()  # applicant, never recognised
    got = [(p.year, p.rd_institutions, p.incubators_incl_accelerators, p.national_incubators)
           for p in plan_counts([2015, 2016, 2017])]
    assert got == [(2015, 0, 0, 0), (2016, 1, 1, 1), (2017, 1, 1, 0)]


def test_tenants_and_graduates(session):
    from registry.institutions.operations import add_tenancy, get_or_create_firm

    carrier = make_institution()
    f1 = get_or_create_firm(name="甲", uscc=make_uscc())
    f2 = get_or_create_firm(name="乙", uscc=make_uscc())
    f3 = get_or_create_firm(name="丙", uscc=make_uscc())
    add_tenancy(carrier, f1, entered_on=date(2016, 3, 1), exited_on=date(2018, 1, 1), exit_reason="graduated",
                graduation_criterion="high_tech")
    add_tenancy(carrier, f2, entered_on=date(2017, 3, 1), exited_on=date(2017, 12, 31), exit_reason="graduated",
                graduation_criterion="revenue")
    add_tenancy(carrier, f3, entered_on=date(2017, 12, 31), exited_on=date(2018, 5, 1), exit_reason="failed")
    got = [(t.year, t.tenants, t.graduated) for t in tenancy_counts([2016, 2017, 2018])]
    # f2 left on 31 Dec 2017 (exclusive): not hosted that day, graduated in 2017; f1 graduated on 1 Jan 2018
    assert got == [(2016, 1, 0), (2017, 2, 1), (2018, 0, 1)]


def test_matches_a_python_oracle_on_random_histories(session):
    """Random revocations and re-recognitions: SQL agrees with Recognition.in_force_on per town and year."""
    rnd = random.Random(7)
    towns = ["songshanhu", "dalang", "humen", "guancheng"]
    institutions = []
    for _ in range(30):
        inst = make_institution(town=rnd.choice(towns))
        institutions.append(inst)
        start = date(2014 + rnd.randrange(6), rnd.randrange(1, 13), rnd.choice([1, 15, 28]))
        for _ in range(rnd.randrange(0, 3)):
            end = date(start.year + rnd.randrange(0, 3), 12, rnd.choice([30, 31])) if rnd.random() < 0.7 else None
            if end is not None and end <= start:
                end = None
            national(inst, start, end)
            if end is None:
                break
            start = date(end.year + rnd.randrange(0, 2), rnd.randrange(1, 13), 1)
            if start < end:
                start = end
        if rnd.random() < 0.3:
            record_recognition(inst, level=Level.PROVINCIAL, effective_from=date(2013, 1, 1))
    db.session.flush()
    expected = Counter()
    for inst in institutions:
        for year in YEARS:
            if any(r.level is Level.NATIONAL and r.in_force_on(date(year, 12, 31)) for r in inst.recognitions):
                expected[(year, inst.town.code)] += 1
    got = {(r.year, r.group): r.count for r in national_incubator_counts(YEARS, by="town")}
    assert got == dict(expected)
    assert sum(got.values()) > 20  # the scenario is not trivially empty


def test_query_is_one_statement_with_group_by(session):
    sql = str(recognised_counts_query(count_dates([2016, 2017]), categories=(CarrierType.INCUBATOR,),
                                      levels=(Level.NATIONAL,), by="town").compile(db.engine))
    assert sql.count("GROUP BY") == 1
    assert "UNION ALL" in sql
    assert "count(DISTINCT institutions.id)" in sql
