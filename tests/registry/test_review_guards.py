"""The review workflow's guards: a round needs something to score, a sheet is submitted whole,
and a decision waits for every sheet and the year's result unless overridden with a reason."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from assessment.inputs import InputSet
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import AuditEntry, ReviewAssignment, ReviewDecision, ReviewRound
from registry.reviews import operations as ops
from tests.registry.test_review_fixtures import ITEMS, TestSystem, World, app, audit_count, client_for, world  # noqa: F401


def _get(model, id_):  # noqa: ANN001, ANN202
    db.session.expire_all()
    return db.session.get(model, id_)


def _field_block(page: str, name: str) -> str:
    """The rendered form field (label, input and its errors) whose input is named `name`."""
    start = page.rindex('<div class="field', 0, page.index(f'name="{name}"'))
    return page[start:page.index('<div class="field', start + 1) if '<div class="field' in page[start + 1:] else None]


# --- rounds need reviewer-scored items ------------------------------------------------------


def _only_maker_spaces_are_scored(category: str, year: int, subclass: str | None) -> TestSystem:
    """Incubators' systems hold self-reported figures only (as the 2019 incubator systems do); maker spaces' have items."""
    if category == "maker_space":
        return TestSystem(InputSet(ITEMS))
    return TestSystem(InputSet(tuple(d for d in ITEMS if d.source != "reviewer")))


def _new_round(client, category: str):  # noqa: ANN001, ANN202
    today = date.today()
    return client.post("/reviews/rounds/new", data={
        "year": "2021", "category": category, "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=20)).isoformat(), "cap_per_reviewer": "12",
        "reviewers_per_institution": "3"})


def test_a_round_for_a_system_with_nothing_to_score_is_refused_on_the_category_field(app, world: World):
    app.config["REVIEW_SYSTEM_LOADER"] = _only_maker_spaces_are_scored
    client = client_for(app, "boss")
    with app.app_context():
        before = audit_count()
    response = _new_round(client, "incubator")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    category = _field_block(page, "category")
    assert "该类别 2021 年度适用的指标体系没有专家评分项目：评审轮次将无项目可评。" in category
    assert re.search(r'<option selected value="incubator">|<option value="incubator" selected', category)  # kept as filled in
    with app.app_context():
        assert db.session.scalar(select(ReviewRound).where(ReviewRound.year == 2021)) is None
        assert audit_count() == before

    response = _new_round(client, "maker_space")
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(ReviewRound).where(ReviewRound.year == 2021))
        assert (created.category, created.year) == ("maker_space", 2021)


@pytest.mark.parametrize("category", ["incubator", "maker_space", "accelerator"])
def test_against_the_stored_systems_a_round_is_created_exactly_when_reviewers_have_items(app, session, category):
    """The stored indicator systems, not a stand-in: (in 2026) the incubator systems from 2019 hold no
    reviewer-scored items, so their round is refused; maker spaces' and accelerators' have one."""
    import assessment

    app.config["REVIEW_SYSTEM_LOADER"] = None  # the engine's own loader
    scored = any(d.type == "score" for sub in assessment.SUBCLASSES.get(category, (None,))
                 for d in assessment.load_system(category, 2021, sub).input_set.reviewer_scored())
    today = date.today()
    if scored:
        assert ops.create_round(year=2021, category=category, opens_on=today, closes_on=today).category == category
    else:
        with pytest.raises(RegistryError, match="no items for reviewers to score"):
            ops.create_round(year=2021, category=category, opens_on=today, closes_on=today)
        assert session.scalar(select(ReviewRound)) is None


# --- a sheet is submitted whole -------------------------------------------------------------


def _post(client, world: World, version: int, action: str, **scores):  # noqa: ANN001, ANN202
    return client.post(f"/reviews/sheets/{world.sheet}", data={
        "version": version, "action": action, **{f"score_{code}": v for code, v in scores.items()}})


def test_submitting_with_blank_items_names_each_returns_422_and_writes_nothing(app, world: World):
    client = client_for(app, "rev")
    with app.app_context():
        before = audit_count()
    response = _post(client, world, 1, "submit")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "提交前请为所有项目评分；尚未评分：研发质量、运营管理" in page
    assert "提交前请为此项评分。" in _field_block(page, "score_rd_quality")
    assert "提交前请为此项评分。" in _field_block(page, "score_management")
    with app.app_context():
        sheet = _get(ReviewAssignment, world.sheet)
        assert (sheet.status, sheet.scores, sheet.version, sheet.submitted_at) == ("draft", {}, 1, None)
        assert audit_count() == before

    # a draft with blanks still saves
    assert _post(client, world, 1, "save", rd_quality="7").status_code == 302
    with app.app_context():
        sheet = _get(ReviewAssignment, world.sheet)
        assert (sheet.status, sheet.value("rd_quality"), sheet.value("management"), sheet.version) == (
            "draft", 7, None, 2)

    response = _post(client, world, 2, "submit", rd_quality="7")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "尚未评分：运营管理" in page and "尚未评分：研发质量" not in page
    assert "提交前请为此项评分。" not in _field_block(page, "score_rd_quality")
    assert "提交前请为此项评分。" in _field_block(page, "score_management")
    with app.app_context():
        assert (_get(ReviewAssignment, world.sheet).status, _get(ReviewAssignment, world.sheet).version) == ("draft", 2)


def test_a_sheet_with_no_items_cannot_be_submitted_but_a_draft_saves(app, world: World):
    with app.app_context():
        sheet = _get(ReviewAssignment, world.sheet)
        with pytest.raises(RegistryError, match="no items to score"):
            ops.save_sheet(sheet, values={}, comments={}, expected_version=1, submit=True, items=())
        db.session.rollback()
        sheet = _get(ReviewAssignment, world.sheet)
        assert sheet.status == "draft"
        ops.save_sheet(sheet, values={}, comments={}, expected_version=1, items=())
        db.session.commit()
        assert _get(ReviewAssignment, world.sheet).status == "draft"


# --- a decision waits for every sheet and the result, or says why not -----------------------


def _decide(client, world: World, inst: int, **data):  # noqa: ANN001, ANN202
    return client.post(f"/reviews/rounds/{world.round}/institutions/{inst}", data=data)


def _submit(world: World, sheet_id: int) -> None:
    sheet = db.session.get(ReviewAssignment, sheet_id)
    ops.save_sheet(sheet, values={"rd_quality": "8", "management": "4"}, comments={},
                   expected_version=sheet.version, submit=True, items=ITEMS[:2])


def test_a_decision_with_an_unsubmitted_sheet_needs_an_override_reason_stored_audited_and_shown(app, world: World):
    admin = client_for(app, "boss")
    url = f"/reviews/rounds/{world.round}/institutions/{world.own}"
    page = admin.get(url).get_data(as_text=True)
    assert "尚不具备决定条件：已分配的 1 份评分表中有 1 份未提交" in page
    assert 'name="override_reason"' in page

    with app.app_context():
        before = audit_count()
    response = _decide(admin, world, world.own, decision="keep")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "已分配的 1 份评分表中有 1 份尚未提交：请等待提交，或填写理由后仍作决定。" in _field_block(page, "override_reason")
    with app.app_context():
        assert db.session.scalar(select(ReviewDecision)) is None and audit_count() == before

    response = _decide(admin, world, world.own, decision="keep", override_reason="  专家因病无法按期评分，局务会同意先行决定  ")
    assert response.status_code == 302
    with app.app_context():
        d = db.session.scalar(select(ReviewDecision))
        assert (d.decision, d.override_reason, d.override_gaps) == (
            "keep", "专家因病无法按期评分，局务会同意先行决定", {"unsubmitted": 1, "assigned": 1})
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "review_decisions")
                                  .order_by(AuditEntry.id.desc()))
        assert (entry.action, entry.after["override_reason"]) == ("insert", "专家因病无法按期评分，局务会同意先行决定")

    admin.post(f"{url}/sign")
    page = admin.get(url).get_data(as_text=True)
    override = re.search(r'<div class="flash flash-warning" id="override">(.*?)</div>', page, re.S).group(1)
    assert "越过未完成事项作出的决定" in override and "已分配的 1 份评分表中有 1 份未提交" in override
    assert "越过理由：专家因病无法按期评分，局务会同意先行决定" in override
    with app.app_context():
        assert db.session.scalar(select(ReviewDecision)).is_signed


def test_a_decision_without_the_years_result_is_refused_unless_overridden(app, world: World):
    with app.app_context():
        _submit(world, world.other_sheet)  # every sheet in: only the result is missing
        db.session.commit()
    admin = client_for(app, "boss")
    page = admin.get(f"/reviews/rounds/{world.round}/institutions/{world.other}").get_data(as_text=True)
    assert "尚不具备决定条件：本年度尚无考核结果" in page and "未提交" not in page

    response = _decide(admin, world, world.other, decision="exit", reason="连续两年未报送")
    assert response.status_code == 422
    assert "2020 年度尚无考核结果：请先运行考核，或填写理由后仍作决定。" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ReviewDecision)) is None

    response = _decide(admin, world, world.other, decision="exit", reason="连续两年未报送",
                       override_reason="该机构未报送数据，无法运行考核")
    assert response.status_code == 302
    with app.app_context():
        d = db.session.scalar(select(ReviewDecision))
        assert (d.override_gaps, d.recommendation, d.override_reason) == ({"no_result": True}, None, "该机构未报送数据，无法运行考核")


def test_a_complete_decision_needs_no_override_and_signing_rechecks_the_sheets(app, world: World):
    with app.app_context():
        _submit(world, world.sheet)
        db.session.commit()
    admin = client_for(app, "boss")
    url = f"/reviews/rounds/{world.round}/institutions/{world.own}"
    page = admin.get(url).get_data(as_text=True)
    assert "尚不具备决定条件" not in page and 'name="override_reason"' not in page
    assert _decide(admin, world, world.own, decision="keep", override_reason="无需").status_code == 302
    with app.app_context():
        d = db.session.scalar(select(ReviewDecision))
        assert (d.override_reason, d.override_gaps) == (None, None)  # nothing was overridden

    admin.post(f"/reviews/sheets/{world.sheet}/reopen")  # a sheet goes back to draft after the decision
    page = admin.post(f"{url}/sign", follow_redirects=True).get_data(as_text=True)
    assert "已分配的 1 份评分表中有 1 份尚未提交：请等待提交，或填写理由后仍作决定。" in page
    with app.app_context():
        assert not db.session.scalar(select(ReviewDecision)).is_signed
