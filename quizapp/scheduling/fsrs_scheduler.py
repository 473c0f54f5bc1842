"""FSRS behind the :class:`~quizapp.scheduling.base.Scheduler` interface, computed by the
``fsrs`` package (py-fsrs, pinned in ``constraints.txt``).

Every stability, difficulty, phase, step and due instant is the library's own
``Scheduler.review_card`` result (a differential test replays thousands of random histories
through both). The adapter adds only what the app needs around it:

* **Learner days.** Elapsed time between reviews is counted in the learner's days (4 a.m.
  rollover), as Anki does, not in 24-hour periods: a card reviewed at 23:00 and again at 08:00
  the next day is one day old. The library is handed a last-review instant exactly that many
  whole days before now, so its elapsed-days count equals the learner's.
* **Due day.** A card in review is due ``interval`` learner days after the review day; a card
  in a learning step (1 and 10 minutes, relearning 10 minutes: the library's and Anki's
  defaults) is due on the learner day its due instant falls in, usually today.
* **No fuzz.** Intervals are not randomly spread, so ``preview`` equals ``review`` and an
  undone answer is recomputed identically.
* **Counts** the library does not keep: ``reps`` (answers) and ``lapses`` (Again on a card
  in review).
* **Ratings** Again/Hard/Good/Easy = 1–4, keys 1–4, Space = Good. Again fails. Auto-graded
  answers: ``grading.mcq_grade``'s SM-2 grade mapped as Anki maps answer buttons, so wrong →
  Again, right within 8 s → Easy, within 20 s → Good, slower → Hard, unknown time → Good.
* **Stages**: new until the first review; learning in a (re)learning step; then young below 21
  days of interval, mature from 21 days.
* **Anki**: review cards carry ``ivl``, the due day, and ``factor`` from the ease equivalent of
  the memory state (:meth:`FsrsScheduler.ease_for_memory`); learning cards are Anki learning
  (1) or relearning (3) cards in the intraday queue, or the day queue when due on a later day.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import IntEnum
from typing import Any

import fsrs

from . import grading, sm2
from .base import (
    ANKI_DAY_LEARNING_QUEUE,
    ANKI_LEARNING,
    ANKI_NEW,
    ANKI_RELEARNING,
    ANKI_REVIEW,
    AnkiSchedule,
    Due,
    JsonObject,
    Moment,
    RatingOption,
    RatingScale,
    ReviewRecord,
    Scheduler,
    Stage,
    stage_for_interval,
)
from .json_fields import (
    date_or_none,
    instant_or_none,
    iso_or_none,
    number_or_none,
    whole_number,
)
from .sm2_scheduler import anki_button_for_grade, anki_factor

FSRS_JSON_VERSION = 1
DEFAULT_DESIRED_RETENTION = 0.9
MIN_DESIRED_RETENTION = 0.7
MAX_DESIRED_RETENTION = 0.99
DEFAULT_MAXIMUM_INTERVAL = sm2.MAX_INTERVAL_DAYS
DEFAULT_PARAMETERS: tuple[float, ...] = tuple(fsrs.scheduler.DEFAULT_PARAMETERS)


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


FSRS_SCALE = RatingScale(
    (
        RatingOption(int(Rating.AGAIN), "Again", "Forgot it", ("1",), passing=False),
        RatingOption(int(Rating.HARD), "Hard", "Recalled with serious difficulty", ("2",), True),
        RatingOption(int(Rating.GOOD), "Good", "Recalled after some thought", ("3", " "), True),
        RatingOption(int(Rating.EASY), "Easy", "Recalled at once", ("4",), passing=True),
    )
)


def rating_for_sm2_grade(grade: int) -> Rating:
    """An SM-2 grade as an Anki/FSRS button: 0–2 Again, 3 Hard, 4 Good, 5 Easy."""
    return Rating(anki_button_for_grade(grade))


class FsrsPhase(IntEnum):
    """The library's card states, by the same numbers."""

    LEARNING = int(fsrs.State.Learning)
    REVIEW = int(fsrs.State.Review)
    RELEARNING = int(fsrs.State.Relearning)


