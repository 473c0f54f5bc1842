"""A learner's study session: which card comes next, recording an answer, undoing one.

Every answer is one transaction (review log row plus new state). An answer carries the
*presentation* it answers: a signed token naming the card side, the mode and the version of
the learner's state it was shown with. The review log's unique (user, presentation) and the
state's version check make a double click, a resubmitted form or a second tab record one
review, never two, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Card, CardState, Deck, ReviewLog, User, utcnow
from ..scheduling import grading, sm2
from ..scheduling.day import day_start, learner_day
from ..scheduling.fsrs_scheduler import rating_for_sm2_grade
from ..stats.memory import MEMORY_PHASES
from . import memory, progress
from .presentation import MODES as MODES
from .presentation import Presentation, StudyError, decode_presentation
from .presentation import encode_presentation as encode_presentation
from .study_queue import SessionQueue, record_answer_in_queue, undo_answer_in_queue

HARD_CARDS_LIMIT = 50


@dataclass
class Outcome:
    grade: int
    correct: bool | None
    mode: str
    due: date | None
    duplicate: bool = False
    conflict: bool = False
    response: str | None = None
    # For type-in answers: the accepted answer matched, and whether it matched exactly.
    matched: str | None = None
    exact: bool = True


def today_for(user: User, now: datetime | None = None) -> date:
    return learner_day(now or utcnow(), user.timezone)


def _answered_today(user: User, deck: Deck, today: date) -> dict[str, int]:
    """How many new cards ("learn") and reviews the learner has answered in the deck today."""
    rows = db.session.execute(
        select(ReviewLog.phase, func.count(ReviewLog.id))
        .where(
            ReviewLog.user_id == user.id,
            ReviewLog.deck_id == deck.id,
            ReviewLog.phase.in_(("learn", "review")),
            ReviewLog.undone_at.is_(None),
            ReviewLog.answered_at >= day_start(today, user.timezone),
        )
        .group_by(ReviewLog.phase)
    ).all()
    return dict(rows)


def next_due_review(user: User, deck: Deck, today: date) -> CardState | None:
    """The most overdue side of a live card in ``deck``, or None."""
    return db.session.scalars(
        select(CardState)
        .join(Card, Card.id == CardState.card_id)
        .where(
            CardState.user_id == user.id,
            CardState.deck_id == deck.id,
            CardState.due <= today,
            Card.retired.is_(False),
        )
        .order_by(CardState.due, CardState.card_id, CardState.ordinal)
        .limit(1)
    ).first()


def next_new_side(user: User, deck: Deck) -> tuple[Card, int] | None:
    """The first card in deck order with a side this learner has never studied."""
    studied = (
        select(func.count(CardState.id))
        .where(CardState.user_id == user.id, CardState.card_id == Card.id)
        .scalar_subquery()
    )
    card = db.session.scalars(
        select(Card)
        .where(Card.deck_id == deck.id, Card.retired.is_(False), studied < Card.side_count)
        .order_by(Card.position, Card.id)
        .limit(1)
    ).first()
    if card is None:
        return None
    seen = set(
        db.session.scalars(
            select(CardState.ordinal).where(
                CardState.user_id == user.id, CardState.card_id == card.id
            )
        )
    )
    ordinal = next(o for o in card.ordinals if o not in seen)
    return card, ordinal


def choose_next(
    user: User, deck: Deck, queue: SessionQueue, *, cram: bool, now: datetime | None = None
) -> Presentation | None:
    """Due reviews first (most overdue), then new cards within the daily limit, then repeats."""
    if cram:
        return _next_cram(deck, queue)
    today = today_for(user, now)
    answered = _answered_today(user, deck, today)
    if answered.get("review", 0) < deck.reviews_per_day:
        state = next_due_review(user, deck, today)
        if state is not None:
            return _present(state.card_id, state.ordinal, "review", state.version)
    if answered.get("learn", 0) < deck.new_per_day + queue.extra_new:
        found = next_new_side(user, deck)
        if found is not None:
            card, ordinal = found
            return _present(card.id, ordinal, "learn", 0)
    for card_id, ordinal in queue.repeats:
        card = db.session.get(Card, card_id)
        if card is not None and card.deck_id == deck.id and not card.retired:
            return _present(card_id, ordinal, "repeat", 0)
    return None


def _next_cram(deck: Deck, queue: SessionQueue) -> Presentation | None:
    """A random side not yet crammed; once none is left, the missed ones in the order missed."""
    only = set(queue.only)
    again = {card_id for card_id, _ in queue.repeats}
    # Side counts, not the ordinals themselves: a big deck is read without decoding JSON.
    cards = db.session.execute(
        select(Card.id, Card.side_count).where(Card.deck_id == deck.id, Card.retired.is_(False))
    ).all()
    sides = [
        (card_id, index)
        for card_id, side_count in cards
        if card_id not in queue.crammed and card_id not in again
        and (not only or card_id in only)
        for index in range(side_count)
    ]
    if sides:
        card_id, index = random.choice(sides)
        card = db.session.get(Card, card_id)
        return _present(card_id, (card.ordinals or [0])[index], "cram", 0)
    live = {card_id for card_id, _ in cards}
    for card_id, ordinal in queue.repeats:
        if card_id in live:
            return _present(card_id, ordinal, "cram", 0)
    return None


def hard_card_ids(user: User, deck: Deck) -> list[int]:
    """The learner's hardest cards in the deck, ranked as the progress page ranks them."""
    hardest = progress.hardest_cards(user, deck.id, HARD_CARDS_LIMIT)
    return list(dict.fromkeys(card.card_id for card in hardest))


