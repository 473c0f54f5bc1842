"""Switching a card between SM-2 and FSRS without losing its progress (pure).

**SM-2 → FSRS** follows what Anki does when FSRS is turned on:

1. With the card's whole history (``before_history`` is a new card), the history is replayed
   through the FSRS scheduler from a new card, each answer's SM-2 grade taken as the Anki
   button it maps to (0–2 Again, 3 Hard, 4 Good, 5 Easy).
2. With a truncated history, or none, the memory state is first estimated from the SM-2 ease
   and interval at the start of what is known (FSRS's ``memory_state_from_sm2``): stability is
   the one at which recall would have fallen to 90 % (the retention SM-2 is assumed to give)
   after that interval, and difficulty the one for which FSRS would grow that stability on a
   Good recall by the ease. The known answers are then replayed on top.
3. The card keeps its SM-2 due day (and interval, for a card in review): only the memory
   state changes until its next review, as Anki does without "reschedule cards on change".
   ``reschedule=True`` takes the replay's due day instead.

Which answers to pass: those that moved the schedule or tested recall in order (learn,
review and same-session repeat answers), not cram answers, which Anki leaves out too.

**FSRS → SM-2**: an SM-2 card in review keeps its due day; its interval is the one FSRS
gives its stability at the desired retention; its easiness is the factor by which FSRS would
grow the stability on a Good recall at that retention (the inverse of step 2), rounded to a
hundredth and kept from 1.3 to :data:`MAX_CONVERTED_EASINESS`; it continues as a card with
two successes behind it, so the next interval is interval × easiness. A card still in a
(re)learning step becomes an SM-2 card that failed its last answer (repetitions 0), due when
it was due. Lapses carry over both ways (SM-2's count is kept on the way in).

**A logged answer as an FSRS rating** (:func:`fsrs_rating_of`, for fitting personal
parameters): the one place that reads a review-log row's grade as Again/Hard/Good/Easy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from . import sm2
from .base import Moment, Scheduler
from .day import day_start
from .fsrs_scheduler import FsrsPhase, FsrsScheduler, FsrsState, rating_for_sm2_grade
from .registry import SchedulerSettings, create, scheduler_of, with_defaults
from .sm2_scheduler import Sm2Scheduler

SM2_ASSUMED_RETENTION = 0.9  # Anki's default "historical retention" for SM-2 reviews
MAX_CONVERTED_EASINESS = Decimal("5.00")
SM2_GRADUATED_REPETITIONS = 2  # past SM-2's fixed 1- and 6-day steps


@dataclass(frozen=True)
class PastAnswer:
    """One recorded SM-2 answer: when (aware) and its grade 0–5."""

    at: datetime
    grade: int


class LoggedAnswer(Protocol):
    """What :func:`fsrs_rating_of` reads of a review-log row."""

    grade: int
    scheduler: str


def fsrs_rating_of(answer: LoggedAnswer) -> int:
    """The FSRS rating (1–4) of a logged answer: FSRS's ratings are Anki's answer buttons, and
    the scheduler that logged the rating says which button it is (SM-2 grades 0–5 as Anki
    maps them)."""
    return with_defaults(answer.scheduler).anki_button(answer.grade)


def sm2_to_fsrs(
    current: sm2.Sm2State,
    history: Sequence[PastAnswer],
    scheduler: FsrsScheduler,
    *,
    tz_name: str | None = None,
    before_history: sm2.Sm2State | None = None,
    reschedule: bool = False,
) -> FsrsState:
    """The FSRS state for an SM-2 card (see the module docstring)."""
    if current.due is None:
        return scheduler.new_state()
    answers = sorted(history, key=lambda answer: answer.at)
    start = before_history or sm2.Sm2State.new()
    state = scheduler.new_state() if start.due is None else _seeded(start, scheduler, tz_name)
    for answer in answers:
        rating = rating_for_sm2_grade(answer.grade)
        state, _ = scheduler.review(state, rating, Moment(answer.at, tz_name))
    if state.is_new:  # a reviewed card whose history is empty: all we know is the SM-2 state
        state = _seeded(current, scheduler, tz_name)
    if reschedule:
        return state
    return _keeping_sm2_schedule(state, current, tz_name)


def _keeping_sm2_schedule(
    state: FsrsState, current: sm2.Sm2State, tz_name: str | None
) -> FsrsState:
    assert current.due is not None
    return replace(
        state,
        due=current.due,
        due_at=day_start(current.due, tz_name),
        interval=current.interval if state.phase is FsrsPhase.REVIEW else state.interval,
        lapses=current.lapses,
    )


def fsrs_steps_of_sm2(
    steps: Sequence[tuple[PastAnswer, sm2.Sm2State]],
    scheduler: FsrsScheduler,
    *,
    tz_name: str | None = None,
) -> list[FsrsState]:
    """For each answer of a card's whole SM-2 history (oldest first, each with the SM-2
    state it led to), the FSRS state :func:`sm2_to_fsrs` gives for the history up to it,
    in one replay rather than one per answer."""
    replayed = _replay([answer for answer, _ in steps], scheduler, tz_name)
    return [
        _keeping_sm2_schedule(state, after, tz_name)
        for state, (_, after) in zip(replayed, steps, strict=True)
    ]


def _replay(
    answers: Sequence[PastAnswer], scheduler: FsrsScheduler, tz_name: str | None
) -> list[FsrsState]:
    state = scheduler.new_state()
    states = []
    for answer in answers:
        rating = rating_for_sm2_grade(answer.grade)
        state, _ = scheduler.review(state, rating, Moment(answer.at, tz_name))
        states.append(state)
    return states


def from_sm2_history(
    target: Scheduler[Any],
    current: sm2.Sm2State,
    steps: Sequence[tuple[PastAnswer, sm2.Sm2State]],
    *,
    tz_name: str | None = None,
) -> tuple[Any, list[Any]]:
    """An SM-2 card known with its whole history (``steps`` as for
    :func:`fsrs_steps_of_sm2`) as ``target`` states: ``current``'s, and the one after each
    step. A scheduler with no conversion from SM-2 starts the card afresh."""
    if isinstance(target, Sm2Scheduler):
        return current, [after for _, after in steps]
    if isinstance(target, FsrsScheduler):
        if not steps or current.due is None:
            state = sm2_to_fsrs(current, [], target, tz_name=tz_name)
            return state, fsrs_steps_of_sm2(steps, target, tz_name=tz_name)
        replayed = _replay([answer for answer, _ in steps], target, tz_name)
        # The last replayed state is what sm2_to_fsrs reaches with the whole history.
        return _keeping_sm2_schedule(replayed[-1], current, tz_name), [
            _keeping_sm2_schedule(state, after, tz_name)
            for state, (_, after) in zip(replayed, steps, strict=True)
        ]
    return target.new_state(), [target.new_state() for _ in steps]


def _seeded(state: sm2.Sm2State, scheduler: FsrsScheduler, tz_name: str | None) -> FsrsState:
    """An FSRS card in review whose memory comes from the SM-2 ease and interval."""
    assert state.due is not None
    interval = max(1, state.interval)
    stability, difficulty = scheduler.memory_from_sm2(
        float(state.easiness), interval, SM2_ASSUMED_RETENTION
    )
    last_day = state.due - timedelta(days=interval)
    return FsrsState(
        phase=FsrsPhase.REVIEW,
        step=None,
        stability=stability,
        difficulty=difficulty,
        due=state.due,
        due_at=day_start(state.due, tz_name),
        last_review_at=day_start(last_day, tz_name),
        last_review_day=last_day,
        interval=interval,
        reps=state.repetitions,
        lapses=state.lapses,
    )


def fsrs_to_sm2(state: FsrsState, scheduler: FsrsScheduler) -> sm2.Sm2State:
    """The SM-2 state for an FSRS card (see the module docstring)."""
    if state.is_new or state.stability is None or state.difficulty is None:
        return sm2.Sm2State.new()
    growth = Decimal(f"{scheduler.ease_for_memory(state.stability, state.difficulty):.2f}")
    easiness = min(max(growth, sm2.MIN_EASINESS), MAX_CONVERTED_EASINESS)
    if state.phase is not FsrsPhase.REVIEW:
        return sm2.Sm2State(easiness, sm2.FIRST_INTERVAL_DAYS, 0, state.due, state.lapses)
    interval = min(scheduler.interval_for_stability(state.stability), sm2.MAX_INTERVAL_DAYS)
    return sm2.Sm2State(
        easiness, interval, SM2_GRADUATED_REPETITIONS, state.due, state.lapses
    )


def convert(
    stored: Mapping[str, Any],
    target: Scheduler[Any],
    settings: SchedulerSettings,
    history: Sequence[PastAnswer],
    *,
    start: Mapping[str, Any] | None = None,
    tz_name: str | None = None,
) -> Any:
    """``stored`` (a state JSON written by another scheduler) as a state of ``target``.

    ``history`` is the side's SM-2 answers since it was last under another scheduler, and
    ``start`` the state JSON it had before the first of them (None: a new card); only the way
    into FSRS uses them. A pair of schedulers with no conversion starts the side afresh.
    """
    source = scheduler_of(stored)
    fsrs_scheduler = create(replace(settings, name=FsrsScheduler.name))
    assert isinstance(fsrs_scheduler, FsrsScheduler)
    if (source, target.name) == (Sm2Scheduler.name, FsrsScheduler.name):
        before = None if start is None else _as_sm2(start, fsrs_scheduler)
        return sm2_to_fsrs(
            Sm2Scheduler().from_json(stored), history, fsrs_scheduler,
            tz_name=tz_name, before_history=before,
        )  # fmt: skip
    if (source, target.name) == (FsrsScheduler.name, Sm2Scheduler.name):
        return fsrs_to_sm2(fsrs_scheduler.from_json(stored), fsrs_scheduler)
    return target.new_state()


def _as_sm2(data: Mapping[str, Any], fsrs_scheduler: FsrsScheduler) -> sm2.Sm2State:
    if scheduler_of(data) == FsrsScheduler.name:
        return fsrs_to_sm2(fsrs_scheduler.from_json(data), fsrs_scheduler)
    return Sm2Scheduler().from_json(data)
