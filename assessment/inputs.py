"""Declarations of the figures an indicator system reads.

These declarations are the single source of the self-report: `importers` builds the Excel
template and its validation from them, `registry` stores values under their codes, and the
engine checks that every indicator reads only declared inputs. Keep them complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

#: The value types a declared input may have.
#: ``percent`` values are stored as a number of percent (35 means 35 %).
#: ``score`` is a reviewer-scored qualitative item (专家定性评价): it never appears in the
#: institution's template; the review workflow supplies it.
InputType = Literal["int", "decimal", "percent", "bool", "date", "choice", "multichoice", "text", "uscc", "score"]

#: Where a value comes from: the institution's self-report, the reviewers, or the registry itself
#: (e.g. the recognition level, which the registry knows better than the filer).
InputSource = Literal["self_report", "reviewer", "registry"]

INPUT_TYPES: tuple[str, ...] = ("int", "decimal", "percent", "bool", "date", "choice", "multichoice", "text", "uscc", "score")
INPUT_SOURCES: tuple[str, ...] = ("self_report", "reviewer", "registry")


@dataclass(frozen=True, slots=True)
class Choice:
    """One allowed value of a choice input: a stable code and its Chinese and English labels."""

    code: str
    label: str
    label_en: str = ""


@dataclass(frozen=True, slots=True)
class InputDecl:
    """One figure an indicator system reads (a row of the key/value sheet, or a table column)."""

    code: str  #: snake_case, stable across years: "tenants", "rd_expenditure"
    label: str  #: Chinese label shown in the template: "在孵企业数"
    type: InputType
    label_en: str = ""  #: English label
    unit: str | None = None  #: declared unit: "万元", "千元", "m²", "人", "家", "%", "个", "场"
    min: Decimal | None = None  #: inclusive lower bound, if any
    max: Decimal | None = None  #: inclusive upper bound, if any
    decimals: int | None = None  #: precision values are rounded to (decimal / percent)
    required: bool = True
    choices: tuple[Choice, ...] = ()  #: for choice / multichoice
    section: str = "基本情况"  #: template section (a group of rows on the key/value sheet)
    help: str = ""  #: guidance for the filer (Chinese), shown in the template's note column
    source: InputSource = "self_report"
    provisional: bool = False  #: rests on an [I] (inferred) fact in domain.md
    reference: str = ""  #: the document or statistical form the field mirrors

    def choice_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices)


@dataclass(frozen=True, slots=True)
class TableDecl:
    """A list of rows in the self-report (tenants 在孵企业, R&D projects …): one sheet each."""

    code: str  #: "tenants", "projects"
    label: str  #: sheet name and title, Chinese: "在孵企业"
    columns: tuple[InputDecl, ...]
    label_en: str = ""
    key: str | None = None  #: column whose values must be unique within the file (e.g. "uscc")
    count_input: str | None = None  #: key/value input the row count must equal (e.g. "tenants")
    max_rows: int = 20000  #: rows beyond this are refused before reading the sheet
    required: bool = False  #: at least one row needed
    help: str = ""


@dataclass(frozen=True, slots=True)
class ConsistencyCheck:
    """A cross-field rule the filer's figures must satisfy (domain.md §8.1): sum(left) op sum(right).

    Example: tenant_area + public_service_area <= gross_floor_area.
    """

    code: str  #: stable kebab-case issue code suffix: "areas-within-total"
    left: tuple[str, ...]
    op: Literal["<=", ">=", "=="]
    right: tuple[str, ...]
    message: str  #: Chinese explanation shown to the filer
    message_en: str = ""
    severity: Literal["error", "warning"] = "error"


@dataclass(frozen=True, slots=True)
class InputSet:
    """Everything a self-report must carry for one category, subclass and year."""

    inputs: tuple[InputDecl, ...]
    tables: tuple[TableDecl, ...] = ()
    checks: tuple[ConsistencyCheck, ...] = ()
    #: the per-cent change over last year's figure above which a warning asks for an explanation
    plausibility_jump: Decimal | None = Decimal("50")

    def by_code(self) -> dict[str, InputDecl]:
        return {i.code: i for i in self.inputs}

    def self_reported(self) -> tuple[InputDecl, ...]:
        """The inputs that appear in the institution's template."""
        return tuple(i for i in self.inputs if i.source == "self_report")

    def reviewer_scored(self) -> tuple[InputDecl, ...]:
        return tuple(i for i in self.inputs if i.source == "reviewer")
