"""The scheduler interface every spaced-repetition algorithm implements (pure, no Flask).

Modelled on py-fsrs's ``review_card(card, rating, now) -> (card, log)`` and Anki's
``next_states``. A :class:`Scheduler` owns one kind of card state and says:

* which ratings a learner can give (:class:`RatingScale`: values, labels, keys, which pass);
* ``new_state()`` for a card never studied, ``review(state, rating, now) -> (state, record)``
  for an answer, and ``preview(state, now)`` for the due date each rating would lead to (the
  interval shown on each grade button); ``preview`` is ``review`` for every rating, so the two
  cannot disagree;
* the stage of a card (new / learning / young / mature) for progress figures;
* how the state maps onto an Anki card (type, queue, ivl, factor, due) for export;
* a versioned JSON form (``to_json`` / ``from_json``, carrying ``"scheduler"`` and ``"v"``),
  so a second algorithm needs no new database columns, only this JSON beside the indexed due
  day (every state has ``due``: the learner's day it is next due, ``None`` when new);
* the rating an auto-graded answer (right or wrong, seconds taken) earns.

Time: a :class:`Moment` is an instant plus the learner's time zone, because due *days* are the
learner's own days (rolling over at 4 a.m., see ``day.py``) while learning steps are minutes.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from .day import day_start, learner_day

JsonObject = dict[str, Any]

MATURE_INTERVAL_DAYS = 21  # Anki's line between young and mature cards


class Stage(StrEnum):
    """Where a card is in its learning, as Anki's statistics count it."""

    NEW = "new"
    LEARNING = "learning"
    YOUNG = "young"
    MATURE = "mature"


def stage_for_interval(interval_days: int) -> Stage:
    """Young below :data:`MATURE_INTERVAL_DAYS`, mature from it on (a card past learning)."""
    return Stage.YOUNG if interval_days < MATURE_INTERVAL_DAYS else Stage.MATURE


@dataclass(frozen=True)
class Moment:
    """When an answer is given: an aware instant and the learner's IANA time zone."""

    at: datetime
    tz_name: str | None = None
    # The learner's day this moment falls in, worked out once: every review asks for it, and
    # a study page's grade buttons twice per rating.
    day: date = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.at, datetime):
            raise TypeError(f"a moment needs a datetime, got {self.at!r}")
        # Naive instants mean UTC throughout the app (see ``day.learner_day``).
        at = self.at if self.at.tzinfo is not None else self.at.replace(tzinfo=UTC)
        object.__setattr__(self, "at", at.astimezone(UTC))
        object.__setattr__(self, "day", learner_day(self.at, self.tz_name))

    def day_of(self, instant: datetime) -> date:
        return learner_day(instant, self.tz_name)

    def start_of(self, day: date) -> datetime:
        """The instant the learner's ``day`` begins."""
        return day_start(day, self.tz_name)

    def after(self, delta: timedelta) -> Moment:
        return Moment(self.at + delta, self.tz_name)


@dataclass(frozen=True)
class Due:
    """When a card comes back: the learner's ``day`` (what the due index holds) and the
    instant ``at`` (the start of that day for day intervals, exact for learning steps)."""

    day: date
    at: datetime


class State(Protocol):
    """What every scheduler's card state exposes to the rest of the app."""

    @property
    def due(self) -> date | None: ...

    @property
    def lapses(self) -> int: ...

    @property
    def interval(self) -> int:
        """Days between the last review and the due day; 0 for a new or learning card."""
        ...


StateT = TypeVar("StateT", bound=State)


@dataclass(frozen=True)
class RatingOption:
    """One answer a learner can give: its value, button label, keys, and whether it passes."""

    value: int
    label: str
    description: str
    keys: tuple[str, ...]  # KeyboardEvent.key values, e.g. "3", " ", "Enter"
    passing: bool


@dataclass(frozen=True)
class RatingScale:
    """The ratings of one scheduler, in button order."""

    options: tuple[RatingOption, ...]
    # Each option by its value (the first of equal values, as a search in order finds): an
    # answer looks up its rating about seven times.
    _by_value: Mapping[int, RatingOption] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_value",
                           {option.value: option for option in reversed(self.options)})

    def __iter__(self) -> Iterator[RatingOption]:
        return iter(self.options)

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    def option(self, rating: object) -> RatingOption:
        """The option for ``rating``; ValueError for anything that is not one (bools too)."""
        if isinstance(rating, int) and not isinstance(rating, bool):
            found = self._by_value.get(rating)
            if found is not None:
                return found
        raise ValueError(f"rating must be one of {self.values}, got {rating!r}")

    def check(self, rating: object) -> int:
        return self.option(rating).value

    def passes(self, rating: int) -> bool:
        return self.option(rating).passing

    def for_key(self, key: str) -> int | None:
        """The rating a key press gives, or None."""
        for option in self.options:
            if key in option.keys:
                return option.value
        return None


@dataclass(frozen=True)
class ReviewRecord:
    """What one review did, for the review log (the log half of ``review``'s result)."""

    rating: int
    reviewed_at: datetime
    day: date
    stage_before: Stage
    interval_before: int  # days; 0 for a new or learning card
    interval: int  # days until the card is due; 0 when it comes back the same day
    due: Due
    passed: bool


