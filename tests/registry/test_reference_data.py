"""Reference data: Dongguan's 34 town-level units and the plan's zones, seeded idempotently."""

from __future__ import annotations

from sqlalchemy import func, select

from registry.models import Town, Zone
from registry.reference_data import ensure_reference_data


def test_seeding_twice_adds_nothing(session):
    # the app fixture seeded once already; a restart must not fail or duplicate
    assert ensure_reference_data() is False
    assert session.scalar(select(func.count(Town.id))) == 34
    assert session.scalar(select(func.count(Zone.id))) == 3


def test_zone_membership_follows_the_plan(session):
    ring = session.scalar(select(Zone).where(Zone.code == "songshanhu_ring"))
    assert sorted(t.name for t in ring.towns) == sorted(
        ["大朗镇", "大岭山镇", "寮步镇", "茶山镇", "石排镇", "石龙镇", "横沥镇", "东坑镇", "企石镇"]
    )
    one_plus_six = session.scalar(select(Zone).where(Zone.code == "one_plus_six"))
    assert "松山湖高新区" in {t.name for t in one_plus_six.towns} and len(one_plus_six.towns) == 7


def test_registry_and_importers_agree_on_town_names():
    """The registry seeds towns with codes and English names; the roster reader accepts names."""
    from importers.reference import TOWN_CHOICES
    from registry.reference_data import TOWNS

    assert {name for _code, name, _en, _kind in TOWNS} == set(TOWN_CHOICES)
