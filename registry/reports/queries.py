"""Reading self-reports: versions, last year's figures, differences, and tenants claimed twice."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

import assessment
import importers
from registry.extensions import db
from registry.models import Firm, Institution, ReportedTenant, SelfReport, Tenancy, Upload

#: the table whose key lists the firms a carrier hosts (domain.md §11: 在孵企业 / 入驻企业)
TENANTS_TABLE = "tenants"
#: IN (...) lists are sent in chunks this long (SQLite's variable limit, PostgreSQL's plan size)
_CHUNK = 500


def subclass_code(institution: Institution) -> str | None:
    """The subclass the assessment system is keyed on (None for categories without subclasses)."""
    return institution.subclass if institution.category.value in assessment.SUBCLASSES else None


def category_title(category: str, subclass: str | None) -> str:
    from importers.reference import category_label, subclass_label

    sub = subclass_label(subclass)
    return category_label(category) + (f"（{sub}）" if sub else "")


def report_years(institution: Institution, *, until: int | None = None) -> list[int]:
    """Years the institution can file for: from the first system in force to last year (and any year on file), newest first."""
    category, subclass = institution.category.value, subclass_code(institution)
    try:
        versions = assessment.system_versions(category, subclass)
    except ValueError:  # a subclass missing on an incubator / R&D institution: nothing can be filed
        versions = []
    last = until if until is not None else dt.date.today().year - 1
    years = set(range(versions[0], last + 1)) if versions else set()
    years.update(db.session.scalars(select(SelfReport.year).where(SelfReport.institution_id == institution.id)))
    return sorted(years, reverse=True)


def current_report(institution_id: int, year: int) -> SelfReport | None:
    return db.session.scalar(select(SelfReport).where(
        SelfReport.institution_id == institution_id, SelfReport.year == year, SelfReport.is_current.is_(True)))


def versions(institution_id: int, year: int) -> list[SelfReport]:
    """Every version for the year, newest first, with its upload (not its bytes) loaded."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(SelfReport).options(joinedload(SelfReport.upload))
        .where(SelfReport.institution_id == institution_id, SelfReport.year == year)
        .order_by(SelfReport.version.desc())))


def version(institution_id: int, year: int, number: int) -> SelfReport | None:
    return db.session.scalar(select(SelfReport).where(
        SelfReport.institution_id == institution_id, SelfReport.year == year, SelfReport.version == number))


def uploads(institution_id: int, year: int | None = None, limit: int = 50) -> list[Upload]:
    """Recent uploads for an institution (all outcomes), newest first; `year` filters on the stored report."""
    rows = list(db.session.scalars(select(Upload).where(Upload.institution_id == institution_id)
                                   .order_by(Upload.uploaded_at.desc(), Upload.id.desc()).limit(limit)))
    if year is None:
        return rows
    return [u for u in rows if upload_year(u) == year]


def upload_year(upload: Upload) -> int | None:
    report = upload.report or {}
    year = report.get("year")
    return int(year) if isinstance(year, int) or (isinstance(year, str) and year.isdigit()) else None


def last_year_values(institution_id: int, year: int) -> dict[str, str]:
    """Field code → value text of the current report for year − 1 (the template's reference column)."""
    previous = current_report(institution_id, year - 1)
    if previous is None:
        return {}
    return {code: entry["value"] for code, entry in (previous.values or {}).items()
            if isinstance(entry, Mapping) and entry.get("value") is not None}


def typed_last_year(spec: importers.TemplateSpec, values: Mapping[str, str]) -> dict[str, object]:
    """Stored texts back to what build_template displays: booleans, choice codes as lists, dates."""
    decls = spec.by_code()
    return {code: typed_value(decls[code], text) for code, text in values.items() if code in decls}


def typed_value(decl: Any, text: str) -> object:
    """One stored text as the value build_template writes for its declaration."""
    if decl.type == "bool":
        return text == "true"
    if decl.type == "multichoice":
        return [c for c in text.split(",") if c]
    if decl.type == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    if decl.type in ("int", "decimal", "percent"):
        from decimal import Decimal, InvalidOperation

        try:
            return Decimal(text)
        except InvalidOperation:
            return text
    return text


def last_year_rows(institution_id: int, year: int, table_code: str) -> dict[str, dict[str, str]]:
    """Key (credit code) → column code → value text, of last year's current report's table."""
    previous = current_report(institution_id, year - 1)
    if previous is None:
        return {}
    rows = {}
    for row in (previous.tables or {}).get(table_code) or []:
        cells = {c: v.get("value") for c, v in row.items() if isinstance(v, Mapping) and v.get("value") is not None}
        if cells.get("uscc"):
            rows[cells["uscc"]] = cells
    return rows


# --- differences between two versions -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FieldChange:
    code: str
    label: str
    old: str | None
    old_cell: str | None
    new: str | None
    new_cell: str | None


@dataclass(frozen=True, slots=True)
class TableChange:
    code: str
    label: str
    old_rows: int
    new_rows: int
    added: tuple[str, ...]  #: keys only in the newer version
    removed: tuple[str, ...]  #: keys only in the older version
    changed: int  #: rows present in both whose values differ