@dataclass(frozen=True)
class AnkiSchedule:
    """A card state in Anki's terms, for the exporter.

    ``card_type``/``queue`` are Anki's (0 new, 1 learning, 2 review, 3 relearning); ``due_day``
    is set for day-based queues, ``due_at`` for the intraday learning queue. ``factor`` is ease
    in permille (2.5 → 2500). ``stability``/``difficulty`` carry an FSRS memory state, which
    Anki keeps in the card's data; None for schedulers without one.
    """

    card_type: int
    queue: int
    interval: int
    factor: int
    due_day: date | None
    due_at: datetime | None
    lapses: int
    stability: float | None = None
    difficulty: float | None = None
    desired_retention: float | None = None


ANKI_NEW = 0
ANKI_LEARNING = 1
ANKI_REVIEW = 2
ANKI_RELEARNING = 3
ANKI_DAY_LEARNING_QUEUE = 3  # learning cards due on a later day wait in Anki's queue 3
ANKI_AGAIN = 1
ANKI_GOOD = 3


class Scheduler(ABC, Generic[StateT]):
    """A spaced-repetition algorithm; subclasses are registered in ``registry``."""

    name: str
    label: str  # how settings pages name it: "SM-2", "FSRS"
    scale: RatingScale

    @abstractmethod
    def new_state(self) -> StateT:
        """The state of a card never studied (due on any day)."""

    @abstractmethod
    def review(self, state: StateT, rating: int, now: Moment) -> tuple[StateT, ReviewRecord]:
        """The state after ``rating`` at ``now``, and the record of that review."""

    def preview(self, state: StateT, now: Moment) -> dict[int, Due]:
        """For each rating, when the card would be due after it (the grade buttons' hints)."""
        return {rating: self.review(state, rating, now)[1].due for rating in self.scale.values}

    @abstractmethod
    def stage(self, state: StateT) -> Stage:
        """New, learning, young or mature (retired is a card's property, not a schedule's)."""

    @abstractmethod
    def to_anki(self, state: StateT) -> AnkiSchedule: ...

    @abstractmethod
    def to_json(self, state: StateT) -> JsonObject:
        """JSON-safe form with ``"scheduler"`` (this name) and ``"v"`` (format version)."""

    def to_json_text(self, state: StateT) -> str:
        """``json.dumps(self.to_json(state))``, the text stored; a scheduler may write it
        directly (every answer stores one)."""
        return json.dumps(self.to_json(state))

    @abstractmethod
    def from_json(self, data: Mapping[str, Any]) -> StateT:
        """Inverse of :meth:`to_json`; ValueError for anything malformed or foreign."""

    @abstractmethod
    def auto_rating(self, correct: bool, seconds: float | None) -> int:
        """The rating for an auto-graded answer that was ``correct`` or not, in ``seconds``."""

    def anki_button(self, rating: int) -> int:
        """The Anki answer button (1 Again, 2 Hard, 3 Good, 4 Easy) a rating is exported as;
        by default a pass is Good and a miss Again."""
        return ANKI_GOOD if self.scale.passes(rating) else ANKI_AGAIN

    def rating_for_anki_button(self, button: int) -> int:
        """The rating an answer given in Anki with ``button`` (1 Again … 4 Easy) counts as;
        by default the first failing rating for Again and the first passing one otherwise."""
        if isinstance(button, bool) or button not in (1, 2, 3, 4):
            raise ValueError(f"an Anki button is 1 to 4, got {button!r}")
        passing = button != ANKI_AGAIN
        return next(
            (option.value for option in self.scale if option.passing == passing),
            self.scale.values[0],
        )

    @abstractmethod
    def drill_again(self, rating: int) -> bool:
        """Whether the session should ask this side again today as an unscheduled drill
        (whose answers are not passed to ``review``)."""

    def _checked_json(self, data: Mapping[str, Any], version: int) -> None:
        if type(data) is not dict and not isinstance(data, Mapping):
            raise ValueError(f"a {self.name} state must be a JSON object, got {data!r}")
        if data.get("scheduler") != self.name:
            raise ValueError(f"not a {self.name} state: scheduler is {data.get('scheduler')!r}")
        if data.get("v") != version:
            raise ValueError(f"unknown {self.name} state version {data.get('v')!r}")


def interval_text(now: Moment, due: Due) -> str:
    """A short label for how far ``due`` is from ``now``: "10 min", "1 d", "3.2 mo", "1.5 y"."""
    days = (due.day - now.day).days
    if days <= 0:
        minutes = max(1, round((due.at - now.at).total_seconds() / 60))
        if minutes < 60:
            return f"{minutes} min"
        return f"{minutes / 60:.1f} h".replace(".0 h", " h")
    if days < 30:
        return f"{days} d"
    if days < 365:
        return f"{days / 30.4:.1f} mo".replace(".0 mo", " mo")
    return f"{days / 365.25:.1f} y".replace(".0 y", " y")
