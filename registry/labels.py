"""Display labels for enum values and codes, in the user's language, from the one glossary.

The words themselves live in assessment/glossary.py (shared with the engine and the importers);
this module picks the column for the current locale: the request's (Flask-Babel) inside a request,
else the CLI's (LANG=en* → English, Chinese otherwise).
"""

from __future__ import annotations

import enum
import os
from typing import Any

from flask import has_request_context
from flask_babel import LazyString

from assessment import glossary
from registry.models.enums import (
    CarrierType,
    EndReason,
    GraduationCriterion,
    LegalForm,
    Level,
    Role,
    Status,
    Subclass,
    TenancyExit,
)

#: the glossary kind of each enum of the registry
ENUM_KINDS: dict[type[enum.Enum], str] = {
    CarrierType: "category",
    LegalForm: "legal_form",
    Level: "level",
    EndReason: "end_reason",
    Status: "status",
    TenancyExit: "tenancy_exit",
    GraduationCriterion: "graduation_criterion",
    Role: "role",
    Subclass: "subclass",
}


def current_locale() -> str:
    """"en" or "zh": the request's language, or the shell's for the CLI."""
    if has_request_context():
        from flask_babel import get_locale

        return "en" if str(get_locale() or "").startswith("en") else "zh"
    lang = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return "en" if lang.lower().startswith("en") else "zh"


def term(kind: str, code: Any) -> str:
    """The word for `code` of glossary `kind` in the current language ("—" when unknown)."""
    if code is None or code == "":
        return "—"
    return glossary.text(kind, code, current_locale())


def _lazy(kind: str, code: str) -> LazyString:
    return LazyString(lambda: glossary.text(kind, code, current_locale()))


#: enum member → its label, evaluated when shown (form choices are built before the locale is known)
LABELS: dict[Any, Any] = {member: _lazy(kind, member.value) for enum_cls, kind in ENUM_KINDS.items()
                          for member in enum_cls}

#: labels of plain string codes that are not enums (grades, recommendations)
CODE_LABELS: dict[str, Any] = {
    **{code: _lazy("grade", code) for code in glossary.GLOSSARY["grade"]},
    **{code: _lazy("recommendation", code) for code in glossary.GLOSSARY["recommendation"]},
}


def label_for(value: Any, kind: str | None = None) -> str:
    """The label of an enum member, or of a code (of `kind` when given); never the code itself.

    A value that is not a code (a name, a number) is returned as text.
    """
    if value is None:
        return "—"
    if kind is not None:
        return term(kind, value)
    if isinstance(value, enum.Enum):
        found_kind = ENUM_KINDS.get(type(value))
        return term(found_kind, value.value) if found_kind else str(value.value)
    if isinstance(value, str):
        found = glossary.find(value, ("subclass", "level", "status", "category", "grade", "recommendation",
                                      "role", "legal_form", "end_reason", "tenancy_exit", "graduation_criterion"))
        if found is not None:
            return found.text(current_locale())
    return str(value)
