"""The counts the bureau publishes, each defined once: a stable code, a version and its rule in words.

The statistics page, the exports (`fuhua export`, the xlsx downloads) and the JSON API
(`/api/v1/counts/<code>`) all count through these definitions, so a figure in a meeting, in a
spreadsheet and in another system is the same figure, computed by the same SQL and explained by
the same sentence. Change a rule → bump its version (the version is printed beside every figure).

Every definition follows the registry's counting rule (domain.md §9): an institution counts for a
year when a recognition of the definition's levels is in force on the count date (31 December, or
an earlier as-of date), each institution once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, select

from registry.models import CarrierType, Institution, Level, Recognition, Town
from registry.stats.queries import GROUPINGS, CountRow, GroupBy, count_dates, recognised_counts


@dataclass(frozen=True)
class CountDefinition:
    """One published count: which institutions, at which levels, counted how."""

    #: stable code, used in URLs (`/api/v1/counts/<code>`) and file names; never reused for another rule
    code: str
    #: bumped whenever the rule changes
    version: int
    title: Any
    #: the counting rule in words (English msgid; Chinese from the catalogue)
    rule: Any
    categories: tuple[CarrierType, ...]
    #: None: a recognition of any level counts
    levels: tuple[Level, ...] | None
    #: groupings that make sense for this count
    groupings: tuple[str, ...] = GROUPINGS

    def counts(self, years: Iterable[int], *, as_of: date | None = None, by: GroupBy | None = None) -> list[CountRow]:
        """Distinct institutions per year (and group) under this definition, in one grouped query."""
        return recognised_counts(years, categories=self.categories, levels=self.levels, as_of=as_of, by=by)

    def clause(self) -> ColumnElement[bool]:
        """SQL condition on a joined Institution and Recognition: this definition's category and level."""
        cond = Institution.category.in_(self.categories)
        if self.levels is not None:
            cond = and_(cond, Recognition.level.in_(self.levels))
        return cond

    def members_select(self, pairs: Sequence[tuple[int, date]]) -> Select:
        """(year, count date, institution id, name, credit code, subclass, town, level, recognised on, document
        number) of every institution in force on each count date: the rows behind `counts`.

        An institution holding several qualifying recognitions on a day appears once per recognition
        here; `registry.exports.members` keeps the highest level (the count is of institutions).
        """
        from registry.stats.queries import _in_force, _periods

        periods = _periods(pairs)
        return (select(periods.c.year, periods.c.day, Institution.id, Institution.name, Institution.uscc,
                       Institution.subclass, Town.name, Town.name_en, Recognition.level, Recognition.effective_from,
                       Recognition.doc_no)
                .select_from(periods)
                .join(Recognition, _in_force(periods))
                .join(Institution, and_(Institution.id == Recognition.institution_id, self.clause()))
                .join(Town, Town.id == Institution.town_id)
                .order_by(periods.c.year, Town.sort_order, Institution.name, Institution.id))

    def describe(self) -> dict[str, Any]:
        """The definition as data, with its title and rule in both languages (for the API)."""
        texts: dict[str, dict[str, str]] = {"title": {}, "rule": {}}
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                texts["title"][locale] = str(self.title)
                texts["rule"][locale] = str(self.rule)
        from registry.stats.targets import TARGET_YEAR

        target = target_for(self.code)
        return {
            "code": self.code, "version": self.version, "title": texts["title"], "rule": texts["rule"],
            "categories": [c.value for c in self.categories],
            "levels": None if self.levels is None else [lv.value for lv in self.levels],
            "groupings": list(self.groupings),
            "target": None if target is None else {
                "year": TARGET_YEAR, "value": target.value, "comparator": target.comparator,
                "provisional": target.is_provisional},
        }


NATIONAL_INCUBATORS = CountDefinition(
    code="national-incubators", version=1,
    title=_l("National-level technology business incubators"),
    rule=_l("An incubator counts for a year when its national-level recognition is in force on 31 December of "
            "that year (or on the as-of date when that comes earlier): recognised on or before that day and not "
            "ended on or before it. Each institution counts once per year, even if it was revoked and recognised again."),
    categories=(CarrierType.INCUBATOR,), levels=(Level.NATIONAL,))

