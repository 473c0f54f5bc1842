"""Scheduling beside the cards: a learner's own choice of scheduler for one deck (over the
deck's ``Deck.scheduler``), their fitted FSRS parameters, and a deck's simulator figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import UTCDateTime, utcnow


class SchedulerOverride(db.Model):
    __tablename__ = "scheduler_override"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    deck_id: Mapped[int] = mapped_column(
        ForeignKey("deck.id", ondelete="CASCADE"), primary_key=True
    )
    # registry.SchedulerSettings JSON.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)


class LearnerSchedulerParams(db.Model):
    """The latest fit of FSRS parameters to one learner's history in one deck.

    ``parameters`` is null when the fit did not beat the defaults on held-out answers: the
    learner keeps the defaults, and the row still says how both scored."""

    __tablename__ = "learner_scheduler_params"
    __table_args__ = (UniqueConstraint("user_id", "deck_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    deck_id: Mapped[int] = mapped_column(ForeignKey("deck.id", ondelete="CASCADE"), index=True)
    parameters: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    reviews_used: Mapped[int] = mapped_column(Integer)
    log_loss_default: Mapped[float] = mapped_column(Float)
    log_loss_fitted: Mapped[float | None] = mapped_column(Float, nullable=True)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeckSimulation(db.Model):
    """The learner simulator's figures for one deck, kept until the deck changes.

    ``fingerprint`` names what the run depended on (card count, daily limits, run size); a
    deck whose fingerprint no longer matches shows the figures as out of date."""

    __tablename__ = "deck_simulation"

    deck_id: Mapped[int] = mapped_column(
        ForeignKey("deck.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(200))
    results: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
