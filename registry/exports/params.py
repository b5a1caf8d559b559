"""Checking a count-export request: the same rules, and the same messages, for the CLI and the web.

Problems are returned as values (RegistryError instances carrying field, msgid and value), all at
once, so the caller can show every one of them; nothing is computed or written for a bad request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from registry.errors_domain import RegistryError


def N_(message: str) -> str:
    """Mark a msgid for extraction (pybabel -k N_); RegistryError.render translates it when shown."""
    return message

from registry.stats.queries import GROUPINGS

FORMATS: tuple[str, ...] = ("xlsx", "csv", "json")
#: the first national-level recognitions date from the late 1980s (Torch programme); earlier years are typos
MIN_YEAR = 1987
#: a table wider than this is not a yearly series anyone reads; it is a typo
MAX_SPAN = 50


@dataclass(frozen=True, slots=True)
class CountRequest:
    from_year: int
    to_year: int
    by: str | None
    as_of: date | None
    fmt: str

    @property
    def years(self) -> range:
        return range(self.from_year, self.to_year + 1)

    def filename(self, stem: str = "national-incubators") -> str:
        parts = [stem, f"{self.from_year}-{self.to_year}"]
        if self.by:
            parts.append(f"by-{self.by}")
        if self.as_of:
            parts.append(f"as-of-{self.as_of.isoformat()}")
        return "_".join(parts) + "." + self.fmt


def _year(raw: object, field: str, problems: list[RegistryError], today: date) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.append(RegistryError(field, N_("The year is required.")))
        return None
    try:
        year = int(str(raw).strip())
    except ValueError:
        problems.append(RegistryError(field, N_("“%(value)s” is not a year; expected four digits such as 2020."), raw))
        return None
    if not MIN_YEAR <= year <= today.year:
        problems.append(RegistryError(field, N_("The year %(value)s is outside %(min)s–%(max)s."), year,
                                      min=MIN_YEAR, max=today.year))
        return None
    return year


def validate_count_request(*, from_year: object, to_year: object, by: object = None, as_of: object = None,
                           fmt: object = "xlsx", today: date | None = None) -> tuple[CountRequest | None, list[RegistryError]]:
    """A CountRequest when every parameter is valid, else None and every problem found."""
    today = today or date.today()
    problems: list[RegistryError] = []
    start = _year(from_year, "from", problems, today)
    end = _year(to_year, "to", problems, today)
    if start is not None and end is not None:
        if start > end:
            problems.append(RegistryError("from", N_("The first year (%(value)s) is after the last year (%(to)s)."),
                                          start, to=end))
        elif end - start + 1 > MAX_SPAN:
            problems.append(RegistryError("to", N_("At most %(max)s years can be exported at once (asked for %(value)s)."),
                                          end - start + 1, max=MAX_SPAN))

    grouping = (str(by).strip() or None) if by is not None else None
    if grouping in ("total", "none"):
        grouping = None
    if grouping is not None and grouping not in GROUPINGS:
        problems.append(RegistryError("by", N_("“%(value)s” is not a grouping; choose town, zone or subclass."), by))

    day: date | None = None
    if as_of is not None and not (isinstance(as_of, str) and not as_of.strip()):
        try:
            day = as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of).strip())
        except ValueError:
            problems.append(RegistryError("as_of", N_("“%(value)s” is not a date; expected YYYY-MM-DD, e.g. 2020-12-31."),
                                          as_of))
        else:
            if start is not None and day < date(start, 1, 1):
                problems.append(RegistryError("as_of", N_("The as-of date %(value)s is before %(from)s: no year would be counted."),
                                              day.isoformat(), **{"from": start}))
            elif end is not None and day.year < end:
                problems.append(RegistryError(
                    "as_of", N_("The as-of date %(value)s is before the last year %(to)s: counts after it cannot be taken. "
                    "Export up to %(year)s or choose a later date."), day.isoformat(), to=end, year=day.year))

    form = str(fmt or "").strip().lower()
    if form not in FORMATS:
        problems.append(RegistryError("format", N_("“%(value)s” is not an export format; choose xlsx, csv or json."), fmt))

    if problems:
        return None, problems
    assert start is not None and end is not None
    return CountRequest(from_year=start, to_year=end, by=grouping, as_of=day, fmt=form), []
