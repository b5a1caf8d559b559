"""Operations invariants: dated recognitions (half-open), status history, tenancies along the chain."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.institutions import operations as ops
from registry.institutions.messages import OPERATION_MESSAGES
from registry.institutions.queries import RegistryFilters, registry_select
from registry.models import CarrierType, Institution, Level, Recognition, Status, StatusChange, Tenancy
from tests.factories import make_uscc
from tests.registry.test_institutions_support import institution

ROOT = Path(__file__).resolve().parents[2]


def _level_in_sql(inst: Institution, on: date) -> str:
    """The level the list's SQL filter assigns on `on` (NO_LEVEL = 'none')."""
    for level in [*(lv.value for lv in Level), "none"]:
        ids = db.session.scalars(registry_select(RegistryFilters(level=level), on=on)
                                 .with_only_columns(Institution.id)).all()
        if inst.id in ids:
            return level
    raise AssertionError("institution matched no level")


def test_same_level_recognitions_touching_at_the_boundary_do_not_overlap(session):
    inst = institution()
    ops.record_recognition(inst, level="provincial", effective_from=date(2018, 1, 1), ended_on=date(2020, 1, 1),
                           end_reason="expired")
    ops.record_recognition(inst, level="provincial", effective_from=date(2020, 1, 1))
    session.commit()
    assert [(r.effective_from, r.ended_on) for r in inst.recognitions] == [
        (date(2018, 1, 1), date(2020, 1, 1)), (date(2020, 1, 1), None)]
    assert inst.level_on(date(2019, 12, 31)) is Level.PROVINCIAL
    assert inst.level_on(date(2020, 1, 1)) is Level.PROVINCIAL


def test_same_level_overlap_by_one_day_is_rejected_and_names_the_other(session):
    inst = institution()
    ops.record_recognition(inst, level="provincial", effective_from=date(2018, 1, 1), ended_on=date(2020, 1, 2),
                           end_reason="expired")
    with pytest.raises(RegistryError) as caught:
        ops.record_recognition(inst, level="provincial", effective_from=date(2020, 1, 1))
    assert caught.value.field == "effective_from"
    assert caught.value.params["start"] == date(2018, 1, 1)
    assert caught.value.params["end"] == date(2020, 1, 2)


def test_open_recognition_blocks_a_later_one_of_the_same_level(session):
    inst = institution()
    ops.record_recognition(inst, level="national", effective_from=date(2020, 1, 1))
    with pytest.raises(RegistryError, match="since 2020-01-01"):
        ops.record_recognition(inst, level="national", effective_from=date(2023, 1, 1))


def test_different_levels_may_overlap(session):
    inst = institution()
    ops.record_recognition(inst, level="provincial", effective_from=date(2018, 1, 1))
    ops.record_recognition(inst, level="national", effective_from=date(2020, 1, 1))
    assert inst.level_on(date(2019, 6, 1)) is Level.PROVINCIAL
    assert inst.level_on(date(2021, 6, 1)) is Level.NATIONAL


def test_recognised_on_31_december_is_in_force_that_day(session):
    inst = institution()
    ops.record_recognition(inst, level="national", effective_from=date(2019, 12, 31))
    session.commit()
    assert inst.level_on(date(2019, 12, 30)) is None
    assert inst.level_on(date(2019, 12, 31)) is Level.NATIONAL
    assert _level_in_sql(inst, date(2019, 12, 30)) == "none"
    assert _level_in_sql(inst, date(2019, 12, 31)) == "national"


def test_revoked_on_31_december_is_not_in_force_that_day(session):
    inst = institution()
    rec = ops.record_recognition(inst, level="national", effective_from=date(2017, 3, 1))
    ops.end_recognition(rec, ended_on=date(2019, 12, 31), reason="revoked", doc_no="国科发区〔2019〕1号")
    session.commit()
    assert inst.level_on(date(2019, 12, 30)) is Level.NATIONAL
    assert inst.level_on(date(2019, 12, 31)) is None
    assert _level_in_sql(inst, date(2019, 12, 30)) == "national"
    assert _level_in_sql(inst, date(2019, 12, 31)) == "none"
    assert session.get(Recognition, rec.id).end_doc_no == "国科发区〔2019〕1号"


