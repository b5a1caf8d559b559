"""The OpenAPI document, generated from the API's views and their marshmallow schemas by apispec.

Each view declares its query schema, its answer schema and the errors it can give with `@operation`;
`build_spec` turns the Flask URL rules (apispec-webframeworks' FlaskPlugin) and those schemas
(apispec's MarshmallowPlugin) into the document served at /api/v1/openapi.json. Nothing in the
document is written by hand, so it changes when the code does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

OPENAPI_VERSION = "3.0.3"

#: stable error codes and when each is given (the `code` of every error body)
ERROR_STATUS = {
    400: "invalid_parameter: a query parameter is missing or not understood",
    401: "token_missing or token_invalid: no bearer token, or an unknown or revoked one",
    404: "not_found: no such definition or institution",
    405: "method_not_allowed: the API only reads (GET)",
}

#: view function → its OpenAPI operation (filled by @operation)
_OPERATIONS: dict[Callable[..., Any], dict[str, Any]] = {}


def operation(*, summary: str, response: Any, query: Any = None, errors: Sequence[int] = (400, 401),
              tag: str = "registry", public: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Describe a GET view for the document: query schema, 200 schema and the error statuses it can answer."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        op: dict[str, Any] = {
            "summary": summary, "tags": [tag], "operationId": view.__name__,
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": response}}}},
        }
        if query is not None:
            op["parameters"] = [{"in": "query", "schema": query}]
        for status in errors:
            op["responses"][str(status)] = {"description": ERROR_STATUS[status],
                                            "content": {"application/json": {"schema": "Error"}}}
        if public:
            op["security"] = []
        _OPERATIONS[view] = op
        return view

    return decorate


def build_spec(app: Flask) -> dict[str, Any]:
    """The document for the views registered on `app` (path parameters from their URL rules)."""
    from registry import __version__
    from registry.api import schemas

    spec = APISpec(
        title="Fuhua read-only API", version=__version__, openapi_version=OPENAPI_VERSION,
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        info={"description": "Counts by their published definitions, the registry list and institutions' public "
                             "records. Every request carries `Authorization: Bearer <token>` (tokens are created "
                             "by a bureau administrator). Errors are JSON: {\"error\": {\"code\", \"message\"}}."},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.options["security"] = [{"bearer": []}]
    spec.components.schema("Error", schema=schemas.Error)
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            view = app.view_functions.get(rule.endpoint)
            op = _OPERATIONS.get(view)  # type: ignore[arg-type]
            if op is None:
                continue
            path_params = [{"in": "path", "name": arg, "required": True, "schema": {"type": "string"}}
                           for arg in sorted(rule.arguments)]
            spec.path(view=view, app=app, operations={"get": {**op, "parameters": op.get("parameters", []) + path_params}})
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document