def _labels(year: int, institution: Institution) -> tuple[dict[str, str], dict[str, str]]:
    try:
        spec = importers.load_spec(institution.category.value, year, subclass_code(institution))
    except (LookupError, ValueError):
        return {}, {}
    return {f.code: f.label for f in spec.fields}, {t.code: t.label for t in spec.tables}


def _key(table_code: str, row: Mapping[str, Any], index: int, key: str | None) -> str:
    if key and isinstance(row.get(key), Mapping) and row[key].get("value"):
        return str(row[key]["value"])
    return f"#{index + 1}"


def diff(a: SelfReport, b: SelfReport) -> tuple[list[FieldChange], list[TableChange]]:
    """What changed from version `a` to version `b`: fields (with their cells) and tables (by row key)."""
    field_labels, table_labels = _labels(b.year, b.institution)
    changes = []
    codes = list(dict.fromkeys([*(a.values or {}), *(b.values or {})]))
    order = {c: i for i, c in enumerate(field_labels)}
    codes.sort(key=lambda c: order.get(c, len(order)))
    for code in codes:
        old, new = (a.values or {}).get(code) or {}, (b.values or {}).get(code) or {}
        if old.get("value") != new.get("value"):
            changes.append(FieldChange(code, field_labels.get(code, code), old.get("value"), old.get("cell"),
                                       new.get("value"), new.get("cell")))
    tables = []
    spec_keys = _table_keys(b)
    for code in dict.fromkeys([*(a.tables or {}), *(b.tables or {})]):
        old_rows, new_rows = (a.tables or {}).get(code) or [], (b.tables or {}).get(code) or []
        key = spec_keys.get(code)
        old_by = {_key(code, r, i, key): r for i, r in enumerate(old_rows)}
        new_by = {_key(code, r, i, key): r for i, r in enumerate(new_rows)}
        both = old_by.keys() & new_by.keys()
        changed = sum(1 for k in both if _row_values(old_by[k]) != _row_values(new_by[k]))
        added = tuple(k for k in new_by if k not in old_by)
        removed = tuple(k for k in old_by if k not in new_by)
        if changed or added or removed:
            tables.append(TableChange(code, table_labels.get(code, code), len(old_rows), len(new_rows), added, removed,
                                      changed))
    return changes, tables


def _row_values(row: Mapping[str, Any]) -> dict[str, Any]:
    return {c: (v or {}).get("value") for c, v in row.items()}


def _table_keys(report: SelfReport) -> dict[str, str | None]:
    try:
        spec = importers.load_spec(report.institution.category.value, report.year, subclass_code(report.institution))
    except (LookupError, ValueError):
        return {}
    return {t.code: t.key or ("uscc" if any(c.code == "uscc" for c in t.columns) else None) for t in spec.tables}


# --- tenants claimed by two carriers --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Claim:
    """Another carrier that lists the same firm for the year: in its current report, or in the registry."""

    institution_id: int
    institution_name: str
    source: str  #: "report" or "registry"


def tenant_codes(tables: Mapping[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """(credit code, firm name, sheet!cell) of each row of a stored tenants table."""
    rows = tables.get(TENANTS_TABLE) or []
    out = []
    for row in rows:
        code = (row.get("uscc") or {}).get("value")
        if code:
            name = (row.get("name") or {}).get("value")
            out.append((str(code), name, (row.get("uscc") or {}).get("cell")))
    return out


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def tenant_claims(year: int, codes: Iterable[str], *, institution_id: int) -> dict[str, list[Claim]]:
    """Credit code → the other carriers claiming it for `year` (current reports, then active tenancies).

    One indexed query per source (per 500 codes): reported_tenants on (year, uscc) joined to the
    current reports, and tenancies overlapping the year joined to their firm.
    """
    wanted = sorted(set(codes))
    found: dict[str, dict[int, Claim]] = defaultdict(dict)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    for chunk in _chunks(wanted):
        reported = db.session.execute(
            select(ReportedTenant.uscc, Institution.id, Institution.name)
            .join(SelfReport, SelfReport.id == ReportedTenant.self_report_id)
            .join(Institution, Institution.id == ReportedTenant.institution_id)
            .where(ReportedTenant.year == year, ReportedTenant.uscc.in_(chunk), SelfReport.is_current.is_(True),
                   ReportedTenant.institution_id != institution_id))
        for code, inst_id, name in reported:
            found[code].setdefault(inst_id, Claim(inst_id, name, "report"))
        registered = db.session.execute(
            select(Firm.uscc, Institution.id, Institution.name)
            .join(Tenancy, Tenancy.firm_id == Firm.id)
            .join(Institution, Institution.id == Tenancy.carrier_id)
            .where(Firm.uscc.in_(chunk), Tenancy.carrier_id != institution_id, Tenancy.entered_on <= end,
                   or_(Tenancy.exited_on.is_(None), Tenancy.exited_on > start)))
        for code, inst_id, name in registered:
            found[code].setdefault(inst_id, Claim(inst_id, name, "registry"))
    return {code: list(claims.values()) for code, claims in found.items()}


def next_version(institution_id: int, year: int) -> int:
    latest = db.session.scalar(select(func.max(SelfReport.version)).where(
        SelfReport.institution_id == institution_id, SelfReport.year == year))
    return (latest or 0) + 1