def test_revoked_then_recognised_again(session):
    inst = institution()
    first = ops.record_recognition(inst, level="national", effective_from=date(2016, 1, 1))
    ops.end_recognition(first, ended_on=date(2018, 7, 1), reason="revoked")
    ops.record_recognition(inst, level="provincial", effective_from=date(2017, 1, 1))
    ops.record_recognition(inst, level="national", effective_from=date(2021, 1, 1))
    session.commit()
    expected = {date(2017, 6, 1): "national", date(2018, 7, 1): "provincial", date(2020, 12, 31): "provincial",
                date(2021, 1, 1): "national", date(2015, 12, 31): "none"}
    for on, level in expected.items():
        assert _level_in_sql(inst, on) == level, on
        assert (inst.level_on(on).value if inst.level_on(on) else "none") == level, on


def test_end_recognition_rejections(session):
    inst = institution()
    rec = ops.record_recognition(inst, level="municipal", effective_from=date(2019, 5, 1))
    with pytest.raises(RegistryError) as before:
        ops.end_recognition(rec, ended_on=date(2019, 5, 1), reason="revoked")
    assert before.value.field == "ended_on"
    with pytest.raises(RegistryError) as no_reason:
        ops.end_recognition(rec, ended_on=date(2020, 5, 1), reason="")
    assert no_reason.value.field == "reason"
    ops.end_recognition(rec, ended_on=date(2020, 5, 1), reason="expired")
    with pytest.raises(RegistryError, match="already ended"):
        ops.end_recognition(rec, ended_on=date(2021, 5, 1), reason="revoked")


def test_recording_an_ended_recognition_needs_a_reason(session):
    inst = institution()
    with pytest.raises(RegistryError) as caught:
        ops.record_recognition(inst, level="provincial", effective_from=date(2018, 1, 1), ended_on=date(2019, 1, 1))
    assert caught.value.field == "end_reason"
    assert session.scalars(select(Recognition)).all() == []


def test_backfilled_recognition_keeps_status_history_in_order(session):
    """Registered today, then a 2018 recognition is entered: the status step cannot precede registration."""
    inst = ops.register_institution(name="补录孵化器", uscc=make_uscc(), category="incubator", subclass="comprehensive",
                                    town="dalang", status_on=date(2024, 3, 1))
    rec = ops.record_recognition(inst, level="provincial", effective_from=date(2018, 1, 1))
    session.commit()
    steps = session.scalars(select(StatusChange).where(StatusChange.institution_id == inst.id)
                            .order_by(StatusChange.id)).all()
    assert [(s.status, s.effective_on) for s in steps] == [
        (Status.APPLICANT, date(2024, 3, 1)), (Status.RECOGNISED, date(2024, 3, 1))]
    assert rec.effective_from == date(2018, 1, 1)
    assert inst.status is Status.RECOGNISED


def test_recognition_promotes_an_applicant_on_its_date(session):
    inst = institution()
    ops.record_recognition(inst, level="provincial", effective_from=date(2018, 4, 1))
    assert inst.status is Status.RECOGNISED
    assert inst.status_changes[-1].effective_on == date(2018, 4, 1)


def test_exit_requires_a_reason_and_a_forward_date(session):
    inst = institution()
    with pytest.raises(RegistryError) as no_reason:
        ops.change_status(inst, "exited", effective_on=date(2021, 1, 1), reason="  ")
    assert no_reason.value.field == "reason"
    with pytest.raises(RegistryError) as backwards:
        ops.change_status(inst, "exited", effective_on=date(2009, 1, 1), reason="closed")
    assert backwards.value.field == "effective_on"
    ops.change_status(inst, "exited", effective_on=date(2021, 1, 1), reason="连续两年考核不合格")
    assert inst.status is Status.EXITED


def test_duplicate_credit_code_on_edit_names_the_holder_and_flushes_nothing(session):
    first = institution(name="甲孵化器")
    second = institution(name="乙孵化器")
    session.commit()
    with pytest.raises(RegistryError) as caught:
        ops.update_institution(second, uscc=first.uscc)
    assert caught.value.params["name"] == "甲孵化器"
    session.rollback()
    assert session.get(Institution, second.id).uscc != first.uscc


def _chain(session):
    maker = institution(name="创客空间", category=CarrierType.MAKER_SPACE, subclass=None)
    incubator = institution(name="孵化器A")
    accelerator = institution(name="加速器A", category=CarrierType.ACCELERATOR, subclass=None)
    park = institution(name="产业园A", category=CarrierType.INDUSTRIAL_PARK, subclass=None)
    return maker, incubator, accelerator, park


