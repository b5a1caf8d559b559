"""The registry list as a styled xlsx: every institution matching the page's filters, in the page's order,
scoped like the page (registry.access), with the filters and the data's date in the notes."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from registry.access import institutions_query
from registry.exports.sheets import XLSX_MEDIA_TYPE, Column, ListSheet, data_date_note, workbook_bytes
from registry.extensions import db
from registry.i18n import is_english
from registry.institutions import bp
from registry.institutions.queries import RegistryFilters, registry_select
from registry.institutions.views import _filters_from, registry_filter_form
from registry.labels import label_for
from registry.models import Level, Recognition
from registry.stats.queries import has_synthetic_data

def highest_levels(on: date) -> dict[int, tuple[Level, date]]:
    """institution id → (highest level in force on `on`, since when), in one pass over the recognitions in force."""
    best: dict[int, tuple[Level, date]] = {}
    for inst_id, level, since in db.session.execute(
            select(Recognition.institution_id, Recognition.level, Recognition.effective_from)
            .where(Recognition.in_force_clause(on))):
        held = best.get(inst_id)
        if held is None or (level.rank, since) > (held[0].rank, held[1]):
            best[inst_id] = (level, since)
    return best


def registry_sheet(filters: RegistryFilters, filter_text: list[str], *, on: date | None = None) -> ListSheet:
    on = on or date.today()
    english = is_english()
    levels = highest_levels(on)
    rows = []
    for inst in db.session.scalars(registry_select(filters, base=institutions_query(), on=on)):
        level, since = levels.get(inst.id, (None, None))
        rows.append([inst.name, inst.uscc, label_for(inst.category), label_for(inst.subclass) if inst.subclass else "",
                     inst.town.name_en if english else inst.town.name, label_for(level) if level else _("None"),
                     since, label_for(inst.status), inst.established_on, inst.operating_entity or "",
                     inst.address or ""])
    notes = [_("Level in force on %(date)s: the highest recognition in force that day, and since when.",
               date=on.isoformat()),
             _("Filters: %(filters)s.", filters="; ".join(filter_text)) if filter_text else _("No filter: every institution you may see."),
             data_date_note(datetime.now().replace(microsecond=0))]
    if has_synthetic_data():
        notes.append(_("This database contains synthetic demo data: these figures are not real."))
    columns = [Column(_("Name"), "text", 34), Column(_("Credit code"), "text", 21), Column(_("Category"), "text", 16),
               Column(_("Subclass"), "text", 10), Column(_("Town"), "text", 12),
               Column(_("Level in force today"), "text", 14), Column(_("Recognised on"), "date", 12),
               Column(_("Status"), "text", 9), Column(_("Established on"), "date", 12),
               Column(_("Operating entity"), "text", 28), Column(_("Address"), "text", 30)]
    return ListSheet(name=_("Registry"), title=_("Registry: %(n)s institutions", n=f"{len(rows):,}"), columns=columns,
                     rows=rows, notes=notes, freeze_column=2)


@bp.route("/export.xlsx")
@login_required
def index_download():
    form = registry_filter_form()
    filters, _ignored = _filters_from(form)
    shown = []
    for name in ("q", "category", "subclass", "level", "status", "town", "zone"):
        field = form[name]
        if name not in form.errors and field.data:
            value = dict((str(v), str(t)) for v, t, *_rest in field.iter_choices()).get(str(field.data), field.data) \
                if name != "q" else field.data
            shown.append(f"{field.label.text}: {value}")
    shown += [str(form[name].label.text) for name in ("venture", "internet_plus", "urban_renewal", "strata_title",
                                                       "hmt_base") if form[name].data]
    sheet = registry_sheet(filters, shown)
    data = workbook_bytes([sheet], title=sheet.title)
    return Response(data, mimetype=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="registry-{date.today().isoformat()}.xlsx"',
        "Cache-Control": "no-store"})
