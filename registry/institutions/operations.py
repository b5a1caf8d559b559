"""Writes to the registry. Each validates, flushes and never commits; the caller commits once.

Invariants kept here (and by database constraints where SQL can express them): credit codes are
valid and unique; recognitions are history — they end, they are never edited away — and two
recognitions of the same level never overlap; status changes are appended; tenancies end after
they start and a firm is in one place at a time.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc as uscc_mod

from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import (
    CarrierType,
    EndReason,
    Firm,
    GraduationCriterion,
    Institution,
    LegalForm,
    Level,
    Recognition,
    Status,
    StatusChange,
    Tenancy,
    TenancyExit,
    Town,
)
from registry.models.enums import SUBCLASSES_BY_CATEGORY


def clean_uscc(raw: str, field: str = "uscc") -> str:
    """Compact and validate a 统一社会信用代码 with python-stdnum; RegistryError says what is wrong."""
    value = (raw or "").strip()
    try:
        return uscc_mod.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise RegistryError(field, "“%(value)s” is not a valid unified social credit code: the check digit is wrong.", value) from None
    except stdnum_errors.InvalidLength:
        raise RegistryError(field, "“%(value)s” is not a unified social credit code: 18 characters are expected.", value) from None
    except stdnum_errors.ValidationError:
        raise RegistryError(field, "“%(value)s” is not a unified social credit code: it contains characters that are not allowed.", value) from None


def resolve_town(town: Town | str | int) -> Town:
    """A Town from a Town, its id, its code or its Chinese name; unknown towns are rejected."""
    if isinstance(town, Town):
        return town
    found = None
    if isinstance(town, int):
        found = db.session.get(Town, town)
    elif isinstance(town, str):
        found = db.session.scalar(select(Town).where((Town.code == town) | (Town.name == town.strip())))
    if found is None:
        raise RegistryError("town", "“%(value)s” is not a town-level unit of the city.", town)
    return found


_INSTITUTION_FIELDS = {
    "name", "uscc", "category", "subclass", "specialised_field", "legal_form", "town", "operating_entity",
    "parent_organisation", "address", "established_on", "operating_since", "gross_floor_area", "controlled_area",
    "has_venture_model", "has_internet_plus_model", "is_urban_renewal", "is_strata_title", "strata_divisible_area",
    "strata_sold_area", "is_hmt_base", "is_hardship_area", "is_synthetic", "notes",
}


def _check_institution(inst: Institution) -> None:
    if not (inst.name or "").strip():
        raise RegistryError("name", "The name is required.")
    allowed = SUBCLASSES_BY_CATEGORY.get(inst.category, ())
    if inst.subclass and inst.subclass not in {s.value for s in allowed}:
        raise RegistryError("subclass", "“%(value)s” is not a subclass of this category.", inst.subclass)
    if allowed and not inst.subclass:
        raise RegistryError("subclass", "Choose the subclass used for classified assessment.")
    if inst.established_on and inst.operating_since and inst.operating_since < inst.established_on:
        raise RegistryError("operating_since", "Operation cannot start (%(value)s) before the institution was established.",
                            inst.operating_since)
    for name in ("gross_floor_area", "controlled_area", "strata_divisible_area", "strata_sold_area"):
        area = getattr(inst, name)
        if area is not None and Decimal(area) < 0:
            raise RegistryError(name, "An area cannot be negative (found %(value)s).", area)
    if inst.gross_floor_area is not None and inst.controlled_area is not None and inst.controlled_area > inst.gross_floor_area:
        raise RegistryError("controlled_area", "The self-controlled area (%(value)s m²) cannot exceed the gross floor area.",
                            inst.controlled_area)
    if inst.is_strata_title:
        if inst.strata_sold_area is not None and inst.strata_divisible_area is not None \
                and inst.strata_sold_area > inst.strata_divisible_area:
            raise RegistryError("strata_sold_area", "The sold area (%(value)s m²) cannot exceed the divisible area.",
                                inst.strata_sold_area)
    else:
        inst.strata_divisible_area = None
        inst.strata_sold_area = None


def _apply(inst: Institution, fields: dict[str, Any]) -> None:
    unknown = set(fields) - _INSTITUTION_FIELDS
    if unknown:
        raise TypeError(f"unknown institution fields: {sorted(unknown)}")
    for key, value in fields.items():
        if key == "uscc":
            value = clean_uscc(value)
        elif key == "town":
            inst.town = resolve_town(value)
            continue
        elif key == "category":
            value = CarrierType(value)
        elif key == "legal_form":
            value = LegalForm(value)
        elif key == "subclass":
            value = value or None
        elif isinstance(value, str) and key != "notes":
            value = value.strip() or None if key != "name" else value.strip()
        setattr(inst, key, value)


def _check_unique_uscc(inst: Institution) -> None:
    stmt = select(Institution.id, Institution.name).where(Institution.uscc == inst.uscc)
    if inst.id:
        stmt = stmt.where(Institution.id != inst.id)
    with db.session.no_autoflush:  # an edited row must not be flushed (and hit the unique index) before we look
        clash = db.session.execute(stmt.limit(1)).first()
    if clash is not None:
        raise RegistryError("uscc", "The credit code %(value)s is already registered to “%(name)s” (#%(other)s).",
                            inst.uscc, other=clash.id, name=clash.name)


def register_institution(*, recorded_by: Any = None, status_on: date | None = None, **fields: Any) -> Institution:
    """Register a new institution as an applicant (status history starts here)."""
    inst = Institution(status=Status.APPLICANT)
    fields.setdefault("legal_form", LegalForm.ENTERPRISE)
    _apply(inst, fields)
    _check_institution(inst)
    _check_unique_uscc(inst)
    db.session.add(inst)
    db.session.flush()
    db.session.add(StatusChange(institution=inst, status=Status.APPLICANT, effective_on=status_on or date.today(),
                                reason="registered", recorded_by_id=getattr(recorded_by, "id", None)))
    db.session.flush()
    return inst


def update_institution(inst: Institution, **fields: Any) -> Institution:
    """Change registry facts; recognitions and status have their own operations (they are history)."""
    for forbidden in ("status", "recognitions"):
        fields.pop(forbidden, None)
    # nothing of the half-applied edit may reach the database (unique index, lookups) before it is checked
    with db.session.no_autoflush:
        _apply(inst, fields)
        _check_institution(inst)
        _check_unique_uscc(inst)
    db.session.flush()
    return inst


def record_recognition(inst: Institution, *, level: Level | str, effective_from: date, ended_on: date | None = None,
                       end_reason: EndReason | str | None = None, doc_no: str | None = None, note: str | None = None,
                       recorded_by: Any = None) -> Recognition:
    """Add a dated recognition. Same-level recognitions may not overlap; the status becomes recognised."""
    level = Level(level)
    end_reason = EndReason(end_reason) if end_reason else None
    if effective_from is None:
        raise RegistryError("effective_from", "The date the recognition takes effect is required.")
    if ended_on is not None and ended_on <= effective_from:
        raise RegistryError("ended_on", "The end date (%(value)s) must be after the start date (%(start)s).",
                            ended_on, start=effective_from)
    if (ended_on is None) != (end_reason is None):
        raise RegistryError("end_reason", "An end date and a reason for ending go together.")
    if level is Level.NATIONAL_FILED and inst.category is not CarrierType.MAKER_SPACE:
        raise RegistryError("level", "Only maker spaces can be national-filed (国家备案).")
    if level is Level.NATIONAL_CANDIDATE and inst.category is not CarrierType.INCUBATOR:
        raise RegistryError("level", "Only incubators can be national candidate units (培育单位).")
    for other in inst.recognitions:
        if other.level is level and _overlaps(other.effective_from, other.ended_on, effective_from, ended_on):
            if other.ended_on is not None:
                raise RegistryError("effective_from",
                                    "This overlaps the %(level)s recognition in force from %(start)s to %(end)s.",
                                    effective_from, level=level.value, start=other.effective_from,
                                    end=other.ended_on)
            raise RegistryError("effective_from",
                                "This overlaps the %(level)s recognition in force since %(start)s (not ended).",
                                effective_from, level=level.value, start=other.effective_from)
    rec = Recognition(institution=inst, level=level, effective_from=effective_from, ended_on=ended_on,
                      end_reason=end_reason, doc_no=(doc_no or "").strip() or None, note=note,
                      recorded_by_id=getattr(recorded_by, "id", None))
    db.session.add(rec)
    if inst.status is Status.APPLICANT and (ended_on is None or ended_on > date.today()):
        # Status history is append-only: when an earlier recognition is entered after the institution
        # was registered, the status step is dated at the registration (the recognition keeps its date).
        last = inst.status_changes[-1] if inst.status_changes else None
        status_on = max(effective_from, last.effective_on) if last is not None else effective_from
        change_status(inst, Status.RECOGNISED, effective_on=status_on, reason="recognised", doc_no=doc_no,
                      recorded_by=recorded_by)
    db.session.flush()
    return rec


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Half-open intervals [start, end) overlap."""
    return (a_end is None or b_start < a_end) and (b_end is None or a_start < b_end)


