"""A learner simulator: what each scheduler costs in reviews and buys in retention (pure).

Simulated students study one deck every day for a year; each scheduler decides when every
card comes back, a known memory model decides whether the student recalls it. The figures are
means over students, who are the same (same traits, same cards) under every scheduler.

**Memory model (the ground truth).** FSRS-6's forgetting curve and memory updates with FSRS's
default parameters, plus variation the schedulers do not know about:

* each card has a difficulty offset (normal, sd :data:`CARD_DIFFICULTY_SD`) added to its
  true initial difficulty;
* each student has an ability (log-normal, sd :data:`STUDENT_ABILITY_SD` of its log) that
  multiplies initial stability and the stability gained by each successful recall;
* recall is drawn with the true probability ``R = (1 + F·t/S)^-decay`` at the real elapsed
  time ``t`` in fractional days, not the whole days the schedulers count.

Because the truth has FSRS's shape, FSRS is judged on the model family it assumes (but with
parameters that are wrong for every student and card); read the SM-2 / FSRS gap as an upper
bound of what FSRS gains on real learners.

**Answers.** A forgotten card is Again (SM-2 grade 1). A recalled one is Hard / Good / Easy
(SM-2 grades 3 / 4 / 5) with :data:`RECALL_RATING_WEIGHTS`; the first showing of a new card is
rated with :data:`FIRST_RATING_WEIGHTS`. Each answer costs the seconds in
:data:`FIRST_SECONDS` (first showing) or :data:`ANSWER_SECONDS` (later answers, by rating);
these are assumptions in line with typical flashcard timings, not measurements.

**A day.** One session at a random hour between 08:00 and 22:00 (UTC, so days roll over at
4 a.m. UTC): due cards, most overdue first, up to the review limit, then new cards in deck
order up to the new-card limit. Cards a scheduler makes due again the same day (FSRS learning
steps) come back once their due instant has passed, waiting for it when nothing else is left;
SM-2's unscheduled drills (grade below 4) come back at the end of the queue until graded 4
or more. Every answer, drills and learning steps included, counts as a review and costs time.

**Retention** on a day is the mean true probability of recall, at the end of that day, over
the deck's cards the student has been shown (all of them after the first days).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .base import Moment, Scheduler
from .fsrs_scheduler import DEFAULT_PARAMETERS, Rating
from .registry import SchedulerSettings, create
from .sm2_scheduler import Sm2Scheduler

CARD_DIFFICULTY_SD = 1.5
STUDENT_ABILITY_SD = 0.3
FIRST_RATING_WEIGHTS = (0.25, 0.10, 0.50, 0.15)  # Again, Hard, Good, Easy
RECALL_RATING_WEIGHTS = (0.20, 0.65, 0.15)  # Hard, Good, Easy
FIRST_SECONDS = 20.0
ANSWER_SECONDS = {Rating.AGAIN: 20.0, Rating.HARD: 12.0, Rating.GOOD: 8.0, Rating.EASY: 6.0}
SM2_GRADE_FOR_RATING = {Rating.AGAIN: 1, Rating.HARD: 3, Rating.GOOD: 4, Rating.EASY: 5}
MAX_DRILLS_PER_DAY = 10  # per card: a runaway drill loop cannot stall a simulated day
FIRST_HOUR, LAST_HOUR = 8, 22
SECONDS_PER_DAY = 86_400.0

_W = DEFAULT_PARAMETERS
_DECAY = -_W[20]
_FACTOR = 0.9 ** (1 / _DECAY) - 1


@dataclass(frozen=True)
class SimulationConfig:
    cards: int = 82
    students: int = 20
    days: int = 365
    new_per_day: int = 20
    reviews_per_day: int = 200
    seed: int = 20261126
    checkpoints: tuple[int, ...] = (30, 90, 365)
    start: date = date(2026, 1, 5)

    def __post_init__(self) -> None:
        for name in ("cards", "students", "days", "new_per_day", "reviews_per_day"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if any(not 1 <= day <= self.days for day in self.checkpoints):
            raise ValueError(f"checkpoints must be days from 1 to {self.days}")


@dataclass(frozen=True)
class SchedulerResult:
    """Means over students for one scheduler; per-day series have one value per day."""

    label: str
    reviews_per_day: tuple[float, ...]
    minutes_per_day: tuple[float, ...]
    retention_per_day: tuple[float, ...]

    @property
    def total_reviews(self) -> float:
        return sum(self.reviews_per_day)

    @property
    def total_hours(self) -> float:
        return sum(self.minutes_per_day) / 60

    def retention_on(self, day: int) -> float:
        """Retention at the end of ``day`` (1-based: day 30 is the thirtieth day)."""
        return self.retention_per_day[day - 1]


class TrueMemory:
    """One student's real memory of one card (see the module docstring)."""

    __slots__ = ("ability", "difficulty", "last_seen", "stability")

    def __init__(self, ability: float) -> None:
        self.ability = ability
        self.stability = 0.0
        self.difficulty = 0.0
        self.last_seen = 0.0  # seconds since the simulation's start

    def recall_probability(self, now: float) -> float:
        elapsed_days = max(0.0, now - self.last_seen) / SECONDS_PER_DAY
        return float((1 + _FACTOR * elapsed_days / self.stability) ** _DECAY)

    def first_showing(self, rating: int, offset: float, now: float) -> None:
        self.stability = _W[rating - 1] * self.ability
        self.difficulty = _clamp_difficulty(_W[4] - math.exp(_W[5] * (rating - 1)) + 1 + offset)
        self.last_seen = now

    def answer(self, rating: int, recall: float, now: float) -> None:
        w, s, d = _W, self.stability, self.difficulty
        if now - self.last_seen < SECONDS_PER_DAY:
            growth = math.exp(w[17] * (rating - 3 + w[18])) * s ** -w[19]
            s *= max(growth, 1.0) if rating > Rating.AGAIN else growth
        elif rating == Rating.AGAIN:
            long_term = (
                w[11] * d ** -w[12] * ((s + 1) ** w[13] - 1) * math.exp((1 - recall) * w[14])
            )
            s = min(long_term, s / math.exp(w[17] * w[18]))
        else:
            bonus = (w[15] if rating == Rating.HARD else 1.0) * (
                w[16] if rating == Rating.EASY else 1.0
            )
            gain = math.exp(w[8]) * (11 - d) * s ** -w[9] * math.expm1((1 - recall) * w[10])
            s *= 1 + gain * bonus * self.ability
        easy_difficulty = w[4] - math.exp(w[5] * 3) + 1
        moved = d - w[6] * (rating - 3) * (10 - d) / 9
        self.difficulty = _clamp_difficulty(w[7] * easy_difficulty + (1 - w[7]) * moved)
        self.stability = max(s, 0.001)
        self.last_seen = now


