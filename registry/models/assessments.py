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
    #: the year check at start: {"due", "reported", "min_share", "forced"}; forced runs carry the reason in `note`
    year_check: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    results: Mapped[list["AssessmentResult"]] = relationship(back_populates="run", lazy="raise_on_sql")
    void: Mapped["RunVoid | None"] = relationship(back_populates="run", lazy="selectin")

    @property
    def is_void(self) -> bool:
        return self.void is not None


class RunVoid(Base):
    """An admin's voiding of a run, with the written reason: the run and its results stay, unchanged,
    but leave the default views, the multi-year rules and the decisions. Written once (audited)."""

    __tablename__ = "assessment_run_voids"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: who, for commands run without an account ("cli:root@host")
    voided_by_label: Mapped[str] = mapped_column(String(120))
    voided_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[AssessmentRun] = relationship(back_populates="void")


class StoredRuleFile(Base):
    """The text of an indicator-system, shared-inputs or criteria file, stored the first time a run used it.

    Keyed by content (see assessment.rulefiles): results name these keys, and every reading of a
    stored result parses this text, never the file on disk, which may have changed since.
    """

    __tablename__ = "rule_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: "system" | "inputs" | "criteria"
    kind: Mapped[str] = mapped_column(String(10))
    #: under systems/ or criteria/ in its data root, e.g. "incubator/comprehensive/2019.toml"
    path: Mapped[str] = mapped_column(String(300))
    #: "package" (shipped) or the data root's folder
    root: Mapped[str] = mapped_column(String(500))
    #: "incubator/comprehensive" or the criteria code; None for shared inputs files
    code: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int | None]
    content: Mapped[str] = deferred(mapped_column(Text))
    #: inputs files: keys of the files included, in order
    includes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: criteria files: [sha256, inputs_sha256] of the systems whose declarations checked them
    declared_by: Mapped[list[list[str | None]]] = mapped_column(JSONType, default=list)
    first_stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_runs.id"))


class RunRuleFile(Base):
    """Which stored rule files a run used."""

    __tablename__ = "assessment_run_files"

    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("rule_files.sha256"), primary_key=True)


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

