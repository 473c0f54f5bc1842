"""How well each studied card is remembered: FSRS's memory model, whatever schedules the card.

Pure: no Flask, no SQLAlchemy. A card side's memory is FSRS's (stability, difficulty) after
its last answer, and the instant of that answer. Every update equals the ``fsrs`` package's own
``review_card`` result, bit for bit (a test compares them on random histories): the memory
update depends only on the previous memory, the rating and the time elapsed, not on FSRS's
learning steps, so an SM-2 card gets the same estimate an FSRS card with the same answers
would. :class:`_MemoryStep` computes it with the library's formulas in the library's order of
operations, without building and copying the library's card: every answer of every scheduler
runs it, and the library's ``review_card`` took about 5 % of an answer's CPU, this a fifth of
that. Elapsed time is counted as the library counts it (whole 24-hour periods), and the
parameters are FSRS's defaults unless a learner's fitted ones are passed.

Which answers count: learn, review and same-session repeat answers (:data:`MEMORY_PHASES`),
in the order given; cram answers come before the card is due and leave its schedule alone,
and Anki leaves them out of its FSRS replay too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple, TypeVar

import fsrs
from fsrs.scheduler import MAX_DIFFICULTY, MIN_DIFFICULTY, STABILITY_MIN

from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS

MEMORY_PHASES = ("learn", "review", "repeat")
Parameters = Sequence[float]
Key = TypeVar("Key")


class Memory(NamedTuple):
    """A named tuple: a progress page reads one for every studied side, and a tuple is built
    several times faster than a frozen dataclass."""

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


_RATINGS = {int(rating): int(rating) for rating in fsrs.Rating}
_AGAIN, _HARD, _EASY = int(fsrs.Rating.Again), int(fsrs.Rating.Hard), int(fsrs.Rating.Easy)


class _MemoryStep:
    """The library's memory update (``Scheduler.review_card``'s stability and difficulty) for
    one parameter set. Each float is computed by the same operations in the same order as the
    library's, so the results are identical, not merely close: ``math.e ** x``, not
    ``math.exp(x)``, and products grouped as the library groups them. The terms that depend on
    the parameters alone are computed once."""

    def __init__(self, library: fsrs.Scheduler) -> None:
        w = library.parameters
        self.w = w
        self.factor, self.decay = library._FACTOR, library._DECAY
        e = math.e
        self.initial_difficulty = tuple(w[4] - (e ** (w[5] * (rating - 1))) + 1
                                        for rating in range(1, 5))
        self.easy_difficulty = self.initial_difficulty[_EASY - 1]  # unclamped, as the library
        self.recall_base = e ** w[8]
        self.forget_short_term = e ** (w[17] * w[18])

    def first(self, rating: int) -> tuple[float, float]:
        difficulty = min(max(self.initial_difficulty[rating - 1], MIN_DIFFICULTY), MAX_DIFFICULTY)
        return max(self.w[rating - 1], STABILITY_MIN), difficulty

    def next(self, stability: float, difficulty: float, rating: int, elapsed_days: int
             ) -> tuple[float, float]:
        """After an answer ``elapsed_days`` whole 24-hour periods after the last one."""
        w = self.w
        if elapsed_days < 1:  # the same day: short-term stability
            growth = (math.e ** (w[17] * (rating - 3 + w[18]))) * (stability ** -w[19])
            if rating != _AGAIN:
                growth = max(growth, 1.0)
            after = max(stability * growth, STABILITY_MIN)
        else:
            recall = (1 + self.factor * elapsed_days / stability) ** self.decay
            if rating == _AGAIN:
                after = min(
                    w[11] * (difficulty ** -w[12]) * (((stability + 1) ** (w[13])) - 1)
                    * (math.e ** ((1 - recall) * w[14])),
                    stability / self.forget_short_term,
                )
            else:
                hard_penalty = w[15] if rating == _HARD else 1
                easy_bonus = w[16] if rating == _EASY else 1
                after = stability * (
                    1 + self.recall_base * (11 - difficulty) * (stability ** -w[9])
                    * ((math.e ** ((1 - recall) * w[10])) - 1) * hard_penalty * easy_bonus
                )
            after = max(after, STABILITY_MIN)
        change = -(w[6] * (rating - 3))
        damped = difficulty + (10.0 - difficulty) * change / 9.0
        reverted = w[7] * self.easy_difficulty + (1 - w[7]) * damped
        return after, min(max(reverted, MIN_DIFFICULTY), MAX_DIFFICULTY)


@lru_cache(maxsize=64)
def _step(parameters: tuple[float, ...]) -> _MemoryStep:
    return _MemoryStep(_library(parameters))


_DEFAULT_STEP = _step(DEFAULT_PARAMETERS)  # most answers: no hashing of the parameters


def next_memory(
    memory: Memory | None,
    rating: int,
    reviewed_at: datetime,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> Memory:
    """The memory after an answer rated ``rating`` (FSRS 1-4) at ``reviewed_at``."""
    checked = _RATINGS.get(rating)
    if checked is None:  # the library's own check and message
        checked = int(fsrs.Rating(rating))
    at = _utc(reviewed_at)
    step = _DEFAULT_STEP if parameters is DEFAULT_PARAMETERS else _step(tuple(parameters))
    if memory is None:
        stability, difficulty = step.first(checked)
    else:
        elapsed = (at - _utc(memory.reviewed_at)).days
        stability, difficulty = step.next(memory.stability, memory.difficulty, checked, elapsed)
    return Memory(float(stability), float(difficulty), at)


def curve(parameters: Parameters = DEFAULT_PARAMETERS) -> tuple[float, float]:
    """(factor, decay) of FSRS's forgetting curve R = (1 + factor * days / S) ** decay, the
    library's own constants, for callers that compute it in bulk (in SQL, say)."""
    library = _library(tuple(parameters))
    return float(library._FACTOR), float(library._DECAY)


WEEK_DAYS = 7


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC, a naive one taken as UTC already."""
    return _utc(moment)


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

    def now_and_in_week(self, memory: Memory, now_utc: datetime) -> tuple[float, float]:
        """:func:`recall_now_and_in_week` with ``now`` already in UTC (:func:`utc`), for a
        caller that asks for many sides at one instant."""
        days = (now_utc - _utc(memory.reviewed_at)).days
        return self._chance(memory.stability, days), self._chance(memory.stability,
                                                                  days + WEEK_DAYS)

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


WEEK = timedelta(days=WEEK_DAYS)
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
    return curve.now_and_in_week(memory, _utc(now))
