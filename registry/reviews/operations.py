"""Writes of the review round. Each validates, flushes and never commits; the caller commits once.

Invariants kept here: a conflicted reviewer is never assigned (derived conflicts are hard;
declared ones block until an admin waives them with a reason); a reviewer gets at most the
round's cap and never the same institution three years running; sheets are saved only while
the round is open, only within each item's scale, and never over someone else's newer save
(version column checked in the UPDATE) and submitted only with every item scored; a round
exists only for a category whose system gives reviewers items to score; a decision that departs
from the engine's recommendation carries a reason, and one taken before every assigned sheet is
submitted or without the year's result carries an override reason; a round is published only
when every decision is signed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from assessment.inputs import InputDecl
from registry.errors_domain import RegistryError
from registry.extensions import db
from registry.models import AssessmentResult, AssessmentRun, CarrierType, Institution, Role, Status, User
from registry.models.base import utcnow
from registry.models.reviews import DECISIONS, ConflictOfInterest, ReviewAssignment, ReviewDecision, ReviewRound
from registry.reviews.aggregation import ItemAggregate, aggregate
from registry.reviews.systems import ReviewPolicy, category_has_reviewer_items, load_review_system, reviewer_items

#: marks a message for extraction (tools/i18n.sh); RegistryError.render() translates it when shown
N_ = str

# --- rounds ---------------------------------------------------------------------------------


def create_round(*, year: int, category: CarrierType | str, opens_on: date, closes_on: date,
                 cap_per_reviewer: int = 12, reviewers_per_institution: int = 3) -> ReviewRound:
    """Open a review round for one assessment year and category."""
    try:
        category = CarrierType(category)
    except ValueError:
        raise RegistryError("category", N_("“%(value)s” is not a category."), category) from None
    if closes_on < opens_on:
        raise RegistryError("closes_on", N_("The round closes (%(value)s) before it opens (%(opens)s)."), closes_on,
                            opens=opens_on)
    if cap_per_reviewer < 1 or reviewers_per_institution < 1:
        raise RegistryError("cap_per_reviewer", N_("The cap and the number of reviewers per institution must be at least 1."))
    if db.session.scalar(select(ReviewRound.id).where(ReviewRound.year == year,
                                                      ReviewRound.category == category.value)) is not None:
        raise RegistryError("year", N_("There is already a review round for %(value)s in this category."), year)
    if not category_has_reviewer_items(category.value, year):
        raise RegistryError("category", N_("The indicator system for this category in %(value)s has no items for reviewers "
                                           "to score: a review round would have nothing to score."), year)
    rnd = ReviewRound(year=year, category=category.value, opens_on=opens_on, closes_on=closes_on,
                      cap_per_reviewer=cap_per_reviewer, reviewers_per_institution=reviewers_per_institution)
    db.session.add(rnd)
    db.session.flush()
    return rnd


def is_open(rnd: ReviewRound, today: date | None = None) -> bool:
    today = today or date.today()
    return rnd.opens_on <= today <= rnd.closes_on and not rnd.is_published


def _not_published(rnd: ReviewRound) -> None:
    if rnd.is_published:
        raise RegistryError("round", N_("The %(value)s round has been published and can no longer change."), rnd.year)


# --- conflicts ------------------------------------------------------------------------------


class _Label(str):
    """A msgid that renders translated inside a request and as itself elsewhere (CLI, logs)."""

    def __str__(self) -> str:
        from flask import has_request_context
        from flask_babel import gettext

        return gettext(str.__str__(self)) if has_request_context() else str.__str__(self)


CONFLICT_KINDS = {
    "affiliation": _Label(N_("the reviewer's own institution")),
    "operating_entity": _Label(N_("same operating entity")),
    "parent_organisation": _Label(N_("shared parent organisation")),
    "declared": _Label(N_("declared by the reviewer")),
}


@dataclass(frozen=True, slots=True)
class Conflict:
    """One reason a reviewer may not review an institution."""

    kind: str  #: "affiliation", "operating_entity", "parent_organisation" (hard) or "declared" (soft)
    detail: str
    waived: bool = False

    @property
    def hard(self) -> bool:
        return self.kind != "declared"

    @property
    def blocking(self) -> bool:
        return self.hard or not self.waived


def conflicts_between(reviewer: User, institution: Institution) -> list[Conflict]:
    """Every conflict of interest between a reviewer and an institution, derived and declared."""
    found: list[Conflict] = []
    aff = db.session.get(Institution, reviewer.affiliation_id) if reviewer.affiliation_id else None
    if aff is not None:
        if aff.id == institution.id:
            found.append(Conflict("affiliation", aff.name))
        else:
            if aff.operating_entity and aff.operating_entity == institution.operating_entity:
                found.append(Conflict("operating_entity", aff.operating_entity))
            if aff.parent_organisation and aff.parent_organisation == institution.parent_organisation:
                found.append(Conflict("parent_organisation", aff.parent_organisation))
    declared = db.session.scalar(select(ConflictOfInterest).where(
        ConflictOfInterest.reviewer_id == reviewer.id, ConflictOfInterest.institution_id == institution.id))
    if declared is not None:
        found.append(Conflict("declared", declared.reason, waived=declared.is_waived))
    return found


def declare_conflict(reviewer: User, institution: Institution, reason: str) -> ConflictOfInterest:
    """A reviewer declares a conflict; it also withdraws them from that institution in unpublished rounds."""
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError("reason", N_("Say why you have a conflict of interest."))
    existing = db.session.scalar(select(ConflictOfInterest).where(
        ConflictOfInterest.reviewer_id == reviewer.id, ConflictOfInterest.institution_id == institution.id))
    if existing is not None:
        raise RegistryError("institution_id", N_("You have already declared a conflict with this institution."))
    conflict = ConflictOfInterest(reviewer_id=reviewer.id, institution_id=institution.id, reason=reason)
    db.session.add(conflict)
    for assignment in db.session.scalars(
            select(ReviewAssignment).join(ReviewRound).where(
                ReviewAssignment.reviewer_id == reviewer.id, ReviewAssignment.institution_id == institution.id,
                ReviewRound.published_at.is_(None))):
        db.session.delete(assignment)
    db.session.flush()
    return conflict


def waive_conflict(conflict: ConflictOfInterest, *, reason: str, by: User) -> ConflictOfInterest:
    """An admin lets a reviewer review despite a declared (soft) conflict; the reason is recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError("waived_reason", N_("Give the reason for waiving the conflict."))
    if conflict.is_waived:
        raise RegistryError("waived_reason", N_("This conflict has already been waived."))
    by_id = by.id  # read before changing anything: a lazy load here would autoflush half a waiver
    conflict.waived_at, conflict.waived_by_id, conflict.waived_reason = utcnow(), by_id, reason
    db.session.flush()
    return conflict


