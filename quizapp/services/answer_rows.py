"""The database statements of one answer (services.study_answer): the joined read, the
state's write, the review-log insert and, on PostgreSQL, the two writes as one statement.
Built once, at import, and run as ``Prepared`` statements (compiled once per dialect, run on
the DBAPI cursor): building them per call, or even running a prebuilt one through
``Connection.execute``, costs more than running them on SQLite."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Table,
    Text,
    TypeDecorator,
    and_,
    bindparam,
    exists,
    literal_column,
    select,
    type_coerce,
)

from .. import jsontext
from ..models import (
    Card,
    CardState,
    Deck,
    LearnerSchedulerParams,
    ReviewLog,
    SchedulerOverride,
    StudySession,
    User,
)
from ..models.columns import sqlite_text
from ..scheduling.phase import Phase
from . import schedules, tallies
from .prepared import Prepared
from .presentation import Presentation
from .study_queue import queued_again, session_mode

_CARDS = Card.__table__
_STATES = CardState.__table__
_LOGS = ReviewLog.__table__

# The joined read selects plain columns: no ORM objects are built on this path (building the
# card and state entities cost about as much as the rest of an answer's CPU). The card and the
# state come back as ``Loaded`` rows with the attributes of their models; the state's columns
# are labelled apart from the card's. Of the card, only what grading and the feedback page
# read (not its deck order, tags, dates or flags: each column read is converted, JSON parsed).
_CARD_KEYS = ("id", "deck_id", "kind", "prompt", "answer", "choices", "correct_index",
              "explanation", "sources", "ordinals")
_STATE_KEYS = tuple(column.key for column in _STATES.c)
# Of the state, read as stored text (on SQLite; PostgreSQL's driver parses them whatever the
# statement asks): the answer copies them into the log's snapshot (schedules.snapshot_text)
# rather than parsing each (a regular expression per datetime) and formatting it again.
_AS_TEXT = frozenset({"state", "last_review_at", "due_at"})


def _as_read(column: Any) -> Any:
    return type_coerce(column, Text) if column.key in _AS_TEXT else column


READ = Prepared(
    select(
        *(_CARDS.c[key] for key in _CARD_KEYS),
        *(_as_read(column).label(f"state_{column.key}") for column in _STATES.c),
        # As their stored text, the key of personal_params.settings_and_scheduler (the same
        # SQL; PostgreSQL's driver still parses them).
        type_coerce(SchedulerOverride.settings, Text), type_coerce(Deck.scheduler, Text),
        type_coerce(LearnerSchedulerParams.parameters, Text),
        StudySession.id, queued_again(StudySession.id, Card.id, bindparam("ordinal")),
    )
    .join(Deck, Deck.id == Card.deck_id)
    .outerjoin(CardState, and_(
        CardState.user_id == bindparam("user_id"), CardState.card_id == Card.id,
        CardState.ordinal == bindparam("ordinal"),
    ))
    .outerjoin(SchedulerOverride, and_(
        SchedulerOverride.user_id == bindparam("user_id"),
        SchedulerOverride.deck_id == Card.deck_id,
    ))
    .outerjoin(LearnerSchedulerParams, and_(
        LearnerSchedulerParams.user_id == bindparam("user_id"),
        LearnerSchedulerParams.deck_id == Card.deck_id,
    ))
    .outerjoin(StudySession, and_(
        StudySession.user_id == bindparam("user_id"), StudySession.deck_id == Card.deck_id,
        StudySession.mode == bindparam("mode"),
    ))
    .where(Card.id == bindparam("card_id"))
)


class Loaded:
    """A card or card-state row read by the answer path, with its model's attribute names
    (what the scheduler, memory and feedback-page code read of it). A state row has its
    ``snapshot`` instead of ``last_review_at`` and ``due_at`` (see ``read_answer``)."""

    def __init__(self, keys: tuple[str, ...], values: Any):
        self.__dict__.update(zip(keys, values, strict=True))


def read_answer(connection: Connection, user: User, p: Presentation) -> tuple[Any, ...]:
    """(card, state or None, own settings, deck settings, fitted parameters, session id,
    queued again), or Nones when the card does not exist."""
    found = READ.first(connection, {
        "card_id": p.card_id, "user_id": user.id, "ordinal": p.ordinal,
        "mode": session_mode(p.mode == Phase.CRAM),
    })
    if found is None:
        return (None,) * 7
    cards, states = len(_CARD_KEYS), len(_CARD_KEYS) + len(_STATE_KEYS)
    card = Loaded(_CARD_KEYS, found[:cards])
    row = None
    if found[cards] is not None:
        row = Loaded(_STATE_KEYS, found[cards:states])
        row.snapshot = schedules.snapshot_text(row.state, row.last_review_at, row.due_at)
        if isinstance(row.state, str):
            row.state = jsontext.loads(row.state)
        del row.last_review_at, row.due_at  # read as text: nothing else reads them
    return (card, row, *found[states:])


def instant_json(now: datetime, connection: Connection) -> str:
    """``now.isoformat()`` as a JSON string. On SQLite, for an instant in UTC, from the text
    its bind stores: the formatter keeps its last text, and the answer binds ``now`` three
    times, so ``now`` is formatted once per answer, not twice (~11,000 instructions each)."""
    if now.tzinfo is UTC and connection.dialect.name == "sqlite":
        return schedules.iso_json(sqlite_text(now))
    return f'"{now.isoformat()}"'


def json_text(stored: Any) -> str | None:
    """A JSON column read as text: SQLite's text as stored; PostgreSQL's driver parses JSON
    whatever the statement asks, so its value is written back to text. None for SQL NULL and
    for JSON null (which the column's parsed value was, too)."""
    if stored is None or stored == "null":
        return None
    return stored if isinstance(stored, str) else json.dumps(stored)


class _EncodedJSON(TypeDecorator):
    """A JSON column's value bound as its JSON text, encoded by the caller: the answer writes
    the new state twice (the state's ``state`` and the log's ``state_after``) and encodes it
    once, and the log's ``state_before`` is put together from the text read. SQLite stores
    the text as it is (what ``JSON`` stores is ``json.dumps``'s text);
    other engines get the value parsed back and bound as ``JSON`` binds it."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):
        if dialect.name == "sqlite":
            return None
        return super().bind_processor(dialect)

    def process_bind_param(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(value)


_ENCODED = {(_STATES.name, "state"), (_LOGS.name, "state_before"), (_LOGS.name, "state_after")}


def _type(column: Any) -> Any:
    return _EncodedJSON() if (column.table.name, column.key) in _ENCODED else column.type


def _parameters(table: Table, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(name, type_=_type(table.c[name])) for name in names}


# An answer writes every column of the side's state but its key and version: the new schedule
# (schedules.state_columns), FSRS's memory (memory.memory_columns) and the totals (inserted as
# the answer's own, ``tallies.added``; an update adds them in SQL, ``tallies.INCREMENTS``, its
# ``add_*`` parameters). A column added to the table must be given here too, or the write
# fails.
_SIDE = ("user_id", "card_id", "deck_id", "ordinal")
WRITTEN = tuple(key for key in _STATE_KEYS if key not in ("id", "version", *_SIDE))
# Both writes also require the card to exist: an answer from its token alone (shown_answer)
# has not read it, and SQLite enforces no foreign key here (the card's state row outlives a
# card deleted there). Written nothing, the answer goes to the general path, which says so.
_CARD_EXISTS = exists().where(_CARDS.c.id == _STATES.c.card_id)
UPDATE_STATE = Prepared(
    _STATES.update()
    .where(_STATES.c.id == bindparam("row_id"), _STATES.c.version == bindparam("shown"),
           _CARD_EXISTS)
    .values(version=_STATES.c.version + literal_column("1"), **tallies.INCREMENTS,
            **_parameters(_STATES, tuple(key for key in WRITTEN if key not in tallies.TOTALS)))
)
_INSERTED = (*_SIDE, "version", *WRITTEN)
_INSERTED_VALUES = _parameters(_STATES, _INSERTED)
INSERT_STATE = Prepared(
    _STATES.insert().from_select(
        _INSERTED,
        select(*_INSERTED_VALUES.values()).where(
            exists().where(_CARDS.c.id == _INSERTED_VALUES["card_id"])),
    )
)
_LOGGED = tuple(column for column in _LOGS.c if column.key != "id")
INSERT_LOG = Prepared(
    _LOGS.insert()
    .values(_parameters(_LOGS, tuple(column.key for column in _LOGGED)))
    .returning(_LOGS.c.id)
)


def _with_log(write: Any) -> Prepared:
    """``write`` (the state's update or insert) and the log insert as one statement, for an
    engine with data-modifying ``WITH`` (PostgreSQL): one round trip fewer per answer. The
    log row is inserted only if the state's write changed a row (an update that lost the
    version race inserts nothing and returns no row); its values are bound as ``log_<key>``.
    """
    written = write.returning(_STATES.c.id).cte("written")
    logged = select(
        *(bindparam(f"log_{column.key}", type_=_type(column)) for column in _LOGGED)
    ).select_from(written)
    return Prepared(
        _LOGS.insert()
        .from_select([column.key for column in _LOGGED], logged)
        .add_cte(written)
        .returning(_LOGS.c.id)
    )


UPDATE_STATE_AND_LOG = _with_log(UPDATE_STATE.statement)
INSERT_STATE_AND_LOG = _with_log(INSERT_STATE.statement)
# The engines that run the state write and the log insert as one statement.
ONE_WRITE = frozenset({"postgresql"})