def test_firm_moves_along_the_chain_with_touching_stays(session):
    maker, incubator, accelerator, park = _chain(session)
    firm = ops.get_or_create_firm(name="链条企业", uscc=make_uscc())
    ops.add_tenancy(maker, firm, entered_on=date(2015, 1, 1), exited_on=date(2016, 1, 1), exit_reason="moved_on")
    ops.add_tenancy(incubator, firm, entered_on=date(2016, 1, 1), exited_on=date(2018, 6, 1),
                    exit_reason="graduated", graduation_criterion="high_tech")
    ops.add_tenancy(accelerator, firm, entered_on=date(2018, 6, 1), exited_on=date(2020, 1, 1), exit_reason="moved_on")
    stay = ops.add_tenancy(park, firm, entered_on=date(2020, 1, 1))
    session.commit()
    assert [t.carrier.category for t in firm.tenancies] == [
        CarrierType.MAKER_SPACE, CarrierType.INCUBATOR, CarrierType.ACCELERATOR, CarrierType.INDUSTRIAL_PARK]
    assert stay.active_on(date(2024, 1, 1))


def test_firm_cannot_be_in_two_places_at_once(session):
    maker, incubator, _, _ = _chain(session)
    firm = ops.get_or_create_firm(name="重叠企业", uscc=make_uscc())
    ops.add_tenancy(maker, firm, entered_on=date(2015, 1, 1))
    with pytest.raises(RegistryError) as caught:
        ops.add_tenancy(incubator, firm, entered_on=date(2016, 1, 1))
    assert caught.value.field == "entered_on"


def test_tenancy_exit_before_entry_and_graduation_rules(session):
    _, incubator, _, _ = _chain(session)
    firm = ops.get_or_create_firm(name="时间错误企业", uscc=make_uscc())
    with pytest.raises(RegistryError) as backwards:
        ops.add_tenancy(incubator, firm, entered_on=date(2020, 1, 2), exited_on=date(2020, 1, 1), exit_reason="failed")
    assert backwards.value.field == "exited_on"
    with pytest.raises(RegistryError) as no_criterion:
        ops.add_tenancy(incubator, firm, entered_on=date(2019, 1, 1), exited_on=date(2020, 1, 1),
                        exit_reason="graduated")
    assert no_criterion.value.field == "graduation_criterion"
    stay = ops.add_tenancy(incubator, firm, entered_on=date(2019, 1, 1))
    with pytest.raises(RegistryError) as criterion_without_graduating:
        ops.end_tenancy(stay, exited_on=date(2020, 1, 1), exit_reason="failed", graduation_criterion="revenue")
    assert criterion_without_graduating.value.field == "graduation_criterion"
    with pytest.raises(RegistryError) as end_before_entry:
        ops.end_tenancy(stay, exited_on=date(2018, 12, 31), exit_reason="failed")
    assert end_before_entry.value.field == "exited_on"
    ops.end_tenancy(stay, exited_on=date(2020, 1, 1), exit_reason="graduated", graduation_criterion="revenue")
    session.commit()
    assert session.get(Tenancy, stay.id).exit_reason.value == "graduated"
    with pytest.raises(RegistryError, match="already ended"):
        ops.end_tenancy(stay, exited_on=date(2021, 1, 1), exit_reason="failed")


def test_rd_institutions_host_no_tenants(session):
    rd = institution(name="研究院", category=CarrierType.RD_INSTITUTION, subclass="tech_innovation")
    firm = ops.get_or_create_firm(name="企业", uscc=make_uscc())
    with pytest.raises(RegistryError) as caught:
        ops.add_tenancy(rd, firm, entered_on=date(2020, 1, 1))
    assert caught.value.field == "carrier"


def _operation_messages() -> set[str]:
    tree = ast.parse((ROOT / "registry/institutions/operations.py").read_text(encoding="utf-8"))
    return {node.args[1].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "RegistryError"}


def test_every_operation_message_is_marked_and_translated():
    raised = _operation_messages()
    assert raised, "no RegistryError found: the AST walk is broken"
    assert raised <= set(OPERATION_MESSAGES), sorted(raised - set(OPERATION_MESSAGES))
    with (ROOT / "registry/translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f)
    untranslated = [m for m in raised if not (catalogue.get(m) and catalogue.get(m).string)]
    assert untranslated == []
