"""The memory model (quizapp.stats.memory) against the fsrs library, and learner days as
numbers (quizapp.stats.day_numbers) against quizapp.scheduling.day."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import fsrs
import pytest

from quizapp.scheduling.day import learner_day
from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS
from quizapp.stats.day_numbers import SECONDS_PER_DAY, day_of_number, day_shifts
from quizapp.stats.memory import (
    WEEK,
    ForgettingCurve,
    Memory,
    next_memory,
    recall_now_and_in_week,
    recall_probability,
    replay,
    replay_each,
    utc,
)

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
SEQUENCES = 600


def random_gaps(rng: random.Random, count: int) -> list[timedelta]:
    """Minutes apart (same-day repeats), hours, and days to months: every branch of FSRS."""
    kinds = [
        lambda: timedelta(minutes=rng.randint(1, 90)),
        lambda: timedelta(hours=rng.uniform(2, 30)),
        lambda: timedelta(days=rng.uniform(1, 120)),
    ]
    return [rng.choice(kinds)() for _ in range(count)]


def library_path(ratings, times, scheduler):
    """(stability, difficulty) after each review, by the library's own scheduler and card."""
    card = fsrs.Card(card_id=1)
    path = []
    for rating, at in zip(ratings, times, strict=True):
        card, _ = scheduler.review_card(card, fsrs.Rating(rating), review_datetime=at)
        path.append((card.stability, card.difficulty))
    return path


