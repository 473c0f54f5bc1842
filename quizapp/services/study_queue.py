"""What a study session remembers between requests, kept in the database.

One session per learner, deck and mode ("scheduled", whatever the scheduler, or "cram"). Its
queue holds the sides to ask again before the session ends, the cards already crammed, and the cards
a focused cram is limited to. Every answer changes the queue in the answer's own transaction,
and undoing the answer reverts exactly what it changed (see ``StudyQueueItem``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    String,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    insert,
    literal_column,
    select,
    true,
    update,
)

from ..extensions import db
from ..models import StudyQueueItem, StudySession, User, utcnow
from ..scheduling.day import learner_day
from ..scheduling.phase import Phase
from .dialect_function import dialect_function
from .prepared import Prepared
from .rows import Loaded, begin_writes, core_connection, insert_once

SCHEDULED, CRAM = "scheduled", Phase.CRAM.value
AGAIN, DONE, ONLY = "again", "done", "only"


@dataclass
class SessionQueue:
    """A snapshot of one session's queue, read at the start of a request."""

    # Sides to ask again, in the order they were missed.
    repeats: list[tuple[int, int]] = field(default_factory=list)
    crammed: set[int] = field(default_factory=set)
    # Cram only these cards (e.g. the learner's hardest); empty means the whole deck.
    only: list[int] = field(default_factory=list)
    # New cards allowed today beyond the deck's daily limit ("study more today").
    extra_new: int = 0
    started_at: datetime | None = None
    # None when no session was opened (e.g. from a script): nothing to remember then.
    session_id: int | None = None
    # (position, card id, deck version): see StudySession.new_from_position.
    new_from: tuple[int, int, int] | None = None
    new_from_moved: bool = False
    # The caller's extra columns read with the session (see ``open_statement``), by label;
    # None when they were not read (a session just started, or started afresh).
    read_with: dict[str, Any] | None = None


def session_mode(cram: bool) -> str:
    return CRAM if cram else SCHEDULED


_FIND = select(StudySession).where(
    StudySession.user_id == bindparam("user_id"),
    StudySession.deck_id == bindparam("deck_id"),
    StudySession.mode == bindparam("mode"),
)
_ITEMS = (
    select(StudyQueueItem.kind, StudyQueueItem.card_id, StudyQueueItem.ordinal)
    .where(StudyQueueItem.session_id == bindparam("session_id"),
           StudyQueueItem.cleared_by.is_(None))
    .order_by(StudyQueueItem.id)
)
# The session and its queue in one read (one row): what every study page opens with. The ORM
# row is loaded only to start a session afresh.
_SESSION_COLUMNS = (
    StudySession.id, StudySession.started_at, StudySession.extra_new_day,
    StudySession.extra_new, StudySession.new_from_position, StudySession.new_from_card,
    StudySession.new_from_version,
)


# Its first argument's values joined by its second: string_agg on PostgreSQL, group_concat on
# SQLite (SQLAlchemy's ``aggregate_strings`` sends the separator as a parameter rendered per
# run, which a ``Prepared`` statement cannot have).
_joined_text = dialect_function("joined_text", Text(), "string_agg", sqlite="group_concat")
_COLON, _COMMA = literal_column("':'", String), literal_column("','", String)
# The session's uncleared queue items as one text column, "id:kind:card id:ordinal" joined by
# commas (NULL for none), put in order by id when read (``_queue_items``): a join gave one
# row per item, each repeating the user, deck, session and today's counts, converted column by
# column in Python (a learner drilling new cards has dozens of sides queued "again": ~1 ms of
# the study GET's CPU on PostgreSQL at 40). Item ids and card ids are integers and kinds are
# words, so neither separator can occur inside a field.
_QUEUE = (
    select(_joined_text(
        cast(StudyQueueItem.id, String) + _COLON + StudyQueueItem.kind + _COLON
        + cast(StudyQueueItem.card_id, String) + _COLON
        + cast(StudyQueueItem.ordinal, String), _COMMA))
    .where(StudyQueueItem.session_id == StudySession.id, StudyQueueItem.cleared_by.is_(None))
    .scalar_subquery()
    .label("queue")
)


class _SessionRow(NamedTuple):
    """The session's columns of a row of ``open_statement``, as ``_snapshot`` reads them."""

    id: int
    started_at: datetime
    extra_new_day: date | None
    extra_new: int
    new_from_position: int | None
    new_from_card: int | None
    new_from_version: int | None


