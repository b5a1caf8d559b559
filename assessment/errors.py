"""Exceptions of the assessment engine: wrong calls and broken data files, never bad figures.

Bad or missing figures are returned as values on the outcome (``Outcome.missing``); these
exceptions are for a caller asking for something that does not exist, or a system file that
cannot be trusted.
"""

from __future__ import annotations

from collections.abc import Sequence


class AssessmentError(Exception):
    """Base class, so callers can catch every engine error at once."""


class SystemNotFoundError(AssessmentError, LookupError):
    """No indicator system (or criteria set) is in force for the category and year asked for."""

    def __init__(self, category: str, year: int, available: Sequence[int] = (), subclass: str | None = None) -> None:
        self.category = category
        self.subclass = subclass
        self.year = year
        self.available = list(available)
        what = f"{category}/{subclass}" if subclass else category
        if self.available:
            years = ", ".join(str(v) for v in self.available)
            msg = f"no {what} system in force for {year}; systems exist from: {years}"
        else:
            msg = f"no {what} system in force for {year}; none is defined"
        super().__init__(msg)


class SystemDefinitionError(AssessmentError, ValueError):
    """A system or criteria file is malformed; `path` points at the offending key."""

    def __init__(self, source: str, path: str, message: str) -> None:
        self.source = source
        self.path = path
        self.message = message
        super().__init__(f"{source}: {path}: {message}" if path else f"{source}: {message}")


class MissingInputError(AssessmentError, KeyError):
    """Inputs an indicator with the ``error`` policy needs are missing (raised only in strict mode)."""

    def __init__(self, codes: Sequence[str]) -> None:
        self.codes = list(codes)
        super().__init__(self.codes)

    def __str__(self) -> str:
        return "missing or malformed inputs: " + ", ".join(self.codes)