# --- assignment -----------------------------------------------------------------------------


def _load(rnd: ReviewRound, reviewer_id: int) -> int:
    return db.session.scalar(select(func.count(ReviewAssignment.id)).where(
        ReviewAssignment.round_id == rnd.id, ReviewAssignment.reviewer_id == reviewer_id)) or 0


def _consecutive_years(rnd: ReviewRound, reviewer_id: int, institution_id: int) -> bool:
    """True when the reviewer reviewed this institution in both of the two previous years."""
    years = set(db.session.scalars(select(ReviewRound.year).join(ReviewAssignment).where(
        ReviewAssignment.reviewer_id == reviewer_id, ReviewAssignment.institution_id == institution_id,
        ReviewRound.year.in_((rnd.year - 1, rnd.year - 2)))))
    return years == {rnd.year - 1, rnd.year - 2}


def assignment_problem(rnd: ReviewRound, reviewer: User, institution: Institution) -> RegistryError | None:
    """Why this reviewer may not be assigned to this institution in this round (None if they may)."""
    if reviewer.role is not Role.REVIEWER or not reviewer.is_enabled:
        return RegistryError("reviewer_id", N_("“%(value)s” is not an active reviewer account."), reviewer.username)
    if institution.category.value != rnd.category:
        return RegistryError("institution_id", N_("%(value)s is not in this round's category."), institution.name)
    for c in conflicts_between(reviewer, institution):
        if c.blocking:
            return RegistryError("reviewer_id", N_("%(value)s has a conflict of interest with %(institution)s (%(kind)s: %(detail)s)."),
                                 reviewer.username, institution=institution.name, kind=CONFLICT_KINDS[c.kind],
                                 detail=c.detail)
    if db.session.scalar(select(ReviewAssignment.id).where(
            ReviewAssignment.round_id == rnd.id, ReviewAssignment.reviewer_id == reviewer.id,
            ReviewAssignment.institution_id == institution.id)) is not None:
        return RegistryError("reviewer_id", N_("%(value)s is already assigned to %(institution)s."), reviewer.username,
                             institution=institution.name)
    if _load(rnd, reviewer.id) >= rnd.cap_per_reviewer:
        return RegistryError("reviewer_id", N_("%(value)s already has %(cap)s institutions, the most this round allows."),
                             reviewer.username, cap=rnd.cap_per_reviewer)
    if _consecutive_years(rnd, reviewer.id, institution.id):
        return RegistryError("reviewer_id", N_("%(value)s reviewed %(institution)s in each of the two previous years."),
                             reviewer.username, institution=institution.name)
    return None