@pytest.mark.parametrize("fitted", [False, True])
def test_memory_after_each_answer_equals_the_library_on_random_sequences(fitted):
    rng = random.Random(16 + fitted)
    parameters = list(DEFAULT_PARAMETERS)
    if fitted:  # a learner's own parameters, as the fitting job would store them
        parameters[0] *= 0.6
        parameters[8] *= 1.1
        parameters[20] = 0.3
    scheduler = fsrs.Scheduler(parameters=parameters, enable_fuzzing=False)
    for _ in range(SEQUENCES // 2):
        count = rng.randint(1, 12)
        ratings = [rng.choice((1, 1, 2, 3, 3, 3, 4)) for _ in range(count)]
        times, at = [], START + timedelta(minutes=rng.randint(0, 10_000))
        for gap in random_gaps(rng, count):
            times.append(at)
            at += gap
        memory = None
        for (rating, when), expected in zip(
            zip(ratings, times, strict=True), library_path(ratings, times, scheduler),
            strict=True,
        ):
            memory = next_memory(memory, rating, when, parameters)
            assert (memory.stability, memory.difficulty) == pytest.approx(expected, rel=1e-12)
            assert memory.reviewed_at == when
        later = at + timedelta(days=rng.uniform(0, 200))
        card = fsrs.Card(card_id=1, state=fsrs.State.Review, step=None,
                         stability=memory.stability, difficulty=memory.difficulty,
                         last_review=memory.reviewed_at)
        assert recall_probability(memory, later, parameters) == pytest.approx(
            scheduler.get_card_retrievability(card, later), rel=1e-12
        )


def library_step(memory, rating, at, parameters):
    """(stability, difficulty) after one answer, by the library's ``review_card`` on a card
    carrying ``memory`` (a new card without one)."""
    card = fsrs.Card(card_id=1) if memory is None else fsrs.Card(
        card_id=1, state=fsrs.State.Review, step=None, stability=memory.stability,
        difficulty=memory.difficulty, last_review=memory.reviewed_at,
    )
    scheduler = fsrs.Scheduler(parameters=parameters, enable_fuzzing=False)
    card, _ = scheduler.review_card(card, fsrs.Rating(rating), review_datetime=at)
    return card.stability, card.difficulty


def random_parameters(rng: random.Random) -> tuple[float, ...]:
    """A parameter set anywhere within the library's bounds."""
    return tuple(
        min(max(w * rng.uniform(0.3, 2.0), low), high) for w, low, high in zip(
            DEFAULT_PARAMETERS, fsrs.scheduler.LOWER_BOUNDS_PARAMETERS,
            fsrs.scheduler.UPPER_BOUNDS_PARAMETERS, strict=True,
        )
    )


def test_each_memory_step_is_bit_for_bit_the_library_s():
    """Not approximately: the same floats, at the extremes of stability and difficulty, on
    the same day, days to decades later, and with an answer dated before the last one."""
    rng = random.Random(17)
    for parameters in (DEFAULT_PARAMETERS, *(random_parameters(rng) for _ in range(20))):
        for _ in range(500):
            at = START + timedelta(seconds=rng.uniform(0, 1e8))
            memory = None if rng.random() < 0.1 else Memory(
                rng.choice((0.001, rng.uniform(0.001, 2), rng.uniform(2, 40_000))),
                rng.choice((1.0, 10.0, rng.uniform(1, 10))),
                at - timedelta(seconds=rng.choice((rng.uniform(-1e5, 1e5), rng.uniform(0, 1e9)))),
            )
            rating = rng.randint(1, 4)
            ours = next_memory(memory, rating, at, parameters)
            assert (ours.stability, ours.difficulty) == library_step(
                memory, rating, at, parameters
            ), (memory, rating, at, parameters)


def test_a_rating_outside_1_to_4_is_refused():
    for rating in (0, 5, -1):
        with pytest.raises(ValueError):
            next_memory(None, rating, START)


def test_fitted_parameters_change_the_estimate():
    answers = [(START, 3), (START + timedelta(days=3), 3), (START + timedelta(days=12), 2)]
    default = replay(answers)
    fitted = list(DEFAULT_PARAMETERS)
    fitted[2] *= 2
    assert replay(answers, fitted).stability != default.stability


def test_recall_falls_with_time_and_is_zero_for_a_card_never_answered():
    memory = next_memory(None, 3, START)
    chances = [recall_probability(memory, START + timedelta(days=d)) for d in (0, 1, 7, 30)]
    assert chances[0] == 1.0
    assert chances == sorted(chances, reverse=True) and chances[-1] < chances[1]
    assert recall_probability(None, START) == 0.0
    # An answer dated after "now" (a skewed clock) counts as just answered.
    assert recall_probability(memory, START - timedelta(days=3)) == 1.0


@pytest.mark.parametrize("fitted", [False, True])
def test_recall_now_and_in_week_is_recall_at_both_instants_to_the_bit(fitted):
    """The pages' bulk reading (days counted once, ``now`` in UTC read once per page) gives
    the very floats of ``ForgettingCurve.recall`` at now and a week on."""
    rng = random.Random(7)
    parameters = list(DEFAULT_PARAMETERS)
    if fitted:
        parameters[20] = 0.35  # another decay, another forgetting curve
    curve = ForgettingCurve(parameters)
    berlin = timezone(timedelta(hours=1))
    for _ in range(2000):
        reviewed = START + timedelta(days=rng.uniform(-400, 30))
        if rng.random() < 0.3:
            reviewed = reviewed.replace(tzinfo=None)  # naive: taken as UTC
        memory = Memory(rng.uniform(0.01, 400), rng.uniform(1, 10), reviewed)
        now = START + timedelta(days=rng.uniform(0, 60))
        if rng.random() < 0.3:
            now = now.astimezone(berlin)
        expected = (curve.recall(memory, now), curve.recall(memory, now + WEEK))
        assert recall_now_and_in_week(memory, now, curve) == expected
        assert curve.now_and_in_week(memory, utc(now)) == expected


def test_replay_folds_fsrs_ratings_in_order():
    at = START + timedelta(days=2)
    for rating in (1, 2, 3, 4):
        assert replay([(START, 3), (at, rating)]) == next_memory(
            next_memory(None, 3, START), rating, at
        )


def test_replay_each_keeps_keys_apart_and_streams():
    rows = [("a", START, 3), ("a", START + timedelta(days=2), 1), ("b", START, 4)]
    result = dict(replay_each(iter(rows)))
    assert result["a"] == replay([(START, 3), (START + timedelta(days=2), 1)])
    assert result["b"] == replay([(START, 4)])
    assert isinstance(result["a"], Memory)


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
         "America/St_Johns", "Pacific/Chatham", "Asia/Kathmandu", "Nowhere/Unknown"]


@pytest.mark.parametrize("tz_name", ZONES)
def test_day_numbers_equal_learner_days_across_transitions(tz_name):
    rng = random.Random(tz_name)
    first = datetime(2023, 1, 1, tzinfo=UTC)
    last = datetime(2026, 6, 1, tzinfo=UTC)
    shifts = day_shifts(tz_name, first, last)
    span = int((last - first).total_seconds())
    instants = [first + timedelta(seconds=rng.randrange(span)) for _ in range(3000)]
    # Both sides of every transition, to the second.
    for until, _ in shifts[:-1]:
        edge = datetime.fromtimestamp(until, UTC)
        instants += [edge - timedelta(seconds=1), edge, edge + timedelta(seconds=1)]
    for moment in instants:
        seconds = int(moment.timestamp())
        shift = next(value for until, value in shifts if until is None or seconds < until)
        assert day_of_number((seconds + shift) // SECONDS_PER_DAY) == learner_day(
            moment, tz_name
        ), moment
