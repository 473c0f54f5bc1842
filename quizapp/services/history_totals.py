"""A learner's review history summed by the database into the totals quizapp.stats.activity
draws its figures from: per learner day and per card, never row by row in Python, so the
progress page costs about the same for a year of history as for a week.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import BigInteger, case, false, func, literal, literal_column, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..models import ReviewDayMark, ReviewDayTotal, ReviewLog, User, UTCDateTime
from ..stats.activity import LEARNED, DeckHistory
from ..stats.day_numbers import SECONDS_PER_DAY, day_of_number, day_shifts

# Same-session repeats and cramming show effort, not memory after a delay.
NOT_RETENTION = frozenset({"cram", "repeat"})


class epoch_seconds(FunctionElement):
    """Whole seconds since the epoch of a stored instant, on each engine."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "sqlite")
def _sqlite_epoch(element, compiler, **kw) -> str:
    # Instants are stored as UTC text. unixepoch() (SQLite 3.38) reads them twice as fast as
    # strftime('%s'), which older versions fall back on.
    instant = compiler.process(element.clauses, **kw)
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"unixepoch({instant})"
    return f"CAST(strftime('%s', {instant}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _postgresql_epoch(element, compiler, **kw) -> str:
    instant = compiler.process(element.clauses, **kw)
    # date_part gives a double; EXTRACT a numeric since PostgreSQL 14, whose arithmetic per
    # row was a sixth of the class dashboard's recall pass. The same whole seconds: a
    # double resolves a microsecond at today's epoch.
    return "CAST(FLOOR(date_part('epoch', " + instant + ")) AS BIGINT)"


def learner_day_number(column, shifts: list[tuple[int | None, int]]):
    """SQL for the learner day number of ``column`` (see quizapp.stats.day_numbers).

    The shifts are written into the statement as numbers rather than bound: PostgreSQL only
    accepts a grouped expression in the select list when it is the very same text, and bound
    parameters are numbered apart.
    """
    seconds = epoch_seconds(column)
    if len(shifts) == 1:
        shift = literal_column(str(int(shifts[0][1])))
    else:
        shift = case(
            *[(seconds < literal_column(str(int(until))), literal_column(str(int(value))))
              for until, value in shifts[:-1]],
            else_=literal_column(str(int(shifts[-1][1]))),
        )
    return (seconds + shift) // literal_column(str(SECONDS_PER_DAY), BigInteger)


def retention_review():
    """SQL for quizapp.stats.activity.counts_for_retention: the stage logged before the
    answer (the scheduler's own) was a learned one, and the answer was no cram or repeat."""
    return ReviewLog.phase.not_in(NOT_RETENTION) & ReviewLog.stage_before.in_(
        sorted(stage.value for stage in LEARNED)
    )


def day_sums(where, shifts: list[tuple[int | None, int]], counted=None):
    """Per deck and learner day of the answers ``where`` selects: deck id, day number,
    answers, milliseconds, retention answers and the passed ones among them; with
    ``counted``, only the answers it holds for are summed (the others still make their
    deck's and day's row, with nothing in it)."""
    day = learner_day_number(ReviewLog.answered_at, shifts)
    retention = retention_review()
    if counted is None:
        answers, milliseconds = func.count(), func.sum(ReviewLog.duration_ms)
    else:
        retention = retention & counted
        answers = func.sum(case((counted, 1), else_=0))
        milliseconds = func.sum(case((counted, ReviewLog.duration_ms), else_=0))
    return select(
        ReviewLog.deck_id, day, answers, milliseconds,
        func.sum(case((retention, 1), else_=0)),
        func.sum(case((retention & ReviewLog.passed, 1), else_=0)),
    ).where(*where).group_by(ReviewLog.deck_id, day)


def history_totals(user: User, deck_ids: list[int]) -> dict[int, DeckHistory]:
    """Per deck of ``deck_ids``: reviews, time and retention per learner day, retention per
    card and failed answers per side of the answers given while the side had no state
    (``tallied`` false); every answer not undone. The other answers' side totals are kept
    on their card states (services.tallies), and ``progress.card_states`` adds them.

    The days come from the learner's closed days summed once (services.history_days) plus
    the answers after them, summed from the log in the same statement, so that both parts
    agree on where one ends."""
    histories: dict[int, DeckHistory] = {}
    connection = db.session.connection()
    summed_until = select(ReviewDayMark.rolled_until).where(
        ReviewDayMark.user_id == user.id, ReviewDayMark.timezone == user.timezone,
    ).scalar_subquery()
    mine = ReviewLog.user_id == user.id
    rolled, first, last = connection.execute(select(
        summed_until,
        select(func.min(ReviewLog.answered_at)).where(mine).scalar_subquery(),
        select(func.max(ReviewLog.answered_at)).where(mine).scalar_subquery(),
    )).one()
    if first is None:
        return histories
    first = rolled or first
    days = union_all(
        select(ReviewDayTotal.deck_id, ReviewDayTotal.day, ReviewDayTotal.reviews,
               ReviewDayTotal.milliseconds, ReviewDayTotal.retention_reviews,
               ReviewDayTotal.retention_passed)
        .join(ReviewDayMark, ReviewDayMark.user_id == ReviewDayTotal.user_id)
        .where(ReviewDayTotal.user_id == user.id, ReviewDayTotal.deck_id.in_(deck_ids),
               ReviewDayMark.timezone == user.timezone, ReviewDayMark.rolled_until.is_not(None),
               ReviewDayTotal.reviews > 0),
        day_sums(
            (mine, ReviewLog.deck_id.in_(deck_ids), ReviewLog.undone_at.is_(None),
             ReviewLog.answered_at >= func.coalesce(summed_until, literal(first, UTCDateTime))),
            day_shifts(user.timezone, first, max(first, last)),
        ),
    )
    for deck_id, number, reviews, milliseconds, retained, passes in connection.execute(days):
        history = histories.get(deck_id) or histories.setdefault(deck_id, DeckHistory())
        activity = history.day(day_of_number(number))
        activity.reviews += reviews
        activity.milliseconds += milliseconds
        activity.retention.reviews += retained
        activity.retention.passed += passes
    untallied = (
        select(ReviewLog.deck_id, ReviewLog.card_id, ReviewLog.ordinal,
               func.sum(case((retention_review(), 1), else_=0)),
               func.sum(case((retention_review() & ReviewLog.passed, 1), else_=0)),
               func.sum(case((ReviewLog.passed.is_(False), 1), else_=0)))
        .where(mine, ReviewLog.tallied == false(), ReviewLog.deck_id.in_(deck_ids),
               ReviewLog.undone_at.is_(None))
        # Card first: without statistics SQLite weighs the learner's time index the same as
        # the partial index of these few answers, and grouped by deck first it walked every
        # answer of the learner (130 ms at 100,000); this order matches the partial index.
        .group_by(ReviewLog.card_id, ReviewLog.ordinal, ReviewLog.deck_id)
    )
    for deck_id, card_id, ordinal, retained, passes, failures in connection.execute(untallied):
        add_side(histories, deck_id, card_id, ordinal, retained, passes, failures)
    return histories


def add_side(histories: dict[int, DeckHistory], deck_id: int, card_id: int, ordinal: int,
             retained: int, passes: int, failures: int) -> None:
    """Add one side's answer totals: retention to its card's, failures to its own."""
    if not (retained or failures):
        return
    history = histories.get(deck_id) or histories.setdefault(deck_id, DeckHistory())
    if retained:
        count = history.card(card_id)
        count.reviews += retained
        count.passed += passes
    if failures:
        history.failures[card_id, ordinal] += failures