def assign(rnd: ReviewRound, reviewer: User, institution: Institution, *, by: User | None = None,
           method: str = "manual") -> ReviewAssignment:
    """Assign a reviewer to an institution by hand (every rule of assignment_problem applies)."""
    _not_published(rnd)
    problem = assignment_problem(rnd, reviewer, institution)
    if problem is not None:
        raise problem
    assignment = ReviewAssignment(round_id=rnd.id, reviewer_id=reviewer.id, institution_id=institution.id,
                                  method=method, assigned_by_id=getattr(by, "id", None), scores={})
    db.session.add(assignment)
    db.session.flush()
    return assignment


def unassign(assignment: ReviewAssignment) -> None:
    """Withdraw an assignment whose sheet has not been submitted."""
    _not_published(assignment.round)
    if assignment.status == "submitted":
        raise RegistryError("assignment", N_("A submitted sheet cannot be withdrawn; reopen it first."))
    db.session.delete(assignment)
    db.session.flush()


def round_candidates(rnd: ReviewRound) -> list[Institution]:
    """Institutions the round assesses: of its category and not exited."""
    return list(db.session.scalars(select(Institution).where(
        Institution.category == CarrierType(rnd.category), Institution.status != Status.EXITED).order_by(Institution.id)))


@dataclass
class AutoAssignReport:
    created: int = 0
    #: institutions left with fewer reviewers than wanted: (institution, how many are missing)
    short: list[tuple[Institution, int]] = field(default_factory=list)


def auto_assign(rnd: ReviewRound, *, by: User | None = None) -> AutoAssignReport:
    """Give each institution the round's number of reviewers, least-loaded reviewer first.

    Respects conflicts, the per-reviewer cap and the three-years rule; institutions that cannot
    be fully staffed are reported, not forced.
    """
    _not_published(rnd)
    reviewers = list(db.session.scalars(select(User).where(User.role == Role.REVIEWER, User.is_enabled.is_(True))
                                        .order_by(User.id)))
    load = Counter({r.id: _load(rnd, r.id) for r in reviewers})
    report = AutoAssignReport()
    for institution in round_candidates(rnd):
        have = db.session.scalar(select(func.count(ReviewAssignment.id)).where(
            ReviewAssignment.round_id == rnd.id, ReviewAssignment.institution_id == institution.id)) or 0
        need = rnd.reviewers_per_institution - have
        for reviewer in sorted(reviewers, key=lambda r: (load[r.id], r.id)):
            if need <= 0:
                break
            if assignment_problem(rnd, reviewer, institution) is None:
                assign(rnd, reviewer, institution, by=by, method="auto")
                load[reviewer.id] += 1
                report.created += 1
                need -= 1
        if need > 0:
            report.short.append((institution, need))
    return report


# --- scoring sheets -------------------------------------------------------------------------


class EditConflict(Exception):
    """The sheet changed since the editor loaded it: the save was refused and nothing was written."""

    def __init__(self, assignment_id: int, expected_version: int, attempted: Mapping[str, Any]) -> None:
        super().__init__(f"sheet {assignment_id} changed since version {expected_version}")
        self.assignment_id = assignment_id
        self.expected_version = expected_version
        self.attempted = dict(attempted)


class IncompleteSheet(RegistryError):
    """A submission with reviewer-scored items left blank; `codes` are the blank items, in sheet order."""

    def __init__(self, codes: Sequence[str], labels: str) -> None:
        super().__init__("status", N_("Score every item before submitting; missing: %(items)s."), items=labels)
        self.codes = list(codes)


def sheet_items(assignment: ReviewAssignment) -> tuple[InputDecl, ...]:
    """The items this sheet scores: the reviewer-scored inputs of the institution's system for the year."""
    inst = assignment.institution
    return reviewer_items(inst.category.value, assignment.round.year, inst.subclass)


