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
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import kinds
from ..extensions import db
from ..models import Card, CardState, Deck, ReviewLog, User, utcnow
from ..scheduling.base import Moment, Scheduler
from ..scheduling.day import day_start, learner_day
from ..scheduling.phase import SCHEDULING, Phase
from ..stats.memory import MEMORY_PHASES
from . import memory, progress, schedules
from .presentation import MODES as MODES
from .presentation import Presentation, StudyError, decode_presentation
from .presentation import encode_presentation as encode_presentation
from .study_queue import SessionQueue, record_answer_in_queue, undo_answer_in_queue

HARD_CARDS_LIMIT = 50


@dataclass
class Outcome:
    grade: int  # on the scale of the scheduler that recorded it
    correct: bool | None
    mode: str
    due: date | None
    again: bool = False  # asked again in this session (``Scheduler.drill_again``)
    duplicate: bool = False
    conflict: bool = False
    response: str | None = None
    # For type-in answers: the accepted answer matched, and whether it matched exactly.
    matched: str | None = None
    exact: bool = True


def today_for(user: User, now: datetime | None = None) -> date:
    return learner_day(now or utcnow(), user.timezone)


def _answered_today(user: User, deck: Deck, today: date) -> dict[str, int]:
    """How many new cards (learn) and reviews the learner has answered in the deck today."""
    rows = db.session.execute(
        select(ReviewLog.phase, func.count(ReviewLog.id))
        .where(
            ReviewLog.user_id == user.id,
            ReviewLog.deck_id == deck.id,
            ReviewLog.phase.in_(SCHEDULING),
            ReviewLog.undone_at.is_(None),
            ReviewLog.answered_at >= day_start(today, user.timezone),
        )
        .group_by(ReviewLog.phase)
    ).all()
    return dict(rows)


def next_due_review(
    user: User, deck: Deck, today: date, now: datetime, *, ahead: bool = False
) -> CardState | None:
    """The most overdue side of a live card in ``deck``, or None. A side in a learning step
    (due later today, at ``due_at``) waits for it; with ``ahead``, only those, soonest first,
    for when nothing else is left (Anki's "learn ahead")."""
    waiting = CardState.due_at > now
    return db.session.scalars(
        select(CardState)
        .join(Card, Card.id == CardState.card_id)
        .where(
            CardState.user_id == user.id,
            CardState.deck_id == deck.id,
            CardState.due <= today,
            waiting if ahead else or_(CardState.due_at.is_(None), ~waiting),
            Card.retired.is_(False),
        )
        .order_by(*((CardState.due_at,) if ahead else ()), CardState.due, CardState.card_id,
                  CardState.ordinal)
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
    """Due reviews first (most overdue), then new cards within the daily limit, then repeats,
    then sides in a learning step due later today."""
    if cram:
        return _next_cram(deck, queue)
    now = now or utcnow()
    today = today_for(user, now)
    answered = _answered_today(user, deck, today)
    if answered.get(Phase.REVIEW, 0) < deck.reviews_per_day:
        state = next_due_review(user, deck, today, now)
        if state is not None:
            return _present(state.card_id, state.ordinal, Phase.REVIEW, state.version)
    if answered.get(Phase.LEARN, 0) < deck.new_per_day + queue.extra_new:
        found = next_new_side(user, deck)
        if found is not None:
            card, ordinal = found
            return _present(card.id, ordinal, Phase.LEARN, 0)
    for card_id, ordinal in queue.repeats:
        card = db.session.get(Card, card_id)
        if card is not None and card.deck_id == deck.id and not card.retired:
            return _present(card_id, ordinal, Phase.REPEAT, 0)
    state = next_due_review(user, deck, today, now, ahead=True)
    if state is not None:
        return _present(state.card_id, state.ordinal, Phase.REVIEW, state.version)
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
        return _present(card_id, (card.ordinals or [0])[index], Phase.CRAM, 0)
    live = {card_id for card_id, _ in cards}
    for card_id, ordinal in queue.repeats:
        if card_id in live:
            return _present(card_id, ordinal, Phase.CRAM, 0)
    return None


def hard_card_ids(user: User, deck: Deck) -> list[int]:
    """The learner's hardest cards in the deck, ranked as the progress page ranks them."""
    hardest = progress.hardest_cards(user, deck.id, HARD_CARDS_LIMIT)
    return list(dict.fromkeys(card.card_id for card in hardest))


def _present(card_id: int, ordinal: int, mode: str, state_version: int) -> Presentation:
    card = db.session.get(Card, card_id)
    order = kinds.get(card.kind).choice_order(card.choices or ())
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
    card: Card, p: Presentation, scheduler: Scheduler[Any], *, grade: int | None,
    choice: int | None, typed: str | None, seconds: float | None,
) -> tuple[int, bool | None, str | None]:
    """(rating on the scheduler's scale, right or wrong for auto-graded kinds, what the
    learner answered)."""
    kind = kinds.get(card.kind)
    if kind.auto_graded:
        try:
            verdict = kind.check(
                kinds.Response(choice=choice, typed=typed), answer=card.answer,
                choices=card.choices or (), correct=card.correct_index,
                choice_order=p.choice_order,
            )
        except kinds.AnswerRefused as refused:
            raise StudyError(str(refused)) from None
        return scheduler.auto_rating(verdict.correct, seconds), verdict.correct, verdict.response
    try:
        return scheduler.scale.check(grade), None, None
    except ValueError:
        labels = ", ".join(option.label for option in scheduler.scale)
        raise StudyError(f"Choose one of the ratings: {labels}.") from None


