"""Uploaded files and the yearly figures (self-reports) with their provenance.

A SelfReport is one version of an institution's figures for a year. A new submission adds a
version and marks it current; earlier versions and their original files stay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from registry.models.base import Base, JSONType, utcnow
from registry.models.institutions import Institution


class Upload(Base):
    """The original bytes of an uploaded file, kept so every cell reference stays checkable."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    #: detected from the content: "xlsx", "xls", "ods" (not from the extension)
    kind: Mapped[str | None] = mapped_column(String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: None when the file was not recognised as a spreadsheet: such bytes are never kept or served
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the institution the file was uploaded for, when known
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    #: "accepted", "rejected" (had errors; kept for audit), "pending" (awaiting confirmation)
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    #: the import report (issues, values with their cells, tables) as data: parsed once, on upload
    report: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSONType))


class SelfReport(Base):
    """One version of an institution's figures for a year.

    `values` maps input code → {"value": str, "raw": str | None, "cell": "基本情况!D12" | None};
    `tables` maps table code → list of rows (each a mapping of column code to the same shape).
    Values are stored as text (Decimals and dates in canonical form) so nothing is lost to floats.
    """

    __tablename__ = "self_reports"
    __table_args__ = (
        UniqueConstraint("institution_id", "year", "version", name="uq_self_reports_institution_year_version"),
        #: one upload is one version at most, however often (or simultaneously) it is confirmed
        UniqueConstraint("upload_id", name="uq_self_reports_upload_id"),
        Index("ix_self_reports_year_current", "year", "is_current", "institution_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    year: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    #: "upload", "demo" (synthetic), "manual", "cli"
    source: Mapped[str] = mapped_column(String(20), default="upload")
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("self_reports.id"))
    #: the indicator system / template the figures were filed against
    system_version: Mapped[int | None]
    template_version: Mapped[str | None] = mapped_column(String(32))
    values: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    tables: Mapped[dict[str, Any]] = deferred(mapped_column(JSONType, default=dict))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    institution: Mapped[Institution] = relationship()
    upload: Mapped[Upload | None] = relationship()

    def value(self, code: str) -> str | None:
        entry = (self.values or {}).get(code)
        return None if entry is None else entry.get("value")


class ReportedTenant(Base):
    """One tenant credit code listed in a self-report's tenants table: the index duplicate checks query.

    Written with the SelfReport (same transaction); a report that stops being current keeps its
    rows, so "claimed by whom in year Y" joins on SelfReport.is_current.
    """

    __tablename__ = "reported_tenants"
    __table_args__ = (
        UniqueConstraint("self_report_id", "uscc", name="uq_reported_tenants_report_uscc"),
        Index("ix_reported_tenants_year_uscc", "year", "uscc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    self_report_id: Mapped[int] = mapped_column(ForeignKey("self_reports.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    year: Mapped[int]
    uscc: Mapped[str] = mapped_column(String(18))
    #: the firm's name as reported, and where (sheet!cell), for the reviewer
    name: Mapped[str | None] = mapped_column(String(200))
    cell: Mapped[str | None] = mapped_column(String(60))
