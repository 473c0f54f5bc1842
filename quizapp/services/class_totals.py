"""A class's history summed by the database into quizapp.stats.classroom's totals: per
student, per card and per side, so the dashboard of a large class reads a few hundred rows
rather than every review and every card state of every student.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Float,
    and_,
    case,
    cast,
    distinct,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    tuple_,
)

from ..extensions import db
from ..models import Card, CardState, ClassMembership, ReviewLog
from ..scheduling.base import Stage
from ..scheduling.fsrs_scheduler import DEFAULT_PARAMETERS
from ..stats.classroom import ClassTotals
from ..stats.day_numbers import SECONDS_PER_DAY
from ..stats.memory import WEEK, OutlookSum, Parameters, curve
from . import tallies
from .dialect_function import dialect_function
from .history_totals import epoch_seconds, retention_review


def _number(value: float | int):
    """A number written into the statement (see history_totals.learner_day_number); a
    fraction as a float, which PostgreSQL would otherwise read as a (slow) numeric."""
    if isinstance(value, float):
        return cast(literal_column(repr(value)), Float)
    return literal_column(repr(value), BigInteger)


# The larger of two numbers: GREATEST on PostgreSQL, two-argument max() on SQLite.
_greatest = dialect_function("greatest", BigInteger(), "greatest", sqlite="max")


# A memory state, as services.memory.memory_of reads one.
_REMEMBERED = CardState.memory_stability.is_not(None) & CardState.memory_reviewed_at.is_not(None)


def class_totals(
    class_id: int,
    deck_ids: list[int],
    sides: Mapping[int, Sequence[int]],
    now: datetime,
    fitted: Mapping[tuple[int, int], Parameters] | None = None,
) -> ClassTotals:
    """Totals over the class's members and the live cards of ``deck_ids``, ``sides`` (card
    id: its ordinals); recall is estimated with the ``fitted`` parameters of a (user id, deck
    id) that has some, else with FSRS's defaults.

    A card state whose ordinal is not one of its card's sides is stale: its answers count,
    its stage and recall do not.
    """
    totals = ClassTotals()
    # Each query is driven by the members' own rows (their user id leads an index), never by
    # the cards: a card-first plan probes every card for every member.
    members = select(ClassMembership.user_id).where(ClassMembership.class_id == class_id)
    connection = db.session.connection()
    fitted = fitted or {}
    retired, stale = _add_sides(totals, connection, members, deck_ids, sides, now, fitted)
    _add_students(totals, connection, members, deck_ids, retired, stale)
    _add_untallied(totals, connection, members, deck_ids)
    _add_last_answers(totals, connection, class_id, deck_ids)
    # Grouped by card, so the retired cards' groups are dropped here rather than joined.
    for card_id, response, picks in connection.execute(
        select(ReviewLog.card_id, ReviewLog.response, func.count())
        # The terms of ix_review_log_wrong, which holds only these answers.
        .where(ReviewLog.user_id.in_(members), ReviewLog.deck_id.in_(deck_ids),
               ReviewLog.passed == false(), ReviewLog.response.is_not(None),
               ReviewLog.undone_at.is_(None))
        .group_by(ReviewLog.card_id, ReviewLog.response)
    ):
        if card_id in sides:
            totals.cards[card_id].distractors[response] = picks
    odd = [(card_id, ordinals) for card_id, ordinals in sides.items()
           if list(ordinals) != list(range(len(ordinals)))]
    states = (
        CardState.user_id.in_(members),
        CardState.deck_id.in_(deck_ids),
        Card.retired.is_(False),
        _existing_side(odd),
    )
    for (user_id, deck_id), parameters in fitted.items():
        _add_recall(totals, connection, now, parameters,
                    (*states, CardState.user_id == user_id, CardState.deck_id == deck_id))
    return totals


def _add_students(totals: ClassTotals, connection, members, deck_ids: list[int],
                  retired: list[int], stale: list[tuple[int, int]]) -> None:
    """Answers per student: the totals on the card states (services.tallies), the
    ``retired`` cards' left out; and the sides each student studied and mastered, the
    ``stale`` sides left out too. Both lists come from the pass over the sides (usually
    short or empty), so no card is joined here either."""
    summed = [func.sum(getattr(CardState, name)) for name in tallies.TOTALS]
    # Each state's stage is stored beside it (the scheduler's reading of its JSON), so the
    # stages are counted here, in the same pass as the answers, rather than read one by one.
    studied = CardState.stage != Stage.NEW.value
    if stale:
        studied &= tuple_(CardState.card_id, CardState.ordinal).not_in(stale)
    live = [CardState.card_id.not_in(retired)] if retired else []
    for user_id, answers, _, counted, passes, learned, mature in connection.execute(
        select(CardState.user_id, *summed, func.sum(case((studied, 1), else_=0)),
               func.sum(case((studied & (CardState.stage == Stage.MATURE.value), 1),
                             else_=0)))
        .where(CardState.user_id.in_(members), CardState.deck_id.in_(deck_ids), *live)
        .group_by(CardState.user_id)
    ):
        student = totals.students[user_id]
        student.reviews = answers
        student.retention.reviews, student.retention.passed = counted, passes
        student.studied, student.mastered = learned, mature


def _add_sides(totals: ClassTotals, connection, members, deck_ids: list[int],
               sides: Mapping[int, Sequence[int]], now: datetime,
               fitted: Mapping[tuple[int, int], Parameters],
               ) -> tuple[list[int], list[tuple[int, int]]]:
    """Answers per card and recall per side (with the defaults, for everyone without
    ``fitted`` parameters) in one pass over the members' states, grouped by side: a group's
    key says whether its card is live and the side one of its own, so no card is joined.
    Returns the retired cards and the stale sides the members have states of."""
    mine = (CardState.user_id.in_(members), CardState.deck_id.in_(deck_ids))
    remembered = _REMEMBERED
    if fitted:
        remembered &= ~or_(*[(CardState.user_id == user_id) & (CardState.deck_id == deck_id)
                             for user_id, deck_id in fitted])
    now_chance, week_chance = _recall_columns(now, DEFAULT_PARAMETERS)
    answered_states: dict[int, int] = defaultdict(int)
    shared = []  # cards whose answers are on more than one state of a student
    retired: set[int] = set()
    stale: list[tuple[int, int]] = []
    for card_id, ordinal, *answered, states, recalled, today, in_week in connection.execute(
        select(CardState.card_id, CardState.ordinal,
               *[func.sum(getattr(CardState, name)) for name in tallies.TOTALS],
               func.sum(case((CardState.answers > 0, 1), else_=0)),
               func.sum(case((remembered, 1), else_=0)),
               func.sum(case((remembered, now_chance))),
               func.sum(case((remembered, week_chance))))
        .where(*mine)
        .group_by(CardState.card_id, CardState.ordinal)
    ):
        if card_id not in sides:
            retired.add(card_id)
            continue
        if ordinal not in sides[card_id]:
            stale.append((card_id, ordinal))
        if states:
            card = totals.cards[card_id]
            card.answers += answered[0]
            card.wrong += answered[1]
            if answered_states[card_id]:
                shared.append(card_id)
            answered_states[card_id] += states
        if recalled and ordinal in sides[card_id]:
            totals.recall[card_id, ordinal].merge(
                _summed(recalled, float(today), float(in_week)))
    for card_id, count in answered_states.items():
        totals.cards[card_id].students = count
    # A student is counted once per card, however many of its sides they answered.
    if shared:
        for card_id, students in connection.execute(
            select(CardState.card_id, func.count(distinct(CardState.user_id)))
            .where(*mine, CardState.answers > 0, CardState.card_id.in_(shared))
            .group_by(CardState.card_id)
        ):
            totals.cards[card_id].students = students
    return sorted(retired), stale


def _add_untallied(totals: ClassTotals, connection, members, deck_ids: list[int]) -> None:
    """The few answers given while their side had no state row, from the log."""
    retention, passed = retention_review(), ReviewLog.passed.is_(True)
    # Whether the student's answers of the card were counted above already (a card's
    # students are counted once).
    counted = exists().where(
        CardState.user_id == ReviewLog.user_id, CardState.card_id == ReviewLog.card_id,
        CardState.deck_id.in_(deck_ids), CardState.answers > 0,
    )
    for user_id, card_id, answers, failures, in_retention, passes, known in connection.execute(
        select(
            ReviewLog.user_id, ReviewLog.card_id, func.count(),
            func.sum(case((passed, 0), else_=1)), func.sum(case((retention, 1), else_=0)),
            func.sum(case((retention & passed, 1), else_=0)), counted,
        )
        .join(Card, (Card.id == ReviewLog.card_id) & Card.retired.is_(False))
        .where(ReviewLog.user_id.in_(members), ReviewLog.deck_id.in_(deck_ids),
               ReviewLog.undone_at.is_(None), ReviewLog.tallied == false())
        .group_by(ReviewLog.user_id, ReviewLog.card_id)
    ):
        student = totals.students[user_id]
        student.reviews += answers
        student.retention.reviews += in_retention
        student.retention.passed += passes
        card = totals.cards[card_id]
        card.answers += answers
        card.wrong += failures
        card.students += 0 if known else 1


def _add_last_answers(totals: ClassTotals, connection, class_id: int,
                      deck_ids: list[int]) -> None:
    """Each student's latest answer: read backwards along their (user, time) index."""
    latest = (
        select(ReviewLog.answered_at)
        .join(Card, (Card.id == ReviewLog.card_id) & Card.retired.is_(False))
        .where(ReviewLog.user_id == ClassMembership.user_id, ReviewLog.deck_id.in_(deck_ids),
               ReviewLog.undone_at.is_(None))
        .order_by(ReviewLog.answered_at.desc())
        .limit(1)
        .correlate(ClassMembership)
        .scalar_subquery()
    )
    for user_id, last in connection.execute(
        select(ClassMembership.user_id, latest).where(ClassMembership.class_id == class_id)
    ):
        if last is not None:
            totals.students[user_id].last_active = last


