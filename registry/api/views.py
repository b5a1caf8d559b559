"""API endpoints. Every one reads; every answer and every error is JSON described in the OpenAPI document.

Counts come from the same definitions and the same table builder as the exports
(registry.exports.counts), so `/api/v1/counts/national-incubators?from=2016&to=2020` answers the
figures `fuhua export national-incubators --from 2016 --to 2020 --format json` writes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, current_app, g, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from marshmallow import ValidationError
from marshmallow import fields as ma_fields
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from registry.access import token_institutions_query
from registry.api import bp, schemas
from registry.api.spec import build_spec, operation
from registry.api.tokens import note_use, token_from_header
from registry.exports.counts import build_count_table
from registry.exports.params import validate_count_request
from registry.exports.writers import count_dict, members_to_json
from registry.extensions import db
from registry.i18n import is_english
from registry.institutions.queries import (
    RegistryFilters,
    levels_in_force,
    registry_count_select,
    registry_ids_select,
    registry_rows_select,
)
from registry.labels import label_for
from registry.models import CarrierType, Institution, Status, Town, Zone
from registry.stats.definitions import DEFINITIONS, definition

#: endpoints anyone may read without a token (the document that says how to use the rest)
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


# --- errors --------------------------------------------------------------------------------------------

def api_error(status: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="fuhua"'
    return response


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "invalid_parameter"}


def json_http_error(error: HTTPException) -> Response:
    """Any HTTP error under /api/ (including unknown paths and wrong methods) as a JSON error body."""
    code = error.code or 500
    if code == 404:
        return api_error(404, "not_found", _("There is nothing at this address."))
    if code == 405:
        response = api_error(405, "method_not_allowed", _("The API only reads: use GET."))
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
        return response
    return api_error(code, _HTTP_CODES.get(code, "error"), error.description or _("The request failed."))


def json_unexpected_error() -> Response:
    return api_error(500, "internal_error", _("Something went wrong on the server; the request was not completed."))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return json_http_error(error)


# --- authentication ------------------------------------------------------------------------------------

@bp.before_request
def _authenticate() -> Response | None:
    """Bearer token or nothing: the session cookie is never consulted here."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token, problem = token_from_header(request.headers.get("Authorization"))
    if token is None:
        if problem == "missing":
            return api_error(401, "token_missing", _("Send an API token: Authorization: Bearer <token>."))
        return api_error(401, "token_invalid", _("The API token is unknown or has been revoked."))
    g.api_token = token
    note_use(token)
    return None


