"""Institutions, their dated recognitions and their dated lifecycle status.

Nothing here is ever deleted or overwritten: a recognition ends (ended_on + reason), a status
change is a new row. "Is X national-level on 31 Dec 2019?" is answered from these rows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import DDL, CheckConstraint, Enum, ForeignKey, Index, Numeric, String, Text, and_, event, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base, TimestampMixin, utcnow
from registry.models.enums import CarrierType, EndReason, LegalForm, Level, Status
from registry.models.reference import Town


def _enum(cls):  # noqa: ANN001, ANN202
    """Store enums by value (the stable code), as plain strings: portable and readable in SQL."""
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=30,
                validate_strings=True)


class Institution(TimestampMixin, Base):
    __tablename__ = "institutions"
    __table_args__ = (
        CheckConstraint("strata_sold_area IS NULL OR strata_divisible_area IS NULL "
                        "OR strata_sold_area <= strata_divisible_area", "strata_sold_within_divisible"),
        Index("ix_institutions_category_status", "category", "status"),
        Index("ix_institutions_town_category", "town_id", "category"),
        # the list's default order (name, then id to break ties): deep pages walk this index alone
        Index("ix_institutions_name", "name", "id"),
        # text search (substring of name, credit code, operating entity). PostgreSQL: a pg_trgm GIN
        # index, so ILIKE/LIKE '%…%' of 3+ characters is an index lookup (the migration creates the
        # extension). SQLite ignores the postgresql_* options and builds a plain index over the three
        # columns: the LIKE scan then reads this narrow index instead of the wide table rows.
        Index("ix_institutions_search", "name", "uscc", "operating_entity", postgresql_using="gin",
              postgresql_ops={"name": "gin_trgm_ops", "uscc": "gin_trgm_ops", "operating_entity": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: 统一社会信用代码, 18 characters, check digit validated with python-stdnum
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    category: Mapped[CarrierType] = mapped_column(_enum(CarrierType))
    #: classified-assessment subclass: incubators comprehensive/specialised; R&D institutions their class
    subclass: Mapped[str | None] = mapped_column(String(30))
    #: specialised field (专业领域) of a specialised incubator
    specialised_field: Mapped[str | None] = mapped_column(String(100))
    legal_form: Mapped[LegalForm] = mapped_column(_enum(LegalForm))
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"))
    #: 运营主体: the company or body that runs the carrier (conflict-of-interest checks use it)
    operating_entity: Mapped[str | None] = mapped_column(String(200))
    #: 上级单位 / 母公司: a shared parent is a conflict of interest too
    parent_organisation: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    established_on: Mapped[date | None]
    operating_since: Mapped[date | None]
    #: 场地建筑总面积 (m²)
    gross_floor_area: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    #: 可自主支配场地面积 (m²)
    controlled_area: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    #: 孵化+创投 model
    has_venture_model: Mapped[bool] = mapped_column(default=False)
    #: 互联网+ model
    has_internet_plus_model: Mapped[bool] = mapped_column(default=False)
    #: built through 三旧 urban renewal (pilot, 东府办〔2018〕19号)
    is_urban_renewal: Mapped[bool] = mapped_column(default=False)
    #: property-right division project (产权分割, 东府办〔2015〕85号)
    is_strata_title: Mapped[bool] = mapped_column(default=False)
    strata_divisible_area: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    strata_sold_area: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    #: 港澳台科技创新创业联合培优示范基地
    is_hmt_base: Mapped[bool] = mapped_column(default=False)
    #: in an officially designated hardship area (20 % relief, 国科发区〔2018〕300号 Art. 10)
    is_hardship_area: Mapped[bool] = mapped_column(default=False)
    #: current lifecycle status; kept equal to the latest StatusChange by operations
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.APPLICANT)
    #: synthetic demo record (labelled as such in the UI)
    is_synthetic: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)

    town: Mapped[Town] = relationship(lazy="joined")
    recognitions: Mapped[list["Recognition"]] = relationship(
        back_populates="institution", order_by="Recognition.effective_from", cascade="save-update, merge"
    )
    status_changes: Mapped[list["StatusChange"]] = relationship(
        back_populates="institution", order_by="StatusChange.effective_on, StatusChange.id",
        cascade="save-update, merge",
    )

    def recognitions_in_force(self, on: date) -> list["Recognition"]:
        return [r for r in self.recognitions if r.in_force_on(on)]

    def level_on(self, on: date) -> Level | None:
        """The highest recognition level in force on a date."""
        levels = [r.level for r in self.recognitions_in_force(on)]
        return max(levels, key=lambda lv: lv.rank) if levels else None

    def __repr__(self) -> str:
        return f"<Institution {self.id} {self.uscc} {self.name!r}>"


#: ix_institutions_search needs pg_trgm's operator classes (create_all here; the migration does the same)
PG_TRGM = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
event.listen(Institution.__table__, "before_create", DDL(PG_TRGM).execute_if(dialect="postgresql"))


class Recognition(TimestampMixin, Base):
    """A recognition at one level, in force from `effective_from` (inclusive) until `ended_on` (exclusive).

    `ended_on` is the first day the recognition is no longer in force: a recognition revoked on
    31 December is not in force on 31 December; one granted on 31 December is.
    """

    __tablename__ = "recognitions"
    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on > effective_from", "ends_after_start"),
        CheckConstraint("(ended_on IS NULL) = (end_reason IS NULL)", "end_has_reason"),
        # the national-level count per year: level + date range, then join to the institution
        Index("ix_recognitions_level_dates", "level", "effective_from", "ended_on", "institution_id"),
        # an institution's recognitions, covering what "level in force" needs (sort by level, detail)
        Index("ix_recognitions_institution_id", "institution_id", "level", "effective_from", "ended_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    level: Mapped[Level] = mapped_column(_enum(Level))
    effective_from: Mapped[date]
    ended_on: Mapped[date | None]
    end_reason: Mapped[EndReason | None] = mapped_column(_enum(EndReason))
    #: 文号 of the recognising document, e.g. 国科发区〔2020〕xx号
    doc_no: Mapped[str | None] = mapped_column(String(120))
    #: 文号 of the ending document (revocation notice …)
    end_doc_no: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    institution: Mapped[Institution] = relationship(back_populates="recognitions")

    def in_force_on(self, on: date) -> bool:
        return self.effective_from <= on and (self.ended_on is None or self.ended_on > on)

    @classmethod
    def in_force_clause(cls, on: date):  # noqa: ANN206
        """SQL condition: in force on `on` (same rule as in_force_on)."""
        return and_(cls.effective_from <= on, or_(cls.ended_on.is_(None), cls.ended_on > on))

    @property
    def year(self) -> int:
        return self.effective_from.year


class StatusChange(Base):
    """One step of the lifecycle, with its reason; the newest (by effective_on, id) is current."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    status: Mapped[Status] = mapped_column(_enum(Status))
    effective_on: Mapped[date]
    reason: Mapped[str | None] = mapped_column(Text)
    doc_no: Mapped[str | None] = mapped_column(String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    institution: Mapped[Institution] = relationship(back_populates="status_changes")
