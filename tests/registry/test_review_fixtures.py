"""Fixtures shared by the auth, access, audit and review tests (this module holds no tests itself).

The assessment engine is merged later; until then the review workflow reads its reviewer-scored
items from a small real IndicatorSystem-shaped object built here (REVIEW_SYSTEM_LOADER), made of
the real `assessment.inputs` declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from assessment.inputs import InputDecl, InputSet
from registry.extensions import db

ITEMS = (
    InputDecl(code="rd_quality", label="研发质量", type="score", source="reviewer", min=Decimal(0), max=Decimal(10),
              help="对照年度目标评价研发产出的质量"),
    InputDecl(code="management", label="运营管理", type="score", source="reviewer", min=Decimal(0), max=Decimal(5),
              help="制度建设、服务团队与台账"),
    InputDecl(code="tenants", label="在孵企业数", type="int", source="self_report", min=Decimal(0)),
)


@dataclass(frozen=True)
class TestSystem:
    """What the review workflow reads from an indicator system: its inputs and its review policy."""

    __test__ = False  # not a test class
    input_set: InputSet
    review_policy: Any = None


def system_loader(category: str, year: int, subclass: str | None) -> TestSystem:
    """Incubators aggregate by plain mean; maker spaces declare a trimmed mean; accelerators have no system."""
    if category == "accelerator":
        raise LookupError(f"no indicator system for {category} in {year}")
    policy = {"aggregation": "trimmed_mean", "trim_from": 5, "spread_threshold": "0.3"} if category == "maker_space" else None
    return TestSystem(InputSet(ITEMS), policy)


@pytest.fixture
def app(app: Flask) -> Flask:
    """The shared app, with the test indicator systems (and a stand-in statistics page until it is merged)."""
    add_stand_ins(app)
    return app


def add_stand_ins(app: Flask) -> None:
    """Test indicator systems, a fresh `g` per request, and pages other branches build."""
    app.config["REVIEW_SYSTEM_LOADER"] = system_loader


@dataclass
class World:
    """Ids of one realistic set-up: two reviewers, an institution account, a round with sheets."""

    admin: int
    reviewer: int
    reviewer2: int
    institution_user: int
    own: int  #: the institution account's institution, assigned to `reviewer`
    other: int  #: another institution, assigned to `reviewer2`
    conflicted: int  #: same operating entity as `reviewer`'s own institution: a hard conflict
    affiliation: int  #: reviewer's employer
    round: int
    sheet: int  #: reviewer's sheet for `own`
    other_sheet: int  #: reviewer2's sheet for `other`
    conflict: int  #: a conflict reviewer declared (on `other`, waivable)
    other_conflict: int  #: a conflict reviewer2 declared
    result: int  #: the engine's result for `own`
    run: int  #: the assessment run holding `result`
    recognition: int  #: a recognition of `own`
    firm: int  #: a firm hosted by `own`
    other_firm: int  #: a firm only ever hosted by `other`
    tenancy: int  #: `firm`'s stay at `own`
    upload: int  #: a self-report file uploaded for `own` (2020), accepted as version 1
    other_upload: int  #: a file uploaded for `other`
    conflicted_upload: int  #: a file uploaded for `conflicted`


def build_world(today: date | None = None) -> World:
    """Create the world through the real operations and commit it."""
    from registry.models import AssessmentResult, AssessmentRun, CarrierType
    from registry.reviews import operations as ops
    from registry.institutions.operations import add_tenancy, get_or_create_firm, record_recognition
    from tests.factories import make_institution, make_uscc, make_user

    today = today or date.today()
    own = make_institution(name="甲孵化器", operating_entity="甲运营公司")
    other = make_institution(name="乙孵化器", operating_entity="乙运营公司")
    affiliation = make_institution(name="丙众创空间", category=CarrierType.MAKER_SPACE, subclass=None,
                                   operating_entity="丙运营公司")
    conflicted = make_institution(name="丁孵化器", operating_entity="丙运营公司")
    third = make_institution(name="戊孵化器", operating_entity="戊运营公司")
    admin = make_user("admin", username="boss")
    reviewer = make_user("reviewer", username="rev")
    reviewer.affiliation_id = affiliation.id
    reviewer2 = make_user("reviewer", username="rev2")
    institution_user = make_user("institution", username="inst", institution=own)
    rnd = ops.create_round(year=2020, category="incubator", opens_on=today - timedelta(days=1),
                           closes_on=today + timedelta(days=30))
    sheet = ops.assign(rnd, reviewer, own, by=admin)
    other_sheet = ops.assign(rnd, reviewer2, other, by=admin)
    conflict = ops.declare_conflict(reviewer, third, "曾为该机构提供咨询")
    other_conflict = ops.declare_conflict(reviewer2, conflicted, "亲属任职")
    run = AssessmentRun(year=2020, category="incubator", started_by_label="test")
    db.session.add(run)
    db.session.flush()
    result = AssessmentResult(run_id=run.id, institution_id=own.id, year=2020, category="incubator",
                              subclass="comprehensive", system_version=2019, system_sha256="0" * 64,
                              score=Decimal("82.50"), grade="B", recommendation="keep",
                              outcome=_engine_outcome(2020))
    db.session.add(result)
    recognition = record_recognition(own, level="municipal", effective_from=date(2018, 3, 1), doc_no="东科函〔2018〕1号")
    firm = get_or_create_firm(name="甲在孵企业", uscc=make_uscc())
    other_firm = get_or_create_firm(name="乙在孵企业", uscc=make_uscc())
    tenancy = add_tenancy(own, firm, entered_on=date(2019, 1, 1))
    add_tenancy(other, other_firm, entered_on=date(2019, 1, 1))
    upload, other_upload, conflicted_upload = (_stored_report(inst, 2020) for inst in (own, other, conflicted))
    db.session.commit()
    return World(admin.id, reviewer.id, reviewer2.id, institution_user.id, own.id, other.id, conflicted.id,
                 affiliation.id, rnd.id, sheet.id, other_sheet.id, conflict.id, other_conflict.id, result.id, run.id,
                 recognition.id, firm.id, other_firm.id, tenancy.id, upload.id, other_upload.id,
                 conflicted_upload.id)


def _engine_outcome(year: int) -> dict:
    """A real stored explanation: the engine's outcome for an incubator that filed no figures."""
    from assessment import Standing, evaluate, load_system

    system = load_system("incubator", year, "comprehensive")
    return evaluate(system, year, {}, standing=Standing("recognised", "municipal")).to_dict()


def _stored_report(institution, year: int):  # noqa: ANN001, ANN202
    """A (blank, so rejected) template uploaded for the institution, checked by the real operations,
    plus a version-1 report of the year so the version pages have something to show."""
    import importers
    from registry.models import SelfReport
    from registry.reports.operations import check_upload, record_outcome, store_upload

    data = importers.build_template(importers.load_spec(institution.category.value, year, institution.subclass))
    upload, _parsed = store_upload(data, f"{institution.name}-{year}.xlsx", institution=institution, year=year)
    record_outcome(upload, check_upload(upload, institution, year), year)
    db.session.add(SelfReport(institution_id=institution.id, year=year, version=1, source="manual",
                              values={}, tables={}))
    db.session.flush()
    return upload


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        return build_world()


def client_for(app: Flask, username: str, password: str = "correct horse battery"):  # noqa: ANN201
    """A test client logged in through the real login form."""
    from tests.factories import login

    client = app.test_client()
    response = login(client, username, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def audit_count() -> int:
    from sqlalchemy import func, select

    from registry.models import AuditEntry

    return db.session.scalar(select(func.count(AuditEntry.id)))