def _add_recall(totals: ClassTotals, connection, now: datetime, parameters: Parameters,
                where: Sequence) -> None:
    now_chance, week_chance = _recall_columns(now, parameters)
    for card_id, ordinal, count, today, in_week in connection.execute(
        select(CardState.card_id, CardState.ordinal, func.count(), func.sum(now_chance),
               func.sum(week_chance))
        .join(Card, Card.id == CardState.card_id)
        .where(*where, _REMEMBERED)
        .group_by(CardState.card_id, CardState.ordinal)
    ):
        totals.recall[card_id, ordinal].merge(_summed(count, float(today), float(in_week)))


def _summed(cards: int, today: float, in_week: float) -> OutlookSum:
    summed = OutlookSum()
    summed.cards, summed.today, summed.in_week = cards, today, in_week
    return summed


def _existing_side(odd_sides: Sequence[tuple[int, Sequence[int]]]):
    odd_ids = [card_id for card_id, _ in odd_sides]
    regular = CardState.ordinal < Card.side_count
    if not odd_ids:
        return regular
    return or_(
        and_(Card.id.not_in(odd_ids), regular),
        *[and_(Card.id == card_id, CardState.ordinal.in_(list(ordinals)))
          for card_id, ordinals in odd_sides],
    )


def _recall_columns(now: datetime, parameters: Parameters):
    """FSRS's probability of recall of each state now and in a week, in SQL (the same
    formula as quizapp.stats.memory.recall_probability)."""
    factor, decay = curve(parameters)
    reviewed = epoch_seconds(CardState.memory_reviewed_at)

    def chance(at: datetime):
        # Whole days, none before the review; the instant is read once (max, not a case).
        days = _greatest(_number(int(at.timestamp())) - reviewed, _number(0)) // _number(
            SECONDS_PER_DAY)
        return func.power(
            _number(1.0) + _number(factor) * days / CardState.memory_stability, _number(decay)
        )

    return chance(now), chance(now + WEEK)
