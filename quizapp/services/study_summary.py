"""The end of a study session: what it did, and what the daily limits hold back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select

from ..extensions import db
from ..models import Card, CardState, Deck, ReviewLog, User, utcnow
from .study import today_for
from .study_queue import SessionQueue


def session_summary(
    user: User, deck: Deck, queue: SessionQueue, now: datetime | None = None
) -> dict:
    """What the session did, and what the daily limits hold back for another day."""
    now = now or utcnow()
    today = today_for(user, now)
    logs = db.session.scalars(
        select(ReviewLog).where(
            ReviewLog.user_id == user.id,
            ReviewLog.deck_id == deck.id,
            ReviewLog.answered_at >= (queue.started_at or now),
            ReviewLog.undone_at.is_(None),
        )
    ).all()
    live_states = (
        select(func.count(CardState.id), func.min(CardState.due))
        .join(Card, Card.id == CardState.card_id)
        .where(
            and_(CardState.user_id == user.id, CardState.deck_id == deck.id),
            Card.retired.is_(False),
        )
    )
    studied_sides, next_due = db.session.execute(live_states).one()
    due_now = db.session.scalar(
        live_states.with_only_columns(func.count(CardState.id)).where(CardState.due <= today)
    )
    live_sides = db.session.scalar(
        select(func.coalesce(func.sum(Card.side_count), 0)).where(
            Card.deck_id == deck.id, Card.retired.is_(False)
        )
    )
    return {
        "studied": len({(log.card_id, log.ordinal) for log in logs}),
        "answers": len(logs),
        "correct": sum(1 for log in logs if log.passed),
        "next_due": next_due,
        "today": today,
        "new_waiting": max(0, live_sides - studied_sides),
        "new_per_day": deck.new_per_day,
        "extended_today": queue.extra_new > 0,
        "reviews_waiting": due_now,
        "reviews_per_day": deck.reviews_per_day,
    }
