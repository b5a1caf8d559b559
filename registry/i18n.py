"""Locale selection and rendering of engine/importer facts as sentences in the user's language."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session
from flask_babel import format_date, format_decimal, gettext, lazy_gettext

from registry.extensions import babel


def select_locale() -> str:
    """Chinese unless the user picked English (?lang=en, remembered in the session).

    Babel parses "zh_CN" as "zh_Hans_CN" (it adds the script), so the catalogue lives in
    translations/zh_Hans_CN.
    """
    from flask import current_app

    supported = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in supported:
        session["lang"] = chosen
    else:
        chosen = session.get("lang")
        if chosen not in supported:
            chosen = current_app.config["BABEL_DEFAULT_LOCALE"]
    return chosen


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        from flask_babel import get_locale

        from registry.labels import term

        return {"current_locale": str(get_locale()), "fmt_date": fmt_date, "fmt_num": fmt_num, "label": label,
                "term": term}


def fmt_date(value: Any) -> str:
    if value is None:
        return "—"
    return format_date(value, format="medium")


def fmt_num(value: Any, digits: int | None = None) -> str:
    if value is None or value == "":
        return "—"
    fmt = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=fmt)


def is_english() -> bool:
    from flask_babel import get_locale

    return str(get_locale()).startswith("en")


def label(value: Any) -> str:
    """Translated label of an enum value or code (see registry/labels.py)."""
    from registry.labels import label_for

    return label_for(value)


__all__ = ["fmt_date", "fmt_num", "gettext", "label", "lazy_gettext", "select_locale", "g"]