def _present(card_id: int, ordinal: int, mode: str, state_version: int) -> Presentation:
    card = db.session.get(Card, card_id)
    order: tuple[int, ...] = ()
    if card.kind == "mcq" and card.choices:
        shuffled = list(range(len(card.choices)))
        random.shuffle(shuffled)
        order = tuple(shuffled)
    return Presentation(
        card_id=card_id,
        ordinal=ordinal,
        mode=mode,
        state_version=state_version,
        nonce=secrets.token_hex(16),
        shown_at=utcnow().timestamp(),
        choice_order=order,
    )


def grade_response(
    card: Card, p: Presentation, *, grade: int | None, choice: int | None, typed: str | None,
    seconds: float | None,
) -> tuple[int, bool | None, str | None]:
    """(SM-2 grade, right or wrong for auto-graded kinds, what the learner answered)."""
    if card.kind == "mcq":
        if choice is None or not 0 <= choice < len(p.choice_order):
            raise StudyError("Pick one of the options.")
        picked = p.choice_order[choice]
        correct = picked == card.correct_index
        return grading.mcq_grade(correct, seconds), correct, card.choices[picked]
    if card.kind == "typein":
        if typed is None:
            raise StudyError("Type your answer first.")
        check = _check_typed(typed, card.answer)
        return grading.mcq_grade(check.correct, seconds), check.correct, typed
    if grade is None or isinstance(grade, bool) or not 0 <= grade <= 5:
        raise StudyError("Choose a grade from 0 to 5.")
    return grade, None, None


def _check_typed(typed: str, expected: str) -> grading.TypeinCheck:
    try:
        return grading.check_typein(typed, expected)
    except grading.AnswerTooLong:
        raise StudyError(
            f"That answer is too long: answers are at most {grading.MAX_ANSWER_CHARS} "
            "characters."
        ) from None


def _state_row(
    user: User, card_id: int, ordinal: int, *, for_update: bool = False
) -> CardState | None:
    query = select(CardState).where(
        CardState.user_id == user.id, CardState.card_id == card_id, CardState.ordinal == ordinal
    )
    return db.session.scalars(query.with_for_update() if for_update else query).first()


def _state_of(row: CardState | None) -> sm2.Sm2State:
    if row is None:
        return sm2.Sm2State.new()
    return sm2.Sm2State(
        easiness=row.easiness,
        interval=row.interval,
        repetitions=row.repetitions,
        due=row.due,
        lapses=row.lapses,
    )


def _snapshot(row: CardState | None) -> dict | None:
    if row is None:
        return None
    data = _state_of(row).to_dict()
    data["last_review_at"] = row.last_review_at.isoformat() if row.last_review_at else None
    return data