def end_recognition(rec: Recognition, *, ended_on: date, reason: EndReason | str, doc_no: str | None = None,
                    recorded_by: Any = None) -> Recognition:
    """End a recognition in force (revocation, expiry, upgrade); the row stays as history."""
    if ended_on is None:
        raise RegistryError("ended_on", "The end date is required.")
    if not reason:
        raise RegistryError("reason", "Give the reason for ending the recognition.")
    reason = EndReason(reason)
    if rec.ended_on is not None:
        raise RegistryError("ended_on", "This recognition already ended on %(value)s.", rec.ended_on)
    if ended_on <= rec.effective_from:
        raise RegistryError("ended_on", "The end date (%(value)s) must be after the start date (%(start)s).",
                            ended_on, start=rec.effective_from)
    rec.ended_on = ended_on
    rec.end_reason = reason
    rec.end_doc_no = (doc_no or "").strip() or None
    db.session.flush()
    return rec


_ALLOWED_STATUS_MOVES = {
    Status.APPLICANT: {Status.RECOGNISED, Status.EXITED},
    Status.RECOGNISED: {Status.RECTIFYING, Status.EXITED},
    Status.RECTIFYING: {Status.RECOGNISED, Status.EXITED},
    Status.EXITED: {Status.APPLICANT},  # may apply again
}


