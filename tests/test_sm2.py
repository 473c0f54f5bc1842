"""Table tests of SM-2 against hand-worked sequences from the published algorithm."""

import math
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext

import pytest

from quizapp.scheduling.sm2 import (
    GRADE_LABELS,
    MAX_INTERVAL_DAYS,
    Sm2State,
    easiness_change,
    needs_repeat_in_session,
    review,
)

TODAY = date(2024, 3, 1)


def run(grades, state=None):
    """States after each grade, reviewing each on the day the previous one fell due."""
    state = state or Sm2State.new()
    day = TODAY
    states = []
    for grade in grades:
        state = review(state, grade, day)
        states.append(state)
        day = state.due
    return states


def test_new_card():
    state = Sm2State.new()
    assert state == Sm2State(
        easiness=Decimal("2.5"), interval=0, repetitions=0, due=None, lapses=0
    )
    assert state.is_due(date(1970, 1, 1))


@pytest.mark.parametrize(
    ("grade", "change"),
    [(5, "0.1"), (4, "0"), (3, "-0.14"), (2, "-0.32"), (1, "-0.54"), (0, "-0.8")],
)
def test_easiness_change_follows_published_formula(grade, change):
    assert easiness_change(grade) == Decimal(change)


@pytest.mark.parametrize(
    ("grades", "intervals", "easiness"),
    [
        (
            [5] * 6,
            [1, 6, 17, 48, 140, 420],
            ["2.6", "2.7", "2.8", "2.9", "3.0", "3.1"],
        ),
        # 15 × 2.5 = 37.5 and 95 × 2.5 = 237.5: halves round up.
        ([4] * 6, [1, 6, 15, 38, 95, 238], ["2.5"] * 6),
        # 6 × 2.22 = 13.32 → 14 shows ceil where half-even would give 13; EF bottoms out at 1.3.
        (
            [3] * 10,
            [1, 6, 14, 30, 59, 107, 178, 271, 374, 487],
            ["2.36", "2.22", "2.08", "1.94", "1.8", "1.66", "1.52", "1.38", "1.3", "1.3"],
        ),
        (
            [5, 4, 3, 5, 4],
            [1, 6, 16, 40, 103],
            ["2.6", "2.6", "2.46", "2.56", "2.56"],
        ),
    ],
)
def test_worked_sequences(grades, intervals, easiness):
    states = run(grades)
    assert [s.interval for s in states] == intervals
    assert [s.easiness for s in states] == [Decimal(e) for e in easiness]
    assert [s.repetitions for s in states] == list(range(1, len(grades) + 1))


def test_125_times_2_8_is_350_days_not_351():
    reached_by_reviews = run([5, 5, 5])[-1]
    assert reached_by_reviews.easiness == Decimal("2.8")
    state = replace(reached_by_reviews, interval=125)
    assert review(state, 4, TODAY).interval == 350
    # The same EF reached in binary floats lands a day late; this is why EF is a Decimal.
    assert math.ceil(125 * (2.5 + 0.1 + 0.1 + 0.1)) == 351


def test_failing_grade_restarts_repetitions_and_keeps_easiness():
    states = run([5, 5, 3, 2, 4, 4, 4])
    before_lapse, lapse, *relearn = states[2:]
    assert (before_lapse.interval, before_lapse.easiness) == (17, Decimal("2.56"))
    assert lapse.repetitions == 0
    assert lapse.interval == 1
    assert lapse.easiness == Decimal("2.56")
    assert lapse.lapses == 1
    assert [s.interval for s in relearn] == [1, 6, 16]
    assert [s.repetitions for s in relearn] == [1, 2, 3]


@pytest.mark.parametrize(
    ("grades", "lapses"),
    [
        ([0], 0),
        ([1, 2, 0], 0),
        ([3, 0], 1),
        ([3, 0, 0], 1),
        ([5, 2, 4, 1], 2),
        ([4, 4, 4, 0, 0, 3, 0], 2),
    ],
)
def test_lapses_count_failures_of_cards_once_recalled(grades, lapses):
    assert run(grades)[-1].lapses == lapses