def _parse(value: Any, decl: InputDecl) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise RegistryError(decl.code, N_("%(label)s: “%(value)s” is not a number."), value, label=decl.label) from None
    if not number.is_finite():
        raise RegistryError(decl.code, N_("%(label)s: “%(value)s” is not a number."), value, label=decl.label)
    if (decl.min is not None and number < decl.min) or (decl.max is not None and number > decl.max):
        raise RegistryError(decl.code, N_("%(label)s: %(value)s is outside the scale %(min)s–%(max)s."), number,
                            label=decl.label, min=decl.min, max=decl.max)
    return number


def save_sheet(assignment: ReviewAssignment, *, values: Mapping[str, Any], comments: Mapping[str, str],
               expected_version: int, submit: bool = False, items: Sequence[InputDecl] | None = None,
               today: date | None = None) -> ReviewAssignment:
    """Save a draft (blanks allowed) or submit (every item scored) — only over the version the editor saw.

    The UPDATE carries `WHERE version = <the version read>` (SQLAlchemy version_id_col): if another
    save landed first, by another tab, another person or a concurrent request, EditConflict is
    raised and the caller must roll back; nothing of this save is written.
    """
    assignment_id = assignment.id  # still readable after a failed flush, for the EditConflict
    rnd = assignment.round
    if not is_open(rnd, today):
        raise RegistryError("round", N_("The review round is closed (open %(opens)s to %(closes)s): sheets can no longer be saved."),
                            opens=rnd.opens_on, closes=rnd.closes_on)
    if assignment.status == "submitted":
        raise RegistryError("status", N_("This sheet has been submitted. Ask the bureau to reopen it to make changes."))
    items = tuple(items) if items is not None else sheet_items(assignment)
    attempted = {d.code: {"value": values.get(d.code), "comment": (comments.get(d.code) or "").strip()} for d in items}
    if assignment.version != expected_version:
        raise EditConflict(assignment_id, expected_version, attempted)
    scores: dict[str, Any] = {}
    missing = []
    for decl in items:
        number = _parse(values.get(decl.code), decl)
        if number is None and submit:
            missing.append(decl)
        comment = (comments.get(decl.code) or "").strip()[:4000]
        scores[decl.code] = {"value": None if number is None else str(number), "comment": comment}
    if submit and not items:
        raise RegistryError("status", N_("This sheet has no items to score, so it cannot be submitted."))
    if missing:
        raise IncompleteSheet([d.code for d in missing], "、".join(d.label for d in missing))
    assignment.scores = scores
    assignment.saved_at = utcnow()
    if submit:
        assignment.status = "submitted"
        assignment.submitted_at = assignment.saved_at
    try:
        db.session.flush()
    except StaleDataError:
        raise EditConflict(assignment_id, expected_version, attempted) from None
    return assignment


def reopen_sheet(assignment: ReviewAssignment) -> ReviewAssignment:
    """An admin sends a submitted sheet back to draft (the round must not be published)."""
    _not_published(assignment.round)
    if assignment.status != "submitted":
        raise RegistryError("status", N_("Only a submitted sheet can be reopened."))
    assignment.status = "draft"
    assignment.submitted_at = None
    db.session.flush()
    return assignment


# --- aggregation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstitutionScores:
    """The combined reviewer scores of one institution in a round (admin view: includes the spread)."""

    items: tuple[InputDecl, ...]
    aggregates: Mapping[str, ItemAggregate]
    submitted: int
    assigned: int

    @property
    def discuss(self) -> bool:
        return any(a.discuss for a in self.aggregates.values())


def institution_scores(rnd: ReviewRound, institution: Institution) -> InstitutionScores:
    """Aggregate the submitted sheets of one institution, item by item, as the system declares."""
    system = load_review_system(institution.category.value, rnd.year, institution.subclass)
    sheets = list(db.session.execute(select(ReviewAssignment.status, ReviewAssignment.scores).where(
        ReviewAssignment.round_id == rnd.id, ReviewAssignment.institution_id == institution.id)))
    return _combine(system, [scores for status, scores in sheets if status == "submitted"], len(sheets))