def open_statement(*extra, one_row=None, after: tuple[Loaded, Loaded] | None = None,
                   joined=None) -> Prepared:
    """The read ``open_session`` starts with, with ``extra`` labelled columns (scalar
    subqueries on the ``user_id`` and ``deck_id`` parameters, say) that a page needs anyway:
    one round trip instead of one each. ``one_row``: a subquery of exactly one row (an
    aggregate) joined to the session, for extra columns read from it. ``after``: the user and
    the deck (``rows.loaded``) read first, the session left-joined to them (its columns NULL
    when there is none; see ``rows.get_with_rows``). ``joined``: a subquery of at most one
    row, left-joined last (its columns NULL when it has none), for extra columns read from it.
    Build it once, at import."""
    session = (StudySession.__table__ if one_row is None
               else StudySession.__table__.join(one_row, true()))
    found = ((StudySession.user_id == bindparam("user_id"))
             & (StudySession.deck_id == bindparam("deck_id"))
             & (StudySession.mode == bindparam("mode")))
    leading = ()
    if after is not None:
        user, deck = after
        leading = (*user.columns, *deck.columns)
        (user_key,), (deck_key,) = user.columns[:1], deck.columns[:1]
        session = (user_key.table.outerjoin(deck_key.table, deck_key == bindparam("deck_id"))
                   .outerjoin(session, found))
        found = user_key == bindparam("user_id")
    if joined is not None:
        session = session.outerjoin(joined, true())
    return Prepared(select(*leading, *_SESSION_COLUMNS, *extra, _QUEUE)
                    .select_from(session).where(found))


_OPEN = open_statement()


def _find(user_id: int, deck_id: int, mode: str) -> StudySession | None:
    return db.session.scalars(
        _FIND, {"user_id": user_id, "deck_id": deck_id, "mode": mode}
    ).first()


def _get_or_create(user: User, deck_id: int, mode: str, now: datetime) -> StudySession:
    row = _find(user.id, deck_id, mode)
    if row is not None:
        return row
    # Another tab may open the same session at the same moment: then both use the one row.
    insert_once(
        StudySession, user_id=user.id, deck_id=deck_id, mode=mode, started_at=now, extra_new=0
    )
    return _find(user.id, deck_id, mode)


def _reset(row: StudySession, now: datetime) -> None:
    db.session.execute(delete(StudyQueueItem).where(StudyQueueItem.session_id == row.id))
    row.started_at = now


def open_session(
    user: User, deck_id: int, *, cram: bool, restart: bool = False,
    only: list[int] | None = None, now: datetime | None = None,
    statement: Prepared | None = None, params: dict[str, Any] | None = None,
    read: list[tuple] | None = None,
) -> SessionQueue:
    """The learner's session in the deck, started afresh on ``restart`` and, for the scheduled
    session, on a new learner day (yesterday's misses are due again by their schedule).
    ``statement``: one made by ``open_statement`` (with ``params`` for its extra columns),
    whose extra columns land in ``read_with`` when the session is found as it is; ``read``:
    its rows, read already (with the user: ``open_statement(after=...)``). The caller
    commits."""
    now = now or utcnow()
    today = learner_day(now, user.timezone)
    mode = session_mode(cram)
    if not restart:
        if read is None:
            rows = (_OPEN if statement is None else statement).all(
                core_connection(),
                {**(params or {}), "user_id": user.id, "deck_id": deck_id, "mode": mode},
            )
        else:  # read left-joined to the user: a row of NULLs when there is no session
            rows = read if read and read[0][0] is not None else []
        first = _SessionRow(*rows[0][:len(_SESSION_COLUMNS)]) if rows else None
        if first is not None and (cram or learner_day(first.started_at, user.timezone) >= today):
            queue = _snapshot(first, _queue_items(rows[0][-1]), today)
            if statement is not None:
                extra = slice(len(_SESSION_COLUMNS), -1)
                queue.read_with = dict(zip(_extra_names(statement), rows[0][extra], strict=True))
            return queue
    # Starting or restarting a session writes several rows: together or not at all.
    begin_writes()
    row = _get_or_create(user, deck_id, mode, now)
    stale = not cram and learner_day(row.started_at, user.timezone) < today
    if restart or stale:
        _reset(row, now)
        for card_id in only or ():
            db.session.add(StudyQueueItem(session_id=row.id, kind=ONLY, card_id=card_id))
        db.session.flush()
    items = core_connection().execute(_ITEMS, {"session_id": row.id}).all()
    return _snapshot(row, items, today)


@functools.cache
def _extra_names(statement: Prepared) -> tuple[str, ...]:
    """The labels of the extra columns of an ``open_statement`` (one of a few built at import)."""
    names = [column.key for column in statement.statement.selected_columns]
    return tuple(names[len(_SESSION_COLUMNS):-1])


def _queue_items(text: str | None) -> list[tuple[str, int, int]]:
    """The (kind, card id, ordinal) of ``_QUEUE``'s text, in the order queued (by item id:
    neither engine promises an aggregate's order without an ORDER BY inside it, which SQLite
    before 3.44 cannot spell)."""
    if text is None:
        return []
    items = []
    for item in text.split(","):
        item_id, kind, card_id, ordinal = item.split(":")
        items.append((int(item_id), kind, int(card_id), int(ordinal)))
    items.sort()
    return [(kind, card_id, ordinal) for _, kind, card_id, ordinal in items]


