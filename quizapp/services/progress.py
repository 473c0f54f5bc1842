"""Reading a learner's or a class's history out of the database for quizapp.stats."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from ..extensions import db
from ..formats.sanitize import plain_text
from ..models import Card, CardState, ClassMembership, Classroom, Deck, ReviewLog, User
from ..scheduling.base import Stage
from ..scheduling.phase import Phase
from ..scheduling.sm2 import INITIAL_EASINESS
from ..stats import classroom as class_stats
from ..stats import learner as learner_stats
from .schedules import writer_of_name

NOT_RETENTION = frozenset({Phase.CRAM, Phase.REPEAT})
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
    cards = db.session.execute(
        select(Card.id, Card.deck_id, Card.ordinals, Card.tags, Card.retired, Card.prompt)
        .where(Card.deck_id.in_(deck_ids))
    ).all()
    rows = db.session.execute(
        select(
            CardState.user_id, CardState.card_id, CardState.ordinal, CardState.scheduler,
            CardState.state, CardState.due, CardState.lapses,
        ).where(CardState.user_id.in_(user_ids), CardState.deck_id.in_(deck_ids))
    ).all()
    stored = {(r.user_id, r.card_id, r.ordinal): _schedule(r) for r in rows}
    prompts = {c.id: plain_text(c.prompt)[:160] for c in cards}
    result: dict[int, list] = {}
    for user_id in user_ids:
        states = []
        for card in cards:
            for ordinal in card.ordinals or [0]:
                stage, easiness, due, lapses = stored.get(
                    (user_id, card.id, ordinal), (Stage.NEW, INITIAL_EASINESS, None, 0)
                )
                states.append(
                    learner_stats.SideState(
                        card_id=card.id, ordinal=ordinal, deck_id=card.deck_id,
                        tags=tuple(card.tags or ()), stage=stage, easiness=easiness,
                        due=due, lapses=lapses, retired=card.retired, prompt=prompts[card.id],
                    )
                )
        result[user_id] = states
    return result


def _schedule(row: Any) -> tuple[Stage, Decimal, Any, int]:
    """(stage, ease, due, lapses) of a stored state, read by the scheduler that wrote it; the
    ease is the one its Anki form carries (SM-2's easiness itself)."""
    scheduler = writer_of_name(row.scheduler)
    state = scheduler.from_json(row.state)
    ease = Decimal(scheduler.to_anki(state).factor) / PERMILLE
    return scheduler.stage(state), ease, row.due, row.lapses


def reviews(user_ids: Iterable[int], deck_ids: list[int]) -> list[tuple[int, object, str | None]]:
    """(user id, stats Review, response) for every answer not undone."""
    # Core execution and positional construction: a year of history is 100,000 rows.
    rows = db.session.connection().execute(
        select(
            ReviewLog.card_id, ReviewLog.ordinal, ReviewLog.deck_id, ReviewLog.answered_at,
            ReviewLog.passed, ReviewLog.duration_ms, ReviewLog.stage_before,
            ReviewLog.interval_before, ReviewLog.phase, ReviewLog.user_id, ReviewLog.response,
        ).where(
            ReviewLog.user_id.in_(list(user_ids)),
            ReviewLog.deck_id.in_(deck_ids),
            ReviewLog.undone_at.is_(None),
        )
    ).all()
    review = learner_stats.Review
    # Same-session repeats and cramming show effort, not memory after a delay.
    return [(r[9], review(*r[:8], r[8] in NOT_RETENTION), r[10]) for r in rows]


def learner_summary(user: User, decks: list[Deck], now) -> learner_stats.LearnerSummary:
    deck_ids = [d.id for d in decks]
    states = card_states([user.id], deck_ids)[user.id]
    history = [review for _, review, _ in reviews([user.id], deck_ids)]
    return learner_stats.learner_summary(states, history, user.timezone, now, deck_ids=deck_ids)


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


def class_dashboard(classroom: Classroom) -> class_stats.ClassDashboard:
    # A deck its author unpublished is withdrawn: out of the figures until published again.
    deck_ids = [d.id for d in classroom.decks if d.published]
    students = [class_stats.Student(user_id=u.id, name=u.display_name)
                for u in classroom.members]
    states = card_states([s.user_id for s in students], deck_ids)
    cards = {
        (s.card_id, s.ordinal): class_stats.ClassCard(
            card_id=s.card_id, ordinal=s.ordinal, deck_id=s.deck_id, prompt=s.prompt
        )
        for per_user in states.values() for s in per_user if not s.retired
    } if students else {}
    history = [
        class_stats.ClassReview(user_id=user_id, review=review, response=response)
        for user_id, review, response in reviews([s.user_id for s in students], deck_ids)
    ]
    return class_stats.class_dashboard(students, cards.values(), states, history)