def _clamp_difficulty(value: float) -> float:
    return min(max(value, 1.0), 10.0)


def simulate(
    schedulers: Sequence[tuple[str, SchedulerSettings]], config: SimulationConfig
) -> list[SchedulerResult]:
    """Run every student of ``config`` under each labelled scheduler."""
    results = []
    for label, settings in schedulers:
        scheduler = create(settings)
        runs = [_one_student(scheduler, config, student) for student in range(config.students)]
        reviews, minutes, retention = (
            tuple(_mean(per_day) for per_day in zip(*series, strict=True))
            for series in zip(*runs, strict=True)
        )
        results.append(SchedulerResult(label, reviews, minutes, retention))
    return results


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


Series = tuple[list[float], list[float], list[float]]


def _one_student(scheduler: Scheduler[Any], config: SimulationConfig, student: int) -> Series:
    traits = random.Random(f"{config.seed}:{student}")
    ability = math.exp(traits.gauss(0, STUDENT_ABILITY_SD))
    offsets = [traits.gauss(0, CARD_DIFFICULTY_SD) for _ in range(config.cards)]
    hours = [traits.uniform(FIRST_HOUR, LAST_HOUR) for _ in range(config.days)]
    chance = random.Random(f"{config.seed}:{student}:{scheduler.name}")
    drills_sm2 = isinstance(scheduler, Sm2Scheduler)
    origin = datetime(config.start.year, config.start.month, config.start.day, tzinfo=UTC)
    states: list[Any] = [scheduler.new_state() for _ in range(config.cards)]
    memories = [TrueMemory(ability) for _ in range(config.cards)]
    shown = 0
    reviews, minutes, retention = [], [], []
    for day_index in range(config.days):
        today = config.start + timedelta(days=day_index)
        clock = day_index * SECONDS_PER_DAY + hours[day_index] * 3600
        due = sorted(
            (card for card in range(shown) if states[card].due <= today),
            key=lambda card: (states[card].due, card),
        )[: config.reviews_per_day]
        fresh = list(range(shown, min(config.cards, shown + config.new_per_day)))
        shown += len(fresh)
        main = deque(due + fresh)
        later: list[tuple[float, int]] = []  # (due, card) for same-day scheduled returns
        drills: deque[int] = deque()
        drilled = [0] * config.cards
        answers, seconds = 0, 0.0
        while main or later or drills:
            if later and (later[0][0] <= clock or not (main or drills)):
                ready, card = heapq.heappop(later)
                clock = max(clock, ready)
                drill = False
            elif main:
                card, drill = main.popleft(), False
            else:
                card, drill = drills.popleft(), True
            memory = memories[card]
            if memory.stability == 0.0:
                rating = _pick(chance, FIRST_RATING_WEIGHTS)
                memory.first_showing(rating, offsets[card], clock)
                cost = FIRST_SECONDS
            else:
                recall = memory.recall_probability(clock)
                remembered = chance.random() < recall
                rating = _pick(chance, RECALL_RATING_WEIGHTS) + 1 if remembered else Rating.AGAIN
                memory.answer(rating, recall, clock)
                cost = ANSWER_SECONDS[Rating(rating)]
            answers += 1
            seconds += cost
            given = SM2_GRADE_FOR_RATING[Rating(rating)] if drills_sm2 else rating
            if not drill:
                now = Moment(origin + timedelta(seconds=clock))
                states[card], record = scheduler.review(states[card], given, now)
                if record.due.day <= today:
                    offset = (record.due.at - origin).total_seconds()
                    heapq.heappush(later, (offset, card))
            if scheduler.drill_again(given) and drilled[card] < MAX_DRILLS_PER_DAY:
                drilled[card] += 1
                drills.append(card)
            clock += cost
        end_of_day = (day_index + 1) * SECONDS_PER_DAY + 4 * 3600
        reviews.append(float(answers))
        minutes.append(seconds / 60)
        retention.append(
            _mean([memories[card].recall_probability(end_of_day) for card in range(shown)])
        )
    return reviews, minutes, retention


def _pick(chance: random.Random, weights: Sequence[float]) -> int:
    """A 1-based index drawn with ``weights``."""
    point = chance.random() * sum(weights)
    for index, weight in enumerate(weights, start=1):
        point -= weight
        if point < 0:
            return index
    return len(weights)