def record_answer(
    user: User, token: str, secret_key: str, *, grade: int | None = None,
    choice: int | None = None, typed: str | None = None, now: datetime | None = None,
) -> Outcome:
    """Grade and store one answer in one transaction; a repeat of it changes nothing."""
    p = decode_presentation(token, user.id, secret_key)
    card = db.session.get(Card, p.card_id)
    if card is None or p.ordinal not in (card.ordinals or [0]):
        raise StudyError("This card no longer exists.")
    now = now or utcnow()
    seconds = max(0.0, now.timestamp() - p.shown_at)
    grade, correct, response = grade_response(
        card, p, grade=grade, choice=choice, typed=typed, seconds=seconds
    )
    row = _state_row(user, card.id, p.ordinal)
    before = _snapshot(row)
    log = ReviewLog(
        user_id=user.id, card_id=card.id, deck_id=card.deck_id, ordinal=p.ordinal,
        phase=p.mode, grade=grade, response=response, answered_at=now,
        duration_ms=int(min(seconds, 3600) * 1000), presentation=p.nonce,
        state_before=before, state_after=before,
        repetitions_before=row.repetitions if row else 0,
        interval_before=row.interval if row else 0,
    )
    due = row.due if row else None
    try:
        if p.mode in ("learn", "review"):
            if (row.version if row else 0) != p.state_version:
                return _already_answered(user, p, Outcome(grade, correct, p.mode, due))
            new = sm2.review(_state_of(row), grade, today_for(user, now))
            due = new.due
            if row is None:
                row = CardState(
                    user_id=user.id, card_id=card.id, deck_id=card.deck_id, ordinal=p.ordinal,
                    version=0,
                )
                db.session.add(row)
                _write_state(row, new, now)
                row.version = 1
                db.session.flush()
            else:
                updated = db.session.execute(
                    update(CardState)
                    .where(CardState.id == row.id, CardState.version == p.state_version)
                    .values(
                        easiness=new.easiness, interval=new.interval,
                        repetitions=new.repetitions, due=new.due, lapses=new.lapses,
                        last_review_at=now, version=CardState.version + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
                if updated.rowcount != 1:
                    return _already_answered(user, p, Outcome(grade, correct, p.mode, due))
            after = new.to_dict()
            after["last_review_at"] = now.isoformat()
            log.state_after = after
        if row is not None and p.mode in MEMORY_PHASES:
            memory.note_review(row, rating_for_sm2_grade(grade), now)
        db.session.add(log)
        db.session.flush()
        record_answer_in_queue(
            user.id, card.deck_id, card.id, p.ordinal, p.mode, grade, log.id
        )
        db.session.commit()
    except IntegrityError:
        return _already_answered(user, p, Outcome(grade, correct, p.mode, due))
    return _with_typein_match(Outcome(grade, correct, p.mode, due, response=response), card)


def _with_typein_match(outcome: Outcome, card: Card) -> Outcome:
    if card.kind == "typein" and outcome.response is not None:
        check = _check_typed(outcome.response, card.answer)
        outcome.matched, outcome.exact = check.alternative, check.exact
    return outcome


def _already_answered(user: User, p: Presentation, fallback: Outcome) -> Outcome:
    """Roll back a losing write: the same presentation was recorded (a duplicate), or
    another presentation of this side was answered first (a conflict, e.g. a second tab)."""
    db.session.rollback()
    previous = db.session.scalars(
        select(ReviewLog).where(ReviewLog.user_id == user.id, ReviewLog.presentation == p.nonce)
    ).first()
    if previous is not None:
        return _outcome_of(previous, duplicate=True)
    fallback.conflict = True
    return fallback


def _write_state(row: CardState, state: sm2.Sm2State, now: datetime | None) -> None:
    row.easiness = state.easiness
    row.interval = state.interval
    row.repetitions = state.repetitions
    row.due = state.due
    row.lapses = state.lapses
    row.last_review_at = now


def _outcome_of(log: ReviewLog, *, duplicate: bool) -> Outcome:
    after = log.state_after or {}
    due = date.fromisoformat(after["due"]) if after.get("due") else None
    card = db.session.get(Card, log.card_id)
    correct = None
    if card is not None and card.kind in ("mcq", "typein"):
        correct = log.grade >= sm2.PASSING_GRADE
    outcome = Outcome(
        log.grade, correct, log.phase, due, duplicate=duplicate, response=log.response
    )
    return _with_typein_match(outcome, card) if card is not None else outcome


def undo_last(user: User, deck: Deck, now: datetime | None = None) -> ReviewLog | None:
    """Take back the learner's latest answer in ``deck`` today, restoring the state exactly."""
    now = now or utcnow()
    log = db.session.scalars(
        select(ReviewLog)
        .where(
            ReviewLog.user_id == user.id,
            ReviewLog.deck_id == deck.id,
            ReviewLog.undone_at.is_(None),
            ReviewLog.answered_at >= now - timedelta(hours=24),
        )
        .order_by(ReviewLog.answered_at.desc(), ReviewLog.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if log is None:
        return None
    if log.phase in ("learn", "review"):
        row = _state_row(user, log.card_id, log.ordinal, for_update=True)
        if row is not None and log.state_before is None:
            db.session.delete(row)
        elif row is not None:
            restored = sm2.Sm2State.from_dict(log.state_before)
            last = log.state_before.get("last_review_at")
            _write_state(row, restored, datetime.fromisoformat(last) if last else None)
            row.version += 1
    undo_answer_in_queue(user.id, log.id)
    log.undone_at = now
    memory.note_undo(log)
    db.session.commit()
    return log
