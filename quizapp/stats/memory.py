"""How well each studied card is remembered: FSRS's memory model, whatever schedules the card.

Pure: no Flask, no SQLAlchemy. A card side's memory is FSRS's (stability, difficulty) after
its last answer, and the instant of that answer. Every update is the ``fsrs`` package's own
``review_card`` result: the memory update depends only on the previous memory, the rating and
the time elapsed, not on FSRS's learning steps, so an SM-2 card gets the same estimate an FSRS
card with the same answers would. Elapsed time is counted as the library counts it (whole
24-hour periods), and the parameters are FSRS's defaults unless a learner's fitted ones are
passed.

Which answers count: learn, review and same-session repeat answers (:data:`MEMORY_PHASES`),
in the order given; cram answers come before the card is due and leave its schedule alone,
and Anki leaves them out of its FSRS replay too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import TypeVar

import fsrs

from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS

MEMORY_PHASES = ("learn", "review", "repeat")
Parameters = Sequence[float]
Key = TypeVar("Key")


@dataclass(frozen=True)
class Memory:
    stability: float
    difficulty: float
    reviewed_at: datetime


@lru_cache(maxsize=64)
def _library(parameters: tuple[float, ...]) -> fsrs.Scheduler:
    # The library checks the parameters' count and bounds once per set.
    return fsrs.Scheduler(parameters=parameters, enable_fuzzing=False)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _card(memory: Memory | None) -> fsrs.Card:
    # card_id given: without one the library sleeps a millisecond to make one.
    if memory is None:
        return fsrs.Card(card_id=0, state=fsrs.State.Learning, step=0)
    return fsrs.Card(
        card_id=0,
        state=fsrs.State.Review,
        step=None,
        stability=memory.stability,
        difficulty=memory.difficulty,
        last_review=_utc(memory.reviewed_at),
    )


def next_memory(
    memory: Memory | None,
    rating: int,
    reviewed_at: datetime,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> Memory:
    """The memory after an answer rated ``rating`` (FSRS 1-4) at ``reviewed_at``."""
    at = _utc(reviewed_at)
    card, _ = _library(tuple(parameters)).review_card(
        _card(memory), fsrs.Rating(rating), review_datetime=at
    )
    return Memory(float(card.stability), float(card.difficulty), at)


def curve(parameters: Parameters = DEFAULT_PARAMETERS) -> tuple[float, float]:
    """(factor, decay) of FSRS's forgetting curve R = (1 + factor * days / S) ** decay, the
    library's own constants, for callers that compute it in bulk (in SQL, say)."""
    library = _library(tuple(parameters))
    return float(library._FACTOR), float(library._DECAY)


def recall_probability(
    memory: Memory | None, at: datetime, parameters: Parameters = DEFAULT_PARAMETERS
) -> float:
    """FSRS's probability that the card is recalled at ``at`` (0 when never studied)."""
    return ForgettingCurve(parameters).recall(memory, at)


class ForgettingCurve:
    """The library's retrievability formula with its constants looked up once: pages compute
    it for every card of a class, and building a library card per call would dominate."""

    __slots__ = ("decay", "factor")

    def __init__(self, parameters: Parameters = DEFAULT_PARAMETERS) -> None:
        self.factor, self.decay = curve(parameters)

    def recall(self, memory: Memory | None, at: datetime) -> float:
        if memory is None:
            return 0.0
        return self._chance(memory.stability, (_utc(at) - _utc(memory.reviewed_at)).days)

    def _chance(self, stability: float, days: int) -> float:
        elapsed_days = max(0, days)
        return float((1 + self.factor * elapsed_days / stability) ** self.decay)


def replay(
    answers: Iterable[tuple[datetime, int]], parameters: Parameters = DEFAULT_PARAMETERS
) -> Memory | None:
    """The memory after ``answers``: (instant, FSRS rating 1-4) pairs, oldest first."""
    memory = None
    for at, rating in answers:
        memory = next_memory(memory, rating, at, parameters)
    return memory


def replay_each(
    rows: Iterable[tuple[Key, datetime, int]], parameters: Parameters = DEFAULT_PARAMETERS
) -> Iterator[tuple[Key, Memory | None]]:
    """One memory per key, from (key, instant, FSRS rating) rows sorted by key then instant.

    A generator over a stream: only one key's answers are held at a time, so a whole table's
    history can be replayed in bounded memory.
    """
    for key, group in groupby(rows, key=itemgetter(0)):
        yield key, replay(((at, rating) for _, at, rating in group), parameters)


@dataclass(frozen=True)
class Outlook:
    """Expected retention of some cards: the mean probability of recall now and a week on."""

    cards: int
    today: float | None
    in_week: float | None


WEEK = timedelta(days=7)
NO_OUTLOOK = Outlook(0, None, None)


class OutlookSum:
    """Adds up recall probabilities of cards for :class:`Outlook` (a card without a memory
    state has never been answered and is left out)."""

    __slots__ = ("cards", "in_week", "today")

    def __init__(self) -> None:
        self.cards = 0
        self.today = 0.0
        self.in_week = 0.0

    def add(self, today: float, in_week: float) -> None:
        self.cards += 1
        self.today += today
        self.in_week += in_week

    def merge(self, other: OutlookSum) -> None:
        self.cards += other.cards
        self.today += other.today
        self.in_week += other.in_week

    def outlook(self) -> Outlook:
        if not self.cards:
            return NO_OUTLOOK
        return Outlook(self.cards, self.today / self.cards, self.in_week / self.cards)


def recall_now_and_in_week(
    memory: Memory, now: datetime, curve: ForgettingCurve
) -> tuple[float, float]:
    """``curve.recall`` now and a week on, with the days since the answer counted once (a
    page asks this for every studied side)."""
    days = (_utc(now) - _utc(memory.reviewed_at)).days
    return curve._chance(memory.stability, days), curve._chance(memory.stability,
                                                                days + WEEK.days)