def _combine(system: Any, submitted: Sequence[Mapping[str, Any] | None], assigned: int) -> InstitutionScores:
    """The one aggregation of an institution's submitted sheets (their `scores` JSON), per and in bulk."""
    policy = ReviewPolicy.from_system(system)
    items = tuple(d for d in system.input_set.reviewer_scored() if d.type == "score")
    aggregates: dict[str, ItemAggregate] = {}
    for decl in items:
        scores = [v for s in submitted if (v := _sheet_value(s, decl.code)) is not None]
        if scores:
            scale = decl.max - decl.min if decl.max is not None and decl.min is not None else None
            aggregates[decl.code] = aggregate(decl.code, scores, policy, scale)
    return InstitutionScores(items, aggregates, len(submitted), assigned)


def _sheet_value(scores: Mapping[str, Any] | None, code: str) -> Decimal | None:
    """An item's score on a sheet, as ReviewAssignment.value reads it (text → Decimal, blank → None)."""
    raw = (scores or {}).get(code, {}).get("value")
    return None if raw in (None, "") else Decimal(raw)


def aggregated_reviewer_inputs(rnd: ReviewRound, institution: Institution) -> dict[str, tuple[Decimal, str]]:
    """The reviewer-scored inputs for the engine: code → (combined score, source text without names)."""
    return _as_inputs(institution_scores(rnd, institution))


def _as_inputs(result: InstitutionScores) -> dict[str, tuple[Decimal, str]]:
    return {code: (agg.value, agg.source_text) for code, agg in result.aggregates.items()}


def reviewer_inputs_for_year(year: int, ids: Collection[int] | None = None) -> dict[int, dict[str, tuple[Decimal, str]]]:
    """`aggregated_reviewer_inputs` for every institution (or just `ids`) with a submitted sheet in
    the round of its category for `year`: institution id → {code: (combined score, source text)}.

    Two queries whatever the number of institutions. The same sheets count as for one
    institution: every submitted sheet of the round, whatever the round's state (open, closed or
    published); sheets of conflicted reviewers do not exist (assignment refuses them, and a
    declared conflict withdraws them from unpublished rounds). Institutions whose category has
    no round that year, or no indicator system, get nothing: their declared missing policy applies.
    """
    wanted = None if ids is None else set(ids)
    rounds = {cat: rid for rid, cat in db.session.execute(
        select(ReviewRound.id, ReviewRound.category).where(ReviewRound.year == year))}
    if not rounds:
        return {}
    sheets: dict[int, list[Mapping[str, Any] | None]] = {}
    assigned: Counter[int] = Counter()
    kinds: dict[int, tuple[str, str | None]] = {}
    round_of = {rid: cat for cat, rid in rounds.items()}
    for inst_id, round_id, status, scores, category, subclass in db.session.execute(
            select(ReviewAssignment.institution_id, ReviewAssignment.round_id, ReviewAssignment.status,
                   ReviewAssignment.scores, Institution.category, Institution.subclass)
            .join(Institution, Institution.id == ReviewAssignment.institution_id)
            .where(ReviewAssignment.round_id.in_(list(round_of)))):
        category = getattr(category, "value", category)
        if (wanted is not None and inst_id not in wanted) or round_of[round_id] != category:
            continue  # the round for an institution is the one of its category
        kinds[inst_id] = (category, subclass)
        assigned[inst_id] += 1
        bucket = sheets.setdefault(inst_id, [])
        if status == "submitted":
            bucket.append(scores)
    systems: dict[tuple[str, str | None], Any] = {}
    out: dict[int, dict[str, tuple[Decimal, str]]] = {}
    for inst_id, submitted in sheets.items():
        if not submitted:
            continue
        key = kinds[inst_id]
        if key not in systems:
            try:
                systems[key] = load_review_system(key[0], year, key[1])
            except RegistryError:
                systems[key] = None
        if systems[key] is None:
            continue
        inputs = _as_inputs(_combine(systems[key], submitted, assigned[inst_id]))
        if inputs:
            out[inst_id] = inputs
    return out


# --- decisions and publication --------------------------------------------------------------


def latest_result(institution: Institution, year: int) -> AssessmentResult | None:
    """The engine's result for this institution and year from the latest non-void run, if any."""
    from registry.assessments.queries import not_void

    return db.session.scalar(select(AssessmentResult).join(AssessmentRun).where(
        AssessmentResult.institution_id == institution.id, AssessmentResult.year == year, not_void())
        .order_by(AssessmentRun.started_at.desc(), AssessmentRun.id.desc()).limit(1))