NATIONAL_CANDIDATE_INCUBATORS = CountDefinition(
    code="national-candidate-incubators", version=1,
    title=_l("National-incubator candidate units"),
    rule=_l("An incubator counts for a year when its designation as a national-incubator candidate unit is in "
            "force on 31 December of that year (or on the as-of date when that comes earlier). Each institution "
            "counts once per year."),
    categories=(CarrierType.INCUBATOR,), levels=(Level.NATIONAL_CANDIDATE,))

INCUBATORS_AND_ACCELERATORS = CountDefinition(
    code="incubators-and-accelerators", version=1,
    title=_l("Technology business incubators (incl. accelerators)"),
    rule=_l("An incubator or accelerator counts for a year when a recognition of any level (municipal, provincial, "
            "candidate or national) is in force on 31 December of that year (or on the as-of date when that comes "
            "earlier). Each institution counts once per year, at its highest level."),
    categories=(CarrierType.INCUBATOR, CarrierType.ACCELERATOR), levels=None)

RD_INSTITUTIONS = CountDefinition(
    code="rd-institutions", version=1,
    title=_l("New-type R&D institutions"),
    rule=_l("A new-type R&D institution counts for a year when a recognition of any level is in force on "
            "31 December of that year (or on the as-of date when that comes earlier). Each institution counts "
            "once per year; grouped by subclass, each is counted in its assessment class."),
    categories=(CarrierType.RD_INSTITUTION,), levels=None)

MAKER_SPACES = CountDefinition(
    code="maker-spaces", version=1,
    title=_l("Maker spaces / pre-incubators"),
    rule=_l("A maker space or pre-incubator counts for a year when a recognition or filing of any level is in "
            "force on 31 December of that year (or on the as-of date when that comes earlier). Each institution "
            "counts once per year."),
    categories=(CarrierType.MAKER_SPACE,), levels=None, groupings=("town", "zone"))

NATIONAL_FILED_MAKER_SPACES = CountDefinition(
    code="national-filed-maker-spaces", version=1,
    title=_l("National-filed maker spaces"),
    rule=_l("A maker space counts for a year when its national filing is in force on 31 December of that year "
            "(or on the as-of date when that comes earlier). Each institution counts once per year."),
    categories=(CarrierType.MAKER_SPACE,), levels=(Level.NATIONAL_FILED,), groupings=("town", "zone"))

#: every published count, in the order the bureau reads them
DEFINITIONS: tuple[CountDefinition, ...] = (
    NATIONAL_INCUBATORS, NATIONAL_CANDIDATE_INCUBATORS, INCUBATORS_AND_ACCELERATORS, RD_INSTITUTIONS,
    MAKER_SPACES, NATIONAL_FILED_MAKER_SPACES,
)
BY_CODE: dict[str, CountDefinition] = {d.code: d for d in DEFINITIONS}

#: the plan's tracked targets (registry.stats.targets) → the definition each is measured with
TARGET_DEFINITIONS: dict[str, CountDefinition] = {
    "rd_institutions": RD_INSTITUTIONS,
    "incubators_incl_accelerators": INCUBATORS_AND_ACCELERATORS,
    "national_incubators": NATIONAL_INCUBATORS,
}


def definition(code: str) -> CountDefinition | None:
    return BY_CODE.get(code)


def target_for(code: str) -> Any:
    """The plan target measured with this definition, if any."""
    from registry.stats.targets import PLAN_TARGETS

    for target in PLAN_TARGETS:
        if TARGET_DEFINITIONS[target.code].code == code:
            return target
    return None


__all__ = ["BY_CODE", "DEFINITIONS", "CountDefinition", "NATIONAL_INCUBATORS", "TARGET_DEFINITIONS",
           "count_dates", "definition", "target_for"]
