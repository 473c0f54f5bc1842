"""A learner's closed days of review history, summed once (services.history_days).

A learner day that has ended never changes except through the few events that rewrite past
answers (an Anki progress import, undoing an answer given before today), so the progress
page sums those days once and then reads one row per deck and day instead of every answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import UTCDateTime


class ReviewDayTotal(db.Model):
    """One deck's answers on one closed learner day (a day number of
    quizapp.stats.day_numbers, in the time zone of the learner's ReviewDayMark)."""

    __tablename__ = "review_day_total"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    deck_id: Mapped[int] = mapped_column(
        ForeignKey("deck.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviews: Mapped[int] = mapped_column(Integer)
    milliseconds: Mapped[int] = mapped_column(BigInteger)
    retention_reviews: Mapped[int] = mapped_column(Integer)
    retention_passed: Mapped[int] = mapped_column(Integer)


class ReviewDayMark(db.Model):
    """How far a learner's ReviewDayTotal rows reach: every answer before ``rolled_until``
    (the start of a learner day), grouped into days of ``timezone``. None: the rows are
    stale and ignored until summed again."""

    __tablename__ = "review_day_mark"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    timezone: Mapped[str] = mapped_column(String(64))
    rolled_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
