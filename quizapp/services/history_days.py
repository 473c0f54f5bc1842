"""A learner's closed learner days summed once into ``review_day_total``, so the progress
page reads one row per deck and day for its history instead of summing every answer again.

A day that has ended only changes when past answers are rewritten: an Anki progress import
adds answers to past days, an undo can take back an answer given before today's rollover, and
a new time zone regroups every answer into other days. The first two call :func:`forget_days`
(:func:`forget_days_from` for an undo); the time zone is stored with the totals and a different
one makes them stale. Deleting a deck or a learner deletes their totals with their answers
(foreign keys); a card is only ever deleted when nobody has answered it. New answers are
dated now, in today, which is never summed into the table: the page adds today's answers (and
any after the stored point) from the log itself (``history_totals``).

:func:`sum_closed_days` brings the totals up to the start of today when the page is read and
they are behind; it locks the learner's ``review_day_mark`` row first, and the events that
make totals stale write that row too, so a summing that read the log before such an event
committed is always marked stale after it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, literal, literal_column, select, union, update

from ..extensions import db
from ..models import ReviewDayMark, ReviewDayTotal, ReviewLog, User, UTCDateTime
from ..scheduling.day import day_start, learner_day
from ..stats.day_numbers import EPOCH, day_shifts
from .history_totals import day_sums
from .rows import insert_once, upsert

_TOTALS = ReviewDayTotal.__table__
_MARKS = ReviewDayMark.__table__
SUMS = ("reviews", "milliseconds", "retention_reviews", "retention_passed")


def sum_closed_days(user: User, now: datetime) -> bool:
    """Sum the learner's answers before the start of their today into ``review_day_total``
    unless done already; whether anything was written (the caller commits it)."""
    until = day_start(learner_day(now, user.timezone), user.timezone)
    mark_of = select(_MARKS.c.timezone, _MARKS.c.rolled_until).where(
        _MARKS.c.user_id == user.id)
    connection = db.session.connection()
    if _summed_until(connection.execute(mark_of).first(), user, until):
        return False
    insert_once(ReviewDayMark, user_id=user.id, timezone=user.timezone, rolled_until=None)
    mark = connection.execute(mark_of.with_for_update()).one()
    if _summed_until(mark, user, until):
        return True
    since = mark.rolled_until
    if mark.timezone != user.timezone or since is None or since > until:
        connection.execute(delete(_TOTALS).where(_TOTALS.c.user_id == user.id))
        since = connection.execute(
            select(func.min(ReviewLog.answered_at)).where(ReviewLog.user_id == user.id)
        ).scalar()
    if since is not None:
        _add_days(connection, user, since, until)
    connection.execute(
        update(_MARKS).where(_MARKS.c.user_id == user.id)
        .values(timezone=user.timezone, rolled_until=until)
    )
    return True


def _summed_until(mark, user: User, until: datetime) -> bool:
    return (mark is not None and mark.timezone == user.timezone
            and mark.rolled_until == until)


def _add_days(connection, user: User, since: datetime, until: datetime) -> None:
    """Add the answers from ``since`` to ``until`` to the learner's day totals."""
    if since >= until:
        return
    where = (ReviewLog.user_id == user.id, ReviewLog.answered_at >= since,
             ReviewLog.answered_at < until)
    # Undone answers are not summed but leave their deck's and day's row, so that the decks
    # a learner answered in can be read here too (progress.learner_decks).
    summed = day_sums(where, day_shifts(user.timezone, since, until),
                      counted=ReviewLog.undone_at.is_(None)).add_columns(
        literal_column(str(int(user.id))))
    added = upsert(_TOTALS).from_select(["deck_id", "day", *SUMS, "user_id"], summed)
    # A day before ``since`` can only meet one after it in a zone whose clocks change across
    # the 4 a.m. rollover: the two parts of such a day add up.
    connection.execute(added.on_conflict_do_update(
        index_elements=[_TOTALS.c.user_id, _TOTALS.c.deck_id, _TOTALS.c.day],
        set_={name: _TOTALS.c[name] + added.excluded[name] for name in SUMS},
    ))


def answered_decks(user_id: int):
    """A select of the decks the learner has answered in (undone answers included): those
    of their summed days, and those of the answers after them in the log."""
    summed_until = select(_MARKS.c.rolled_until).where(
        _MARKS.c.user_id == user_id).scalar_subquery()
    summed = (
        select(_TOTALS.c.deck_id)
        .join(_MARKS, _MARKS.c.user_id == _TOTALS.c.user_id)
        .where(_TOTALS.c.user_id == user_id, _MARKS.c.rolled_until.is_not(None))
    )
    later = select(ReviewLog.deck_id).where(
        ReviewLog.user_id == user_id,
        ReviewLog.answered_at >= func.coalesce(summed_until, literal(EPOCH, UTCDateTime)),
    )
    return union(summed, later)


def _stale_mark(user_id: int):
    return upsert(ReviewDayMark).values(user_id=user_id, timezone="", rolled_until=None)


def forget_days(user_id: int) -> None:
    """The learner's past answers changed (an import): their day totals are summed again
    when next read. Written even when none were summed yet, so a summing under way waits
    for this transaction and reads its answers."""
    statement = _stale_mark(user_id)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[_MARKS.c.user_id], set_={"rolled_until": None}))


def forget_days_from(user_id: int, answered_at: datetime) -> None:
    """An answer given at ``answered_at`` was undone: the totals are stale if they hold it."""
    statement = _stale_mark(user_id)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[_MARKS.c.user_id], set_={"rolled_until": None},
        where=ReviewDayMark.rolled_until > answered_at))
