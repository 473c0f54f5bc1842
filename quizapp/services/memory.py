"""Keeping each card state's FSRS memory (quizapp.stats.memory) up to date in the database.

The answer path writes :func:`memory_columns` with each answer's state, :func:`note_undo`
replays a side after an undo, and :func:`rebuild` replays the review log for states whose
history arrived another way (a migration, an Anki import). Operations flush at most; the
caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from ..models import CardState, ReviewLog
from ..scheduling.conversions import fsrs_rating_of
from ..scheduling.fsrs_scheduler import DEFAULT_PARAMETERS
from ..stats.memory import (
    MEMORY_PHASES,
    Memory,
    Parameters,
    next_memory,
    replay,
    replay_each,
)

REBUILD_BATCH = 500
_WRITE_MEMORY = (
    update(CardState)
    .where(CardState.id == bindparam("state_id"))
    .values(
        memory_stability=bindparam("stability", type_=CardState.memory_stability.type),
        memory_difficulty=bindparam("difficulty", type_=CardState.memory_difficulty.type),
        memory_reviewed_at=bindparam("reviewed_at", type_=CardState.memory_reviewed_at.type),
        # An answer shown before this write must not overwrite it (services.shown_answer).
        version=CardState.version + 1,
    )
)


def memory_of(row) -> Memory | None:
    """The memory stored on a card state row (ORM object or result row)."""
    if row.memory_stability is None or row.memory_reviewed_at is None:
        return None
    return Memory(row.memory_stability, row.memory_difficulty, row.memory_reviewed_at)


def memory_columns(
    row: CardState | None, fsrs_rating: int, reviewed_at: datetime,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> dict[str, Any]:
    """The card state's memory columns after one more answer (FSRS rating 1-4), for the
    answer path to write with the state itself."""
    return columns_after(memory_of(row) if row is not None else None, fsrs_rating, reviewed_at,
                         parameters)


def columns_after(
    memory: Memory | None, fsrs_rating: int, reviewed_at: datetime,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> dict[str, Any]:
    """``memory_columns`` from the side's memory as known (None: none yet)."""
    memory = next_memory(memory, fsrs_rating, reviewed_at, parameters)
    return {"memory_stability": memory.stability, "memory_difficulty": memory.difficulty,
            "memory_reviewed_at": memory.reviewed_at}


def _store(row: CardState, memory: Memory | None) -> None:
    row.memory_stability = memory.stability if memory else None
    row.memory_difficulty = memory.difficulty if memory else None
    row.memory_reviewed_at = memory.reviewed_at if memory else None


def _history(where: ColumnElement[bool]):
    """(card state id, answered at, grade, scheduler) of the answers that shape memory, per
    state in time order."""
    return (
        select(CardState.id, ReviewLog.answered_at, ReviewLog.grade, ReviewLog.scheduler)
        .join(
            ReviewLog,
            (ReviewLog.user_id == CardState.user_id)
            & (ReviewLog.card_id == CardState.card_id)
            & (ReviewLog.ordinal == CardState.ordinal),
        )
        .where(where, ReviewLog.phase.in_(MEMORY_PHASES), ReviewLog.undone_at.is_(None))
        .order_by(CardState.id, ReviewLog.answered_at, ReviewLog.id)
    )


def _rated(rows: Iterable[Any]) -> Iterator[tuple[int, datetime, int]]:
    """:func:`_history` rows with each rating read as FSRS's, by the scheduler that logged it."""
    for row in rows:
        yield row.id, row.answered_at, fsrs_rating_of(row)


def note_undo(log: ReviewLog, parameters: Parameters = DEFAULT_PARAMETERS) -> None:
    """Recompute the memory of the side ``log`` answered, without that (undone) answer."""
    if log.phase not in MEMORY_PHASES:
        return
    row = db.session.scalars(
        select(CardState).where(
            CardState.user_id == log.user_id,
            CardState.card_id == log.card_id,
            CardState.ordinal == log.ordinal,
        )
    ).first()
    if row is None:
        return
    answers = db.session.execute(
        _history((CardState.id == row.id) & (ReviewLog.id != log.id))
    ).all()
    _store(row, replay(((at, rating) for _, at, rating in _rated(answers)), parameters))


def rebuild(
    user_id: int | None = None, deck_id: int | None = None,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> int:
    """Replay the review log into the memory of every card state of ``user_id`` in
    ``deck_id`` (either may be None for all); returns how many states were written."""
    scope = []
    if user_id is not None:
        scope.append(CardState.user_id == user_id)
    if deck_id is not None:
        scope.append(CardState.deck_id == deck_id)
    db.session.flush()
    return backfill(db.session.connection(), *scope, parameters=parameters)


def backfill(
    connection: Connection, *scope: ColumnElement[bool],
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> int:
    """:func:`rebuild` on a bare connection (the migration uses it), a batch of
    ``REBUILD_BATCH`` states at a time so any history fits in memory."""
    written = 0
    for ids in _id_batches(connection, scope):
        rows = connection.execute(_history(CardState.id.in_(ids)))
        memories = dict(replay_each(_rated(rows), parameters))
        connection.execute(
            _WRITE_MEMORY,
            [_values(state_id, memories.get(state_id)) for state_id in ids],
        )
        written += len(ids)
    return written


def _id_batches(connection: Connection, scope) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(connection.scalars(
            select(CardState.id).where(CardState.id > last, *scope)
            .order_by(CardState.id).limit(REBUILD_BATCH)
        ))
        if not ids:
            return
        yield ids
        last = ids[-1]


def _values(state_id: int, memory: Memory | None) -> dict:
    return {
        "state_id": state_id,
        "stability": memory.stability if memory else None,
        "difficulty": memory.difficulty if memory else None,
        "reviewed_at": memory.reviewed_at if memory else None,
    }
