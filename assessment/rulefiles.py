"""The text of every rule file a loaded system or criteria set was parsed from, addressed by content.

A stored result names the sha256 of the files that produced it. To explain it years later the
caller keeps those files' text (the registry stores it in its database) and parses it again
with `system_from_files` / `criteria_from_files`, the same code path as files on disk, so a
past result is always explained with the rules it used, never with whatever is on disk now.

Keys: a system or criteria file is keyed by the sha256 of its bytes. A shared inputs file is
keyed by the digest the system already pins as ``inputs_sha256``: sha256 over the digests of
the files it includes, then its own bytes (as a Git tree covers its entries), so one key always
names one exact set of declarations.

This module also remembers, per process, what has been parsed by content: a key names exactly
one content, so a remembered parse can serve any later request for that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assessment.criteria import Criteria
    from assessment.system import IndicatorSystem

KINDS: tuple[str, ...] = ("system", "inputs", "criteria")
PACKAGE_ROOT = "package"  #: the root label of the files shipped inside the `assessment` package


@dataclass(frozen=True, slots=True)
class RuleFile:
    """One rule file as it was read: where it was found, its text, and the key it is stored under."""

    kind: str  #: "system" | "inputs" | "criteria"
    path: str  #: under ``systems/`` (systems, inputs files) or ``criteria/`` (criteria files)
    root: str  #: the data root it came from: "package" or the folder's path
    sha256: str  #: the key (see the module docstring)
    text: str
    #: inputs files: keys of the inputs files it includes, in order
    includes: tuple[str, ...] = ()
    #: criteria files: (sha256, inputs_sha256) of the systems whose declarations checked it
    declared_by: tuple[tuple[str, str | None], ...] = ()
    code: str | None = None  #: "incubator/comprehensive" for systems, the criteria code for criteria
    version: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown rule file kind {self.kind!r}")


class PinnedFileError(LookupError):
    """Stored rule-file text is missing, or does not hash to the key it is stored under."""


# --- parsed by content, per process --------------------------------------------------------------

_SYSTEMS: dict[tuple[str, str | None], IndicatorSystem] = {}
_CRITERIA: dict[str, Criteria] = {}


def remember_system(system: IndicatorSystem) -> IndicatorSystem:
    _SYSTEMS.setdefault((system.sha256, system.inputs_sha256), system)
    return system


def remember_criteria(criteria: Criteria) -> Criteria:
    _CRITERIA.setdefault(criteria.sha256, criteria)
    return criteria


def known_system(sha256: str, inputs_sha256: str | None) -> IndicatorSystem | None:
    """The system parsed from exactly these files in this process, if any."""
    return _SYSTEMS.get((sha256, inputs_sha256))


def known_criteria(sha256: str) -> Criteria | None:
    """The criteria set parsed from exactly this file in this process, if any."""
    return _CRITERIA.get(sha256)
