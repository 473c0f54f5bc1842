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
from datetime import date, datetime, timedelta

from sqlalchemy import Float, Integer, bindparam, cast, func, or_, select

from .. import kinds
from ..extensions import db
from ..models import MAX_ID, Card, CardState, Deck, ReviewLog, User, utcnow
from ..scheduling.day import day_start, learner_day
from ..scheduling.phase import SCHEDULING, Phase
from . import history_days, memory, progress, schedules, tallies
from .prepared import Prepared
from .presentation import MODES as MODES
from .presentation import Presentation, ShownCard, ShownState
from .presentation import StudyError as StudyError
from .presentation import decode_presentation as decode_presentation
from .presentation import encode_presentation as encode_presentation
from .rows import core_connection
from .study_answer import CardNotInDeck as CardNotInDeck
from .study_answer import Outcome as Outcome
from .study_answer import answer_presentation as answer_presentation
from .study_answer import grade_response as grade_response
from .study_answer import record_answer as record_answer
from .study_due import CARD_COLUMNS, DUE, DUE_AHEAD, due_side
from .study_page import UNREAD, page_due_side
from .study_page import load_page_user as load_page_user
from .study_page import open_page_session as open_page_session
from .study_page import page_own_settings as page_own_settings
from .study_page import shown_token as shown_token
from .study_queue import SessionQueue, undo_answer_in_queue

HARD_CARDS_LIMIT = 50
# Deck positions a session's new-card search start moves by at least (see _move_new_start).
NEW_START_STEP = 16
# Cards read from a random point of the deck for a cram pick.
CRAM_WINDOW = 32


def today_for(user: User, now: datetime | None = None) -> date:
    return learner_day(now or utcnow(), user.timezone)


# Today's counts when they did not come with the session's read (``study_page``), built once:
# building a query per call costs as much as running it (bench/bench_vs_anki.py and a profile).
_ANSWERED_TODAY = (
    select(ReviewLog.phase, func.count(ReviewLog.id))
    .where(
        ReviewLog.user_id == bindparam("user_id"),
        ReviewLog.deck_id == bindparam("deck_id"),
        ReviewLog.phase.in_(SCHEDULING),
        ReviewLog.undone_at.is_(None),
        ReviewLog.answered_at >= bindparam("since"),
    )
    .group_by(ReviewLog.phase)
)


def _answered_today(user: User, deck: Deck, today: date) -> dict[str, int]:
    """How many new cards (learn) and reviews the learner has answered in the deck today."""
    rows = core_connection().execute(_ANSWERED_TODAY, {
        "user_id": user.id, "deck_id": deck.id, "since": day_start(today, user.timezone),
    }).all()
    return dict(rows)


def next_due_review(
    user: User, deck: Deck, today: date, now: datetime, *, ahead: bool = False
) -> tuple[ShownState, ShownCard] | None:
    """The most overdue side of a live card in ``deck`` and its card, or None. A side in a
    learning step (due later today, at ``due_at``) waits for it; with ``ahead``, only those,
    soonest first, for when nothing else is left (Anki's "learn ahead")."""
    row = (DUE_AHEAD if ahead else DUE).first(core_connection(), {
        "user_id": user.id, "deck_id": deck.id, "today": today, "now": now,
    })
    return None if row is None else due_side(row)


def _new_query(from_start: bool):
    studied = (
        select(func.count(CardState.id))
        .where(CardState.user_id == bindparam("user_id"), CardState.card_id == Card.id)
        .scalar_subquery()
    )
    query = select(*CARD_COLUMNS).where(
        Card.deck_id == bindparam("deck_id"), Card.retired.is_(False), studied < Card.side_count
    )
    if from_start:
        # The plain range keeps the (deck, position) index usable; the OR only breaks ties.
        query = query.where(
            Card.position >= bindparam("position"),
            or_(Card.position > bindparam("position"), Card.id >= bindparam("card_id")),
        )
    return query.order_by(Card.position, Card.id).limit(1)


