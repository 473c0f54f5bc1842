"""The lean answer path: a self-graded side that schedules is answered from what its study page
read to show it, signed into the presentation token (``presentation.ShownAnswer``), with no
read of its own: the answer POST is its user and deck, one write statement (two on SQLite,
which has no data-modifying ``WITH``) and the commit. Anki's reviewer does the same: it computes
the scheduling states when it shows a card and ``answer_card`` takes them.

Why this is exact. The state written is computed from the state as shown, and the update is
guarded by the version shown: every writer of ``card_state`` bumps the version (the answer's
own writes, a repeat's or cram's totals and memory, undo, the FSRS memory rebuild, the totals'
recount, the Anki progress import), so a row written meanwhile refuses the update. The totals
are added in SQL (``tallies.INCREMENTS``) and depend on nothing read. A first answer inserts the
row; a row inserted meanwhile (another tab) refuses it by its unique key. Whenever the write is
refused (a version moved, a card deleted: its state row went with it, or the insert's foreign
key fails), the answer is rolled back and the general path (``study_answer``) runs instead,
with its joined read: it records the answer, reports it a duplicate or a conflict, or says the
card no longer exists, exactly as it did before this path existed.

What may be stale, by design: the scheduler settings are those in force when the side was
shown (the intervals on its grade buttons were computed with them). A deck or learner whose
settings change between show and answer has that one answer scheduled with the settings it was
shown with; the next page uses the new ones.

Which answers take it (``lean_context``, decided when the page is made): learn and review
answers (they schedule) of a kind the learner grades (``auto_graded`` is False), whose state is
absent or written by the scheduler in force (a state another scheduler wrote is converted from
the side's history: the general path reads it). Repeats, cram and auto-graded kinds keep the
general path.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError

from .. import jsontext, kinds
from ..extensions import db
from ..models import User, utcnow
from ..scheduling import registry
from ..scheduling.base import Moment
from ..scheduling.phase import Phase
from ..stats.memory import Memory
from . import answer_rows, memory, personal_params, schedules, tallies
from .answer_outcome import Outcome
from .presentation import Presentation, ShownAnswer
from .rows import begin_writes, commit_core, core_connection, outside_transaction
from .study_queue import SessionQueue, answer_changes_queue, record_answer_in_queue

_DEFAULTS = registry.SchedulerSettings()


class AnsweredCard(NamedTuple):
    """What the answer's feedback reads of a self-graded card (``Outcome.card``)."""

    id: int
    deck_id: int
    kind: str


@functools.lru_cache(maxsize=256)
def settings_text(settings: registry.SchedulerSettings) -> str | None:
    """The settings as the token carries them: None for the defaults (most decks), else their
    JSON text, the key ``personal_params.settings_and_scheduler`` reads them back by."""
    if settings == _DEFAULTS:
        return None
    return json.dumps(settings.to_json(), separators=(",", ":"))


def _text(instant: Any) -> str | None:
    """An instant as read by the study page (SQLite's stored text, else a datetime) as text."""
    return instant if instant is None or isinstance(instant, str) else instant.isoformat()


def lean_context(
    p: Presentation, deck_id: int, queue: SessionQueue, settings: registry.SchedulerSettings,
) -> ShownAnswer | None:
    """What the answer to ``p`` needs, when it can take the lean path (see the module
    docstring); None otherwise. ``settings``: those the page's grade buttons used."""
    if not Phase(p.mode).schedules or p.card is None or kinds.get(p.card.kind).auto_graded:
        return None
    state = p.state
    if state is not None and state.scheduler != settings.name:
        return None
    queued = (p.card_id, p.ordinal) in queue.repeats
    if state is None:
        return ShownAnswer(deck_id, p.card.kind, None, None, None, None, None,
                           settings_text(settings), queue.session_id, queued)
    snapshot = schedules.snapshot_text(state.state_text or state.state, state.last_review_at,
                                       state.due_at)
    return ShownAnswer(deck_id, p.card.kind, state.id, snapshot, state.memory_stability,
                       state.memory_difficulty, _text(state.memory_reviewed_at),
                       settings_text(settings), queue.session_id, queued)


