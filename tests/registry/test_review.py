"""The review round: conflicts, assignment, scoring sheets with optimistic locking, aggregation, sign-off."""

from __future__ import annotations

import re

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from registry.access import institutions_query
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import ConflictOfInterest, Institution, ReviewAssignment, ReviewDecision, ReviewRound, Status, User
from registry.institutions.operations import change_status
from registry.reviews import operations as ops
from registry.reviews.aggregation import aggregate
from registry.reviews.systems import ReviewPolicy
from tests.factories import make_institution, make_user
from tests.registry.test_review_fixtures import ITEMS, World, app, audit_count, client_for, world  # noqa: F401


def _get(model, id_):  # noqa: ANN001, ANN202
    db.session.expire_all()
    return db.session.get(model, id_)


def _round(**kw) -> ReviewRound:
    today = date.today()
    fields = {"year": 2020, "category": "incubator", "opens_on": today - timedelta(days=1),
              "closes_on": today + timedelta(days=10), **kw}
    return ops.create_round(**fields)


# --- conflicts of interest ------------------------------------------------------------------


@pytest.mark.parametrize("setup, kind", [
    ({"affiliation_is_target": True}, "affiliation"),
    ({"entity": "同一运营公司"}, "operating_entity"),
    ({"parent": "同一集团"}, "parent_organisation"),
])
def test_derived_conflicts_block_assignment_and_hide_the_institution(session, setup, kind):
    target = make_institution(name="目标孵化器", operating_entity=setup.get("entity", "目标运营"),
                              parent_organisation=setup.get("parent"))
    employer = target if setup.get("affiliation_is_target") else make_institution(
        name="专家单位", operating_entity=setup.get("entity", "专家单位运营"), parent_organisation=setup.get("parent"))
    reviewer = make_user("reviewer", username="rev")
    reviewer.affiliation_id = employer.id
    rnd = _round()
    assert [c.kind for c in ops.conflicts_between(reviewer, target)] == [kind]
    with pytest.raises(RegistryError, match="conflict of interest"):
        ops.assign(rnd, reviewer, target)
    assert target.id not in session.scalars(institutions_query(reviewer).with_only_columns(Institution.id)).all()
    assert session.scalar(select(ReviewAssignment)) is None


def test_declared_conflict_blocks_until_waived_with_a_reason(session):
    target = make_institution(name="目标孵化器")
    reviewer, admin = make_user("reviewer", username="rev"), make_user("admin", username="boss")
    rnd = _round()
    sheet = ops.assign(rnd, reviewer, target, by=admin)
    conflict = ops.declare_conflict(reviewer, target, "曾任该机构顾问")
    assert _get(ReviewAssignment, sheet.id) is None  # declaring withdraws the existing assignment
    with pytest.raises(RegistryError, match="conflict of interest"):
        ops.assign(rnd, reviewer, target)
    with pytest.raises(RegistryError, match="reason for waiving"):
        ops.waive_conflict(conflict, reason="  ", by=admin)
    ops.waive_conflict(conflict, reason="顾问合同已于2018年终止", by=admin)
    assert ops.assign(rnd, reviewer, target).reviewer_id == reviewer.id


def test_reviewer_declares_conflict_on_the_page(app, world: World):
    client = client_for(app, "rev2")
    page = client.get("/reviews/conflicts").get_data(as_text=True)
    assert "申报利益冲突" in page
    with app.app_context():
        other = db.session.get(Institution, world.other)
        uscc = other.uscc
    response = client.post("/reviews/conflicts", data={"institution_id": uscc, "reason": "配偶在该机构任职"},
                           follow_redirects=True)
    assert "已申报利益冲突" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ReviewAssignment, world.other_sheet) is None
        assert client.get(f"/reviews/sheets/{world.other_sheet}").status_code == 404