@dataclass(frozen=True)
class FsrsState:
    """A card's FSRS schedule. ``last_review_day is None`` means never studied."""

    phase: FsrsPhase
    step: int | None
    stability: float | None
    difficulty: float | None
    due: date | None
    due_at: datetime | None
    last_review_at: datetime | None
    last_review_day: date | None
    interval: int
    reps: int
    lapses: int

    def __post_init__(self) -> None:
        if not isinstance(self.phase, FsrsPhase):
            raise ValueError(f"phase must be a FsrsPhase, got {self.phase!r}")
        memory = (self.stability, self.difficulty)
        if (memory[0] is None) != (memory[1] is None):
            raise ValueError("stability and difficulty are both set or both missing")
        for value in memory:
            if value is not None and (
                not isinstance(value, float) or not math.isfinite(value) or value <= 0
            ):
                raise ValueError(f"memory values must be positive finite floats, got {value!r}")
        for name in ("interval", "reps", "lapses"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        if self.step is not None and (isinstance(self.step, bool) or self.step < 0):
            raise ValueError(f"step must be a non-negative int or None, got {self.step!r}")
        reviewed = (self.last_review_day is not None, self.due is not None, memory[0] is not None)
        if len(set(reviewed)) != 1:
            raise ValueError("a reviewed card has a due day, a last review day and a memory state")
        if (self.phase is FsrsPhase.REVIEW) != (self.step is None):
            raise ValueError("a card has a step exactly when it is in a (re)learning phase")

    @property
    def is_new(self) -> bool:
        return self.last_review_day is None


class FsrsScheduler(Scheduler[FsrsState]):
    name = "fsrs"
    label = "FSRS"
    scale = FSRS_SCALE

    def __init__(
        self,
        *,
        desired_retention: float = DEFAULT_DESIRED_RETENTION,
        maximum_interval: int = DEFAULT_MAXIMUM_INTERVAL,
        parameters: Sequence[float] = DEFAULT_PARAMETERS,
    ) -> None:
        if isinstance(desired_retention, bool) or not isinstance(desired_retention, int | float):
            raise ValueError(f"desired retention must be a number, got {desired_retention!r}")
        if not MIN_DESIRED_RETENTION <= desired_retention <= MAX_DESIRED_RETENTION:
            raise ValueError(
                f"desired retention must be from {MIN_DESIRED_RETENTION} to "
                f"{MAX_DESIRED_RETENTION}, got {desired_retention}"
            )
        if (
            isinstance(maximum_interval, bool)
            or not isinstance(maximum_interval, int)
            or not 1 <= maximum_interval <= sm2.MAX_INTERVAL_DAYS
        ):
            raise ValueError(
                f"maximum interval must be 1 to {sm2.MAX_INTERVAL_DAYS} days, got "
                f"{maximum_interval!r}"
            )
        self.desired_retention = float(desired_retention)
        self.maximum_interval = maximum_interval
        self.parameters = tuple(float(w) for w in parameters)
        self.library = fsrs.Scheduler(
            parameters=self.parameters,  # the library checks count and bounds
            desired_retention=self.desired_retention,
            maximum_interval=maximum_interval,
            enable_fuzzing=False,
        )
        self._decay = -self.parameters[20]
        self._factor = 0.9 ** (1 / self._decay) - 1

    def new_state(self) -> FsrsState:
        return FsrsState(FsrsPhase.LEARNING, 0, None, None, None, None, None, None, 0, 0, 0)

    def library_card(self, state: FsrsState, now: Moment) -> fsrs.Card:
        """The library's card for ``state``, its last review set ``now``'s learner days back."""
        last_review = None
        if state.last_review_day is not None:
            elapsed_days = max(0, (now.day - state.last_review_day).days)
            last_review = now.at - timedelta(days=elapsed_days)
        return fsrs.Card(
            card_id=0,  # without an id the library sleeps a millisecond to make one
            state=fsrs.State(int(state.phase)),
            step=state.step,
            stability=state.stability,
            difficulty=state.difficulty,
            due=state.due_at or now.at,
            last_review=last_review,
        )

    def review(self, state: FsrsState, rating: int, now: Moment) -> tuple[FsrsState, ReviewRecord]:
        rating = self.scale.check(rating)
        today = now.day
        card, _ = self.library.review_card(
            self.library_card(state, now), fsrs.Rating(rating), review_datetime=now.at
        )
        phase = FsrsPhase(int(card.state))
        if phase is FsrsPhase.REVIEW:
            interval = (card.due - now.at).days
            due_day = today + timedelta(days=interval)
        else:
            interval = 0
            due_day = now.day_of(card.due)
        lapsed = state.phase is FsrsPhase.REVIEW and rating == Rating.AGAIN
        after = FsrsState(
            phase=phase,
            step=card.step,
            stability=_as_float(card.stability),
            difficulty=_as_float(card.difficulty),
            due=due_day,
            due_at=card.due,
            last_review_at=now.at,
            last_review_day=today,
            interval=interval,
            reps=state.reps + 1,
            lapses=state.lapses + int(lapsed),
        )
        record = ReviewRecord(
            rating=rating,
            reviewed_at=now.at,
            day=today,
            stage_before=self.stage(state),
            interval_before=state.interval,
            interval=interval,
            due=Due(due_day, card.due),
            passed=self.scale.passes(rating),
        )
        return after, record

    def stage(self, state: FsrsState) -> Stage:
        if state.is_new:
            return Stage.NEW
        if state.phase is not FsrsPhase.REVIEW:
            return Stage.LEARNING
        return stage_for_interval(state.interval)

    def retrievability(self, state: FsrsState, now: Moment) -> float:
        """The model's probability of recall at ``now`` (0 for a card never studied)."""
        if state.stability is None or state.last_review_day is None:
            return 0.0
        elapsed = max(0, (now.day - state.last_review_day).days)
        return float((1 + self._factor * elapsed / state.stability) ** self._decay)

    # -- memory state <-> SM-2 ease and interval (Anki's documented conversion) --------------

    def interval_for_stability(self, stability: float, retention: float | None = None) -> int:
        """Days until recall falls to ``retention`` (default: desired), as the library rounds
        them: at least 1, at most the maximum interval."""
        target = self.desired_retention if retention is None else retention
        days: float = stability / self._factor * (target ** (1 / self._decay) - 1)
        return min(max(round(days), 1), self.maximum_interval)

    def stability_for_interval(self, interval: float, retention: float) -> float:
        """The stability at which recall falls to ``retention`` after ``interval`` days."""
        stability = max(interval, fsrs.scheduler.STABILITY_MIN) * self._factor
        return float(stability / (retention ** (1 / self._decay) - 1))

    def recall_growth(self, stability: float, difficulty: float, retention: float) -> float:
        """FSRS's stability increase for a Good recall at ``retention`` (SM-2's ease)."""
        w = self.parameters
        return float(
            1
            + math.exp(w[8])
            * (11 - difficulty)
            * stability ** -w[9]
            * math.expm1((1 - retention) * w[10])
        )

    def memory_from_sm2(
        self, ease: float, interval: float, retention: float = DEFAULT_DESIRED_RETENTION
    ) -> tuple[float, float]:
        """(stability, difficulty) for an SM-2 card whose ease and interval gave ``retention``:
        stability makes recall fall to ``retention`` after ``interval`` days; difficulty makes
        FSRS's growth on a Good recall at that point equal to the ease."""
        stability = self.stability_for_interval(interval, retention)
        w = self.parameters
        per_difficulty = math.exp(w[8]) * stability ** -w[9] * math.expm1((1 - retention) * w[10])
        difficulty = 11 - (ease - 1) / per_difficulty
        return stability, min(max(difficulty, fsrs.scheduler.MIN_DIFFICULTY), 10.0)

    def ease_for_memory(self, stability: float, difficulty: float) -> float:
        """The SM-2 ease equivalent to a memory state at the desired retention (inverse of
        :meth:`memory_from_sm2`'s difficulty)."""
        return self.recall_growth(stability, difficulty, self.desired_retention)

    # -- export and storage -----------------------------------------------------------------

    def to_anki(self, state: FsrsState) -> AnkiSchedule:
        if state.is_new or state.stability is None or state.difficulty is None:
            return AnkiSchedule(ANKI_NEW, ANKI_NEW, 0, 2500, None, None, state.lapses)
        ease = max(float(sm2.MIN_EASINESS), self.ease_for_memory(state.stability, state.difficulty))
        factor = anki_factor(Decimal(f"{ease:.2f}"))
        memory = {
            "stability": state.stability,
            "difficulty": state.difficulty,
            "desired_retention": self.desired_retention,
        }
        if state.phase is FsrsPhase.REVIEW:
            return AnkiSchedule(
                ANKI_REVIEW, ANKI_REVIEW, state.interval, factor, state.due, None, state.lapses,
                **memory,
            )  # fmt: skip
        card_type = ANKI_LEARNING if state.phase is FsrsPhase.LEARNING else ANKI_RELEARNING
        intraday = state.due == state.last_review_day
        return AnkiSchedule(
            card_type,
            ANKI_LEARNING if intraday else ANKI_DAY_LEARNING_QUEUE,
            max(1, state.interval) if card_type == ANKI_RELEARNING else 0,
            factor,
            None if intraday else state.due,
            state.due_at if intraday else None,
            state.lapses,
            **memory,
        )

    def to_json(self, state: FsrsState) -> JsonObject:
        return {
            "scheduler": self.name,
            "v": FSRS_JSON_VERSION,
            "phase": int(state.phase),
            "step": state.step,
            "stability": state.stability,
            "difficulty": state.difficulty,
            "due": iso_or_none(state.due),
            "due_at": iso_or_none(state.due_at),
            "last_review_at": iso_or_none(state.last_review_at),
            "last_review_day": iso_or_none(state.last_review_day),
            "interval": state.interval,
            "reps": state.reps,
            "lapses": state.lapses,
        }

    def from_json(self, data: Mapping[str, Any]) -> FsrsState:
        self._checked_json(data, FSRS_JSON_VERSION)
        try:
            return FsrsState(
                phase=FsrsPhase(whole_number(data["phase"])),
                step=None if data["step"] is None else whole_number(data["step"]),
                stability=number_or_none(data["stability"]),
                difficulty=number_or_none(data["difficulty"]),
                due=date_or_none(data["due"]),
                due_at=instant_or_none(data["due_at"]),
                last_review_at=instant_or_none(data["last_review_at"]),
                last_review_day=date_or_none(data["last_review_day"]),
                interval=whole_number(data["interval"]),
                reps=whole_number(data["reps"]),
                lapses=whole_number(data["lapses"]),
            )
        except KeyError as missing:
            raise ValueError(f"FSRS state is missing {missing}") from None

    def auto_rating(self, correct: bool, seconds: float | None) -> int:
        return int(rating_for_sm2_grade(grading.mcq_grade(correct, seconds)))

    def anki_button(self, rating: int) -> int:
        return self.scale.check(rating)  # FSRS's ratings are Anki's buttons

    def rating_for_anki_button(self, button: int) -> int:
        return self.scale.check(button)

    def drill_again(self, rating: int) -> bool:
        # Again and Hard put the card into a learning step due within minutes: it comes back
        # as a real, scheduled review, so no unscheduled drill is needed.
        self.scale.check(rating)
        return False


def _as_float(value: float | None) -> float | None:
    return None if value is None else float(value)
