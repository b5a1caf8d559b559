"""Simulated expert review rounds for the demo years, through the real review operations.

Without them, every system with a reviewer-scored item whose missing policy is "error" leaves
its institutions ungraded, and a demo assessment run would show mostly incomplete results.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import CarrierType, Institution, ReviewAssignment, ReviewRound, Role, Status, User
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


def expert_usernames() -> list[str]:
    """The synthetic experts' accounts (removed with the demo data)."""
    return [f"expert{n:02d}" for n in range(1, EXPERTS + 1)]


def create_experts() -> list[User]:
    experts = []
    for n, username in enumerate(expert_usernames(), 1):
        user = User(username=username, display_name=f"评审专家{n:02d}（演示）", role=Role.REVIEWER)
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


ASSIGNMENT_COLS = ("round_id", "reviewer_id", "institution_id", "method", "assigned_at", "status", "scores", "saved_at",
                   "submitted_at", "version")


def write_review_sheets(years: tuple[int, ...], seed: int, notes: list[str]) -> int:
    """`simulate_reviews` for the national scale: the same rounds and submitted sheets, written in bulk.

    Thousands of institutions per category make the one-sheet-at-a-time path take minutes, so the
    rounds are created as rows and the sheets (three experts per institution, scores drawn as in
    `simulate_reviews`) go in with one COPY / executemany. Demo experts have no affiliation, so no
    conflict of interest can arise; the per-reviewer cap is a planning aid and not applied here.
    """
    from registry.demo.loader import _write

    rng = random.Random(f"reviews-{seed}")
    experts = list(db.session.scalars(select(User.id).where(User.username.in_(expert_usernames())).order_by(User.id))) \
        or [u.id for u in create_experts()]
    written = 0
    for year in years:
        for category in CATEGORIES:
            if not _has_reviewer_items(category, year):
                continue
            opens = date(year + 1, 3, 1)
            rnd = db.session.scalar(select(ReviewRound).where(ReviewRound.year == year, ReviewRound.category == category))
            if rnd is None:  # a reload (--reset) keeps the round; its sheets went with the purged institutions
                rnd = ReviewRound(year=year, category=category, opens_on=opens, closes_on=date(year + 1, 4, 30),
                                  cap_per_reviewer=200)
                db.session.add(rnd)
                db.session.flush()
            candidates = db.session.execute(select(Institution.id, Institution.subclass).where(
                Institution.category == CarrierType(category), Institution.status != Status.EXITED)
                .order_by(Institution.id)).all()  # read before the COPY starts on the same connection
            written += _write(ReviewAssignment.__table__, ASSIGNMENT_COLS,
                              _sheet_rows(rnd, candidates, experts, rng, datetime.combine(opens, time(9), UTC)), None)
    if not written:
        notes.append("no review rounds: no system of the demo years has expert-scored items")
    return written


def _sheet_rows(rnd: ReviewRound, candidates: list[Any], experts: list[int], rng: random.Random,
                when: datetime) -> Iterator[tuple[Any, ...]]:
    items_of: dict[str | None, Any] = {}
    for n, (inst_id, subclass) in enumerate(candidates):
        if subclass not in items_of:
            try:
                items_of[subclass] = reviewer_items(rnd.category, rnd.year, subclass)
            except (RegistryError, LookupError):  # no system for this subclass: nothing to score
                items_of[subclass] = ()
        items = items_of[subclass]
        if not items:
            continue
        q = rng.uniform(0.45, 0.95)
        for k in range(rnd.reviewers_per_institution or 3):
            scores = {}
            for decl in items:
                low, high = float(decl.min or 0), float(decl.max or 100)
                share = min(1.0, max(0.0, q + rng.gauss(0, 0.08)))
                scores[decl.code] = {"value": str(Decimal(str(round(low + share * (high - low), 1)))), "comment": ""}
            yield (rnd.id, experts[(n + k) % len(experts)], inst_id, "auto", when, "submitted", scores, when, when, 1)
