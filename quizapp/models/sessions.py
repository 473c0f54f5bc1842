"""A learner's study session on the server: its mode, new-card start and queued sides."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import UTCDateTime, utcnow


class StudySession(db.Model):
    """A learner's study session in one deck and mode ("scheduled" or "cram").

    Kept on the server rather than in the session cookie, so a session may last any number of
    answers and follows the learner to another browser.
    """

    __tablename__ = "study_session"
    __table_args__ = (UniqueConstraint("user_id", "deck_id", "mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    deck_id: Mapped[int] = mapped_column(ForeignKey("deck.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "Study more today": new cards allowed on extra_new_day beyond the deck's daily limit.
    extra_new_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    extra_new: Mapped[int] = mapped_column(Integer, default=0)
    # Where the search for the next new card starts: every live card before (position, card)
    # in deck order had all its sides studied when deck version ``new_from_version`` was
    # current. Without it the search walks every studied card on every request.
    new_from_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_from_card: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StudyQueueItem(db.Model):
    """One side in a session's queue: "again" (asked again before the session ends), "done"
    (crammed) or "only" (the session crams just these cards).

    Items are never edited in place: the answer that queues a side is ``added_by`` and the
    answer that takes it off is ``cleared_by``, so undoing an answer restores the queue exactly.
    """

    __tablename__ = "study_queue_item"
    __table_args__ = (
        Index("ix_study_queue_item_session", "session_id", "kind", "card_id"),
        Index("ix_study_queue_item_added_by", "added_by"),
        Index("ix_study_queue_item_cleared_by", "cleared_by"),
        # A session's open queue, read with every study page: by session alone, PostgreSQL's
        # generic plan could take the open items of every session (ix_..._cleared_by) and
        # filter them by session, a walk that grows with all learners' queues.
        Index("ix_study_queue_item_open", "session_id",
              sqlite_where=text("cleared_by IS NULL"),
              postgresql_where=text("cleared_by IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("study_session.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    added_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cleared_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


