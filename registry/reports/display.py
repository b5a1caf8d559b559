"""Self-report values as a reader understands them, by their declaration (not their stored code).

Stored values are canonical text ("true", "comprehensive", "712345.60", "a,b"); pages show the
choice's label, 是/否, the figure with separators and its unit, the date in the locale's format.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from assessment.inputs import InputDecl
from registry.i18n import fmt_date, fmt_figure
from registry.labels import current_locale


def is_english() -> bool:
    return current_locale() == "en"


def _choice_label(decl: InputDecl, code: str) -> str:
    for choice in decl.choices:
        if choice.code == code:
            return (choice.label_en or choice.label) if is_english() else choice.label
    return code if not code.isascii() else "—"


def shown_value(decl: InputDecl | None, value: Any) -> str:
    """The understood value of one field, in words and figures ("" when empty)."""
    if value is None or value == "":
        return ""
    if decl is None:
        return fmt_figure(value)
    text = str(value)
    match decl.type:
        case "bool":
            if isinstance(value, bool):
                return _("yes") if value else _("no")
            return _("yes") if text.lower() in ("true", "1") else _("no") if text.lower() in ("false", "0") else text
        case "choice":
            return _choice_label(decl, text)
        case "multichoice":
            codes = value if isinstance(value, (list, tuple, set, frozenset)) else [c for c in text.split(",") if c]
            return ("、" if not is_english() else ", ").join(_choice_label(decl, str(c)) for c in codes) or "—"
        case "int" | "decimal" | "percent":
            return fmt_figure(value, decl.unit)
        case "date":
            return fmt_date(value)
    return text


def typed_if_different(decl: InputDecl | None, value: Any, raw: Any) -> str | None:
    """What was typed, when it reads differently from the understood value (else None)."""
    if raw is None or raw == "":
        return None
    typed = str(raw).strip()
    canonical = "" if value is None else str(value)
    if typed in (canonical, shown_value(decl, value)):
        return None
    if decl is not None and decl.type in ("int", "decimal", "percent"):
        try:
            from decimal import Decimal

            if Decimal(typed) == Decimal(canonical):
                return None
        except Exception:  # noqa: BLE001 — typed text that is not a plain number differs by definition
            pass
    if decl is not None and decl.type == "date" and typed[:10] == canonical[:10]:
        return None
    return typed