@bp.after_request
def _no_cache(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _query(schema: Any) -> dict[str, Any]:
    """The query string parsed by `schema`; a ValidationError becomes a 400 with every problem."""
    args = {k: (request.args.getlist(k) if k in schema.fields and isinstance(schema.fields[k], ma_fields.List)
                else request.args.get(k)) for k in request.args}
    return schema.load(args)


@bp.errorhandler(ValidationError)
def _invalid(error: ValidationError) -> Response:
    fields = {name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
              for name, msgs in error.normalized_messages().items()}
    return api_error(400, "invalid_parameter",
                     _("These query parameters are not valid: %(names)s.", names=", ".join(sorted(fields))), fields)


def _lang() -> str:
    return "en" if request.args.get("lang") == "en" else "zh_CN"


# --- the document --------------------------------------------------------------------------------------

@bp.route("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document (public: it holds no data, only how to ask for it)."""
    cache = current_app.extensions.setdefault("fuhua_openapi", {})
    if "document" not in cache:
        cache["document"] = build_spec(current_app)
    return jsonify(cache["document"])


# --- count definitions and counts ----------------------------------------------------------------------

@bp.route("/definitions")
@operation(summary="Every published count definition: code, version, rule in Chinese and English, plan target",
           response=schemas.DefinitionList, query=schemas.RecordQuery, errors=(400, 401), tag="counts")
def definitions() -> Response:
    _query(schemas.RecordQuery())
    return jsonify({"definitions": [d.describe() for d in DEFINITIONS]})


@bp.route("/counts/<code>")
@operation(summary="A count per year (and town, zone or subclass) under a published definition",
           response=schemas.Count, query=schemas.CountQuery, errors=(400, 401, 404), tag="counts")
def counts(code: str) -> Response:
    found = definition(code)
    if found is None:
        return api_error(404, "not_found", _("There is no count called “%(code)s”; see /api/v1/definitions.", code=code))
    with force_locale(_lang()):
        count_request, problems = validate_count_request(
            from_year=request.args.get("from"), to_year=request.args.get("to"), by=request.args.get("by"),
            as_of=request.args.get("as_of"), fmt="json")
        if not problems and count_request is not None and count_request.by and count_request.by not in found.groupings:
            return api_error(400, "invalid_parameter", _("This count cannot be grouped by %(by)s.", by=count_request.by),
                             {"by": [_("Choose one of: %(choices)s.", choices=", ".join(found.groupings))]})
        if problems:
            fields: dict[str, list[str]] = {}
            for p in problems:
                fields.setdefault(p.field or "request", []).append(p.render())
            return api_error(400, "invalid_parameter", " ".join(m for ms in fields.values() for m in ms), fields)
        assert count_request is not None
        return jsonify(count_dict(build_count_table(count_request, found)))


@bp.route("/counts/<code>/institutions")
@operation(summary="The institutions behind a count: one row per year and institution",
           response=schemas.MemberList, query=schemas.MemberQuery, errors=(400, 401, 404), tag="counts")
def count_institutions(code: str) -> Response:
    found = definition(code)
    if found is None:
        return api_error(404, "not_found", _("There is no count called “%(code)s”; see /api/v1/definitions.", code=code))
    with force_locale(_lang()):
        count_request, problems = validate_count_request(
            from_year=request.args.get("from"), to_year=request.args.get("to"), as_of=request.args.get("as_of"),
            fmt="json")
        if problems:
            fields: dict[str, list[str]] = {}
            for p in problems:
                fields.setdefault(p.field or "request", []).append(p.render())
            return api_error(400, "invalid_parameter", " ".join(m for ms in fields.values() for m in ms), fields)
        assert count_request is not None
        # a read token sees every institution's public record (registry.access.token_institutions_query)
        table = build_count_table(count_request, found, with_members=True)
        return Response(members_to_json(table), mimetype="application/json")


# --- the registry --------------------------------------------------------------------------------------

def _summary(inst: Institution, level: Any) -> dict[str, Any]:
    english = is_english()
    return {
        "uscc": inst.uscc, "name": inst.name, "category": inst.category.value, "category_label": label_for(inst.category),
        "subclass": inst.subclass, "town": {"code": inst.town.code, "name": inst.town.name_en if english else inst.town.name},
        "level": level.value if level is not None else None, "level_label": label_for(level) if level is not None else None,
        "status": inst.status.value, "established_on": inst.established_on.isoformat() if inst.established_on else None,
        "synthetic": inst.is_synthetic,
    }


def _code_to_id(model: Any, code: str | None, field: str) -> int | None:
    if not code:
        return None
    found = db.session.scalar(select(model.id).where(model.code == code))
    if found is None:
        raise ValidationError({field: [_("Unknown code “%(code)s”.", code=code)]})
    return found


@bp.route("/institutions")
@operation(summary="The registry list with its filters (the same filters and order as the registry page)",
           response=schemas.InstitutionList, query=schemas.RegistryQuery, errors=(400, 401), tag="registry")
def institutions() -> Response:
    args = _query(schemas.RegistryQuery())
    with force_locale(_lang()):
        filters = RegistryFilters(
            q=args.get("q"), category=CarrierType(args["category"]) if args.get("category") else None,
            subclass=args.get("subclass"), level=args.get("level"),
            status=Status(args["status"]) if args.get("status") else None,
            town_id=_code_to_id(Town, args.get("town"), "town"), zone_id=_code_to_id(Zone, args.get("zone"), "zone"),
            flags=tuple(args.get("flags") or ()), sort=args["sort"], descending=args["dir"] == "desc")
        today = date.today()
        base = token_institutions_query(g.api_token)
        total = db.session.scalar(registry_count_select(filters, base=base, on=today)) or 0
        page, per_page = args["page"], args["per_page"]
        ids = list(db.session.scalars(registry_ids_select(filters, base=base, on=today)
                                      .limit(per_page).offset((page - 1) * per_page)))
        rows = {i.id: i for i in db.session.scalars(registry_rows_select(ids))} if ids else {}
        levels = levels_in_force(ids, today)
        items = [_summary(rows[i], levels.get(i)) for i in ids if i in rows]
        return jsonify({"total": total, "page": page, "per_page": per_page, "items": items})


@bp.route("/institutions/<uscc>")
@operation(summary="An institution's public record: identity, town, standing and dated recognitions",
           response=schemas.InstitutionRecord, query=schemas.RecordQuery, errors=(400, 401, 404), tag="registry")
def institution(uscc: str) -> Response:
    _query(schemas.RecordQuery())
    with force_locale(_lang()):
        inst = db.session.scalar(token_institutions_query(g.api_token).where(Institution.uscc == uscc.strip().upper()))
        if inst is None:
            return api_error(404, "not_found", _("No institution has the credit code “%(code)s”.", code=uscc))
        level = inst.level_on(date.today())
        record = _summary(inst, level)
        record.update({
            "operating_entity": inst.operating_entity, "address": inst.address,
            "recognitions": [{"level": r.level.value, "level_label": label_for(r.level),
                              "effective_from": r.effective_from.isoformat(),
                              "ended_on": r.ended_on.isoformat() if r.ended_on else None,
                              "end_reason": r.end_reason.value if r.end_reason else None, "doc_no": r.doc_no}
                             for r in inst.recognitions],
        })
        return jsonify(record)
