"""A learner's study state per card side and the append-only log of their answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import UTCDateTime, utcnow


def _stage_of_inserted(context: Any) -> str:
    """The stage of the state JSON an insert writes, read by the scheduler that wrote it."""
    from ..scheduling.registry import stage_of_stored

    return stage_of_stored(context.get_current_parameters()["state"])


class CardState(db.Model):
    """One learner's schedule for one side of one card: the state JSON of the scheduler that
    wrote it (``scheduling.base.Scheduler.to_json``), beside the columns queries need."""

    __tablename__ = "card_state"
    __table_args__ = (
        UniqueConstraint("user_id", "card_id", "ordinal"),
        # "What is due for this learner in this deck", most overdue first; the columns after
        # the key let a class's totals (services.class_totals) be summed from the index
        # alone, without reading each state's row.
        Index("ix_card_state_due", "user_id", "deck_id", "due", "card_id", "ordinal", "stage",
              "answers", "failures", "retention_answers", "retention_passed",
              "memory_stability", "memory_reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id", ondelete="CASCADE"), index=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("deck.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    scheduler: Mapped[str] = mapped_column(String(20), default="sm2")
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    due: Mapped[date] = mapped_column(Date)
    # The instant within the due day (``Due.at``): a learning step of minutes waits for it.
    # None: the start of the day.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    # The stage its scheduler gives the state (a scheduling.base.Stage: new, learning, young,
    # mature; none depends on the day), written with the state (schedules.state_columns) so
    # statistics count stages in SQL. An insert that leaves it out gets the state's own.
    stage: Mapped[str] = mapped_column(String(10), default=_stage_of_inserted)
    last_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # FSRS's memory state after the last answer, whatever the scheduler (quizapp.stats.memory):
    # kept here so progress pages need not replay the review history. None until answered.
    memory_stability: Mapped[float | None] = mapped_column(Float, nullable=True)
    memory_difficulty: Mapped[float | None] = mapped_column(Float, nullable=True)
    memory_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Optimistic lock: an answer applies only to the state version it was shown with.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Totals of the side's answers not undone whose log row is ``tallied`` (every answer
    # given while the side had a state row), written with each answer (services.tallies) so
    # class statistics sum states rather than every review.
    answers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retention_answers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retention_passed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# The answers ix_review_log_wrong holds (a query must state these terms to read it on SQLite).
WRONG_RESPONSE = "passed = {false} AND response IS NOT NULL AND undone_at IS NULL"


class ReviewLog(db.Model):
    """Append-only: one row per answer. Undo marks a row, it never deletes one."""

    __tablename__ = "review_log"
    __table_args__ = (
        UniqueConstraint("user_id", "presentation"),
        Index("ix_review_log_user_time", "user_id", "answered_at"),
        # Card first: what looks answers up by card, and one side's answers in time order
        # (memory replays after an undo or an Anki import) without reading the learner's log.
        Index("ix_review_log_side", "card_id", "user_id", "ordinal", "answered_at"),
        # The few answers not summed on a card state (services.tallies).
        Index("ix_review_log_untallied", "user_id", "card_id",
              sqlite_where=text("tallied = 0"), postgresql_where=text("tallied = false")),
        # The wrong responses a class picked (the dashboard's distractors): a third of the
        # answers at most, read without the rest of the row.
        Index("ix_review_log_wrong", "user_id", "deck_id", "card_id", "response",
              sqlite_where=text(WRONG_RESPONSE.format(false="0")),
              postgresql_where=text(WRONG_RESPONSE.format(false="false"))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id", ondelete="CASCADE"))
    deck_id: Mapped[int] = mapped_column(ForeignKey("deck.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    # A scheduling.phase.Phase: learn, review, repeat or cram.
    phase: Mapped[str] = mapped_column(String(10))
    # The rating on the scale of ``scheduler`` (SM-2: 0-5; FSRS: 1-4), and whether it passes.
    grade: Mapped[int] = mapped_column(Integer)
    scheduler: Mapped[str] = mapped_column(String(20), default="sm2")
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    # Copied out of state_before (a scheduling.base.Stage and days) so statistics over long
    # histories need no JSON parsing.
    stage_before: Mapped[str] = mapped_column(String(10), default="new")
    interval_before: Mapped[int] = mapped_column(Integer, default=0)
    state_before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    state_after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The presentation this answers; unique, so a resubmitted answer is recorded once.
    presentation: Mapped[str] = mapped_column(String(64))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Summed on the side's card state (its ``answers``...): false only for an answer given
    # while the side had no state row (a cram or repeat answer before its first learn).
    tallied: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
