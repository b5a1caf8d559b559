"""Who may see and change what, decided in one place.

Views never filter by role themselves: they start from these scoped queries and checks, so a
guessed id of another institution finds nothing (404), exactly as a missing one would.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from registry.extensions import db
from registry.models import Institution, Role


def institutions_query(user: Any = None) -> Select:
    """Institutions the user may see: all for staff and reviewers, only its own for an institution."""
    user = user or current_user
    stmt = select(Institution)
    if not user.is_authenticated:
        return stmt.where(False)
    if user.role is Role.INSTITUTION:
        stmt = stmt.where(Institution.id == user.institution_id)
    return stmt


def get_institution_or_404(institution_id: int, user: Any = None) -> Institution:
    """Load an institution the user may see, or 404 (never 403: existence is not revealed)."""
    found = db.session.scalar(institutions_query(user).where(Institution.id == institution_id))
    if found is None:
        abort(404)
    return found


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
