"""The inbox: a user's own notices, newest first; opening one marks it read."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from registry.extensions import db
from registry.models import Notification
from registry.models.base import utcnow
from registry.notifications import bp


@bp.route("/")
@login_required
def index():  # noqa: ANN201
    notices = list(db.session.scalars(select(Notification).where(Notification.user_id == current_user.id)
                                      .order_by(Notification.id.desc()).limit(200)))
    return render_template("notifications/index.html", notices=notices)


@bp.route("/<id:notice_id>/open", methods=["POST"])
@login_required
def open_notice(notice_id: int):  # noqa: ANN201
    notice = db.session.scalar(select(Notification).where(Notification.id == notice_id,
                                                         Notification.user_id == current_user.id))
    if notice is None:
        abort(404)  # someone else's notice: not revealed
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.session.commit()
    return redirect(notice.link or url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():  # noqa: ANN201
    db.session.execute(update(Notification).where(Notification.user_id == current_user.id,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return redirect(url_for("notifications.index"))
