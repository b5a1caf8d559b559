"""`fuhua demo load`: the promised shape, the registry invariants, determinism, reset, accounts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from itertools import pairwise

import pytest
from sqlalchemy import func, select
from stdnum.cn import uscc as uscc_mod

from registry.demo.accounts import DEMO_ACCOUNTS
from registry.demo.cli import load_demo
from registry.demo.dataset import CITY, NATIONAL, build_dataset, national_in_force
from registry.demo.loader import DemoDataError
from registry.demo.reviews import expert_usernames
from registry.extensions import db
from registry.models import (
    CarrierType,
    Firm,
    Institution,
    Level,
    Recognition,
    Role,
    SelfReport,
    Status,
    StatusChange,
    Tenancy,
    User,
)
from tests.factories import login, make_institution

TINY = NATIONAL.scaled(0.01, name="tiny")


def national_count(on: date) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Recognition.institution_id)))
        .join(Institution, Institution.id == Recognition.institution_id)
        .where(Recognition.level == Level.NATIONAL, Institution.category == CarrierType.INCUBATOR,
               Recognition.in_force_clause(on))
    )


def assert_registry_invariants() -> None:
    """What the operations would have enforced, checked on the rows actually written."""
    codes = list(db.session.scalars(select(Institution.uscc))) + list(db.session.scalars(select(Firm.uscc)))
    assert len(codes) == len(set(codes))
    for code in codes:
        assert uscc_mod.validate(code) == code
    assert db.session.scalar(select(func.count()).where(Institution.is_synthetic.is_(False))) == 0
    assert db.session.scalar(select(func.count()).where(Firm.is_synthetic.is_(False))) == 0

    by_inst: dict[int, list[Recognition]] = defaultdict(list)
    for rec in db.session.scalars(select(Recognition).order_by(Recognition.effective_from)):
        by_inst[rec.institution_id].append(rec)
        assert (rec.ended_on is None) == (rec.end_reason is None)
        assert rec.ended_on is None or rec.ended_on > rec.effective_from
    for recs in by_inst.values():
        for a in recs:
            for b in recs:
                if a is not b and a.level == b.level:
                    assert a.ended_on is not None and a.ended_on <= b.effective_from or \
                        b.ended_on is not None and b.ended_on <= a.effective_from, (a.id, b.id)

    latest = {}
    for change in db.session.scalars(select(StatusChange).order_by(StatusChange.effective_on, StatusChange.id)):
        latest[change.institution_id] = change.status
    for inst_id, status in db.session.execute(select(Institution.id, Institution.status)):
        assert latest[inst_id] == status

    by_firm: dict[int, list[tuple]] = defaultdict(list)
    for firm_id, entered, exited, reason, criterion in db.session.execute(
            select(Tenancy.firm_id, Tenancy.entered_on, Tenancy.exited_on, Tenancy.exit_reason,
                   Tenancy.graduation_criterion).order_by(Tenancy.firm_id, Tenancy.entered_on)):
        assert exited is None or exited >= entered
        assert (criterion is not None) == (reason is not None and reason.value == "graduated")
        by_firm[firm_id].append((entered, exited))
    for stays in by_firm.values():
        for (_, end), (start, _) in pairwise(stays):
            assert end is not None and end <= start  # one carrier at a time


def test_city_load_has_the_promised_shape(app, session) -> None:
    summary = load_demo("city", 2020, progress=False)

    per_category = dict(session.execute(select(Institution.category, func.count()).group_by(Institution.category)).all())
    assert 50 <= per_category[CarrierType.RD_INSTITUTION] <= 60
    carriers = sum(n for cat, n in per_category.items() if cat is not CarrierType.RD_INSTITUTION)
    assert 130 <= carriers <= 160
    assert per_category[CarrierType.INDUSTRIAL_PARK] >= 3
    assert session.scalar(select(func.count(func.distinct(Institution.subclass)))
                          .where(Institution.category == CarrierType.RD_INSTITUTION)) == 4
    towns = session.scalar(select(func.count(func.distinct(Institution.town_id))))
    assert towns >= 20
    assert 3000 <= session.scalar(select(func.count(Tenancy.id))) and summary.counts["firms"] >= 3000

    # the one public anchor: 23 national-level incubators in force at the end of 2020, fewer before
    assert national_count(date(2020, 12, 31)) == 23
    series = [national_count(date(y, 12, 31)) for y in range(2015, 2021)]
    assert series == sorted(series) and series[0] < 15
    assert session.scalar(select(func.count()).where(Recognition.end_reason == "revoked")) >= 2
    for reason in ("upgraded", "expired", "cascaded"):
        assert session.scalar(select(func.count()).where(Recognition.end_reason == reason)) >= 1, reason
    statuses = dict(session.execute(select(Institution.status, func.count()).group_by(Institution.status)).all())
    assert 2 <= statuses[Status.RECTIFYING] <= 8 and 2 <= statuses[Status.EXITED] <= 10
    assert all(c.reason for c in session.scalars(select(StatusChange).where(StatusChange.status == "exited")))
    docs = list(session.scalars(select(Recognition.doc_no).where(Recognition.level == Level.NATIONAL)))
    assert all(d.startswith(("国科发区〔", "国科发高〔")) and d.endswith("号") for d in docs)
    assert session.scalar(select(func.count()).where(Tenancy.exit_reason == "graduated")) > 100

    assert_registry_invariants()

    # the years' expert reviews happened: every sheet submitted, three experts per institution
    from registry.models import ReviewAssignment, ReviewRound

    rounds = set(session.execute(select(ReviewRound.year, ReviewRound.category)).all())
    for year in (2018, 2019, 2020):  # systems whose expert score is required get a round every year
        assert {(year, "rd_institution"), (year, "maker_space"), (year, "accelerator")} <= rounds
    assert (2018, "incubator") in rounds and (2019, "incubator") not in rounds  # 2019 has no expert item
    per_inst = session.execute(select(ReviewAssignment.round_id, ReviewAssignment.institution_id, func.count())
                               .group_by(ReviewAssignment.round_id, ReviewAssignment.institution_id)).all()
    assert per_inst and {n for *_k, n in per_inst} == {3}
    # the latest year's rounds are open, and the demo reviewer's sheets there are left to score
    demo_reviewer = session.scalar(select(User.id).where(User.username == "reviewer"))
    unscored = session.execute(select(ReviewAssignment.round_id, ReviewAssignment.reviewer_id)
                               .where(ReviewAssignment.status != "submitted")).all()
    assert unscored and {r for _round, r in unscored} == {demo_reviewer}
    open_rounds = set(session.scalars(select(ReviewRound.id).where(ReviewRound.year == 2020,
                                                                  ReviewRound.closes_on >= date.today())))
    assert {rnd for rnd, _r in unscored} <= open_rounds
    assert summary.counts["review_sheets"] == len(per_inst) * 3 - len(unscored)


def test_accounts_exist_and_can_log_in(app, client) -> None:
    with app.app_context():
        load_demo(TINY, 7, progress=False)
        inst_user = db.session.scalar(select(User).where(User.role == Role.INSTITUTION))
        assert inst_user.institution.category is CarrierType.INCUBATOR and inst_user.institution.is_synthetic
    for username, password, _role in DEMO_ACCOUNTS:
        response = login(client, username, password)
        assert response.status_code == 302, username
        client.post("/auth/logout")
    assert login(client, "admin", "wrong password").status_code == 401


def test_same_seed_same_data_other_seed_other_data() -> None:
    def fingerprint(ds):
        return (ds.institutions, ds.recognitions, ds.status_changes, ds.firms, ds.tenancies)

    a, b, c = build_dataset(CITY, 11), build_dataset(CITY, 11), build_dataset(CITY, 12)
    assert fingerprint(a) == fingerprint(b)
    assert [r["name"] for r in a.institutions] != [r["name"] for r in c.institutions]
    assert national_in_force(c, date(2020, 12, 31)) == 23  # the anchor holds for any seed


def test_refuses_a_non_empty_database_then_reset_replaces_the_demo(app, session) -> None:
    load_demo(TINY, 3, progress=False)
    with pytest.raises(DemoDataError, match="--reset"):
        load_demo(TINY, 3, progress=False)
    session.rollback()
    second = load_demo(TINY, 4, reset=True, progress=False)
    assert second.counts["institutions"] == session.scalar(select(func.count(Institution.id)))
    assert session.scalar(select(func.count(Firm.id))) == second.counts["firms"]
    # the demo accounts, once each (town officers: one per town the demo uses, made with its season)
    assert session.scalar(select(func.count(User.id)).where(User.role != Role.TOWN_OFFICER)) == len(
        [a for a in DEMO_ACCOUNTS if a[2] != "town_officer"]) + len(expert_usernames())
    officers = list(session.scalars(select(User.username).where(User.role == Role.TOWN_OFFICER)))
    assert "town-songshanhu" in officers and len(officers) == len(set(officers))
    assert_registry_invariants()


def test_never_mixes_demo_data_into_real_records(app, session, runner) -> None:
    make_institution(name="真实孵化器")
    session.commit()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "--reset" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["demo", "load", "--reset"])
    assert result.exit_code == 1 and "real (non-synthetic)" in result.output
    assert session.scalar(select(func.count(Institution.id))) == 1


def test_national_code_path_at_a_tiny_scale(app, session) -> None:
    summary = load_demo(TINY, 1, progress=False)
    assert summary.counts["tenancies"] == session.scalar(select(func.count(Tenancy.id))) > 1000
    assert session.scalar(select(func.count(Institution.id))) == sum(
        summary.counts[c.value] for c in CarrierType)
    assert_registry_invariants()
    # ids continue after the explicit ones (PostgreSQL sequences were moved on)
    extra = make_institution(name="之后登记的机构")
    assert extra.id > session.scalar(select(func.max(Institution.id)).where(Institution.is_synthetic.is_(True)))


def test_national_scale_carries_expert_scores_so_runs_are_complete(app, session) -> None:
    """Three submitted sheets per institution under review, written in bulk; the run then finds every expert score."""
    from registry.assessments.operations import run_assessment
    from registry.models import AssessmentResult, ReviewAssignment

    summary = load_demo(TINY, 5, progress=False)
    rd = list(session.scalars(select(Institution.id).where(Institution.category == CarrierType.RD_INSTITUTION,
                                                           Institution.status != Status.EXITED)))
    sheets = session.execute(select(ReviewAssignment.institution_id, ReviewAssignment.status, ReviewAssignment.scores)
                             .where(ReviewAssignment.institution_id.in_(rd))).all()
    assert rd and len(sheets) == 3 * len(rd) and {s.status for s in sheets} == {"submitted"}
    assert all(s.scores["expert_review_score"]["value"] for s in sheets)
    assert summary.counts["review_sheets"] == session.scalar(select(func.count(ReviewAssignment.id)))
    run = run_assessment(2020, category="rd_institution", label="test").run
    results = session.execute(select(AssessmentResult.grade, AssessmentResult.outcome)
                              .where(AssessmentResult.run_id == run.id)).all()
    assert results and all(r.grade for r in results)
    assert not [m for r in results for m in r.outcome["missing"] if m["code"] == "expert_review_score"]


def test_demo_reset_command_removes_only_synthetic_data(app, session, runner) -> None:
    load_demo(TINY, 2, progress=False)
    real = make_institution(name="真实加速器", category="accelerator", subclass=None)
    session.commit()
    result = runner.invoke(args=["demo", "reset"])
    assert result.exit_code == 0 and "institutions" in result.output
    assert list(session.scalars(select(Institution.name))) == [real.name]
    assert session.scalar(select(func.count(Firm.id))) == 0
    assert session.scalar(select(func.count(SelfReport.id))) == 0

