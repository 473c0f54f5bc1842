"""Switching a card between SM-2 and FSRS keeps its progress (``conversions``)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from quizapp.scheduling import sm2
from quizapp.scheduling.base import Moment
from quizapp.scheduling.conversions import (
    MAX_CONVERTED_EASINESS,
    PastAnswer,
    from_sm2_history,
    fsrs_steps_of_sm2,
    fsrs_to_sm2,
    sm2_to_fsrs,
)
from quizapp.scheduling.day import day_start, learner_day
from quizapp.scheduling.fsrs_scheduler import FsrsPhase, FsrsScheduler, FsrsState
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler

FSRS = FsrsScheduler()
TZ = "Europe/Berlin"


def recall_after(scheduler: FsrsScheduler, stability: float, days: float) -> float:
    state = FsrsState(FsrsPhase.REVIEW, None, stability, 5.0, date(2026, 1, 1), None, None,
                      date(2026, 1, 1), 1, 1, 0)  # fmt: skip
    return scheduler.retrievability(state, Moment(day_start(date(2026, 1, 1), None)
                                                  + timedelta(days=days, hours=1)))  # fmt: skip


@pytest.mark.parametrize("retention", [0.85, 0.9, 0.95])
@pytest.mark.parametrize("interval", [1, 6, 30, 400])
def test_memory_from_sm2_recalls_at_the_assumed_retention_after_the_interval(
    retention, interval
):
    stability, difficulty = FSRS.memory_from_sm2(2.5, interval, retention)
    assert recall_after(FSRS, stability, interval) == pytest.approx(retention, abs=1e-9)
    if retention == 0.9:
        assert stability == pytest.approx(interval)
    assert 1 <= difficulty <= 10
    if 1 < difficulty < 10:  # not clamped: FSRS grows this memory on a Good recall by the ease
        assert FSRS.recall_growth(stability, difficulty, retention) == pytest.approx(2.5)
    else:
        assert retention == 0.95 and interval >= 30  # long, sure SM-2 cards: easiest FSRS has


@pytest.mark.parametrize("ease", ["1.70", "2.10", "2.50", "2.90"])
@pytest.mark.parametrize("interval", [6, 15, 40, 200, 900])
def test_round_trip_keeps_due_interval_and_ease(ease, interval):
    card = sm2.Sm2State(Decimal(ease), interval, 4, date(2026, 9, 9), 2)
    converted = sm2_to_fsrs(card, [], FSRS, tz_name=TZ)
    assert converted.phase is FsrsPhase.REVIEW
    assert (converted.due, converted.interval, converted.lapses) == (card.due, interval, 2)
    assert converted.last_review_day == card.due - timedelta(days=interval)
    assert converted.due_at == day_start(card.due, TZ)
    back = fsrs_to_sm2(converted, FSRS)
    assert (back.due, back.interval, back.lapses, back.repetitions) == (card.due, interval, 2, 2)
    if converted.difficulty > 1:
        assert back.easiness == card.easiness
    else:  # an ease FSRS cannot reach at this stability: the easiest memory it has
        assert (ease, interval) == ("2.90", 900)
        assert back.easiness < card.easiness


def test_clamped_difficulty_keeps_ease_within_sm2_bounds():
    card = sm2.Sm2State(Decimal("1.30"), 1, 1, date(2026, 9, 9), 0)
    converted = sm2_to_fsrs(card, [], FSRS)
    assert converted.difficulty == 10.0  # the hardest FSRS knows
    back = fsrs_to_sm2(converted, FSRS)
    assert sm2.MIN_EASINESS <= back.easiness <= MAX_CONVERTED_EASINESS


def sm2_history(rng: random.Random) -> tuple[sm2.Sm2State, list[PastAnswer], list[sm2.Sm2State]]:
    state = sm2.Sm2State.new()
    now = datetime(2025, 3, 1, 17, tzinfo=UTC)
    answers, states = [], []
    for _ in range(rng.randint(1, 12)):
        grade = rng.choices(range(6), [1, 1, 1, 2, 5, 3])[0]
        states.append(state)
        state = sm2.review(state, grade, learner_day(now, TZ))
        answers.append(PastAnswer(now, grade))
        now = day_start(state.due, TZ) + timedelta(hours=rng.uniform(4, 18))
    return state, answers, states


def test_whole_history_is_replayed_from_a_new_card():
    rng = random.Random(7)
    for _ in range(200):
        current, answers, _ = sm2_history(rng)
        replayed = FSRS.new_state()
        for answer in answers:
            rating = (1, 1, 1, 2, 3, 4)[answer.grade]
            replayed, _ = FSRS.review(replayed, rating, Moment(answer.at, TZ))
        kept = sm2_to_fsrs(current, list(reversed(answers)), FSRS, tz_name=TZ)
        assert (kept.stability, kept.difficulty, kept.phase) == (
            replayed.stability, replayed.difficulty, replayed.phase,
        )  # fmt: skip
        assert kept.due == current.due and kept.lapses == current.lapses
        assert kept.last_review_day == learner_day(answers[-1].at, TZ)
        moved = sm2_to_fsrs(current, answers, FSRS, tz_name=TZ, reschedule=True)
        assert moved == replayed
        assert FSRS.from_json(FSRS.to_json(kept)) == kept


def test_truncated_history_starts_from_the_sm2_state_before_it():
    rng = random.Random(11)
    checked = 0
    while checked < 100:
        current, answers, states = sm2_history(rng)
        cut = rng.randrange(len(answers))
        before = states[cut]
        if before.due is None:
            continue
        seeded = sm2_to_fsrs(current, answers[cut:], FSRS, tz_name=TZ, before_history=before)
        start = sm2_to_fsrs(before, [], FSRS, tz_name=TZ, reschedule=True)
        assert start.stability == pytest.approx(max(1, before.interval))
        replayed = start
        for answer in answers[cut:]:
            rating = (1, 1, 1, 2, 3, 4)[answer.grade]
            replayed, _ = FSRS.review(replayed, rating, Moment(answer.at, TZ))
        assert (seeded.stability, seeded.difficulty) == (replayed.stability, replayed.difficulty)
        assert seeded.due == current.due
        checked += 1


def test_new_cards_stay_new_both_ways():
    assert sm2_to_fsrs(sm2.Sm2State.new(), [], FSRS) == FSRS.new_state()
    assert fsrs_to_sm2(FSRS.new_state(), FSRS) == sm2.Sm2State.new()


def test_card_in_a_learning_step_becomes_a_failed_sm2_card():
    now = Moment(datetime(2026, 2, 2, 9, tzinfo=UTC), TZ)
    state, _ = FSRS.review(FSRS.new_state(), 1, now)
    back = fsrs_to_sm2(state, FSRS)
    assert (back.repetitions, back.interval, back.due) == (0, 1, now.day)


def test_converted_sm2_card_continues_with_interval_times_ease():
    now = Moment(datetime(2026, 2, 2, 9, tzinfo=UTC), TZ)
    state, _ = FSRS.review(FSRS.new_state(), 3, now)
    for _ in range(4):
        now = Moment(day_start(state.due, TZ) + timedelta(hours=8), TZ)
        state, _ = FSRS.review(state, 3, now)
    back = fsrs_to_sm2(state, FSRS)
    assert back.interval == FSRS.interval_for_stability(state.stability)
    after = sm2.review(back, 4, back.due)
    assert after.interval == int((back.interval * back.easiness).to_integral_value("ROUND_CEILING"))


def sm2_steps(grades: list[int]) -> list[tuple[PastAnswer, sm2.Sm2State]]:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    steps = []
    state = sm2.Sm2State.new()
    for number, grade in enumerate(grades):
        at = start + timedelta(days=3 * number, minutes=number)
        state = sm2.review(state, grade, learner_day(at, TZ))
        steps.append((PastAnswer(at, grade), state))
    return steps


def test_one_replay_gives_each_answers_state_as_converting_its_history_would():
    steps = sm2_steps([4, 3, 5, 1, 4, 4])
    replayed = fsrs_steps_of_sm2(steps, FSRS, tz_name=TZ)
    assert replayed == [
        sm2_to_fsrs(after, [answer for answer, _ in steps[: n + 1]], FSRS, tz_name=TZ)
        for n, (_, after) in enumerate(steps)
    ]
    assert [s.due for s in replayed] == [after.due for _, after in steps]  # SM-2's days kept


def test_an_sm2_history_becomes_states_of_whichever_scheduler_takes_it():
    steps = sm2_steps([4, 4, 1, 3])
    history = [answer for answer, _ in steps]
    # Anki's own schedule may differ from the replayed SM-2 one: the card keeps Anki's.
    current = replace(steps[-1][1], due=steps[-1][1].due + timedelta(days=2), lapses=3)
    afters = [after for _, after in steps]
    assert from_sm2_history(Sm2Scheduler(), current, steps, tz_name=TZ) == (current, afters)
    state, states = from_sm2_history(FSRS, current, steps, tz_name=TZ)
    assert state == sm2_to_fsrs(current, history, FSRS, tz_name=TZ)
    assert (state.due, state.lapses) == (current.due, 3)
    assert states == fsrs_steps_of_sm2(steps, FSRS, tz_name=TZ)
    assert from_sm2_history(FSRS, current, [], tz_name=TZ) == (
        sm2_to_fsrs(current, [], FSRS, tz_name=TZ), [])