def round_institutions(rnd: ReviewRound, *, limit: int | None = None, offset: int = 0) -> list[Institution]:
    """Institutions under review in the round (with an assignment or a decision), by name; a page of them with `limit`."""
    stmt = select(Institution).where(_under_review(rnd)).order_by(Institution.name, Institution.id).offset(offset)
    return list(db.session.scalars(stmt.limit(limit) if limit is not None else stmt))


def round_institution_count(rnd: ReviewRound) -> int:
    return db.session.scalar(select(func.count(Institution.id)).where(_under_review(rnd))) or 0


def _under_review(rnd: ReviewRound) -> Any:
    assigned = select(ReviewAssignment.institution_id).where(ReviewAssignment.round_id == rnd.id)
    decided = select(ReviewDecision.institution_id).where(ReviewDecision.round_id == rnd.id)
    return Institution.id.in_(assigned) | Institution.id.in_(decided)


def sheet_summaries(rnd: ReviewRound, institutions: Sequence[Institution],
                    sheets: Sequence[ReviewAssignment]) -> dict[int, InstitutionScores | RegistryError]:
    """`institution_scores` for a page of institutions from their already loaded sheets (no query per institution)."""
    by_inst: dict[int, list[ReviewAssignment]] = {}
    for sheet in sheets:
        by_inst.setdefault(sheet.institution_id, []).append(sheet)
    out: dict[int, InstitutionScores | RegistryError] = {}
    for inst in institutions:
        try:
            system = load_review_system(inst.category.value, rnd.year, inst.subclass)
        except RegistryError as error:
            out[inst.id] = error
            continue
        mine = by_inst.get(inst.id, [])
        out[inst.id] = _combine(system, [s.scores for s in mine if s.status == "submitted"], len(mine))
    return out


def decision_gaps(rnd: ReviewRound, institution: Institution, result: AssessmentResult | None) -> dict[str, Any]:
    """What is missing before the institution can be decided on: unsubmitted sheets, no result. Empty if nothing."""
    statuses = list(db.session.scalars(select(ReviewAssignment.status).where(
        ReviewAssignment.round_id == rnd.id, ReviewAssignment.institution_id == institution.id)))
    unsubmitted = sum(1 for s in statuses if s != "submitted")
    gaps: dict[str, Any] = {}
    if unsubmitted:
        gaps.update(unsubmitted=unsubmitted, assigned=len(statuses))
    if result is None:
        gaps["no_result"] = True
    return gaps


def _gaps_error(gaps: Mapping[str, Any], year: int, *, signing: bool = False) -> RegistryError:
    """The refusal for a decision with gaps and no override reason, naming each gap."""
    field_ = "decision" if signing else "override_reason"
    if gaps.get("unsubmitted") and gaps.get("no_result"):
        return RegistryError(field_, N_("%(unsubmitted)s of %(assigned)s assigned scoring sheets are not submitted and there "
                                        "is no assessment result for %(year)s: wait, or give a reason to decide anyway."),
                             unsubmitted=gaps["unsubmitted"], assigned=gaps["assigned"], year=year)
    if gaps.get("unsubmitted"):
        return RegistryError(field_, N_("%(unsubmitted)s of %(assigned)s assigned scoring sheets are not submitted: wait for "
                                        "them, or give a reason to decide anyway."),
                             unsubmitted=gaps["unsubmitted"], assigned=gaps["assigned"])
    return RegistryError(field_, N_("There is no assessment result for %(year)s: run the assessment first, or give a "
                                    "reason to decide anyway."), year=year)


def _covered(gaps: Mapping[str, Any], overridden: Mapping[str, Any] | None) -> bool:
    """Whether an override recorded for `overridden` still covers the gaps there are now."""
    if not gaps:
        return True
    if overridden is None:
        return False
    return (gaps.get("unsubmitted", 0) <= overridden.get("unsubmitted", 0)
            and (not gaps.get("no_result") or bool(overridden.get("no_result"))))


