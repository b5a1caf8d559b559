"""Accounts: bureau staff (admin), reviewers and institution accounts."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from registry.models.base import Base, TimestampMixin
from registry.models.enums import Role
from registry.models.institutions import Institution, _enum


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("(role = 'institution') = (institution_id IS NOT NULL)", "institution_account_bound"),
        CheckConstraint("(role = 'town_officer') = (jurisdiction_id IS NOT NULL)", "town_officer_bound"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    #: werkzeug scrypt hash
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role))
    #: the institution an institution account reports for
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    #: a reviewer's own employer, for conflict-of-interest checks
    affiliation_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    #: a town officer's jurisdiction (registry.models.seasons.Jurisdiction)
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    #: where notices are e-mailed (optional)
    email: Mapped[str | None] = mapped_column(String(200))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    #: bumped on password change or forced logout; sessions carrying an older value are rejected
    session_version: Mapped[int] = mapped_column(default=1)

    institution: Mapped[Institution | None] = relationship(foreign_keys=[institution_id])
    affiliation: Mapped[Institution | None] = relationship(foreign_keys=[affiliation_id])

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
