"""Who may see and change what, decided in one place.

Views never filter by role themselves: they start from these scoped queries and checks, so a
guessed id of another institution finds nothing (404), exactly as a missing one would.

Every page that lists or counts institutions, results, recommendations, comparisons, firms or
tenancies filters through `institution_scope` (a condition on Institution) or `scoped` (the same
condition on any institution-id column). Which institutions a role sees is decided there and only
there, so a new role (or a jurisdiction that is a tree) is a change to `institution_scope` alone.

Roles: admin sees everything. An institution account sees only its own institution (and its
own published results). A town officer (镇街科技办) sees the institutions of the towns under its
jurisdiction (a tree: town → city, extendable upward). A reviewer sees institutions except those it has a conflict of
interest with — derived from the registry (its own institution, the same operating entity, a
shared parent organisation: hard, cannot be waived) or declared by itself (unless an admin
waived it) — and only its own scoring sheets.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.sql.elements import False_, True_

from registry.extensions import db
from registry.models import Institution, Jurisdiction, Role
from registry.models.reviews import ConflictOfInterest, ReviewAssignment, ReviewDecision, ReviewRound


def derived_conflict_clause(user: Any) -> ColumnElement[bool]:
    """SQL condition on Institution: conflicts derived from the registry (hard) for this reviewer."""
    affiliation = db.session.get(Institution, user.affiliation_id) if user.affiliation_id else None
    if affiliation is None:
        return false()
    # each part is true or false, never NULL: NOT (NULL) would hide an institution that records no entity
    parts: list[ColumnElement[bool]] = [Institution.id == affiliation.id]
    if affiliation.operating_entity:
        parts.append(and_(Institution.operating_entity.is_not(None),
                          Institution.operating_entity == affiliation.operating_entity))
    if affiliation.parent_organisation:
        parts.append(and_(Institution.parent_organisation.is_not(None),
                          Institution.parent_organisation == affiliation.parent_organisation))
    return or_(*parts)


def declared_conflict_clause(user: Any) -> ColumnElement[bool]:
    """SQL condition on Institution: conflicts the reviewer declared and no admin waived."""
    declared = select(ConflictOfInterest.institution_id).where(
        ConflictOfInterest.reviewer_id == user.id, ConflictOfInterest.waived_at.is_(None))
    return Institution.id.in_(declared)


def conflict_clause(user: Any) -> ColumnElement[bool]:
    """SQL condition on Institution: the reviewer may not see or score it."""
    return or_(derived_conflict_clause(user), declared_conflict_clause(user))


def jurisdiction_town_ids(jurisdiction_id: int | None) -> Select:
    """Subquery of the towns under a jurisdiction: its own town and every town below it in the tree
    (town → city → province …), so a new level needs a row, not a change here or in the views."""
    tree = select(Jurisdiction.id, Jurisdiction.town_id).where(Jurisdiction.id == jurisdiction_id).cte(
        "jurisdiction_tree", recursive=True)
    tree = tree.union_all(select(Jurisdiction.id, Jurisdiction.town_id).where(Jurisdiction.parent_id == tree.c.id))
    return select(tree.c.town_id).where(tree.c.town_id.is_not(None))


def institution_scope(user: Any = None) -> ColumnElement[bool]:
    """SQL condition on Institution: the institutions `user` may see. The one place roles map to scope.

    Usable as `.where(institution_scope(user))` on any select that has Institution in its FROM.
    """
    user = user or current_user
    if not user.is_authenticated:
        return false()
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.INSTITUTION:
        return Institution.id == user.institution_id
    if user.role is Role.REVIEWER:
        return ~conflict_clause(user)
    if user.role is Role.TOWN_OFFICER:
        return Institution.town_id.in_(jurisdiction_town_ids(user.jurisdiction_id))
    return false()  # a role nobody has classified sees nothing


def scoped(institution_id: Any, user: Any = None) -> ColumnElement[bool]:
    """`institution_scope` applied to any institution-id column (results, tenancies, uploads, ...).

    For selects that do not join Institution: `.where(scoped(AssessmentResult.institution_id))`.
    """
    condition = institution_scope(user)
    if isinstance(condition, (True_, False_)):  # everything or nothing: no subquery needed
        return condition
    return institution_id.in_(select(Institution.id).where(condition))


def sees_all_institutions(user: Any = None) -> bool:
    """True when `institution_scope` filters nothing (pages may then say the list is complete)."""
    return isinstance(institution_scope(user), True_)


def institutions_query(user: Any = None) -> Select:
    """Institutions the user may see: all for staff, all but conflicted ones for reviewers, its own for an
    institution, those of its jurisdiction's towns for a town officer."""
    return select(Institution).where(institution_scope(user))


