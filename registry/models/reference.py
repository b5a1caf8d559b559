"""Reference data: Dongguan's town-level units and the plan's zone groupings (domain.md §14)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.base import Base

zone_towns = Table(
    "zone_towns",
    Base.metadata,
    Column("zone_id", ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
    Column("town_id", ForeignKey("towns.id", ondelete="CASCADE"), primary_key=True),
)


class Town(Base):
    """A town-level unit (镇街): 4 sub-districts, 28 towns, and the functional areas."""

    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable machine code, e.g. "songshanhu"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    #: "subdistrict" (街道), "town" (镇) or "functional_area" (功能区)
    kind: Mapped[str] = mapped_column(String(20))
    sort_order: Mapped[int] = mapped_column(default=0)

    zones: Mapped[list["Zone"]] = relationship(secondary=zone_towns, back_populates="towns")

    def __repr__(self) -> str:
        return f"<Town {self.code}>"


class Zone(Base):
    """A named grouping of towns used to cut counts (the "1+6" area, the 9 surrounding towns …)."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    #: the document the grouping comes from
    reference: Mapped[str] = mapped_column(String(200), default="")

    towns: Mapped[list[Town]] = relationship(secondary=zone_towns, back_populates="zones", order_by=Town.sort_order)
