"""The "results published" notice: every institution with a signed decision in the round is told."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from registry.extensions import db
from registry.models import Institution, ReviewDecision, User
from registry.notifications import messages, notify


def notify_results_published(rnd: Any) -> int:
    rows = db.session.execute(
        select(User.id, Institution.name).join(Institution, Institution.id == User.institution_id)
        .join(ReviewDecision, ReviewDecision.institution_id == Institution.id)
        .where(ReviewDecision.round_id == rnd.id, ReviewDecision.signed_at.is_not(None), User.is_enabled.is_(True))
    ).all()
    n = 0
    for user_id, name in rows:
        subject, body = messages.results_published(name, rnd.year)
        n += notify([user_id], "results_published", subject, body, link="/reviews/my-results")
    return n