def record_decision(rnd: ReviewRound, institution: Institution, *, decision: str, reason: str | None,
                    by: User, override_reason: str | None = None) -> ReviewDecision:
    """Record (or revise, while unsigned) the bureau's decision; departing from the recommendation needs a reason.

    Deciding before every assigned sheet is submitted, or without an assessment result for the
    year, needs an override reason; it is stored with what it went past.
    """
    _not_published(rnd)
    if decision not in DECISIONS:
        raise RegistryError("decision", N_("“%(value)s” is not a decision (entry, keep, upgrade, rectify, exit)."), decision)
    existing = db.session.scalar(select(ReviewDecision).where(
        ReviewDecision.round_id == rnd.id, ReviewDecision.institution_id == institution.id))
    if existing is not None and existing.is_signed:
        raise RegistryError("decision", N_("The decision has been signed and can no longer change."))
    result = latest_result(institution, rnd.year)
    gaps = decision_gaps(rnd, institution, result)
    override_reason = (override_reason or "").strip() or None
    if gaps and override_reason is None:
        raise _gaps_error(gaps, rnd.year)
    recommendation = result.recommendation if result is not None else None
    reason = (reason or "").strip() or None
    if recommendation is not None and decision != _as_decision(recommendation) and reason is None:
        raise RegistryError("reason", N_("The decision differs from the recommendation (%(value)s): give the reason."),
                            recommendation)
    summary = institution_scores(rnd, institution)
    labels = {d.code: d.label for d in summary.items}
    scores = {code: {"value": str(agg.value), "source": agg.source_text, "label": labels.get(code, code)}
              for code, agg in summary.aggregates.items()}
    by_id = by.id
    row = existing or ReviewDecision(round_id=rnd.id, institution_id=institution.id)
    row.decision = decision
    row.reason = reason
    row.override_reason = override_reason if gaps else None
    row.override_gaps = gaps or None
    row.recommendation = recommendation
    row.assessment_result_id = result.id if result is not None else None
    row.score = result.score if result is not None else None
    row.grade = result.grade if result is not None else None
    row.reviewer_scores = scores
    row.recorded_by_id = by_id
    row.recorded_at = utcnow()
    if existing is None:
        db.session.add(row)
    db.session.flush()
    return row


def _as_decision(recommendation: str) -> str:
    """The engine's recognise / do_not_recognise map to entry / exit; the others are the same words."""
    return {"recognise": "entry", "do_not_recognise": "exit"}.get(recommendation, recommendation)


def sign_decision(decision: ReviewDecision, *, by: User) -> ReviewDecision:
    """An admin signs a recorded decision; signed decisions are final."""
    _not_published(decision.round)
    if decision.is_signed:
        raise RegistryError("decision", N_("The decision has already been signed."))
    rnd, institution = decision.round, decision.institution
    gaps = decision_gaps(rnd, institution, latest_result(institution, rnd.year))
    if not _covered(gaps, decision.override_gaps if decision.override_reason else None):
        raise _gaps_error(gaps, rnd.year, signing=True)
    decision.signed_by_id, decision.signed_at = by.id, utcnow()
    db.session.flush()
    return decision


#: the recorded status each decision leads to (None: unchanged)
_STATUS_AFTER = {"entry": Status.RECOGNISED, "keep": Status.RECOGNISED, "upgrade": None,
                 "rectify": Status.RECTIFYING, "exit": Status.EXITED}


def publish_round(rnd: ReviewRound, *, by: User, on: date | None = None) -> list[ReviewDecision]:
    """Publish the year's decisions and apply their status changes through the dated registry history.

    Refused unless every institution under review has a signed decision.
    """
    from registry.institutions.operations import change_status

    _not_published(rnd)
    on = on or date.today()
    institutions = round_institutions(rnd)
    if not institutions:
        raise RegistryError("round", N_("There is nothing to publish: no institution is under review in this round."))
    decisions = {d.institution_id: d for d in db.session.scalars(
        select(ReviewDecision).where(ReviewDecision.round_id == rnd.id))}
    unsigned = [i.name for i in institutions if i.id not in decisions or not decisions[i.id].is_signed]
    if unsigned:
        raise RegistryError("round", N_("Every decision must be recorded and signed before publishing; still open: %(names)s."),
                            names="、".join(unsigned))
    labels = {"entry": "准予认定", "keep": "保留资格", "upgrade": "鼓励升级", "rectify": "限期整改", "exit": "退出"}
    for inst in institutions:
        d = decisions[inst.id]
        target = _STATUS_AFTER[d.decision]
        if target is not None and target is not inst.status:
            change_status(inst, target, effective_on=on, reason=f"{rnd.year}年度考核：{labels[d.decision]}",
                          recorded_by=by)
    rnd.published_by_id, rnd.published_at = by.id, utcnow()
    db.session.flush()
    return list(decisions.values())