def state_row(
    user: User, card_id: int, ordinal: int, *, for_update: bool = False
) -> CardState | None:
    query = select(CardState).where(
        CardState.user_id == user.id, CardState.card_id == card_id, CardState.ordinal == ordinal
    )
    return db.session.scalars(query.with_for_update() if for_update else query).first()


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
    row = state_row(user, card.id, p.ordinal)
    scheduler, state = schedules.load_state(
        row, schedules.settings_for(user, card.deck), user
    )
    rating, correct, response = grade_response(
        card, p, scheduler, grade=grade, choice=choice, typed=typed, seconds=seconds
    )
    phase = Phase(p.mode)
    before = schedules.snapshot(row)
    log = ReviewLog(
        user_id=user.id, card_id=card.id, deck_id=card.deck_id, ordinal=p.ordinal,
        phase=phase, grade=rating, scheduler=scheduler.name,
        passed=scheduler.scale.passes(rating), response=response, answered_at=now,
        duration_ms=int(min(seconds, 3600) * 1000), presentation=p.nonce,
        state_before=before, state_after=before,
        stage_before=scheduler.stage(state), interval_before=0,
    )
    due = row.due if row else None
    again = _again(scheduler, phase, rating)
    outcome = Outcome(rating, correct, phase, due, again, response=response)
    try:
        if phase.schedules:
            if (row.version if row else 0) != p.state_version:
                return _already_answered(user, p, outcome)
            new, record = scheduler.review(state, rating, Moment(now, user.timezone))
            log.interval_before = record.interval_before
            outcome.due = new.due
            columns = schedules.state_columns(scheduler, new, now, record.due.at)
            if row is None:
                row = CardState(
                    user_id=user.id, card_id=card.id, deck_id=card.deck_id, ordinal=p.ordinal,
                    version=1,
                )
                schedules.write_state(row, columns)
                db.session.add(row)
                db.session.flush()
            else:
                updated = db.session.execute(
                    update(CardState)
                    .where(CardState.id == row.id, CardState.version == p.state_version)
                    .values(**columns, version=CardState.version + 1)
                    .execution_options(synchronize_session=False)
                )
                if updated.rowcount != 1:
                    return _already_answered(user, p, outcome)
            log.state_after = {"state": columns["state"], "last_review_at": now.isoformat()}
        if row is not None and p.mode in MEMORY_PHASES:
            memory.note_review(row, scheduler.anki_button(rating), now)
        db.session.add(log)
        db.session.flush()
        record_answer_in_queue(
            user.id, card.deck_id, card.id, p.ordinal, phase,
            again=again, log_id=log.id,
        )
        db.session.commit()
    except IntegrityError:
        return _already_answered(user, p, outcome)
    return _with_typein_match(outcome, card)


def _again(scheduler: Scheduler[Any], phase: Phase, rating: int) -> bool:
    """Whether the session asks this side again: when the scheduler drills it, and in cram
    whenever it was missed (cram has no schedule to bring it back)."""
    missed = phase is Phase.CRAM and not scheduler.scale.passes(rating)
    return scheduler.drill_again(rating) or missed


def _with_typein_match(outcome: Outcome, card: Card) -> Outcome:
    if outcome.response is None:
        return outcome
    try:
        match = kinds.get(card.kind).typed_match(outcome.response, card.answer)
    except kinds.AnswerRefused as refused:
        raise StudyError(str(refused)) from None
    if match is not None:
        outcome.matched, outcome.exact = match.matched, match.exact
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


def _outcome_of(log: ReviewLog, *, duplicate: bool) -> Outcome:
    scheduler = schedules.writer_of_name(log.scheduler)
    due = None
    if log.state_after is not None:
        due = scheduler.from_json(schedules.snapshot_state(log.state_after)).due
    card = db.session.get(Card, log.card_id)
    correct = None
    if card is not None and kinds.get(card.kind).auto_graded:
        correct = log.passed
    outcome = Outcome(
        log.grade, correct, log.phase, due, _again(scheduler, Phase(log.phase), log.grade),
        duplicate=duplicate, response=log.response,
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
    if Phase(log.phase).schedules:
        row = state_row(user, log.card_id, log.ordinal, for_update=True)
        if row is not None and log.state_before is None:
            db.session.delete(row)
        elif row is not None:
            schedules.restore(row, log.state_before)
            row.version += 1
    undo_answer_in_queue(user.id, log.id)
    log.undone_at = now
    memory.note_undo(log)
    db.session.commit()
    return log
