"""The annual reporting season (填报批次): who is due, what each has filed, and the town's first review.

A season opens a report year for some categories, with an opening date, a deadline and
instructions. Every institution due gets one Filing row, whose `state` moves
not_started → draft → submitted → returned / accepted (by its town's science office), and back to
submitted when a returned filing is filed again. The city may override the town's decision.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from registry.models.base import Base, JSONType, utcnow
from registry.models.institutions import Institution

NOT_STARTED, DRAFT, SUBMITTED, RETURNED, ACCEPTED = "not_started", "draft", "submitted", "returned", "accepted"
FILING_STATES = (NOT_STARTED, DRAFT, SUBMITTED, RETURNED, ACCEPTED)


class ReportingSeason(Base):
    __tablename__ = "reporting_seasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the report year (figures of this calendar year, filed the year after)
    year: Mapped[int] = mapped_column(unique=True)
    #: categories due, e.g. ["incubator", "maker_space"]
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    opens_on: Mapped[date]
    #: last day to file; uploads for the year are locked after it unless reopened for one institution
    deadline: Mapped[date]
    instructions: Mapped[str] = mapped_column(Text, default="")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set once the "deadline in 3 days" notice has gone out, so it goes out once
    reminded_before_deadline_at: Mapped[datetime | None]


class WorkSummary(Base):
    """An institution's annual work summary (年度工作总结), .docx or .pdf, kept with its sha256."""

    __tablename__ = "work_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    year: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    #: detected from the content: "docx" or "pdf"
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Filing(Base):
    """One institution's filing in one season: its state and the town's (and city's) decision."""

    __tablename__ = "filings"
    __table_args__ = (
        UniqueConstraint("season_id", "institution_id", name="uq_filings_season_institution"),
        Index("ix_filings_season_state", "season_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("reporting_seasons.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=NOT_STARTED)
    #: the self-report version and the work summary that were submitted
    self_report_id: Mapped[int | None] = mapped_column(ForeignKey("self_reports.id"))
    work_summary_id: Mapped[int | None] = mapped_column(ForeignKey("work_summaries.id"))
    submitted_at: Mapped[datetime | None]
    #: submitted after the deadline (only possible when reopened)
    is_late: Mapped[bool] = mapped_column(default=False)
    #: the town science office's first review: "accepted" or "returned", with a comment
    town_decision: Mapped[str | None] = mapped_column(String(20))
    town_comment: Mapped[str | None] = mapped_column(Text)
    town_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    town_decided_at: Mapped[datetime | None]
    #: the city's decision when it overrides the town's
    city_decision: Mapped[str | None] = mapped_column(String(20))
    city_comment: Mapped[str | None] = mapped_column(Text)
    city_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    city_decided_at: Mapped[datetime | None]
    #: after the deadline, an admin may reopen filing for this institution until a date, with a reason
    reopened_until: Mapped[date | None]
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    season: Mapped[ReportingSeason] = relationship()
    institution: Mapped[Institution] = relationship()
    work_summary: Mapped[WorkSummary | None] = relationship()


class Jurisdiction(Base):
    """A level of government whose officers see the institutions under it: town → city (→ province).

    The institutions a jurisdiction covers are those of the towns in its subtree; a province level
    is added as a parent row, with no change to the views.
    """

    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    #: "town", "city", "province"
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    #: the town-level unit, for a town jurisdiction
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), unique=True)


class Notification(Base):
    """One message in a user's inbox (also e-mailed when the user has an address)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: "season_opened", "deadline_soon", "filing_returned", "run_finished", "results_published", "reminder"
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
