"""Reading a learner's or a class's history out of the database for quizapp.stats."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from ..extensions import db
from ..formats.sanitize import plain_text
from ..models import Card, CardState, ClassMembership, Classroom, Deck, ReviewLog, User, utcnow
from ..scheduling.base import Stage
from ..scheduling.sm2 import INITIAL_EASINESS
from ..stats import classroom as class_stats
from ..stats import learner as learner_stats
from .class_totals import class_totals
from .history_totals import history_totals
from .memory import memory_of
from .personal_params import fitted_parameters
from .schedules import writer_of_name

PROMPT_CHARS = 160
PERMILLE = Decimal(1000)


def learner_decks(user: User) -> list[Deck]:
    """Decks the learner has studied, plus those assigned to their classes."""
    studied = select(CardState.deck_id).where(CardState.user_id == user.id).distinct()
    reviewed = select(ReviewLog.deck_id).where(ReviewLog.user_id == user.id).distinct()
    assigned = (
        select(Deck.id)
        .join(Classroom.decks)
        .join(ClassMembership, ClassMembership.class_id == Classroom.id)
        .where(ClassMembership.user_id == user.id)
    )
    # A deck unpublished after the learner studied it is withdrawn: its title is the
    # author's again, so only the decks the learner may still open are listed.
    visible = or_(Deck.published.is_(True), Deck.owner_id == user.id)
    return list(
        db.session.scalars(
            select(Deck)
            .where(or_(Deck.id.in_(studied), Deck.id.in_(reviewed), Deck.id.in_(assigned)))
            .where(visible)
            .order_by(Deck.title)
        )
    )


def card_states(user_ids: Iterable[int], deck_ids: list[int]) -> dict[int, list]:
    """Every side of every card in ``deck_ids`` as each user sees it (unstudied ones new)."""
    user_ids = list(user_ids)
    # Core rows through the session's connection: no ORM loading for thousands of cards.
    connection = db.session.connection()
    cards = connection.execute(
        select(Card.id, Card.deck_id, Card.ordinals, Card.tags, Card.retired, Card.prompt)
        .where(Card.deck_id.in_(deck_ids))
    ).all()
    rows = connection.execute(
        select(
            CardState.user_id, CardState.card_id, CardState.ordinal, CardState.scheduler,
            CardState.state, CardState.due, CardState.lapses, CardState.memory_stability,
            CardState.memory_difficulty, CardState.memory_reviewed_at,
        ).where(CardState.user_id.in_(user_ids), CardState.deck_id.in_(deck_ids))
    ).all()
    stored = {(r.user_id, r.card_id, r.ordinal): r for r in rows}
    result: dict[int, list] = {}
    for user_id in user_ids:
        states = []
        for card in cards:
            for ordinal in card.ordinals or [0]:
                row = stored.get((user_id, card.id, ordinal))
                stage, easiness = _schedule(row) if row else (Stage.NEW, INITIAL_EASINESS)
                states.append(
                    learner_stats.SideState(
                        card_id=card.id, ordinal=ordinal, deck_id=card.deck_id,
                        tags=tuple(card.tags or ()), stage=stage, easiness=easiness,
                        due=row.due if row else None,
                        lapses=row.lapses if row else 0,
                        # As stored: made plain text only where shown (plain_prompts).
                        retired=card.retired, prompt=card.prompt,
                        memory=memory_of(row) if row else None,
                    )
                )
        result[user_id] = states
    return result


def _schedule(row: Any) -> tuple[Stage, Decimal]:
    """(stage, ease) of a stored state, read by the scheduler that wrote it; the ease is the
    one its Anki form carries (SM-2's easiness itself)."""
    scheduler = writer_of_name(row.scheduler)
    state = scheduler.from_json(row.state)
    return scheduler.stage(state), Decimal(scheduler.to_anki(state).factor) / PERMILLE


def learner_summary(user: User, decks: list[Deck], now) -> learner_stats.LearnerSummary:
    deck_ids = [d.id for d in decks]
    states = card_states([user.id], deck_ids)[user.id]
    history = history_totals(user, deck_ids)
    fitted = fitted_parameters([user.id], deck_ids)
    summary = learner_stats.summary_from_history(
        states, history, user.timezone, now, deck_ids=deck_ids,
        deck_parameters={deck_id: fitted[user_id, deck_id] for user_id, deck_id in fitted},
    )
    return replace(
        summary, overall=plain_prompts(summary.overall),
        decks=tuple(plain_prompts(figures) for figures in summary.decks),
    )


def plain_prompts(figures: learner_stats.ProgressFigures) -> learner_stats.ProgressFigures:
    """The hardest cards' prompts as the short plain text the page shows."""
    return replace(figures, hardest=tuple(
        replace(card, prompt=plain_text(card.prompt)[:PROMPT_CHARS]) for card in figures.hardest
    ))


def hardest_cards(user: User, deck_id: int, count: int) -> tuple[learner_stats.HardCard, ...]:
    """The learner's hardest sides in one deck, ranked as on the progress page."""
    failures = db.session.execute(
        select(ReviewLog.card_id, ReviewLog.ordinal, func.count(ReviewLog.id))
        .where(
            ReviewLog.user_id == user.id,
            ReviewLog.deck_id == deck_id,
            ReviewLog.undone_at.is_(None),
            ReviewLog.passed.is_(False),
        )
        .group_by(ReviewLog.card_id, ReviewLog.ordinal)
    ).all()
    states = card_states([user.id], [deck_id])[user.id]
    return learner_stats.hardest_cards(
        states, {(card_id, ordinal): n for card_id, ordinal, n in failures}, count
    )


def class_dashboard(classroom: Classroom, now=None) -> class_stats.ClassDashboard:
    # A deck its author unpublished is withdrawn: out of the figures until published again.
    deck_ids = [d.id for d in classroom.decks if d.published]
    students = [class_stats.Student(user_id=u.id, name=u.display_name)
                for u in classroom.members]
    cards = db.session.execute(
        select(Card.id, Card.deck_id, Card.ordinals, Card.tags, Card.prompt)
        .where(Card.deck_id.in_(deck_ids), Card.retired.is_(False))
    ).all() if students else []
    sides = [
        class_stats.ClassCard(
            card_id=card.id, ordinal=ordinal, deck_id=card.deck_id,
            prompt=plain_text(card.prompt)[:PROMPT_CHARS], tags=tuple(card.tags or ()),
        )
        for card in cards for ordinal in card.ordinals or [0]
    ]
    odd = [
        (card.id, card.ordinals) for card in cards
        if list(card.ordinals or [0]) != list(range(len(card.ordinals or [0])))
    ]
    fitted = fitted_parameters([s.user_id for s in students], deck_ids) if students else {}
    totals = class_totals(classroom.id, deck_ids, odd, now or utcnow(), fitted)
    return class_stats.dashboard_from_totals(students, sides, totals)
