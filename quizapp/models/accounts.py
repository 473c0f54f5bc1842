"""Accounts: users and their roles, and the log-in rate limit's counters."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Float, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .columns import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .decks import Deck

ROLES = ("learner", "instructor", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20), default="learner")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped on password change and logout: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_instructor(self) -> bool:
        return self.role in ("instructor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_edit(self, deck: Deck) -> bool:
        return self.is_admin or (self.role == "instructor" and deck.owner_id == self.id)


# Emails are unique whatever their case: Ann@x.org and ann@x.org are one account.
Index("uq_user_email_lower", func.lower(User.email), unique=True)


def user_by_email(email: str) -> User | None:
    """Emails match case-insensitively (the unique index is on lower(email) too)."""
    return db.session.scalars(
        db.select(User).where(func.lower(User.email) == email.strip().lower())
    ).first()


class RateLimitCounter(db.Model):
    """One fixed rate-limit window (log-in attempts from one address), shared by every
    worker and host that uses this database."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch: the limits library counts windows in plain timestamps.
    expires_at: Mapped[float] = mapped_column(Float, index=True)