_NEW, _NEW_FROM = Prepared(_new_query(False)), Prepared(_new_query(True))
_LIVE_CARD = Prepared(select(*CARD_COLUMNS).where(
    Card.id == bindparam("card_id"), Card.deck_id == bindparam("deck_id"),
    Card.retired.is_(False)))
_SEEN_SIDES = Prepared(select(CardState.ordinal).where(
    CardState.user_id == bindparam("user_id"), CardState.card_id == bindparam("card_id")))


def next_new_side(
    user: User, deck: Deck, start: tuple[int, int] | None = None
) -> tuple[ShownCard, int] | None:
    """The first card in deck order with a side this learner has never studied, searched from
    (position, card id) ``start`` on: the cards before it are known to be studied."""
    params = {"user_id": user.id, "deck_id": deck.id}
    if start is not None:
        params["position"], params["card_id"] = start
    row = (_NEW if start is None else _NEW_FROM).first(core_connection(), params)
    if row is None:
        return None
    card = ShownCard(*row)
    if card.side_count == 1:
        return card, (card.ordinals or [0])[0]
    seen = {ordinal for (ordinal,) in _SEEN_SIDES.all(
        core_connection(), {"user_id": user.id, "card_id": card.id})}
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
    read = queue.read_with
    if read is not None and read.get("since") == day_start(today, user.timezone):
        answered = {Phase.LEARN: read["learned_today"], Phase.REVIEW: read["reviewed_today"]}
    else:
        answered = _answered_today(user, deck, today)
    if answered.get(Phase.REVIEW, 0) < deck.reviews_per_day:
        due = page_due_side(queue, today)
        if due is UNREAD:
            due = next_due_review(user, deck, today, now)
        if due is not None:
            return _present_due(*due)
    if answered.get(Phase.LEARN, 0) < deck.new_per_day + queue.extra_new:
        start = None
        if queue.new_from is not None and queue.new_from[2] == deck.version:
            start = queue.new_from[:2]
        found = next_new_side(user, deck, start)
        _move_new_start(queue, deck, start, found[0] if found else None)
        if found is not None:
            card, ordinal = found
            return _present(card.id, ordinal, Phase.LEARN, 0, card)
    for card_id, ordinal in queue.repeats:
        row = _LIVE_CARD.first(core_connection(), {"card_id": card_id, "deck_id": deck.id})
        if row is not None:
            return _present(card_id, ordinal, Phase.REPEAT, 0, ShownCard(*row))
    due = next_due_review(user, deck, today, now, ahead=True)
    return _present_due(*due) if due is not None else None


def _present_due(state: ShownState, card: ShownCard) -> Presentation:
    return _present(card.id, state.ordinal, Phase.REVIEW, state.version, card, state)


def _move_new_start(
    queue: SessionQueue, deck: Deck, start: tuple[int, int] | None, found: ShownCard | None
) -> None:
    """Move the session's new-card search start up to ``found`` (past the end when no card is
    left), in steps: each search walks at most about one step of studied cards, and a
    session is written once per step rather than on every request."""
    target = (found.position, found.id) if found is not None else (MAX_ID, 0)
    near = found is not None and start is not None and target[0] - start[0] < NEW_START_STEP
    if target == start or near:
        return
    queue.new_from = (*target, deck.version)
    queue.new_from_moved = True


def _cram_window():
    """The cards of a deck in order from a random ``point`` (0 to 1) of its positions on.
    The first and last position are two subqueries, not one: SQLite reads a lone min() or
    max() off the (deck, position) index in one step, but walks every card of the deck for
    both in one select (the cram pick grew 2x from 200 to 20,000 cards)."""
    def end(aggregate):
        return select(aggregate(Card.position)).where(
            Card.deck_id == bindparam("deck_id")
        ).scalar_subquery()

    first, last = end(func.min), end(func.max)
    # A whole position, so that PostgreSQL compares integers and keeps the index range.
    start = cast(first + bindparam("point", type_=Float) * (last - first), Integer)
    return (
        select(Card.id, Card.side_count)
        .where(Card.deck_id == bindparam("deck_id"), Card.retired.is_(False),
               Card.position >= start)
        .order_by(Card.position, Card.id)
        .limit(CRAM_WINDOW)
    )


