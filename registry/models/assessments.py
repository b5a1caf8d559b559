"""Assessment runs and their results: immutable once written.

Re-scoring creates a new run; results pin the system version and the sha256 of its file, and
carry the engine's full trace, so every score can be explained later exactly as computed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from registry.models.base import Base, JSONType, utcnow
from registry.models.institutions import Institution


class AssessmentRun(Base):
    __tablename__ = "assessment_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    #: category filter the run was started with (None = all assessable categories)
    category: Mapped[str | None] = mapped_column(String(30))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: free text for CLI runs without an account ("cli:root@host")
    started_by_label: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    #: [{"category", "subclass", "version", "sha256", "source", "provisional"}] used by the run
    systems: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    result_count: Mapped[int] = mapped_column(default=0)
    #: {"grade": {grade or "none": n}, "recommendation": {kind or "none": n}}, counted as the results were
    #: written (a run never changes): the pages' totals without counting 15,000 rows per request
    counts: Mapped[dict[str, dict[str, int]] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    results: Mapped[list["AssessmentResult"]] = relationship(back_populates="run", lazy="raise_on_sql")


class AssessmentResult(Base):
    __tablename__ = "assessment_results"
    __table_args__ = (
        UniqueConstraint("run_id", "institution_id", name="uq_assessment_results_run_institution"),
        Index("ix_assessment_results_institution_year", "institution_id", "year"),
        Index("ix_assessment_results_run_grade", "run_id", "grade", "recommendation"),
        #: a run's results best score first (read backwards: score DESC NULLS FIRST, id DESC, the lists' order):
        #: a page is the next rows of the index whatever the run's size, also before VACUUM has run
        Index("ix_assessment_results_run_score", "run_id", "score", "id"),
        #: the same within one recommendation (the recommendations page's groups)
        Index("ix_assessment_results_run_recommendation", "run_id", "recommendation", "score", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    year: Mapped[int]
    category: Mapped[str] = mapped_column(String(30))
    subclass: Mapped[str | None] = mapped_column(String(30))
    system_version: Mapped[int]
    system_sha256: Mapped[str] = mapped_column(String(64))
    self_report_id: Mapped[int | None] = mapped_column(ForeignKey("self_reports.id"))
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    #: "A", "B", "C", "D" or None when no grade could be given
    grade: Mapped[str | None] = mapped_column(String(2))
    #: "recognise", "do_not_recognise", "keep", "upgrade", "rectify", "exit"
    recommendation: Mapped[str | None] = mapped_column(String(30))
    #: the rule that produced the recommendation, e.g. "two_consecutive_d"
    recommendation_rule: Mapped[str | None] = mapped_column(String(60))
    #: the parameters that rule read (years, limits, target level, unmet criteria …): lists show the rule's
    #: sentence from these columns and never open `outcome`
    recommendation_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: number of inputs that were missing (and how they were handled is in `outcome`)
    missing_count: Mapped[int] = mapped_column(default=0)
    is_provisional: Mapped[bool] = mapped_column(default=False)
    #: the engine's outcome with its trace (inputs with their sources, intermediate values, points), written
    #: once and never queried inside: plain JSON (PostgreSQL `json`, not `jsonb`), which only checks the text
    #: on the way in and is several times faster to store than jsonb's parsed form
    outcome: Mapped[dict[str, Any]] = deferred(mapped_column(JSON))

    run: Mapped[AssessmentRun] = relationship(back_populates="results")
    institution: Mapped[Institution] = relationship()

