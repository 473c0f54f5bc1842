"""A learner's review history summed by the database into the totals quizapp.stats.activity
draws its figures from: per learner day and per card, never row by row in Python, so the
progress page costs about the same for a year of history as for a week.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import BigInteger, case, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..models import ReviewLog, User
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


def history_totals(user: User, deck_ids: list[int]) -> dict[int, DeckHistory]:
    """Per deck of ``deck_ids``: reviews, time and retention per learner day, retention per
    card, failed answers per side; every answer not undone."""
    mine = (
        ReviewLog.user_id == user.id,
        ReviewLog.deck_id.in_(deck_ids),
        ReviewLog.undone_at.is_(None),
    )
    first, last = db.session.execute(
        select(func.min(ReviewLog.answered_at), func.max(ReviewLog.answered_at)).where(*mine)
    ).one()
    histories: dict[int, DeckHistory] = {}
    if first is None:
        return histories
    day = learner_day_number(ReviewLog.answered_at, day_shifts(user.timezone, first, last))
    retention = retention_review()
    counted = func.sum(case((retention, 1), else_=0))
    passed = func.sum(case((retention & ReviewLog.passed, 1), else_=0))
    connection = db.session.connection()
    per_day = connection.execute(
        select(
            ReviewLog.deck_id, day, func.count(), func.sum(ReviewLog.duration_ms), counted, passed
        ).where(*mine).group_by(ReviewLog.deck_id, day)
    )
    for deck_id, number, reviews, milliseconds, retained, passes in per_day:
        history = histories.get(deck_id) or histories.setdefault(deck_id, DeckHistory())
        activity = history.day(day_of_number(number))
        activity.reviews += reviews
        activity.milliseconds += milliseconds
        activity.retention.reviews += retained
        activity.retention.passed += passes
    failed = func.sum(case((ReviewLog.passed.is_(False), 1), else_=0))
    per_side = connection.execute(
        select(ReviewLog.deck_id, ReviewLog.card_id, ReviewLog.ordinal, counted, passed, failed)
        .where(*mine).group_by(ReviewLog.deck_id, ReviewLog.card_id, ReviewLog.ordinal)
    )
    for deck_id, card_id, ordinal, retained, passes, failures in per_side:
        history = histories.get(deck_id) or histories.setdefault(deck_id, DeckHistory())
        if retained:
            count = history.card(card_id)
            count.reviews += retained
            count.passed += passes
        if failures:
            history.failures[card_id, ordinal] += failures
    return histories
