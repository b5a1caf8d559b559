"""The review round: reviewers score the qualitative items (专家定性评价), the bureau decides and publishes.

A round covers one assessment year and one category. Admins assign reviewers to institutions;
each assignment carries the reviewer's scoring sheet, protected by a version column so two
people editing the same sheet can never silently overwrite each other.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base, JSONType, TimestampMixin, utcnow
from registry.models.institutions import Institution
from registry.models.users import User

#: the decisions the bureau records for an institution in a round
DECISIONS = ("entry", "keep", "upgrade", "rectify", "exit")


class ReviewRound(TimestampMixin, Base):
    __tablename__ = "review_rounds"
    __table_args__ = (
        UniqueConstraint("year", "category", name="uq_review_rounds_year_category"),
        CheckConstraint("closes_on >= opens_on", "closes_after_opening"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the assessment year (the year the figures are about)
    year: Mapped[int]
    #: CarrierType value
    category: Mapped[str] = mapped_column(String(30))
    #: reviewers may save and submit sheets from opens_on to closes_on, both inclusive
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    #: most institutions one reviewer is given in this round
    cap_per_reviewer: Mapped[int] = mapped_column(default=12)
    #: how many reviewers automatic assignment gives each institution
    reviewers_per_institution: Mapped[int] = mapped_column(default=3)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    assignments: Mapped[list["ReviewAssignment"]] = relationship(back_populates="round", lazy="raise_on_sql")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ReviewAssignment(Base):
    """A reviewer assigned to an institution in a round, with the reviewer's scoring sheet."""

    __tablename__ = "review_assignments"
    __table_args__ = (
        UniqueConstraint("round_id", "reviewer_id", "institution_id", name="uq_review_assignments_round_reviewer_inst"),
        CheckConstraint("status IN ('draft', 'submitted')", "status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    #: "manual" or "auto"
    method: Mapped[str] = mapped_column(String(10), default="manual")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: "draft" (editable by the reviewer while the round is open) or "submitted"
    status: Mapped[str] = mapped_column(String(10), default="draft")
    #: item code → {"value": "7.5" | None, "comment": str}; values kept as text, never floats
    scores: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    #: optimistic concurrency: every UPDATE checks and bumps it (SQLAlchemy version_id_col)
    version: Mapped[int] = mapped_column(default=1)

    round: Mapped[ReviewRound] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    institution: Mapped[Institution] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def value(self, code: str) -> Decimal | None:
        raw = (self.scores or {}).get(code, {}).get("value")
        return None if raw in (None, "") else Decimal(raw)

    def comment(self, code: str) -> str:
        return (self.scores or {}).get(code, {}).get("comment") or ""


class ConflictOfInterest(Base):
    """A conflict a reviewer declared (with a reason); an admin may waive it, with a reason.

    Conflicts derived from the registry (own institution, same operating entity, shared parent)
    are not stored: registry.access computes them, and they cannot be waived.
    """

    __tablename__ = "conflicts_of_interest"
    __table_args__ = (
        UniqueConstraint("reviewer_id", "institution_id", name="uq_conflicts_of_interest_reviewer_inst"),
        CheckConstraint("(waived_at IS NULL) = (waived_reason IS NULL)", "waiver_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)
    waived_at: Mapped[datetime | None]
    waived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    waived_reason: Mapped[str | None] = mapped_column(Text)

    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    institution: Mapped[Institution] = relationship()

    @property
    def is_waived(self) -> bool:
        return self.waived_at is not None


class ReviewDecision(Base):
    """The bureau's decision for one institution in a round, beside the engine's recommendation."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        UniqueConstraint("round_id", "institution_id", name="uq_review_decisions_round_institution"),
        CheckConstraint("decision IN ('entry', 'keep', 'upgrade', 'rectify', 'exit')", "decision_known"),
        CheckConstraint("(signed_at IS NULL) = (signed_by_id IS NULL)", "signature_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    #: the engine's recommendation when the decision was recorded (None if no result existed)
    recommendation: Mapped[str | None] = mapped_column(String(30))
    assessment_result_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_results.id"))
    #: required when the decision differs from the recommendation
    reason: Mapped[str | None] = mapped_column(Text)
    #: why the decision was taken although sheets were unsubmitted or the year had no assessment result
    override_reason: Mapped[str | None] = mapped_column(Text)
    #: what the override went past, when recorded: {"unsubmitted": n, "assigned": n, "no_result": bool}
    override_gaps: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: aggregated reviewer scores at the time of the decision: code → {"value", "source"}
    reviewer_scores: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None]
    #: the score behind the decision (copied from the engine's result, for the institution's page)
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    grade: Mapped[str | None] = mapped_column(String(2))

    round: Mapped[ReviewRound] = relationship()
    institution: Mapped[Institution] = relationship()

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