def _snapshot(row, items, today: date) -> SessionQueue:
    """The queue of session ``row`` (a StudySession or a ``_SessionRow``) with ``items``,
    its uncleared (kind, card id, ordinal) in the order queued."""
    queue = SessionQueue(started_at=row.started_at, session_id=row.id)
    if row.new_from_version is not None:
        queue.new_from = (row.new_from_position, row.new_from_card, row.new_from_version)
    for kind, card_id, ordinal in items:
        if kind == AGAIN and (card_id, ordinal) not in queue.repeats:
            queue.repeats.append((card_id, ordinal))
        elif kind == DONE:
            queue.crammed.add(card_id)
        elif kind == ONLY:
            queue.only.append(card_id)
    if row.extra_new_day == today:
        queue.extra_new = row.extra_new
    return queue


def queued_again(session_id, card_id, ordinal):
    """SQL truth value: the side waits in the session's "again" queue (for a joined read)."""
    return exists().where(
        StudyQueueItem.session_id == session_id,
        StudyQueueItem.kind == AGAIN,
        StudyQueueItem.card_id == card_id,
        StudyQueueItem.ordinal == ordinal,
        StudyQueueItem.cleared_by.is_(None),
    )


def record_answer_in_queue(
    user_id: int, deck_id: int, card_id: int, ordinal: int, mode: str, *, again: bool,
    log_id: int, known: tuple[int | None, bool] | None = None,
) -> None:
    """Queue changes for one answer, in the caller's transaction: a side the scheduler wants
    drilled (``again``) is asked again; in cram, a side answered well is done. ``known``:
    the session's id and whether the side is queued again, when the caller has read them."""
    if known is None:
        row = _find(user_id, deck_id, session_mode(mode == Phase.CRAM))
        known = (row.id if row is not None else None, True)
    if not answer_changes_queue(mode, again=again, known=known):
        return
    session_id, queued = known
    if queued:
        db.session.execute(
            update(StudyQueueItem)
            .where(
                StudyQueueItem.session_id == session_id,
                StudyQueueItem.kind == AGAIN,
                StudyQueueItem.card_id == card_id,
                StudyQueueItem.ordinal == ordinal,
                StudyQueueItem.cleared_by.is_(None),
            )
            .values(cleared_by=log_id)
            .execution_options(synchronize_session=False)
        )
    if again:
        kind = AGAIN
    elif mode == Phase.CRAM:
        kind = DONE
    else:
        return
    db.session.execute(insert(StudyQueueItem).values(
        session_id=session_id, kind=kind, card_id=card_id, ordinal=ordinal, added_by=log_id
    ))


def answer_changes_queue(mode: str, *, again: bool, known: tuple[int | None, bool]) -> bool:
    """Whether ``record_answer_in_queue`` with these arguments writes: not for an answer
    outside any opened session (e.g. from a script: nothing to track), nor for a side neither
    queued again nor to be queued (the common review). The answer path begins a transaction
    only when it does (``rows.begin_writes``)."""
    session_id, queued = known
    return session_id is not None and (queued or again or mode == Phase.CRAM)


def save_new_start(queue: SessionQueue) -> None:
    """Store where the session's next new-card search starts, if choosing the next card moved
    it (caller commits). Kept apart from choosing, which only reads. One statement: on a study
    page read outside a transaction (``rows.read_outside_transaction``) it commits alone."""
    if not queue.new_from_moved or queue.session_id is None:
        return
    position, card_id, version = queue.new_from
    db.session.execute(
        update(StudySession)
        .where(StudySession.id == queue.session_id)
        .values(new_from_position=position, new_from_card=card_id, new_from_version=version)
        .execution_options(synchronize_session=False)
    )
    queue.new_from_moved = False


def undo_answer_in_queue(user_id: int, log_id: int) -> None:
    """Revert what the answer ``log_id`` did to the learner's queues (caller commits)."""
    sessions = select(StudySession.id).where(StudySession.user_id == user_id)
    # An undone first answer makes its card new again, possibly before the cursor.
    db.session.execute(
        update(StudySession)
        .where(StudySession.user_id == user_id)
        .values(new_from_version=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(StudyQueueItem)
        .where(StudyQueueItem.session_id.in_(sessions), StudyQueueItem.added_by == log_id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(StudyQueueItem)
        .where(StudyQueueItem.session_id.in_(sessions), StudyQueueItem.cleared_by == log_id)
        .values(cleared_by=None)
        .execution_options(synchronize_session=False)
    )


def extend_new_today(user: User, deck_id: int, batch: int, now: datetime | None = None) -> bool:
    """Allow ``batch`` more new cards today, once a day; False when already extended today.
    The caller commits."""
    now = now or utcnow()
    row = _get_or_create(user, deck_id, SCHEDULED, now)
    today = learner_day(now, user.timezone)
    if row.extra_new_day == today:
        return False
    row.extra_new_day = today
    row.extra_new = batch
    db.session.flush()
    return True