def test_admin_assigning_a_conflicted_reviewer_is_refused_clearly(app, world: World):
    client = client_for(app, "boss")
    with app.app_context():
        before = audit_count()
        name = db.session.get(Institution, world.conflicted).name
    response = client.post(f"/reviews/rounds/{world.round}/assign",
                           data={"reviewer_id": world.reviewer, "institution_id": name}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "存在利益冲突（同一运营主体：丙运营公司）" in text
    with app.app_context():
        assert audit_count() == before


# --- assignment -----------------------------------------------------------------------------


def test_auto_assign_balances_load_respects_cap_conflicts_and_three_years(session):
    admin = make_user("admin", username="boss")
    insts = [make_institution(name=f"孵化器{n}", operating_entity=f"运营{n}") for n in range(4)]
    r1, r2, r3 = (make_user("reviewer", username=f"r{n}") for n in range(1, 4))
    r3.affiliation_id = insts[0].id  # r3 works at institution 0
    # r1 reviewed institution 1 in 2018 and 2019
    for year in (2018, 2019):
        old = _round(year=year, opens_on=date(year + 1, 3, 1), closes_on=date(year + 1, 3, 31))
        ops.assign(old, r1, insts[1])
    rnd = _round(reviewers_per_institution=2, cap_per_reviewer=3)
    report = ops.auto_assign(rnd, by=admin)
    pairs = {(a.reviewer_id, a.institution_id) for a in session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.round_id == rnd.id))}
    assert (r3.id, insts[0].id) not in pairs
    assert (r1.id, insts[1].id) not in pairs
    loads = sorted(sum(1 for r, _ in pairs if r == u.id) for u in (r1, r2, r3))
    assert loads == [2, 3, 3]  # 8 seats wanted, 3 reviewers capped at 3: balanced
    assert report.created == 8 and report.short == []
    assert all(a.method == "auto" for a in session.scalars(select(ReviewAssignment).where(ReviewAssignment.round_id == rnd.id)))


def test_auto_assign_reports_institutions_it_cannot_staff(session):
    insts = [make_institution(name=f"孵化器{n}") for n in range(2)]
    make_user("reviewer", username="only")
    rnd = _round(reviewers_per_institution=2, cap_per_reviewer=5)
    report = ops.auto_assign(rnd)
    assert report.created == 2
    assert [(i.id, missing) for i, missing in report.short] == [(insts[0].id, 1), (insts[1].id, 1)]


def test_cap_per_reviewer_is_enforced_by_hand_too(session):
    a, b = make_institution(name="甲"), make_institution(name="乙")
    rev = make_user("reviewer", username="rev")
    rnd = _round(cap_per_reviewer=1)
    ops.assign(rnd, rev, a)
    with pytest.raises(RegistryError, match="the most this round allows"):
        ops.assign(rnd, rev, b)


# --- scoring sheets -------------------------------------------------------------------------


def test_sheet_form_is_built_from_the_systems_reviewer_items(app, world: World):
    page = client_for(app, "rev").get(f"/reviews/sheets/{world.sheet}").get_data(as_text=True)
    assert "研发质量" in page and "对照年度目标评价研发产出的质量" in page and "运营管理" in page
    assert "在孵企业数" not in page  # a self-reported input never appears on the reviewer's sheet
    assert 'name="score_rd_quality"' in page and 'name="comment_management"' in page


def _post_sheet(client, world: World, version: int, action: str = "save", **scores):  # noqa: ANN001, ANN202
    data = {"version": version, "action": action}
    for code, value in scores.items():
        data[f"score_{code}"] = value
    return client.post(f"/reviews/sheets/{world.sheet}", data=data)


def test_draft_then_submit(app, world: World):
    client = client_for(app, "rev")
    response = _post_sheet(client, world, 1, rd_quality="8.5", comment_rd_quality="扎实")
    assert response.status_code == 302
    response = _post_sheet(client, world, 2, action="submit", rd_quality="8.5")
    assert response.status_code == 422
    assert "提交前请为所有项目评分；尚未评分：运营管理" in response.get_data(as_text=True)
    response = _post_sheet(client, world, 2, action="submit", rd_quality="8.5", management="4")
    assert response.status_code == 302
    with app.app_context():
        sheet = _get(ReviewAssignment, world.sheet)
        assert (sheet.status, sheet.value("rd_quality"), sheet.value("management"), sheet.version) == (
            "submitted", Decimal("8.5"), Decimal("4"), 3)
    response = _post_sheet(client, world, 3, rd_quality="1", management="1")
    assert "该评分表已提交" in response.get_data(as_text=True)


