"""The tenancy summary equals a scan of the tenancies after any sequence of operations, in the same transaction."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from registry.institutions.operations import add_tenancy, end_tenancy, get_or_create_firm, update_institution
from registry.models import Institution, Tenancy, TenancyDayCount
from registry.stats.queries import tenancy_counts, tenancy_counts_scan
from registry.stats.summary import rebuild_tenancy_summary
from tests.factories import make_institution, make_uscc

YEARS = range(2014, 2022)


def both(**kwargs):  # noqa: ANN003, ANN201
    return tenancy_counts(YEARS, **kwargs), tenancy_counts_scan(YEARS, **kwargs)


def test_random_operations_keep_the_summary_equal_to_the_scan(session):
    rng = random.Random(13)
    carriers = [make_institution(category=c, subclass=s, uscc=make_uscc())
                for c, s in (("incubator", "comprehensive"), ("maker_space", None), ("accelerator", None),
                             ("incubator", "specialised"))]
    open_stays = []
    for n in range(120):
        firm = get_or_create_firm(name=f"企业{n}", uscc=make_uscc())
        entered = date(2014, 1, 1) + timedelta(days=rng.randint(0, 2500))
        if rng.random() < 0.4:  # recorded with its exit at once
            reason = rng.choice(["graduated", "moved_on", "failed"])
            add_tenancy(rng.choice(carriers), firm, entered_on=entered,
                        exited_on=entered + timedelta(days=rng.randint(0, 900)), exit_reason=reason,
                        graduation_criterion="revenue" if reason == "graduated" else None)
        else:
            open_stays.append(add_tenancy(rng.choice(carriers), firm, entered_on=entered))
    for stay in rng.sample(open_stays, 30):  # end some later, as the operation does
        reason = rng.choice(["graduated", "moved_on"])
        end_tenancy(stay, exited_on=stay.entered_on + timedelta(days=rng.randint(0, 700)), exit_reason=reason,
                    graduation_criterion="revenue" if reason == "graduated" else None)
    session.flush()
    summary, scan = both()
    assert summary == scan and summary[-1].tenants > 0 and sum(r.graduated for r in summary) > 0
    assert both(as_of=date(2019, 6, 30))[0] == both(as_of=date(2019, 6, 30))[1]
    # a carrier that changes category takes its tenants with it
    before = tenancy_counts(YEARS, categories=("accelerator",))
    update_institution(carriers[0], category="accelerator", subclass=None)
    session.flush()
    assert carriers[0].category.value == "accelerator"
    assert tenancy_counts(YEARS, categories=("accelerator",)) != before
    summary, scan = both()
    assert summary == scan
    assert tenancy_counts(YEARS, categories=("incubator",)) == tenancy_counts_scan(YEARS, categories=("incubator",))
    # deleting a tenancy through the ORM takes it out
    session.delete(open_stays[-1])
    session.flush()
    assert both()[0] == both()[1]


def test_the_summary_moves_with_the_transaction(session):
    carrier = make_institution(category="incubator", subclass="comprehensive", uscc=make_uscc())
    session.commit()
    add_tenancy(carrier, get_or_create_firm(name="回滚企业", uscc=make_uscc()), entered_on=date(2020, 3, 1))
    session.flush()
    assert tenancy_counts([2020])[0].tenants == 1
    session.rollback()
    assert tenancy_counts([2020])[0].tenants == 0 == session.scalar(select(func.count(TenancyDayCount.day)))


def test_rebuild_after_bulk_writes_equals_the_scan(session):
    carrier = make_institution(category="maker_space", subclass=None, uscc=make_uscc())
    for n in range(5):
        add_tenancy(carrier, get_or_create_firm(name=f"批量{n}", uscc=make_uscc()), entered_on=date(2018, 1, 1 + n))
    session.flush()
    session.execute(delete(Tenancy).where(Tenancy.carrier_id == carrier.id))  # bulk: bypasses the listener
    assert both()[0] != both()[1]
    rebuild_tenancy_summary(session)
    assert both()[0] == both()[1] and session.scalar(select(func.count(Institution.id))) == 1
