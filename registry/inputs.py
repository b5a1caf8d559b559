"""Request inputs the database can take: ids within its integer range, no NUL bytes anywhere.

One URL converter, `<id:name>`, serves every integer in a route (ids, years, version numbers):
1 to 2,147,483,647 (PostgreSQL's integer), so a longer number is a plain 404 instead of an
overflow inside the database. `db_int` is the same bound for integers read from query strings
(`request.args.get("year", type=db_int)`). A NUL byte in the path, the query string or a form
field is refused with 400 before any view runs: PostgreSQL cannot store or compare it.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

#: PostgreSQL's integer (int4) range, which every id and year column uses
DB_INT_MAX = 2_147_483_647


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive integer that fits the database's integer columns."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002, ANN001, ANN002, ANN003
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def db_int(text: str) -> int:
    """`type=` for request.args.get: an integer in 1..DB_INT_MAX, else ValueError (so the default is used)."""
    value = int(str(text).strip())
    if not 1 <= value <= DB_INT_MAX:
        raise ValueError(f"{value} is outside 1..{DB_INT_MAX}")
    return value


def _has_nul(values) -> bool:  # noqa: ANN001
    return any("\x00" in v for v in values if isinstance(v, str))


def init_app(app: Flask) -> None:
    """Register the converter (before any blueprint adds its routes) and the NUL-byte guard."""
    app.url_map.converters["id"] = IdConverter

    @app.before_request
    def _refuse_nul_bytes() -> None:
        if "\x00" in request.path or _has_nul(request.args.values()) or _has_nul(request.args.keys()):
            abort(400)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            if _has_nul(request.form.values()) or _has_nul(request.form.keys()):
                abort(400)
