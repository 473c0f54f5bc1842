"""Hypothesis properties of the SM-2 scheduler over random grade histories."""

import json
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from quizapp.scheduling.sm2 import MIN_EASINESS, Sm2State, review
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler

grades = st.integers(min_value=0, max_value=5)
passing_grades = st.integers(min_value=3, max_value=5)
failing_grades = st.integers(min_value=0, max_value=2)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def reviewed_states(draw):
    """A state reachable from a new card by some history of grades and review days."""
    state = Sm2State.new()
    day = draw(days)
    for grade in draw(st.lists(grades, max_size=25)):
        state = review(state, grade, day)
        day = day + timedelta(days=draw(st.integers(min_value=0, max_value=400)))
    return state


@given(reviewed_states(), grades, days)
def test_easiness_never_below_floor(state, grade, today):
    assert review(state, grade, today).easiness >= MIN_EASINESS


@given(reviewed_states(), passing_grades, days)
def test_passing_never_shrinks_interval(state, grade, today):
    after = review(state, grade, today)
    assert after.interval >= state.interval
    assert after.repetitions == state.repetitions + 1


@given(reviewed_states(), failing_grades, days)
def test_failing_resets_repetitions_and_interval(state, grade, today):
    after = review(state, grade, today)
    assert after.repetitions == 0
    assert after.interval == 1
    assert after.easiness == state.easiness
    assert after.lapses == state.lapses + (1 if state.repetitions >= 1 else 0)


@given(reviewed_states(), grades, days)
def test_review_is_deterministic(state, grade, today):
    assert review(state, grade, today) == review(state, grade, today)


@given(reviewed_states(), grades, days)
def test_due_is_today_plus_interval(state, grade, today):
    after = review(state, grade, today)
    assert after.due == today + timedelta(days=after.interval)
    assert after.interval >= 1


@given(reviewed_states(), grades, days)
def test_easiness_keeps_two_decimals(state, grade, today):
    easiness = review(state, grade, today).easiness
    assert easiness == round(easiness, 2)


@given(reviewed_states())
def test_dict_round_trip_through_json(state):
    assert Sm2State.from_dict(json.loads(json.dumps(state.to_dict()))) == state


valid_states = st.builds(
    Sm2State,
    easiness=st.decimals(min_value=MIN_EASINESS, max_value=Decimal("9.99"), places=3),
    interval=st.integers(min_value=0, max_value=40_000),
    repetitions=st.integers(min_value=0, max_value=10**6),
    due=st.none() | days,
    lapses=st.integers(min_value=0, max_value=10**6),
)


@given(reviewed_states() | valid_states, grades, days)
def test_reviewed_state_passes_the_checks_it_skips(state, grade, today):
    """review builds its result without __post_init__: rebuilt through the checks, from any
    valid state (imported easiness with three decimals too), it is accepted and the same."""
    after = review(state, grade, today)
    assert type(after) is Sm2State
    assert Sm2State(**vars(after)) == after
    assert json.loads(json.dumps(after.to_dict())) == after.to_dict()


def test_new_state_is_shared_and_valid():
    assert Sm2State.new() is Sm2State.new()
    assert Sm2State(**vars(Sm2State.new())) == Sm2State.new()


@given(reviewed_states() | valid_states)
def test_json_text_is_json_dumps_of_to_json(state):
    """The answer path stores Sm2Scheduler.to_json_text, formatted by hand: byte for byte
    what json.dumps(to_json) gave, for any state (new, due, imported easiness)."""
    scheduler = Sm2Scheduler()
    assert scheduler.to_json_text(state) == json.dumps(scheduler.to_json(state))