def change_status(inst: Institution, status: Status | str, *, effective_on: date, reason: str | None = None,
                  doc_no: str | None = None, recorded_by: Any = None) -> StatusChange:
    """Append a lifecycle step (applicant → recognised → rectifying → exited) with its reason."""
    status = Status(status)
    if status is inst.status:
        raise RegistryError("status", "The institution is already in this status.", status.value)
    if status not in _ALLOWED_STATUS_MOVES[inst.status]:
        raise RegistryError("status", "Cannot move from %(current)s to %(value)s.", status.value,
                            current=inst.status.value)
    last = inst.status_changes[-1] if inst.status_changes else None
    if last is not None and effective_on < last.effective_on:
        raise RegistryError("effective_on", "The date (%(value)s) is before the previous status change (%(last)s).",
                            effective_on, last=last.effective_on)
    if status is Status.EXITED and not (reason or "").strip():
        raise RegistryError("reason", "Give the reason for the exit.")
    change = StatusChange(institution=inst, status=status, effective_on=effective_on, reason=reason, doc_no=doc_no,
                          recorded_by_id=getattr(recorded_by, "id", None))
    db.session.add(change)
    inst.status = status
    db.session.flush()
    return change


def get_or_create_firm(*, name: str, uscc: str, established_on: date | None = None) -> Firm:
    code = clean_uscc(uscc, field="firm_uscc")
    firm = db.session.scalar(select(Firm).where(Firm.uscc == code))
    if firm is None:
        firm = Firm(name=name.strip(), uscc=code, established_on=established_on)
        db.session.add(firm)
        db.session.flush()
    return firm


