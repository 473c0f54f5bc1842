"""Which scheduler a learner studies a deck with, and card states read and written through it.

A card state row holds the JSON of the scheduler that last wrote it. When the deck (or the
learner's own setting) has since switched algorithms, the state is converted when it is next
loaded (``conversions.convert``: SM-2 to FSRS replays the side's answers since it was last
under another scheduler, so the work is bounded by one side's history) and written in the new
form with that side's next answer. Until then the row keeps its due day, which both
conversions preserve, so the due index stays right without touching every row on a switch.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import select

from ..extensions import db
from ..models import CardState, Deck, ReviewLog, SchedulerOverride, User
from ..scheduling import registry
from ..scheduling.base import Moment, RatingOption, Scheduler, interval_text
from ..scheduling.conversions import PastAnswer, convert
from ..scheduling.phase import Phase
from ..scheduling.sm2_scheduler import Sm2Scheduler
from . import personal_params
from .rows import get_by_id

# A deck without settings of its own is scheduled with these (frozen, so shared).
DEFAULT_SETTINGS = registry.SchedulerSettings()


def deck_settings(deck: Deck) -> registry.SchedulerSettings:
    if deck.scheduler is None:
        return DEFAULT_SETTINGS
    return registry.SchedulerSettings.from_json(deck.scheduler)


# "Not read yet" for ``settings_for``'s ``own``, where None means "the learner has none".
UNREAD: Any = object()


def settings_for(
    user: User, deck: Deck, own: registry.SchedulerSettings | None = UNREAD
) -> registry.SchedulerSettings:
    """The settings the learner studies ``deck`` with: their own (``own``, when the caller
    has read them already), else the deck's, with the learner's fitted parameters when
    they have some."""
    override = own_settings(user, deck) if own is UNREAD else own
    chosen = override if override is not None else deck_settings(deck)
    return personal_params.settings_for_learner(chosen, user.id, deck.id)


def own_settings(user: User, deck: Deck) -> registry.SchedulerSettings | None:
    row = get_by_id(SchedulerOverride, (user.id, deck.id))
    return None if row is None else registry.SchedulerSettings.from_json(row.settings)


def set_deck_settings(deck: Deck, settings: registry.SchedulerSettings) -> None:
    """Every learner's states follow lazily (see the module docstring)."""
    deck.scheduler = settings.to_json()


def set_own_settings(
    user: User, deck: Deck, settings: registry.SchedulerSettings | None
) -> None:
    """The learner's own settings for ``deck``; None goes back to the deck's."""
    row = db.session.get(SchedulerOverride, (user.id, deck.id))
    if settings is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(
            SchedulerOverride(user_id=user.id, deck_id=deck.id, settings=settings.to_json())
        )
    else:
        row.settings = settings.to_json()
    db.session.flush()


def choices() -> list[tuple[str, str]]:
    """(name, label) of every registered scheduler, for settings forms."""
    return [(name, writer_of_name(name).label) for name in registry.names()]


def writer_of_name(name: str) -> Scheduler[Any]:
    """The scheduler (with default settings) that wrote a stored state."""
    return registry.with_defaults(name)


def load_state(
    row: CardState | None, settings: registry.SchedulerSettings, user: User
) -> tuple[Scheduler[Any], Any]:
    """The scheduler ``settings`` name and the side's state as it reads it, converted if
    another scheduler wrote it."""
    return state_of(registry.create(settings), row, settings, user)


def state_of(
    scheduler: Scheduler[Any], row: CardState | None, settings: registry.SchedulerSettings,
    user: User,
) -> tuple[Scheduler[Any], Any]:
    """``load_state`` with the scheduler ``settings`` name already built (the answer path
    keeps both per settings)."""
    if row is None:
        return scheduler, scheduler.new_state()
    if row.scheduler == scheduler.name:
        return scheduler, scheduler.from_json(row.state)
    history, start = _history_since_switch(row)
    state = convert(row.state, scheduler, settings, history, start=start, tz_name=user.timezone)
    return scheduler, state


def snapshot(row: CardState | None) -> dict[str, Any] | None:
    """What the review log keeps of a row, to restore it on undo (None: no row yet)."""
    if row is None:
        return None
    return {"state": row.state, "last_review_at": _iso(row.last_review_at),
            "due_at": _iso(row.due_at)}


def snapshot_text(state: Any, last_review_at: Any, due_at: Any) -> str:
    """``json.dumps(snapshot(row))`` from a row's columns as read, each datetime and the state
    either parsed or as its stored text (SQLite's: the state as ``json.dumps`` wrote it, the
    instants as ``models.UTCDateTime`` did): the answer path copies them into the log without
    parsing them and formatting them again (isoformat costs ~11,000 instructions)."""
    text = state if isinstance(state, str) else json.dumps(state)
    return (f'{{"state": {text}, "last_review_at": {iso_json(last_review_at)}, '
            f'"due_at": {iso_json(due_at)}}}')


