"""Every table of the app, in SQLAlchemy 2 typed style (some in modules of this package,
re-exported at the end so ``from quizapp.models import X`` finds every one)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db

ROLES = ("learner", "instructor", "admin")
# The largest id an integer column holds on every engine; larger ones name no row.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every engine (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    # On SQLite, one function instead of SQLAlchemy's two (ours above, then its DATETIME's
    # formatting through a dict): the text it stores, "YYYY-MM-DD HH:MM:SS.ffffff" in UTC.
    # The answer path binds several per answer.
    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text


# The last two values _sqlite_text formatted and their texts, newest first: an answer binds
# the same instant three times (answered, last reviewed, memory reviewed) with its due instant
# between them (a day's start, the same object for the same day: day.day_start), and
# formatting an aware datetime costs ~11,000 instructions. Datetimes are immutable, and the
# references kept here keep the values' identities from being reused; the tuple is replaced in
# one step, so threads can share it.
_last_texts: tuple[tuple[datetime | None, str | None], ...] = ((None, None), (None, None))


def _sqlite_text(value: datetime | None) -> str | None:
    global _last_texts
    if value is None:
        return None
    newest, older = _last_texts
    if value is newest[0]:
        return newest[1]
    if value is older[0]:
        return older[1]
    instant = value
    if instant.tzinfo is not None and instant.utcoffset():
        instant = instant.astimezone(UTC)
    # isoformat pads the year to four digits; an aware value's offset (+00:00) is cut off.
    text = instant.isoformat(" ", "microseconds")[:26]
    _last_texts = ((value, text), newest)
    return text


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


class Deck(db.Model):
    __tablename__ = "deck"
    __table_args__ = (UniqueConstraint("owner_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Identifies "the same deck" across re-loads and re-uploads by its owner.
    slug: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(20), default="uploaded")
    version: Mapped[int] = mapped_column(Integer, default=1)
    new_per_day: Mapped[int] = mapped_column(Integer, default=20)
    reviews_per_day: Mapped[int] = mapped_column(Integer, default=200)
    # Tens of kilobytes of JSON that only the editing and review pages read: not loaded with
    # the deck (the study path reads the deck on every request).
    knowledge: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)
    # registry.SchedulerSettings JSON; None is the default (SM-2).
    scheduler: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User | None] = relationship()
    cards: Mapped[list[Card]] = relationship(
        back_populates="deck", order_by="Card.position", cascade="all, delete-orphan"
    )
    sources: Mapped[list[SourceDocument]] = relationship(
        back_populates="deck", order_by="SourceDocument.key", cascade="all, delete-orphan"
    )


class SourceDocument(db.Model):
    """A document a deck's facts were taken from; the text is kept for uploaded sources."""

    __tablename__ = "source_document"
    __table_args__ = (UniqueConstraint("deck_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("deck.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # [offset, "page 3"] pairs: where each page, slide or paragraph of the original begins.
    locations: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)

    deck: Mapped[Deck] = relationship(back_populates="sources")


class Card(db.Model):
    __tablename__ = "card"
    __table_args__ = (
        UniqueConstraint("deck_id", "guid"),
        # Deck order with its tie-break, so "the next card from here in deck order" is an
        # index walk that stops at the first match, on PostgreSQL too (SQLite's indexes
        # end in the row id anyway).
        Index("ix_card_deck_order", "deck_id", "position", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("deck.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    choices: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    correct_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    explanation: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The separately scheduled sides (Anki's cards of one note): reversed has two.
    ordinals: Mapped[list[int]] = mapped_column(JSON, default=lambda: [0])
    # len(ordinals), stored so "a side not yet studied" is one indexed SQL comparison.
    side_count: Mapped[int] = mapped_column(Integer, default=1)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    content_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deck: Mapped[Deck] = relationship(back_populates="cards")


class Media(db.Model):
    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("deck_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("deck.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)


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


class PendingUpload(db.Model):
    """An uploaded file between its preview and the instructor's confirmation.

    Kept in the database, not on local disk, so any worker or host can finish the import.
    """

    __tablename__ = "pending_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(300))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SuggestionDecision(db.Model):
    """An instructor's answer to a generated suggestion (a fact below the confidence threshold).

    A row of its own rather than a field inside ``Deck.knowledge``: regenerating a draft
    replaces the knowledge wholesale, and two quick clicks would race on one JSON value.
    """

    __tablename__ = "suggestion_decision"
    __table_args__ = (UniqueConstraint("deck_id", "suggestion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("deck.id", ondelete="CASCADE"))
    suggestion_id: Mapped[str] = mapped_column(String(200))
    # accepted | dropped
    decision: Mapped[str] = mapped_column(String(10))
    # The cards this acceptance put into the deck, and only those, leave again on undo.
    added_guids: Mapped[list[str]] = mapped_column(JSON, default=list)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateLimitCounter(db.Model):
    """One fixed rate-limit window (log-in attempts from one address), shared by every
    worker and host that uses this database."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch: the limits library counts windows in plain timestamps.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


# Tables kept in modules of their own, importable from here like every other.
from .classes import ClassDeck as ClassDeck  # noqa: E402
from .classes import ClassMembership as ClassMembership  # noqa: E402
from .classes import Classroom as Classroom  # noqa: E402
from .history import ReviewDayMark as ReviewDayMark  # noqa: E402
from .history import ReviewDayTotal as ReviewDayTotal  # noqa: E402
from .jobs import ACTIVE_JOB_STATUSES as ACTIVE_JOB_STATUSES  # noqa: E402
from .jobs import JOB_KINDS as JOB_KINDS  # noqa: E402
from .jobs import JOB_STATUSES as JOB_STATUSES  # noqa: E402
from .jobs import Job as Job  # noqa: E402
from .jobs import JobFile as JobFile  # noqa: E402
from .jobs import job_under_way as job_under_way  # noqa: E402
from .scheduling import DeckSimulation as DeckSimulation  # noqa: E402
from .scheduling import LearnerSchedulerParams as LearnerSchedulerParams  # noqa: E402
from .scheduling import SchedulerOverride as SchedulerOverride  # noqa: E402
from .sessions import StudyQueueItem as StudyQueueItem  # noqa: E402
from .sessions import StudySession as StudySession  # noqa: E402
