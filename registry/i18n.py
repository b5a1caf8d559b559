"""Locale selection and rendering of engine/importer facts as sentences in the user's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, g, request, session
from flask_babel import format_date, format_decimal, gettext, lazy_gettext

from registry.extensions import babel


def select_locale() -> str:
    """Chinese unless the user picked English (?lang=en, remembered in the session).

    Babel parses "zh_CN" as "zh_Hans_CN" (it adds the script), so the catalogue lives in
    translations/zh_Hans_CN.
    """
    from flask import current_app, has_request_context

    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line: the shell's language (LANG=en* → English)
        from registry.labels import current_locale

        return "en" if current_locale() == "en" else current_app.config["BABEL_DEFAULT_LOCALE"]
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
    init_filters(app)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        from flask_babel import get_locale

        from registry.labels import term

        return {"current_locale": str(get_locale()), "fmt_date": fmt_date, "fmt_num": fmt_num, "label": label,
                "term": term, "language_url": language_url, "town_name": town_name}


def _local(value: datetime) -> datetime:
    """A stored time (UTC, naive or aware) in the display time zone."""
    from datetime import timezone
    from zoneinfo import ZoneInfo

    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(ZoneInfo(DISPLAY_TIMEZONE))


def town_name(town: Any) -> str:
    """A town's name in the page's language (towns carry an English name beside the Chinese one)."""
    if town is None:
        return "—"
    return (getattr(town, "name_en", None) or town.name) if is_english() else town.name


def language_url(lang: str) -> str:
    """The current page in another language: same path, same filters, only `lang` changed."""
    from urllib.parse import urlencode

    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", lang)]
    return f"{request.path}?{urlencode(args)}"


def fmt_date(value: Any) -> str:
    """One date format per locale: 2020年3月5日 in Chinese, 2020-03-05 in English."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        from datetime import date

        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = _local(value).date()
    return format_date(value, format="yyyy-MM-dd" if is_english() else "long")


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


__all__ = ["fmt_date", "fmt_datetime", "fmt_figure", "fmt_num", "fmt_ratio", "gettext", "label", "lazy_gettext", "select_locale", "g"]


# --- figures, dates and times as a reader expects them (Jinja filters, see init_filters) --------

#: the bureau's clocks: every stored time is UTC and is shown in this zone
DISPLAY_TIMEZONE = "Asia/Shanghai"


def _decimal(value: Any):  # noqa: ANN202 — Decimal | None
    from decimal import Decimal, InvalidOperation

    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None


def fmt_figure(value: Any, unit: str | None = None, digits: int | None = None) -> str:
    """A figure with thousands separators and its unit: "660,544.03千元", "81.3%", "是".

    Per cent values get one decimal; other figures keep the decimals they were given (at most
    two). Text that is not a number is shown as it is.
    """
    from jinja2 import Undefined

    if isinstance(unit, Undefined):
        unit = None
    if value is None or value == "" or isinstance(value, Undefined):
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, (list, tuple)):
        return ("、" if not is_english() else ", ").join(fmt_figure(v, unit, digits) for v in value)
    number = _decimal(value)
    if number is None:
        return str(value)
    if digits is None:
        digits = 1 if unit == "%" else min(max(-number.as_tuple().exponent, 0), 2) if number.is_finite() else 0
    from decimal import ROUND_HALF_UP, Decimal

    if number.is_finite():  # half up, as published score sheets round (Babel would round half to even)
        number = number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = format_decimal(number, format="#,##0." + "0" * digits if digits else "#,##0")
    if unit == "%":
        return text + "%"
    return f"{text}{unit}" if unit else text


def fmt_ratio(value: Any) -> str:
    """A ratio already in per cent, to one decimal: 78.5511 → "78.6%"."""
    return fmt_figure(value, "%")


def fmt_datetime(value: Any, seconds: bool = True) -> str:
    """A stored UTC time in Asia/Shanghai, to the second: 2020年3月5日 14:03:09 / 2020-03-05 14:03:09."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    local = _local(value)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{fmt_date(local.date())} {clock}"


def init_filters(app: Flask) -> None:
    from assessment.glossary import public_reference
    from registry.reports.display import shown_value, typed_if_different

    app.jinja_env.globals.update(shown_value=shown_value, typed_if_different=typed_if_different)
    app.jinja_env.filters.update(figure=fmt_figure, ratio=fmt_ratio, datetime=fmt_datetime, reference=public_reference,
                                 date=fmt_date)
