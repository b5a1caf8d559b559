"""The plan's 2020 targets tracked by the registry (domain.md §10, §14), with how sure we are of each.

A target whose source document was not found ([I] in domain.md §10) is provisional, and every
page that shows it says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

TARGET_YEAR = 2020


@dataclass(frozen=True, slots=True)
class PlanTarget:
    #: attribute of registry.stats.queries.PlanCounts
    code: str
    label: Any
    value: int
    #: ">=" (at least) or ">" (more than)
    comparator: str
    #: domain.md confidence tag: "C", "C2" or "I"
    confidence: str
    source: Any

    @property
    def is_provisional(self) -> bool:
        return self.confidence == "I"

    def is_met(self, count: int) -> bool:
        return count > self.value if self.comparator == ">" else count >= self.value

    def progress(self, count: int) -> float:
        """Share of the way to the target, 0–1 (a "more than 20" target needs 21 to be complete)."""
        needed = self.value + 1 if self.comparator == ">" else self.value
        return 1.0 if needed <= 0 else min(1.0, count / needed)


PLAN_TARGETS: tuple[PlanTarget, ...] = (
    PlanTarget("rd_institutions", _l("New-type R&D institutions"), 50, ">=", "C2",
               _l("Dongguan 13th Five-Year Plan for science and technology (approved 2017-02-28), via a secondary source")),
    PlanTarget("incubators_incl_accelerators", _l("Technology business incubators (incl. accelerators)"), 100, ">=", "I",
               _l("Source document not found; treat as provisional")),
    PlanTarget("national_incubators", _l("National-level technology business incubators"), 20, ">", "I",
               _l("Source document not found; treat as provisional")),
)

NATIONAL_TARGET = next(t for t in PLAN_TARGETS if t.code == "national_incubators")