def test_score_outside_the_scale_is_refused_and_nothing_saved(app, world: World):
    client = client_for(app, "rev")
    response = _post_sheet(client, world, 1, rd_quality="11", management="3")
    assert response.status_code == 422
    assert "请输入 0 至 10 之间的分数" in response.get_data(as_text=True)
    with app.app_context():
        sheet = _get(ReviewAssignment, world.sheet)
        assert sheet.scores == {} and sheet.version == 1
    with app.app_context(), pytest.raises(RegistryError, match="outside the scale 0–5"):
        ops.save_sheet(_get(ReviewAssignment, world.sheet), values={"management": Decimal("5.5")}, comments={},
                       expected_version=1, items=ITEMS[:2])


def test_saving_after_the_round_closed_is_refused(app, world: World):
    with app.app_context():
        rnd = _get(ReviewRound, world.round)
        rnd.closes_on = date.today() - timedelta(days=1)
        db.session.commit()
    response = _post_sheet(client_for(app, "rev"), world, 1, rd_quality="5")
    assert response.status_code == 422
    assert "评审已截止" in response.get_data(as_text=True)
    with app.app_context():
        assert _get(ReviewAssignment, world.sheet).scores == {}


def test_second_editor_is_refused_with_a_view_of_what_changed(app, world: World):
    tab_one, tab_two = client_for(app, "rev"), client_for(app, "rev")
    tab_one.get(f"/reviews/sheets/{world.sheet}")
    tab_two.get(f"/reviews/sheets/{world.sheet}")  # both opened version 1
    assert _post_sheet(tab_one, world, 1, rd_quality="9", management="4").status_code == 302
    response = _post_sheet(tab_two, world, 1, rd_quality="3", management="4")
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "已有他人保存了该表" in text and "变更对照" in text
    assert 'name="version" type="hidden" value="2"' in text  # saving again now goes over what they have seen
    with app.app_context():
        sheet = _get(ReviewAssignment, world.sheet)
        assert sheet.value("rd_quality") == Decimal("9") and sheet.version == 2


def test_admin_reopens_a_submitted_sheet(app, world: World):
    rev = client_for(app, "rev")
    _post_sheet(rev, world, 1, action="submit", rd_quality="7", management="3")
    admin = client_for(app, "boss")
    assert admin.post(f"/reviews/sheets/{world.sheet}", data={"version": 2}).status_code == 403  # admins read, never score
    admin.post(f"/reviews/sheets/{world.sheet}/reopen")
    with app.app_context():
        assert _get(ReviewAssignment, world.sheet).status == "draft"
    assert _post_sheet(rev, world, 3, rd_quality="8", management="3").status_code == 302


