"""Simulated expert review rounds for the demo years, through the real review operations.

Without them, every system with a reviewer-scored item whose missing policy is "error" leaves
its institutions ungraded, and a demo assessment run would show mostly incomplete results.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from registry.extensions import db
from registry.models import ReviewAssignment, Role, User
from registry.reviews import operations as review_ops
from registry.reviews.systems import reviewer_items

#: synthetic outside experts (they cannot log in: their passwords are random and never shown)
EXPERTS = 9
CATEGORIES = ("rd_institution", "maker_space", "incubator", "accelerator")


def _has_reviewer_items(category: str, year: int) -> bool:
    from assessment import SUBCLASSES, SystemNotFoundError

    for subclass in SUBCLASSES.get(category, (None,)):
        try:
            if reviewer_items(category, year, subclass):
                return True
        except (SystemNotFoundError, LookupError):
            continue
    return False


def create_experts() -> list[User]:
    experts = []
    for n in range(1, EXPERTS + 1):
        user = User(username=f"expert{n:02d}", display_name=f"评审专家{n:02d}（演示）", role=Role.REVIEWER)
        user.set_password(secrets.token_urlsafe(24))
        db.session.add(user)
        experts.append(user)
    db.session.flush()
    return experts


def simulate_reviews(years: tuple[int, ...], seed: int, notes: list[str]) -> int:
    """A round per year and category (closed, except the latest year's: open, the demo reviewer's sheets unscored),
    three experts per institution, every other sheet submitted.

    Scores follow a per-institution quality drawn from the seed, with per-expert noise, so the
    aggregated score varies and an occasional wide spread marks "discuss before decide".
    Returns the number of submitted sheets.
    """
    rng = random.Random(f"reviews-{seed}")
    if not db.session.scalar(select(User.id).where(User.username == "expert01")):
        create_experts()
    quality: dict[int, float] = {}
    sheets = 0
    demo_reviewer = db.session.scalar(select(User.id).where(User.username == "reviewer"))
    for year in years:
        for category in CATEGORIES:
            if not _has_reviewer_items(category, year):
                continue  # e.g. incubators from 2019: the system has nothing for experts to score
            opens = date(year + 1, 3, 1)
            closes = date(year + 1, 4, 30)
            open_round = year == max(years)  # the latest year's round is still open: the demo reviewer has work
            if open_round:
                opens, closes = date.today() - timedelta(days=7), date.today() + timedelta(days=21)
            rnd = review_ops.create_round(year=year, category=category, opens_on=opens,
                                          closes_on=closes, cap_per_reviewer=200)
            report = review_ops.auto_assign(rnd)
            if report.short:
                notes.append(f"review round {year} {category}: {len(report.short)} institutions not fully staffed")
            assignments = db.session.scalars(select(ReviewAssignment).where(ReviewAssignment.round_id == rnd.id)
                                             .order_by(ReviewAssignment.id))
            for assignment in assignments:
                inst = assignment.institution
                items = reviewer_items(inst.category.value, year, inst.subclass)
                if not items or (open_round and assignment.reviewer_id == demo_reviewer):
                    continue  # the demo reviewer's sheets in the open round are left to score
                q = quality.setdefault(inst.id, rng.uniform(0.45, 0.95))
                values = {}
                for decl in items:
                    low, high = float(decl.min or 0), float(decl.max or 100)
                    share = min(1.0, max(0.0, q + rng.gauss(0, 0.08)))
                    values[decl.code] = Decimal(str(round(low + share * (high - low), 1)))
                review_ops.save_sheet(assignment, values=values, comments={}, expected_version=assignment.version,
                                      submit=True, items=items, today=opens)
                sheets += 1
    return sheets