# The text SQLite's UTC datetimes are stored as (models.UTCDateTime).
_STORED_UTC = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def iso_json(value: Any) -> str:
    """A stored instant (parsed, or SQLite's text) as the JSON string of its UTC
    ``isoformat()`` ("null" for None)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        if _STORED_UTC.fullmatch(value):
            fraction = "" if value.endswith(".000000") else value[19:]
            return f'"{value[:10]}T{value[11:19]}{fraction}+00:00"'
        value = datetime.fromisoformat(value)
    instant = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return f'"{instant.isoformat()}"'


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def snapshot_state(data: dict[str, Any]) -> dict[str, Any]:
    """The state JSON in a snapshot; snapshots written before the scheduler interface are a
    bare SM-2 state with ``last_review_at`` beside its fields."""
    state: dict[str, Any] = data.get("state", data)
    return state


def restore(row: CardState, data: dict[str, Any]) -> None:
    """Put the snapshot ``data`` back into ``row``."""
    stored = snapshot_state(data)
    scheduler = writer_of_name(registry.scheduler_of(stored))
    columns = state_columns(
        scheduler, scheduler.from_json(stored), _instant(data.get("last_review_at")),
        _instant(data.get("due_at")),
    )
    write_state(row, columns)


def _history_since_switch(row: CardState) -> tuple[list[PastAnswer], dict[str, Any] | None]:
    """The side's SM-2 answers since it last had another scheduler, oldest first, and the
    stored state before the first of them."""
    logs = db.session.execute(
        select(ReviewLog.answered_at, ReviewLog.grade, ReviewLog.scheduler, ReviewLog.state_before)
        .where(
            ReviewLog.user_id == row.user_id,
            ReviewLog.card_id == row.card_id,
            ReviewLog.ordinal == row.ordinal,
            ReviewLog.undone_at.is_(None),
            ReviewLog.phase != Phase.CRAM,
        )
        .order_by(ReviewLog.answered_at.desc(), ReviewLog.id.desc())
    ).all()
    run = []
    for log in logs:
        if log.scheduler != Sm2Scheduler.name:
            break
        run.append(log)
    run.reverse()
    start = snapshot_state(run[0].state_before) if run and run[0].state_before else None
    return [PastAnswer(log.answered_at, log.grade) for log in run], start


def state_columns(
    scheduler: Scheduler[Any], state: Any, now: datetime | None, due_at: datetime | None,
    *, as_text: bool = False,
) -> dict[str, Any]:
    """The ``card_state`` column values for ``state``, due at ``due_at`` (``Due.at``); with
    ``as_text``, the state as its JSON text (``Scheduler.to_json_text``)."""
    return {
        "scheduler": scheduler.name,
        "state": scheduler.to_json_text(state) if as_text else scheduler.to_json(state),
        "due": state.due,
        "due_at": due_at,
        "lapses": state.lapses,
        "stage": scheduler.stage(state).value,
        "last_review_at": now,
    }


def write_state(row: CardState, columns: dict[str, Any]) -> None:
    for name, value in columns.items():
        setattr(row, name, value)


class RatingButton(NamedTuple):
    """One grade button: the rating and, when the answer schedules, where it leads. A named
    tuple: a study page makes one per rating, and a frozen dataclass costs several times as
    much to make."""

    option: RatingOption
    interval: str | None


def rating_buttons(
    user: User, deck: Deck, row: CardState | None, *, schedules_answer: bool, now: datetime,
    own: registry.SchedulerSettings | None = UNREAD,
    settings: registry.SchedulerSettings | None = None,
) -> list[RatingButton]:
    """The learner's ratings for a side, each with the interval it leads to (``preview``);
    ``own`` as for ``settings_for``, or the learner's ``settings`` for the deck already
    known. Ratings leading to the same ``Due`` object share its text (SM-2's preview gives
    one for its three failing grades, one for its three passing)."""
    if settings is None:
        settings = settings_for(user, deck, own)
    scheduler, state = load_state(row, settings, user)
    if not schedules_answer:
        return [RatingButton(option, None) for option in scheduler.scale]
    moment = Moment(now, user.timezone)
    due = scheduler.preview(state, moment)
    # By the Due object's identity (``due`` holds them all meanwhile): hashing a Due, a
    # dataclass, costs about as much as its text.
    said: dict[int, str] = {}
    buttons = []
    for option in scheduler.scale:
        when = due[option.value]
        text = said.get(id(when))
        if text is None:
            text = said[id(when)] = interval_text(moment, when)
        buttons.append(RatingButton(option, text))
    return buttons