def _concurrent_saves(app, world: World) -> list[str]:  # noqa: ANN001
    """Two threads, two connections, both read version 1 and save; report what each got."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(value: str) -> None:
        with app.app_context():
            sheet = db.session.get(ReviewAssignment, world.sheet)
            _ = sheet.round, sheet.version  # loaded before the other thread writes
            barrier.wait()
            try:
                ops.save_sheet(sheet, values={"rd_quality": value, "management": "1"}, comments={},
                               expected_version=1, items=ITEMS[:2])
                db.session.commit()
                outcomes.append(f"saved {value}")
            except ops.EditConflict:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(v,)) for v in ("2", "9")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_concurrent_saves_never_lose_one_silently(app, world: World):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs concurrent writers: run with FUHUA_TEST_DATABASE_URL=postgresql+psycopg://… "
                        "(SQLite serialises writers with a database lock, so there is no race to show)")
    outcomes = _concurrent_saves(app, world)
    assert sorted(o.split()[0] for o in outcomes) == ["refused", "saved"]
    with app.app_context():
        sheet = _get(ReviewAssignment, world.sheet)
        winner = next(o.split()[1] for o in outcomes if o.startswith("saved"))
        assert sheet.version == 2 and sheet.value("rd_quality") == Decimal(winner)
        from registry.audit import verify_chain

        assert verify_chain(db.session).ok


# --- aggregation ----------------------------------------------------------------------------


def test_mean_trimmed_mean_and_spread():
    scores = [Decimal(v) for v in ("6", "7", "7", "8", "10")]
    mean = aggregate("x", scores, ReviewPolicy(), Decimal(10))
    assert (mean.value, mean.method, mean.spread, mean.discuss) == (Decimal("7.60"), "mean", Decimal(4), True)
    trimmed = aggregate("x", scores, ReviewPolicy(aggregation="trimmed_mean"), Decimal(10))
    assert (trimmed.value, trimmed.method) == (Decimal("7.33"), "trimmed_mean")
    assert trimmed.source_text == "专家评审：5 位专家，截尾平均（去掉一个最高分和一个最低分）"
    four = aggregate("x", scores[:4], ReviewPolicy(aggregation="trimmed_mean"), Decimal(10))
    assert (four.value, four.method, four.discuss) == (Decimal("7.00"), "mean", False)  # < 5 scores: no trimming
    assert aggregate("x", [Decimal(3), Decimal(6)], ReviewPolicy(), Decimal(10)).discuss is False  # 3 = 0.3 × 10
    with pytest.raises(ValueError):
        ReviewPolicy.from_system(type("S", (), {"review_policy": {"aggregation": "median"}})())


def test_aggregated_inputs_count_only_submitted_sheets_and_name_no_one(session):
    space = make_institution(name="众创空间", category="maker_space", subclass=None)
    rnd = _round(category="maker_space")
    reviewers = [make_user("reviewer", username=f"r{n}") for n in range(6)]
    for n, (rev, score) in enumerate(zip(reviewers, ("6", "7", "7", "8", "10", "1"))):
        sheet = ops.assign(rnd, rev, space)
        ops.save_sheet(sheet, values={"rd_quality": score, "management": "3"}, comments={}, expected_version=1,
                       submit=n < 5, items=ITEMS[:2])
    inputs = ops.aggregated_reviewer_inputs(rnd, space)
    assert inputs == {
        "rd_quality": (Decimal("7.33"), "专家评审：5 位专家，截尾平均（去掉一个最高分和一个最低分）"),
        "management": (Decimal("3.00"), "专家评审：5 位专家，截尾平均（去掉一个最高分和一个最低分）"),
    }
    assert ops.institution_scores(rnd, space).discuss is True  # 10 − 6 = 4 > 0.3 × 10


def test_reviewer_inputs_for_year_match_the_per_institution_aggregation(session):
    space = make_institution(name="众创空间", category="maker_space", subclass=None)
    drafted = make_institution(name="草稿众创空间", category="maker_space", subclass=None)
    incubator = make_institution(name="孵化器")
    ms_round, inc_round = _round(category="maker_space"), _round(category="incubator")
    earlier = _round(category="incubator", year=2019)
    reviewers = [make_user("reviewer", username=f"r{n}") for n in range(6)]
    for n, (rev, score) in enumerate(zip(reviewers, ("6", "7", "7", "8", "10", "1"))):
        ops.save_sheet(ops.assign(ms_round, rev, space), values={"rd_quality": score, "management": "3"}, comments={},
                       expected_version=1, submit=n < 5, items=ITEMS[:2])
    for rev, score in zip(reviewers, ("4", "5")):
        ops.save_sheet(ops.assign(inc_round, rev, incubator), values={"rd_quality": score, "management": "2"},
                       comments={}, expected_version=1, submit=True, items=ITEMS[:2])
    ops.save_sheet(ops.assign(earlier, reviewers[5], incubator), values={"rd_quality": "9", "management": "5"},
                   comments={}, expected_version=1, submit=True, items=ITEMS[:2])  # another year: not counted
    ops.save_sheet(ops.assign(ms_round, reviewers[0], drafted), values={"rd_quality": "9", "management": "5"},
                   comments={}, expected_version=1, submit=False, items=ITEMS[:2])  # a draft: not counted

    bulk = ops.reviewer_inputs_for_year(2020)
    assert bulk == {space.id: ops.aggregated_reviewer_inputs(ms_round, space),
                    incubator.id: ops.aggregated_reviewer_inputs(inc_round, incubator)}
    assert bulk[space.id]["rd_quality"] == (Decimal("7.33"), "专家评审：5 位专家，截尾平均（去掉一个最高分和一个最低分）")
    assert bulk[incubator.id] == {"rd_quality": (Decimal("4.50"), "专家评审：2 位专家，平均"),
                                  "management": (Decimal("2.00"), "专家评审：2 位专家，平均")}
    assert ops.reviewer_inputs_for_year(2020, {incubator.id, drafted.id}) == {incubator.id: bulk[incubator.id]}
    assert ops.reviewer_inputs_for_year(2019) == {incubator.id: ops.aggregated_reviewer_inputs(earlier, incubator)}
    assert ops.reviewer_inputs_for_year(2021) == {}


def test_missing_indicator_system_is_reported_not_crashed(app, session):
    accel = make_institution(name="加速器", category="accelerator", subclass=None)
    with pytest.raises(RegistryError, match="no items for reviewers to score"):
        _round(category="accelerator")  # create_round refuses it; a round stored before that rule still reports clearly
    today = date.today()
    rnd = ReviewRound(year=2020, category="accelerator", opens_on=today, closes_on=today)
    session.add(rnd)
    session.flush()
    with pytest.raises(RegistryError, match="No indicator system applies to accelerator"):
        ops.institution_scores(rnd, accel)


# --- decisions, sign-off, publication -------------------------------------------------------


def _submit(world: World, sheet_id: int, q: str, m: str) -> None:
    sheet = db.session.get(ReviewAssignment, sheet_id)
    ops.save_sheet(sheet, values={"rd_quality": q, "management": m}, comments={}, expected_version=sheet.version,
                   submit=True, items=ITEMS[:2])


def test_decision_beside_recommendation_needs_reason_to_differ(app, world: World):
    with app.app_context():
        _submit(world, world.sheet, "8", "4")
        db.session.commit()
    admin = client_for(app, "boss")
    page = admin.get(f"/reviews/rounds/{world.round}/institutions/{world.own}").get_data(as_text=True)
    assert "系统建议" in page and "82.50" in page and "专家评审：1 位专家，平均" in page and "rev" in page
    response = admin.post(f"/reviews/rounds/{world.round}/institutions/{world.own}", data={"decision": "rectify"})
    assert response.status_code == 422
    assert "该决定与系统建议（keep）不同：请填写理由" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ReviewDecision)) is None
    response = admin.post(f"/reviews/rounds/{world.round}/institutions/{world.own}",
                          data={"decision": "rectify", "reason": "台账不全，需限期整改"})
    assert response.status_code == 302
    with app.app_context():
        d = db.session.scalar(select(ReviewDecision))
        assert (d.decision, d.recommendation, d.grade, d.is_signed) == ("rectify", "keep", "B", False)
        assert d.reviewer_scores["rd_quality"]["source"] == "专家评审：1 位专家，平均"


def test_publishing_needs_every_decision_signed_then_changes_status_and_shows_results(app, world: World):
    with app.app_context():
        admin = db.session.get(User, world.admin)
        rnd, own, other = (db.session.get(ReviewRound, world.round), db.session.get(Institution, world.own),
                           db.session.get(Institution, world.other))
        for inst in (own, other):
            if inst.status is not Status.RECOGNISED:  # `own` holds a municipal recognition already
                change_status(inst, Status.RECOGNISED, effective_on=date.today(), reason="recognised")
        _submit(world, world.sheet, "8", "4")
        _submit(world, world.other_sheet, "3", "1")
        ops.record_decision(rnd, own, decision="keep", reason=None, by=admin)
        ops.record_decision(rnd, other, decision="exit", reason="连续两年不合格", by=admin,
                            override_reason="该机构未报送年度数据，依规直接退出")
        db.session.commit()

    client = client_for(app, "boss")
    with app.app_context():
        before = audit_count()
    response = client.post(f"/reviews/rounds/{world.round}/publish", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "发布前所有决定都必须记录并签署；尚未完成：" in text and "乙孵化器、甲孵化器" in text
    with app.app_context():
        assert audit_count() == before and _get(ReviewRound, world.round).published_at is None
        assert _get(Institution, world.other).status is Status.RECOGNISED

    for inst_id in (world.own, world.other):
        client.post(f"/reviews/rounds/{world.round}/institutions/{inst_id}/sign")
    response = client.post(f"/reviews/rounds/{world.round}/publish", follow_redirects=True)
    assert "2020 年度结果已发布" in response.get_data(as_text=True)
    with app.app_context():
        other = _get(Institution, world.other)
        assert other.status is Status.EXITED
        assert other.status_changes[-1].reason == "2020年度考核：退出"
        assert _get(Institution, world.own).status is Status.RECOGNISED
        with pytest.raises(RegistryError, match="has been published"):
            ops.record_decision(_get(ReviewRound, world.round), _get(Institution, world.own), decision="exit",
                                reason="x", by=_get(User, world.admin))

    mine = client_for(app, "inst").get("/reviews/my-results").get_data(as_text=True)
    assert "甲孵化器" in mine and "保留" in mine and "82.50" in mine and "专家评审：1 位专家，平均" in mine
    assert "乙孵化器" not in mine  # never another institution
    assert re.search(r"\brev\b", mine) is None  # never who scored (the reviewer's username)


def test_unpublished_results_are_not_shown_to_institutions(app, world: World):
    with app.app_context():
        ops.record_decision(_get(ReviewRound, world.round), _get(Institution, world.own), decision="keep", reason=None,
                            by=_get(User, world.admin), override_reason="专家评分延后，先行记录")
        db.session.commit()
    page = client_for(app, "inst").get("/reviews/my-results").get_data(as_text=True)
    assert "尚无已发布的结果" in page


def test_reviewers_see_only_their_own_sheets_listed(app, world: World):
    page = client_for(app, "rev").get("/reviews/").get_data(as_text=True)
    assert "甲孵化器" in page and "乙孵化器" not in page


def test_conflict_model_requires_reason_for_waiver(session):
    """The database itself refuses a waiver without a reason."""
    inst = make_institution()
    rev = make_user("reviewer", username="rev")
    c = ConflictOfInterest(reviewer_id=rev.id, institution_id=inst.id, reason="x", waived_at=date.today())
    session.add(c)
    with pytest.raises(Exception, match="(?i)check|constraint"):
        session.flush()
    session.rollback()


def test_an_institution_is_named_by_credit_code_or_name_and_an_unknown_one_is_said_so(app, world: World):
    client = client_for(app, "boss")
    response = client.post(f"/reviews/rounds/{world.round}/assign",
                           data={"reviewer_id": world.reviewer2, "institution_id": "不存在的机构"}, follow_redirects=True)
    assert "没有统一社会信用代码或全称为“不存在的机构”的机构" in response.get_data(as_text=True)
    page = client.get(f"/reviews/rounds/{world.round}").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="institution_id"', page) and not re.search(r'<select[^>]*name="institution_id"', page)


def test_the_round_page_is_paged(app, world: World, monkeypatch):
    from registry.reviews import views as review_views

    monkeypatch.setattr(review_views, "ROUND_PAGE", 1)
    client = client_for(app, "boss")
    with app.app_context():
        names = sorted(db.session.scalars(select(Institution.name).join(
            ReviewAssignment, ReviewAssignment.institution_id == Institution.id)
            .where(ReviewAssignment.round_id == world.round).distinct()))
    assert len(names) >= 2
    shown = []
    for page in range(1, len(names) + 1):
        html = client.get(f"/reviews/rounds/{world.round}?page={page}").get_data(as_text=True)
        assert f"第 {page} 页，共 {len(names)} 页" in html
        shown += [n for n in names if f">{n}</a>" in html]
    assert shown == names  # each institution on exactly one page, in name order