def _instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text)
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


def answer_shown(
    user: User, p: Presentation, shown: ShownAnswer, *, grade: int | None,
    now: datetime | None = None,
) -> Any:
    """Record the answer to ``p`` from ``shown``: its ``Outcome``, or None when the general
    path must answer it instead (its write was refused, or the grade is not one of the
    scheduler's: the general path says which)."""
    _, scheduler = personal_params.settings_and_scheduler(shown.settings, None)
    try:
        rating = scheduler.scale.check(grade)
    except ValueError:
        return None
    now = now or utcnow()
    seconds = max(0.0, now.timestamp() - p.shown_at)
    phase = Phase(p.mode)
    mode = phase.value
    snapshot = shown.snapshot
    if snapshot is None:
        state, before = scheduler.new_state(), "null"
    else:
        state, before = scheduler.from_json(jsontext.loads(snapshot)["state"]), snapshot
    passed = scheduler.scale.passes(rating)
    stage_before = scheduler.stage(state).value
    add = tallies.added(mode, stage_before, passed)
    known = None
    if shown.memory_stability is not None and shown.memory_reviewed_at is not None:
        known = Memory(shown.memory_stability, shown.memory_difficulty,
                       _instant(shown.memory_reviewed_at))
    remembered = memory.columns_after(known, scheduler.anki_button(rating), now)
    new, record = scheduler.review(state, rating, Moment(now, user.timezone))
    columns = {**schedules.state_columns(scheduler, new, now, record.due.at, as_text=True),
               **remembered}
    connection = core_connection()
    log = {
        "user_id": user.id, "card_id": p.card_id, "deck_id": shown.deck_id,
        "ordinal": p.ordinal, "phase": mode, "grade": rating, "scheduler": scheduler.name,
        "passed": passed, "response": None, "answered_at": now,
        "duration_ms": int(min(seconds, 3600) * 1000), "presentation": p.nonce,
        "state_before": before,
        "state_after": (f'{{"state": {columns["state"]}, '
                        f'"last_review_at": {answer_rows.instant_json(now, connection)}}}'),
        "stage_before": stage_before, "interval_before": record.interval_before,
        "undone_at": None, "tallied": True,
    }
    again = scheduler.drill_again(rating)
    queue = (shown.session_id, shown.queued)
    changes_queue = answer_changes_queue(phase, again=again, known=queue)
    if changes_queue and outside_transaction(connection):
        begin_writes()  # the queue's writes go with the answer's
    if shown.row_id is None:
        write, with_log = answer_rows.INSERT_STATE, answer_rows.INSERT_STATE_AND_LOG
        values = {"user_id": user.id, "card_id": p.card_id, "deck_id": shown.deck_id,
                  "ordinal": p.ordinal, "version": 1, **columns, **add}
    else:
        write, with_log = answer_rows.UPDATE_STATE, answer_rows.UPDATE_STATE_AND_LOG
        values = {"row_id": shown.row_id, "shown": p.state_version, **columns,
                  **tallies.add_parameters(add)}
    try:
        if connection.dialect.name in answer_rows.ONE_WRITE:
            found = with_log.first(
                connection, {**values, **{f"log_{key}": value for key, value in log.items()}})
            if found is None:
                return _refused()
            log_id = found[0]
        else:
            if write.write(connection, values) != 1:
                return _refused()
            (log_id,) = answer_rows.INSERT_LOG.first(connection, log)
        if changes_queue:
            record_answer_in_queue(user.id, shown.deck_id, p.card_id, p.ordinal, phase,
                                   again=again, log_id=log_id, known=queue)
        commit_core(connection)
    except IntegrityError:
        return _refused()
    return Outcome(rating, None, phase, new.due, again,
                   card=AnsweredCard(p.card_id, shown.deck_id, shown.kind))


def _refused() -> None:
    """The write was refused: undo what the answer wrote, for the general path to answer."""
    db.session.rollback()
    return None

