"""Downloads of count tables; parameters are checked exactly as `fuhua export` checks them."""

from __future__ import annotations

from flask import Response, render_template, request

from registry.access import roles_required, visible_institution_ids
from registry.exports import bp
from registry.exports.counts import build_count_table
from registry.exports.params import validate_count_request
from registry.exports.writers import MEDIA_TYPES, render_export
from registry.models import Role


@bp.route("/national-incubators")
@roles_required(Role.ADMIN, Role.REVIEWER)
def national_incubators():
    args = request.args
    count_request, problems = validate_count_request(from_year=args.get("from"), to_year=args.get("to"),
                                                     by=args.get("by"), as_of=args.get("as_of"),
                                                     fmt=args.get("format", "xlsx"))
    if problems:
        return render_template("exports/invalid.html", problems=problems), 400
    table = build_count_table(count_request, with_members=count_request.fmt == "xlsx", scope=_scope())
    data = render_export(table)
    return Response(data, mimetype=MEDIA_TYPES[count_request.fmt], headers={
        "Content-Disposition": f'attachment; filename="{count_request.filename()}"',
        "Cache-Control": "no-store",
    })


def _scope():  # noqa: ANN202
    """The institutions the user may see (reviewers: none they are conflicted with) for the list sheet."""
    return visible_institution_ids()
