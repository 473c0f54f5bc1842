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
that writes more (the session's queue) begins a transaction first. The statements are in
``answer_rows``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import kinds
from ..extensions import db
from ..models import Card, ReviewLog, User, utcnow
from ..scheduling.base import Moment, Scheduler
from ..scheduling.phase import Phase
from ..stats.memory import MEMORY_PHASES
from . import answer_rows, memory, personal_params, schedules, tallies
from .answer_outcome import Outcome
from .presentation import Presentation, StudyError, decode_presentation
from .rows import begin_writes, commit_core, core_connection, outside_transaction
from .shown_answer import answer_shown
from .study_queue import answer_changes_queue, record_answer_in_queue


class CardNotInDeck(StudyError):
    """The presentation names a card of another deck than the one answered in."""


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
    be in that deck (``CardNotInDeck``). A token made for the lean path (``p.shown``,
    ``shown_answer``) is answered there unless its write is refused; everything else, and
    every refused lean answer, here, with the joined read."""
    shown = p.shown
    if shown is not None:
        if deck_id is not None and shown.deck_id != deck_id:
            raise CardNotInDeck("That card is not in this deck.")
        outcome = answer_shown(user, p, shown, grade=grade, now=now)
        if outcome is not None:
            return outcome
    connection = core_connection()
    card, row, own, deck_own, fitted, session_id, queued = answer_rows.read_answer(
        connection, user, p)
    if deck_id is not None and (card is None or card.deck_id != deck_id):
        raise CardNotInDeck("That card is not in this deck.")
    if card is None or p.ordinal not in (card.ordinals or [0]):
        raise StudyError("This card no longer exists.")
    now = now or utcnow()
    seconds = max(0.0, now.timestamp() - p.shown_at)
    # The learner's own settings, else the deck's, else the default, with their fitted
    # parameters (schedules.settings_for).
    own = answer_rows.json_text(own)
    settings, scheduler = personal_params.settings_and_scheduler(
        own if own is not None else answer_rows.json_text(deck_own), answer_rows.json_text(fitted))
    scheduler, state = schedules.state_of(scheduler, row, settings, user)
    rating, correct, response = grade_response(
        card, p, scheduler, grade=grade, choice=choice, typed=typed, seconds=seconds
    )
    phase = Phase(p.mode)
    mode, schedules_answer = phase.value, phase.schedules  # properties: read once
    before = "null" if row is None else row.snapshot  # JSON text (answer_rows._EncodedJSON)
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
                       **remembered,
                       **(add if row is None else tallies.add_parameters(add))}
            # json.dumps({"state": ..., "last_review_at": ...}), the state encoded once.
            encoded = columns["state"]
            answered = answer_rows.instant_json(now, connection)
            log["state_after"] = f'{{"state": {encoded}, "last_review_at": {answered}}}'
            if row is None:
                write, with_log = answer_rows.INSERT_STATE, answer_rows.INSERT_STATE_AND_LOG
                values = {"user_id": user.id, "card_id": card.id, "deck_id": card.deck_id,
                          "ordinal": p.ordinal, "version": 1, **columns}
            else:
                write, with_log = answer_rows.UPDATE_STATE, answer_rows.UPDATE_STATE_AND_LOG
                values = {"row_id": row.id, "shown": p.state_version, **columns}
            if connection.dialect.name in answer_rows.ONE_WRITE:
                found = with_log.first(
                    connection, {**values, **{f"log_{key}": value for key, value in log.items()}}
                )
                if found is None:  # the guarded update changed nothing: no log row either
                    return _already_answered(user, p, outcome)
                log_id = found[0]
            elif write.write(connection, values) != 1:
                return _already_answered(user, p, outcome)
        else:  # the schedule stays as it was (state_after is JSON text: answer_rows._EncodedJSON)
            log["state_after"] = before
            if row is not None:  # a same-session repeat moves memory, not the schedule
                connection.execute(
                    tallies.ADD, {"row_id": row.id, **remembered, **tallies.add_parameters(add)}
                )
        if log_id is None:
            (log_id,) = answer_rows.INSERT_LOG.first(connection, log)
        record_answer_in_queue(
            user.id, card.deck_id, card.id, p.ordinal, phase, again=again, log_id=log_id,
            known=known,
        )
        commit_core(connection)
    except IntegrityError:
        return _already_answered(user, p, outcome)
    return _with_typein_match(outcome, card)


def _one_statement(schedules_answer: bool, row: answer_rows.Loaded | None) -> bool:
    """The answer writes in one statement on an engine that runs outside a transaction
    (PostgreSQL): the state's write with the log insert (``answer_rows._with_log``), or the
    log insert alone for an answer that leaves the schedule as it is on a side with no state
    row. A same-session repeat's tally update and its log insert are two. The queue's writes come
    on top (``study_queue.answer_changes_queue``)."""
    return schedules_answer or row is None


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
