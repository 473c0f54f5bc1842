"""Decks: their cards, media and source documents, an upload awaiting confirmation, and an
instructor's decisions on generated suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .columns import UTCDateTime, utcnow


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
