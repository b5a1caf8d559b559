"""Tenant firms (在孵企业 / 入驻企业) and their stays at carriers along the chain."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base, TimestampMixin
from registry.models.enums import GraduationCriterion, TenancyExit
from registry.models.institutions import Institution, _enum


class Firm(TimestampMixin, Base):
    """A firm hosted somewhere on the chain; its tenancies in date order are its path."""

    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    established_on: Mapped[date | None]
    is_synthetic: Mapped[bool] = mapped_column(default=False)

    tenancies: Mapped[list["Tenancy"]] = relationship(
        back_populates="firm", order_by="Tenancy.entered_on, Tenancy.id"
    )


class Tenancy(TimestampMixin, Base):
    """A firm's stay at one carrier: entered on, exited on (exclusive), and why it left."""

    __tablename__ = "tenancies"
    __table_args__ = (
        CheckConstraint("exited_on IS NULL OR exited_on >= entered_on", "exit_after_entry"),
        CheckConstraint("(exited_on IS NULL) = (exit_reason IS NULL)", "exit_has_reason"),
        CheckConstraint("graduation_criterion IS NULL OR exit_reason = 'graduated'", "criterion_only_for_graduates"),
        Index("ix_tenancies_carrier_dates", "carrier_id", "entered_on", "exited_on"),
        Index("ix_tenancies_firm_dates", "firm_id", "entered_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    carrier_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    entered_on: Mapped[date]
    exited_on: Mapped[date | None]
    exit_reason: Mapped[TenancyExit | None] = mapped_column(_enum(TenancyExit))
    #: which graduation condition (domain.md §2.4) a graduate met
    graduation_criterion: Mapped[GraduationCriterion | None] = mapped_column(_enum(GraduationCriterion))

    firm: Mapped[Firm] = relationship(back_populates="tenancies")
    carrier: Mapped[Institution] = relationship()

    def active_on(self, on: date) -> bool:
        return self.entered_on <= on and (self.exited_on is None or self.exited_on > on)


class TenancyDayCount(Base):
    """Tenancies entering, leaving and graduating per carrier category and day: the statistics' summary.

    Firms hosted on a day are the entries up to it minus the exits up to it, so the year-end counts
    are sums over this table (a few thousand rows) instead of a scan of every tenancy. Kept in step
    with `tenancies` in the same transaction by registry.stats.summary (flush listener for the
    operations, a rebuild after bulk writes).
    """

    __tablename__ = "tenancy_day_counts"

    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    entered: Mapped[int] = mapped_column(default=0)
    exited: Mapped[int] = mapped_column(default=0)
    graduated: Mapped[int] = mapped_column(default=0)
