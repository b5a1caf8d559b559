"""Downloads of count tables; parameters are checked exactly as `fuhua export` checks them.

The xlsx carries a second sheet listing the institutions behind every figure, limited to those the
user may see (registry.access); `list=1` downloads that list alone, in any format.
"""

from __future__ import annotations

from flask import Response, abort, render_template, request

from registry.access import institution_scope, roles_required
from registry.errors_domain import RegistryError
from registry.exports import bp
from registry.exports.counts import build_count_table
from registry.exports.params import validate_count_request
from registry.exports.writers import MEDIA_TYPES, render_export
from registry.models import Role
from registry.stats.definitions import BY_CODE, NATIONAL_INCUBATORS, CountDefinition


def N_(message: str) -> str:
    """Mark a msgid for extraction; RegistryError.render translates it when shown."""
    return message


@bp.route("/national-incubators")
@roles_required(Role.ADMIN, Role.REVIEWER)
def national_incubators():
    return _download(NATIONAL_INCUBATORS)


@bp.route("/counts/<code>")
@roles_required(Role.ADMIN, Role.REVIEWER)
def count(code: str):
    """Any published count (registry.stats.definitions) by its code."""
    definition = BY_CODE.get(code) or abort(404)
    return _download(definition)


def _download(definition: CountDefinition) -> Response | tuple[str, int]:
    args = request.args
    count_request, problems = validate_count_request(from_year=args.get("from"), to_year=args.get("to"),
                                                     by=args.get("by"), as_of=args.get("as_of"),
                                                     fmt=args.get("format", "xlsx"))
    if not problems and count_request is not None and count_request.by and count_request.by not in definition.groupings:
        problems = [RegistryError("by", N_("This count cannot be grouped by “%(value)s”; choose one of: %(choices)s."),
                                  count_request.by, choices=", ".join(definition.groupings))]
    if problems:
        return render_template("exports/invalid.html", problems=problems), 400
    as_list = args.get("list") == "1"
    table = build_count_table(count_request, definition, with_members=as_list or count_request.fmt == "xlsx",
                              scope=institution_scope())
    data = render_export(table, members_only=as_list)
    stem = definition.code + ("_institutions" if as_list else "")
    return Response(data, mimetype=MEDIA_TYPES[count_request.fmt], headers={
        "Content-Disposition": f'attachment; filename="{count_request.filename(stem)}"',
        "Cache-Control": "no-store",
    })