_CRAM_WINDOW = Prepared(_cram_window())
_SHOWN_CARD = Prepared(select(*CARD_COLUMNS).where(Card.id == bindparam("card_id")))


def _next_cram(deck: Deck, queue: SessionQueue) -> Presentation | None:
    """A random side not yet crammed; once none is left, the missed ones in the order missed."""
    skip = queue.crammed | {card_id for card_id, _ in queue.repeats}
    live = select(Card.id, Card.side_count).where(Card.deck_id == deck.id, Card.retired.is_(False))
    if queue.only:
        # A focused cram names a few dozen cards at most.
        cards = db.session.execute(live.where(Card.id.in_(queue.only))).all()
    else:
        # From a random point of the deck, the next few cards in deck order: an index range
        # whatever the deck's size. Only when all of them are done is the whole deck read.
        cards = _CRAM_WINDOW.all(core_connection(), {"deck_id": deck.id, "point": random.random()})
        if all(card_id in skip for card_id, _ in cards):
            cards = db.session.execute(live).all()
    sides = [
        (card_id, index)
        for card_id, side_count in cards
        if card_id not in skip
        for index in range(side_count)
    ]
    if sides:
        card_id, index = random.choice(sides)
        card = ShownCard(*_SHOWN_CARD.first(core_connection(), {"card_id": card_id}))
        return _present(card_id, (card.ordinals or [0])[index], Phase.CRAM, 0, card)
    if not queue.repeats:
        return None
    repeated = [card_id for card_id, _ in queue.repeats]
    live_ids = set(db.session.scalars(
        select(Card.id).where(Card.id.in_(repeated), Card.deck_id == deck.id,
                              Card.retired.is_(False))
    ))
    for card_id, ordinal in queue.repeats:
        if card_id in live_ids:
            return _present(card_id, ordinal, Phase.CRAM, 0)
    return None


def hard_card_ids(user: User, deck: Deck) -> list[int]:
    """The learner's hardest cards in the deck, ranked as the progress page ranks them."""
    hardest = progress.hardest_cards(user, deck.id, HARD_CARDS_LIMIT)
    return list(dict.fromkeys(card.card_id for card in hardest))


def _present(
    card_id: int, ordinal: int, mode: str, state_version: int,
    card: Card | ShownCard | None = None, state: ShownState | None = None,
) -> Presentation:
    card = card or db.session.get(Card, card_id)
    order = kinds.get(card.kind).choice_order(card.choices or ())
    return Presentation(
        card_id=card_id,
        ordinal=ordinal,
        mode=mode,
        state_version=state_version,
        nonce=secrets.token_hex(16),
        shown_at=utcnow().timestamp(),
        choice_order=order,
        card=card,
        state=state,
    )


def state_row(
    user: User, card_id: int, ordinal: int, *, for_update: bool = False
) -> CardState | None:
    query = select(CardState).where(
        CardState.user_id == user.id, CardState.card_id == card_id, CardState.ordinal == ordinal
    )
    return db.session.scalars(query.with_for_update() if for_update else query).first()


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
    schedules_side = Phase(log.phase).schedules
    row = (state_row(user, log.card_id, log.ordinal, for_update=True)
           if schedules_side or log.tallied else None)
    if row is not None and schedules_side and log.state_before is None:
        db.session.delete(row)
    elif row is not None:
        if schedules_side:
            schedules.restore(row, log.state_before)
        if log.tallied:
            tallies.subtract(row, log)
        # Whatever changed (schedule, totals, the memory note_undo replays below): an answer
        # shown before must not write over it (services.shown_answer).
        row.version += 1
    undo_answer_in_queue(user.id, log.id)
    log.undone_at = now
    memory.note_undo(log)
    history_days.forget_days_from(user.id, log.answered_at)
    db.session.commit()
    return log
