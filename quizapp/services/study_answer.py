"""Recording one answer: the hottest path of the app, so its database work is counted.

One joined read (the card, the learner's state of the side, their own and the deck's scheduler
settings, their fitted FSRS parameters, their study session and whether the side waits in its
"again" queue), one write of
the state (an update guarded by the version the side was shown with, or the first insert),
the review-log insert, and one commit. On PostgreSQL the state's write and the log insert are
one statement (``WITH written AS (UPDATE ... RETURNING id) INSERT ... SELECT ... FROM
written``): one round trip fewer; SQLite has no data-modifying ``WITH``. The answer POST runs
it, and its reads, outside a transaction there (no BEGIN or COMMIT round trip): one statement
is atomic alone, and the version guard keeps concurrent answers apart as it did; an answer
that writes more (the session's queue) begins a transaction first. The statements
are built once, at import, and run as ``Prepared`` statements (compiled once per dialect, run
on the DBAPI cursor): building them per call, or even running a prebuilt one through
``Connection.execute``, costs more than running them on SQLite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Table,
    Text,
    TypeDecorator,
    and_,
    bindparam,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.exc import IntegrityError

from .. import jsontext, kinds
from ..extensions import db
from ..models import (
    Card,
    CardState,
    Deck,
    LearnerSchedulerParams,
    ReviewLog,
    SchedulerOverride,
    StudySession,
    User,
    utcnow,
)
from ..models.columns import sqlite_text
from ..scheduling.base import Moment, Scheduler
from ..scheduling.phase import Phase
from ..stats.memory import MEMORY_PHASES
from . import memory, personal_params, schedules, tallies
from .prepared import Prepared
from .presentation import Presentation, StudyError, decode_presentation
from .rows import begin_writes, commit_core, core_connection, outside_transaction
from .study_queue import (
    answer_changes_queue,
    queued_again,
    record_answer_in_queue,
    session_mode,
)

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


_READ = Prepared(
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
    ``snapshot`` instead of ``last_review_at`` and ``due_at`` (see ``_read``)."""

    def __init__(self, keys: tuple[str, ...], values: Any):
        self.__dict__.update(zip(keys, values, strict=True))