def test_failing_a_new_card_keeps_initial_easiness():
    assert review(Sm2State.new(), 0, TODAY) == Sm2State(
        easiness=Decimal("2.5"), interval=1, repetitions=0, due=TODAY + timedelta(days=1), lapses=0
    )


def test_easiness_floor_holds():
    floored = replace(Sm2State.new(), easiness=Decimal("1.3"), interval=10, repetitions=4)
    after = review(floored, 3, TODAY)
    assert after.easiness == Decimal("1.3")
    assert after.interval == 13


def test_interval_is_capped():
    old = replace(Sm2State.new(), easiness=Decimal("2.5"), interval=20_000, repetitions=9)
    assert review(old, 5, TODAY).interval == MAX_INTERVAL_DAYS
    assert review(old, 5, TODAY).due == TODAY + timedelta(days=MAX_INTERVAL_DAYS)


def test_due_is_today_plus_interval():
    state = review(replace(Sm2State.new(), interval=6, repetitions=2), 4, TODAY)
    assert state.due == date(2024, 3, 16)
    assert not state.is_due(date(2024, 3, 15))
    assert state.is_due(date(2024, 3, 16))


def test_arithmetic_ignores_callers_decimal_context():
    state = replace(Sm2State.new(), easiness=Decimal("2.8"), interval=125, repetitions=3)
    with localcontext() as ctx:
        ctx.prec = 2
        after = review(state, 3, TODAY)
    assert after.interval == 350
    assert after.easiness == Decimal("2.66")


@pytest.mark.parametrize("grade", [-1, 6, 100, True, False, 3.0, "3", None, Decimal(4)])
def test_bad_grades_raise(grade):
    with pytest.raises(ValueError):
        review(Sm2State.new(), grade, TODAY)
    with pytest.raises(ValueError):
        needs_repeat_in_session(grade)


def test_today_must_be_a_date():
    with pytest.raises(TypeError):
        review(Sm2State.new(), 4, datetime(2024, 3, 1, 12))


@pytest.mark.parametrize(
    ("grade", "repeat"), [(0, True), (1, True), (2, True), (3, True), (4, False), (5, False)]
)
def test_needs_repeat_in_session(grade, repeat):
    assert needs_repeat_in_session(grade) is repeat


def test_grade_labels():
    assert sorted(GRADE_LABELS) == [0, 1, 2, 3, 4, 5]
    assert GRADE_LABELS[0].startswith("Blackout")
    assert GRADE_LABELS[3] == "Correct, but it took real effort"
    assert len(set(GRADE_LABELS.values())) == 6


def test_to_dict_is_json_safe():
    state = run([5, 3])[-1]
    assert state.to_dict() == {
        "easiness": "2.46",
        "interval": 6,
        "repetitions": 2,
        "due": "2024-03-08",
        "lapses": 0,
    }
    assert Sm2State.new().to_dict()["easiness"] == "2.50"
    assert Sm2State.new().to_dict()["due"] is None
    assert Sm2State.from_dict(state.to_dict()) == state


@pytest.mark.parametrize(
    "change",
    [
        {"easiness": 2.5},
        {"easiness": "easy"},
        {"easiness": "1.2"},
        {"due": "not a date"},
        {"due": 20240301},
        {"interval": -1},
        {"repetitions": "2"},
        {"lapses": None},
    ],
)
def test_from_dict_rejects_malformed_state(change):
    with pytest.raises(ValueError):
        Sm2State.from_dict({**Sm2State.new().to_dict(), **change})


def test_from_dict_rejects_missing_field():
    data = Sm2State.new().to_dict()
    del data["lapses"]
    with pytest.raises(ValueError, match="lapses"):
        Sm2State.from_dict(data)