def add_tenancy(carrier: Institution, firm: Firm, *, entered_on: date, exited_on: date | None = None,
                exit_reason: TenancyExit | str | None = None,
                graduation_criterion: GraduationCriterion | str | None = None) -> Tenancy:
    """Host a firm at a carrier. A firm is at one carrier at a time; graduates name the criterion met."""
    if carrier.category is CarrierType.RD_INSTITUTION:
        raise RegistryError("carrier", "New-type R&D institutions do not host tenants in the registry.")
    exit_reason = TenancyExit(exit_reason) if exit_reason else None
    graduation_criterion = GraduationCriterion(graduation_criterion) if graduation_criterion else None
    if exited_on is not None and exited_on < entered_on:
        raise RegistryError("exited_on", "The exit date (%(value)s) is before the entry date (%(entered)s).",
                            exited_on, entered=entered_on)
    if (exited_on is None) != (exit_reason is None):
        raise RegistryError("exit_reason", "An exit date and a reason for leaving go together.")
    if graduation_criterion and exit_reason is not TenancyExit.GRADUATED:
        raise RegistryError("graduation_criterion", "Only graduates meet a graduation criterion.")
    if exit_reason is TenancyExit.GRADUATED and graduation_criterion is None:
        raise RegistryError("graduation_criterion", "Name the graduation criterion the firm met.")
    for other in firm.tenancies:
        if _overlaps(other.entered_on, other.exited_on, entered_on, exited_on):
            raise RegistryError("entered_on", "The firm is already hosted by another carrier from %(start)s.",
                                entered_on, start=other.entered_on)
    tenancy = Tenancy(firm=firm, carrier=carrier, entered_on=entered_on, exited_on=exited_on, exit_reason=exit_reason,
                      graduation_criterion=graduation_criterion)
    db.session.add(tenancy)
    db.session.flush()
    return tenancy


def end_tenancy(tenancy: Tenancy, *, exited_on: date, exit_reason: TenancyExit | str,
                graduation_criterion: GraduationCriterion | str | None = None) -> Tenancy:
    """Record that a hosted firm left (graduated, moved on, failed, relocated); the row stays as history."""
    if tenancy.exited_on is not None:
        raise RegistryError("exited_on", "This tenancy already ended on %(value)s.", tenancy.exited_on)
    if exited_on is None:
        raise RegistryError("exited_on", "The exit date is required.")
    if not exit_reason:
        raise RegistryError("exit_reason", "An exit date and a reason for leaving go together.")
    exit_reason = TenancyExit(exit_reason)
    graduation_criterion = GraduationCriterion(graduation_criterion) if graduation_criterion else None
    if exited_on < tenancy.entered_on:
        raise RegistryError("exited_on", "The exit date (%(value)s) is before the entry date (%(entered)s).",
                            exited_on, entered=tenancy.entered_on)
    if graduation_criterion and exit_reason is not TenancyExit.GRADUATED:
        raise RegistryError("graduation_criterion", "Only graduates meet a graduation criterion.")
    if exit_reason is TenancyExit.GRADUATED and graduation_criterion is None:
        raise RegistryError("graduation_criterion", "Name the graduation criterion the firm met.")
    tenancy.exited_on = exited_on
    tenancy.exit_reason = exit_reason
    tenancy.graduation_criterion = graduation_criterion
    db.session.flush()
    return tenancy