def token_institutions_query(token: Any) -> Select:
    """Institutions an API token may read: every institution's public record (the API returns no
    private field). A token is issued by an administrator for reading, never bound to an account."""
    if token is None or getattr(token, "revoked_at", None) is not None:
        return select(Institution).where(false())
    return select(Institution)


def get_institution_or_404(institution_id: int, user: Any = None) -> Institution:
    """Load an institution the user may see, or 404 (never 403: existence is not revealed)."""
    found = db.session.scalar(institutions_query(user).where(Institution.id == institution_id))
    if found is None:
        abort(404)
    return found


def visible_institution_ids(user: Any = None) -> Select:
    """Subquery of the ids of institutions the user may see (for filtering other tables)."""
    return select(Institution.id).where(institution_scope(user))


def visible_among(ids: Any, user: Any = None) -> set[int]:
    """Which of these institution ids the user may see (for names shown next to other rows)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    return set(db.session.scalars(select(Institution.id).where(Institution.id.in_(wanted), institution_scope(user))))


def filings_query(user: Any = None) -> Select:
    """Reporting-season filings of the institutions the user may see (reviewers: none)."""
    from registry.models import Filing

    user = user or current_user
    stmt = select(Filing)
    if not user.is_authenticated or user.role is Role.REVIEWER:
        return stmt.where(false())
    if user.role is not Role.ADMIN:
        stmt = stmt.where(Filing.institution_id.in_(visible_institution_ids(user)))
    return stmt


def get_filing_or_404(filing_id: int, user: Any = None) -> Any:
    from registry.models import Filing

    found = db.session.scalar(filings_query(user).where(Filing.id == filing_id))
    if found is None:
        abort(404)
    return found


def assignments_query(user: Any = None) -> Select:
    """Scoring sheets: all for admins, a reviewer's own (never of a conflicted institution), none otherwise."""
    user = user or current_user
    stmt = select(ReviewAssignment)
    if not user.is_authenticated or user.role in (Role.INSTITUTION, Role.TOWN_OFFICER):
        return stmt.where(false())
    if user.role is Role.REVIEWER:
        stmt = stmt.where(ReviewAssignment.reviewer_id == user.id,
                          ReviewAssignment.institution_id.in_(visible_institution_ids(user)))
    return stmt


def get_assignment_or_404(assignment_id: int, user: Any = None) -> ReviewAssignment:
    found = db.session.scalar(assignments_query(user).where(ReviewAssignment.id == assignment_id))
    if found is None:
        abort(404)
    return found


def conflicts_query(user: Any = None) -> Select:
    """Declared conflicts: all for admins, a reviewer's own."""
    user = user or current_user
    stmt = select(ConflictOfInterest)
    if not user.is_authenticated or user.role in (Role.INSTITUTION, Role.TOWN_OFFICER):
        return stmt.where(false())
    if user.role is Role.REVIEWER:
        stmt = stmt.where(ConflictOfInterest.reviewer_id == user.id)
    return stmt


def published_decisions_query(user: Any = None) -> Select:
    """Decisions of published rounds the user may see: admins all, an institution its own."""
    user = user or current_user
    stmt = (select(ReviewDecision).join(ReviewRound, ReviewDecision.round_id == ReviewRound.id)
            .where(ReviewRound.published_at.is_not(None), ReviewDecision.signed_at.is_not(None)))
    if not user.is_authenticated or user.role is Role.REVIEWER:
        return stmt.where(false())
    if user.role is Role.INSTITUTION:
        stmt = stmt.where(and_(ReviewDecision.institution_id == user.institution_id))
    elif user.role is Role.TOWN_OFFICER:
        stmt = stmt.where(ReviewDecision.institution_id.in_(visible_institution_ids(user)))
    return stmt


def roles_required(*roles: Role) -> Callable:
    """Decorator: login required, and the user's role must be one of `roles` (else 403)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = roles_required(Role.ADMIN)
reviewer_required = roles_required(Role.REVIEWER)
staff_required = roles_required(Role.ADMIN, Role.REVIEWER)
institution_required = roles_required(Role.INSTITUTION)
town_officer_required = roles_required(Role.TOWN_OFFICER)
