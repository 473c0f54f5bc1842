"""A learner's own choice of scheduler for one deck, over the deck's (``Deck.scheduler``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


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
