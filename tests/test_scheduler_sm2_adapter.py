"""The SM-2 scheduler object gives exactly ``sm2.review``'s schedules, and its own extras."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from quizapp.scheduling import grading, sm2
from quizapp.scheduling.base import Moment, Stage
from quizapp.scheduling.day import day_start, learner_day
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler

SEED = 4242
SEQUENCES = 3000
ZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo"]


def test_adapter_equals_sm2_review_on_random_histories():
    rng = random.Random(SEED)
    scheduler = Sm2Scheduler()
    reviews = 0
    for _ in range(SEQUENCES):
        tz = rng.choice(ZONES)
        ours = scheduler.new_state()
        direct = sm2.Sm2State.new()
        now = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 10**6))
        for _ in range(rng.randint(1, 20)):
            grade = rng.choices(range(6), [1, 1, 1, 3, 4, 5])[0]
            stage_before = scheduler.stage(ours)
            interval_before = ours.interval
            ours, record = scheduler.review(ours, grade, Moment(now, tz))
            direct = sm2.review(direct, grade, learner_day(now, tz))
            assert ours == direct
            assert record.due.day == direct.due
            assert record.due.at == day_start(direct.due, tz)
            assert record.interval == direct.interval
            assert record.interval_before == interval_before
            assert record.stage_before is stage_before
            assert record.passed is (grade >= sm2.PASSING_GRADE)
            assert record.day == learner_day(now, tz)
            reviews += 1
            now += timedelta(hours=rng.uniform(1, 24 * 200))
    assert reviews > SEQUENCES * 5


def test_preview_is_review_for_every_grade():
    scheduler = Sm2Scheduler()
    state = sm2.Sm2State(Decimal("2.36"), 15, 3, date(2026, 2, 1), 1)
    now = Moment(datetime(2026, 2, 3, 10, tzinfo=UTC))
    preview = scheduler.preview(state, now)
    assert sorted(preview) == [0, 1, 2, 3, 4, 5]
    for grade, due in preview.items():
        assert due.day == sm2.review(state, grade, now.day).due
    assert preview[1].day == now.day + timedelta(days=1)
    assert preview[4].day == now.day + timedelta(days=36)  # 15 x 2.36 = 35.4, rounded up


def test_preview_is_each_reviews_due_on_random_states():
    """The preview skips the review records; its due days and instants are still theirs."""
    rng = random.Random(SEED)
    scheduler = Sm2Scheduler()
    state = scheduler.new_state()
    now = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(SEQUENCES):
        moment = Moment(now, rng.choice(ZONES))
        expected = {grade: scheduler.review(state, grade, moment)[1].due
                    for grade in scheduler.scale.values}
        assert scheduler.preview(state, moment) == expected
        state, _ = scheduler.review(state, rng.choices(range(6), [1, 1, 1, 3, 4, 5])[0], moment)
        now += timedelta(hours=rng.uniform(1, 24 * 200))


@pytest.mark.parametrize("grade", [True, 6, -1, 3.0, "4", None])
def test_review_refuses_what_is_not_a_grade(grade):
    with pytest.raises(ValueError):
        Sm2Scheduler().review(sm2.Sm2State.new(), grade, Moment(datetime(2026, 1, 1)))


def test_scale_is_sm2_grades_with_their_labels_and_keys():
    scale = Sm2Scheduler().scale
    assert scale.values == (0, 1, 2, 3, 4, 5)
    assert [option.description for option in scale] == [sm2.GRADE_LABELS[g] for g in range(6)]
    assert [option.passing for option in scale] == [False, False, False, True, True, True]
    assert scale.for_key("Enter") == 4
    assert scale.for_key("0") == 0 and scale.for_key("5") == 5
    assert scale.for_key(" ") is None


def test_auto_rating_is_todays_mapping():
    scheduler = Sm2Scheduler()
    for correct in (True, False):
        for seconds in (None, 0.0, 3.5, 8.0, 8.01, 20.0, 20.5, 600.0):
            assert scheduler.auto_rating(correct, seconds) == grading.mcq_grade(correct, seconds)
    with pytest.raises(ValueError):
        scheduler.auto_rating(True, -1.0)


def test_drill_again_below_four():
    scheduler = Sm2Scheduler()
    assert [scheduler.drill_again(g) for g in range(6)] == [True] * 4 + [False] * 2


def progress_page_stage(state: sm2.Sm2State) -> Stage:
    """The rule the progress pages applied to SM-2's columns before the interface."""
    if state.due is None:
        return Stage.NEW
    if state.repetitions == 0 or state.interval < 1:
        return Stage.LEARNING
    return Stage.YOUNG if state.interval < 21 else Stage.MATURE


def test_stages_match_the_progress_pages_rules():
    scheduler = Sm2Scheduler()
    rng = random.Random(SEED)
    seen = set()
    for _ in range(500):
        state = sm2.Sm2State(
            Decimal("2.5"),
            rng.choice([0, 1, 6, 20, 21, 100]),
            rng.choice([0, 1, 2, 5]),
            rng.choice([None, date(2026, 1, 1)]),
            0,
        )
        stage = scheduler.stage(state)
        assert stage is progress_page_stage(state)
        seen.add(stage)
    assert seen == set(Stage)


def test_anki_schedule():
    scheduler = Sm2Scheduler()
    new = scheduler.to_anki(scheduler.new_state())
    assert (new.card_type, new.queue, new.due_day, new.factor) == (0, 0, None, 2500)
    state = sm2.Sm2State(Decimal("1.94"), 0, 0, date(2026, 3, 3), 2)
    anki = scheduler.to_anki(state)
    assert (anki.card_type, anki.queue, anki.interval, anki.factor) == (2, 2, 1, 1940)
    assert (anki.due_day, anki.lapses, anki.stability) == (date(2026, 3, 3), 2, None)


def test_json_round_trip_and_legacy_snapshots():
    scheduler = Sm2Scheduler()
    state = sm2.Sm2State(Decimal("2.18"), 6, 2, date(2026, 4, 1), 1)
    data = scheduler.to_json(state)
    assert data["scheduler"] == "sm2" and data["v"] == 1
    assert scheduler.from_json(data) == state
    legacy = state.to_dict() | {"last_review_at": None}  # what review logs hold today
    assert scheduler.from_json(legacy) == state


@pytest.mark.parametrize(
    "data",
    [
        {"scheduler": "fsrs", "v": 1},
        {"scheduler": "sm2", "v": 2, "easiness": "2.5", "interval": 0, "repetitions": 0,
         "due": None, "lapses": 0},
        {"scheduler": "sm2", "v": 1, "easiness": 2.5, "interval": 0, "repetitions": 0,
         "due": None, "lapses": 0},
        {"scheduler": "sm2", "v": 1},
        ["sm2"],
    ],
)  # fmt: skip
def test_json_refuses_foreign_or_malformed(data):
    with pytest.raises(ValueError):
        Sm2Scheduler().from_json(data)