def _read(connection: Connection, user: User, p: Presentation) -> tuple[Any, ...]:
    """(card, state or None, own settings, deck settings, fitted parameters, session id,
    queued again), or Nones when the card does not exist."""
    found = _READ.first(connection, {
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


def _text(stored: Any) -> str | None:
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
# (schedules.state_columns), FSRS's memory (memory.memory_columns) and the totals
# (tallies.after). A column added to the table must be given here too, or the write fails.
_SIDE = ("user_id", "card_id", "deck_id", "ordinal")
_WRITTEN = tuple(key for key in _STATE_KEYS if key not in ("id", "version", *_SIDE))
_UPDATE_STATE = Prepared(
    _STATES.update()
    .where(_STATES.c.id == bindparam("row_id"), _STATES.c.version == bindparam("shown"))
    .values(version=_STATES.c.version + literal(1), **_parameters(_STATES, _WRITTEN))
)
_INSERT_STATE = Prepared(
    _STATES.insert().values(_parameters(_STATES, (*_SIDE, "version", *_WRITTEN)))
)
_LOGGED = tuple(column for column in _LOGS.c if column.key != "id")
_INSERT_LOG = Prepared(
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


_UPDATE_STATE_AND_LOG = _with_log(_UPDATE_STATE.statement)
_INSERT_STATE_AND_LOG = _with_log(_INSERT_STATE.statement)
# The engines that run the state write and the log insert as one statement.
_ONE_WRITE = frozenset({"postgresql"})


class CardNotInDeck(StudyError):
    """The presentation names a card of another deck than the one answered in."""


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
    # The card answered, as read with the answer (the feedback page shows it).
    card: Any = field(default=None, repr=False, compare=False)


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


def record_answer(
    user: User, token: str, secret_key: str, *, grade: int | None = None,
    choice: int | None = None, typed: str | None = None, now: datetime | None = None,
) -> Outcome:
    """Grade and store one answer in one transaction; a repeat of it changes nothing."""
    p = decode_presentation(token, user.id, secret_key)
    return answer_presentation(user, p, grade=grade, choice=choice, typed=typed, now=now)


def answer_presentation(
    user: User, p: Presentation, *, deck_id: int | None = None, grade: int | None = None,
    choice: int | None = None, typed: str | None = None, now: datetime | None = None,
) -> Outcome:
    """``record_answer`` for a presentation already decoded; with ``deck_id``, the card must
    be in that deck (``CardNotInDeck``)."""
    connection = core_connection()
    card, row, own, deck_own, fitted, session_id, queued = _read(connection, user, p)
    if deck_id is not None and (card is None or card.deck_id != deck_id):
        raise CardNotInDeck("That card is not in this deck.")
    if card is None or p.ordinal not in (card.ordinals or [0]):
        raise StudyError("This card no longer exists.")
    now = now or utcnow()
    seconds = max(0.0, now.timestamp() - p.shown_at)
    # The learner's own settings, else the deck's, else the default, with their fitted
    # parameters (schedules.settings_for).
    own = _text(own)
    settings, scheduler = personal_params.settings_and_scheduler(
        own if own is not None else _text(deck_own), _text(fitted))
    scheduler, state = schedules.state_of(scheduler, row, settings, user)
    rating, correct, response = grade_response(
        card, p, scheduler, grade=grade, choice=choice, typed=typed, seconds=seconds
    )
    phase = Phase(p.mode)
    mode, schedules_answer = phase.value, phase.schedules  # properties: read once
    before = "null" if row is None else row.snapshot  # JSON text (_EncodedJSON)
    log = {
        "user_id": user.id, "card_id": card.id, "deck_id": card.deck_id, "ordinal": p.ordinal,
        "phase": mode, "grade": rating, "scheduler": scheduler.name,
        "passed": scheduler.scale.passes(rating), "response": response, "answered_at": now,
        "duration_ms": int(min(seconds, 3600) * 1000), "presentation": p.nonce,
        "state_before": before, "state_after": None,
        "stage_before": scheduler.stage(state).value,
        "interval_before": 0, "undone_at": None,
        # Summed on the side's state row, in the state write below; a side with no row yet
        # is left to the log (services.tallies).
        "tallied": row is not None or schedules_answer,
    }
    add = tallies.added(mode, log["stage_before"], log["passed"])
    again = _again(scheduler, phase, rating)
    # FSRS's memory of the side, whatever schedules it: with the state in one write.
    remembered = (memory.memory_columns(row, scheduler.anki_button(rating), now)
                  if mode in MEMORY_PHASES and (row is not None or schedules_answer)
                  else {})
    outcome = Outcome(rating, correct, phase, row.due if row else None, again,
                      response=response, card=card)
    known = (session_id, bool(queued))
    if outside_transaction(connection) and (
            not _one_statement(schedules_answer, row)
            or answer_changes_queue(phase, again=again, known=known)):
        # The reads ran outside a transaction (the answer POST on PostgreSQL): one write
        # statement commits alone, as atomic as in a transaction; more must go together.
        begin_writes()
    log_id = None
    try:
        if schedules_answer:
            if (row.version if row else 0) != p.state_version:
                return _already_answered(user, p, outcome)
            new, record = scheduler.review(state, rating, Moment(now, user.timezone))
            log["interval_before"] = record.interval_before
            outcome.due = new.due
            columns = {**schedules.state_columns(scheduler, new, now, record.due.at,
                                                 as_text=True),
                       **remembered, **tallies.after(row, add)}
            # json.dumps({"state": ..., "last_review_at": ...}), the state encoded once.
            encoded = columns["state"]
            log["state_after"] = (f'{{"state": {encoded}, '
                                  f'"last_review_at": {_instant_json(now, connection)}}}')
            if row is None:
                write, with_log = _INSERT_STATE, _INSERT_STATE_AND_LOG
                values = {"user_id": user.id, "card_id": card.id, "deck_id": card.deck_id,
                          "ordinal": p.ordinal, "version": 1, **columns}
            else:
                write, with_log = _UPDATE_STATE, _UPDATE_STATE_AND_LOG
                values = {"row_id": row.id, "shown": p.state_version, **columns}
            if connection.dialect.name in _ONE_WRITE:
                found = with_log.first(
                    connection, {**values, **{f"log_{key}": value for key, value in log.items()}}
                )
                if found is None:  # the guarded update changed nothing: no log row either
                    return _already_answered(user, p, outcome)
                log_id = found[0]
            elif write.write(connection, values) != 1:
                return _already_answered(user, p, outcome)
        else:  # the schedule stays as it was (state_after is JSON text: _EncodedJSON)
            log["state_after"] = before
            if row is not None:  # a same-session repeat moves memory, not the schedule
                connection.execute(
                    tallies.ADD, {"row_id": row.id, **remembered, **tallies.add_parameters(add)}
                )
        if log_id is None:
            (log_id,) = _INSERT_LOG.first(connection, log)
        record_answer_in_queue(
            user.id, card.deck_id, card.id, p.ordinal, phase, again=again, log_id=log_id,
            known=known,
        )
        commit_core(connection)
    except IntegrityError:
        return _already_answered(user, p, outcome)
    return _with_typein_match(outcome, card)


def _one_statement(schedules_answer: bool, row: Loaded | None) -> bool:
    """The answer writes in one statement on an engine that runs outside a transaction
    (PostgreSQL): the state's write with the log insert (``_with_log``), or the log insert
    alone for an answer that leaves the schedule as it is on a side with no state row. A
    same-session repeat's tally update and its log insert are two. The queue's writes come
    on top (``study_queue.answer_changes_queue``)."""
    return schedules_answer or row is None


def _instant_json(now: datetime, connection: Connection) -> str:
    """``now.isoformat()`` as a JSON string. On SQLite, for an instant in UTC, from the text
    its bind stores: the formatter keeps its last text, and the answer binds ``now`` three
    times, so ``now`` is formatted once per answer, not twice (~11,000 instructions each)."""
    if now.tzinfo is UTC and connection.dialect.name == "sqlite":
        return schedules.iso_json(sqlite_text(now))
    return f'"{now.isoformat()}"'


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
        duplicate=duplicate, response=log.response, card=card,
    )
    return _with_typein_match(outcome, card) if card is not None else outcome
