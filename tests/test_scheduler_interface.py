"""The scheduler interface: registry, settings, rating scales, FSRS's extras, time, JSON."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta

import pytest

from quizapp.scheduling import grading
from quizapp.scheduling.base import Due, Moment, Stage, interval_text
from quizapp.scheduling.fsrs_scheduler import (
    DEFAULT_PARAMETERS,
    FsrsPhase,
    FsrsScheduler,
    FsrsState,
    rating_for_sm2_grade,
)
from quizapp.scheduling.registry import SchedulerSettings, create, names, scheduler_of
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler

NOON = Moment(datetime(2026, 6, 1, 12, tzinfo=UTC), "Europe/Berlin")


def test_registry_builds_each_scheduler_from_settings():
    assert names() == ("sm2", "fsrs")
    assert isinstance(create(), Sm2Scheduler)
    fsrs = create(SchedulerSettings("fsrs", desired_retention=0.85, maximum_interval=400))
    assert isinstance(fsrs, FsrsScheduler)
    assert (fsrs.desired_retention, fsrs.maximum_interval) == (0.85, 400)
    with pytest.raises(ValueError, match="unknown scheduler"):
        create(SchedulerSettings("sm17"))


def test_settings_json_round_trip_and_validation():
    settings = SchedulerSettings("fsrs", desired_retention=0.93, maximum_interval=3650)
    stored = json.loads(json.dumps(settings.to_json()))
    assert SchedulerSettings.from_json(stored) == settings
    for bad in (
        {"v": 1, "name": "nope"},
        {"v": 1, "name": "fsrs", "desired_retention": 1.5},
        {"v": 1, "name": "fsrs", "desired_retention": 0.5},
        {"v": 1, "name": "fsrs", "maximum_interval": 0},
        {"v": 1, "name": "fsrs", "maximum_interval": True},
        {"v": 1, "name": "fsrs", "parameters": [1.0, 2.0]},
        {"v": 1, "name": "fsrs", "parameters": "0.2,1.2"},
        {"v": 2, "name": "sm2"},
        {"v": 1, "name": "sm2", "desired_retention": "high"},
        [],
    ):
        with pytest.raises(ValueError):
            SchedulerSettings.from_json(bad)


def test_fsrs_parameters_out_of_the_librarys_bounds_are_refused():
    with pytest.raises(ValueError):
        FsrsScheduler(parameters=(50.0,) * len(DEFAULT_PARAMETERS))


def test_fsrs_scale():
    scale = FsrsScheduler().scale
    assert scale.values == (1, 2, 3, 4)
    assert [o.label for o in scale] == ["Again", "Hard", "Good", "Easy"]
    assert [scale.for_key(k) for k in ("1", "2", "3", "4", " ")] == [1, 2, 3, 4, 3]
    assert [scale.passes(v) for v in scale.values] == [False, True, True, True]
    assert all(type(v) is int for v in scale.values)
    for bad in (0, 5, True, 2.0):
        with pytest.raises(ValueError):
            scale.check(bad)


def test_fsrs_auto_rating():
    scheduler = FsrsScheduler()
    assert scheduler.auto_rating(False, 2.0) == 1
    assert scheduler.auto_rating(False, None) == 1
    assert scheduler.auto_rating(True, grading.FAST_SECONDS) == 4
    assert scheduler.auto_rating(True, grading.FAST_SECONDS + 0.1) == 3
    assert scheduler.auto_rating(True, grading.MODERATE_SECONDS) == 3
    assert scheduler.auto_rating(True, grading.MODERATE_SECONDS + 0.1) == 2
    assert scheduler.auto_rating(True, None) == 3
    for seconds in (-1.0, math.nan):
        with pytest.raises(ValueError):
            scheduler.auto_rating(True, seconds)
    assert [rating_for_sm2_grade(g) for g in range(6)] == [1, 1, 1, 2, 3, 4]
    with pytest.raises(ValueError):
        rating_for_sm2_grade(6)


def test_fsrs_learning_comes_back_as_reviews_not_drills():
    scheduler = FsrsScheduler()
    assert not any(scheduler.drill_again(r) for r in scheduler.scale.values)
    state, record = scheduler.review(scheduler.new_state(), 1, NOON)
    assert record.due.day == NOON.day and record.interval == 0
    assert record.due.at == NOON.at + timedelta(minutes=1)
    assert scheduler.stage(state) is Stage.LEARNING
    assert interval_text(NOON, record.due) == "1 min"


def test_fsrs_stages_reps_lapses():
    scheduler = FsrsScheduler()
    state = scheduler.new_state()
    assert scheduler.stage(state) is Stage.NEW and state.due is None
    now = NOON
    state, _ = scheduler.review(state, 4, now)
    assert state.phase is FsrsPhase.REVIEW
    assert scheduler.stage(state) is (Stage.YOUNG if state.interval < 21 else Stage.MATURE)
    while state.interval < 21:
        now = Moment(datetime.combine(state.due, now.at.time(), UTC), now.tz_name)
        state, _ = scheduler.review(state, 3, now)
    assert scheduler.stage(state) is Stage.MATURE
    lapsed, record = scheduler.review(state, 1, now.after(timedelta(days=state.interval)))
    assert record.stage_before is Stage.MATURE and not record.passed
    assert lapsed.phase is FsrsPhase.RELEARNING and lapsed.lapses == 1
    assert lapsed.reps == state.reps + 1
    assert scheduler.stage(lapsed) is Stage.LEARNING


def test_fsrs_anki_schedule():
    scheduler = FsrsScheduler()
    new = scheduler.to_anki(scheduler.new_state())
    assert (new.card_type, new.queue, new.due_day, new.stability) == (0, 0, None, None)
    learning, _ = scheduler.review(scheduler.new_state(), 3, NOON)
    anki = scheduler.to_anki(learning)
    assert (anki.card_type, anki.queue, anki.due_at) == (1, 1, NOON.at + timedelta(minutes=10))
    review, _ = scheduler.review(learning, 3, NOON.after(timedelta(days=1)))
    anki = scheduler.to_anki(review)
    assert (anki.card_type, anki.queue, anki.interval, anki.due_day) == (
        2, 2, review.interval, review.due,
    )  # fmt: skip
    assert anki.stability == review.stability and anki.difficulty == review.difficulty
    assert anki.desired_retention == 0.9
    ease = scheduler.ease_for_memory(review.stability, review.difficulty)
    assert anki.factor == round(ease, 2) * 1000
    relearning, _ = scheduler.review(review, 1, NOON.after(timedelta(days=30)))
    assert scheduler.to_anki(relearning).card_type == 3


def test_fsrs_json_round_trip_and_refusals():
    scheduler = FsrsScheduler()
    state, _ = scheduler.review(scheduler.new_state(), 3, NOON)
    state, _ = scheduler.review(state, 3, NOON.after(timedelta(days=2)))
    data = json.loads(json.dumps(scheduler.to_json(state)))
    assert data["scheduler"] == "fsrs" and data["v"] == 1
    assert scheduler.from_json(data) == state
    assert scheduler.from_json(scheduler.to_json(scheduler.new_state())) == scheduler.new_state()
    for change in (
        {"v": 2},
        {"scheduler": "sm2"},
        {"stability": -1.0},
        {"stability": None},
        {"phase": 7},
        {"step": 0},
        {"reps": "3"},
        {"due_at": "2026-01-01T00:00:00"},
        {"due": 20260101},
        {"last_review_day": None},
    ):
        with pytest.raises(ValueError):
            scheduler.from_json(data | change)
    with pytest.raises(ValueError, match="missing"):
        scheduler.from_json({k: v for k, v in data.items() if k != "interval"})


def test_scheduler_of_names_the_writer():
    assert scheduler_of(FsrsScheduler().to_json(FsrsScheduler().new_state())) == "fsrs"
    assert scheduler_of({"easiness": "2.50"}) == "sm2"  # a snapshot from before the interface
    with pytest.raises(ValueError):
        scheduler_of({"scheduler": 3})


def test_moment_is_utc_and_knows_the_learner_day():
    naive = Moment(datetime(2026, 1, 1, 3, 30))
    assert naive.at.tzinfo is UTC and naive.day == date(2025, 12, 31)  # before 4 a.m.
    tokyo = Moment(datetime(2026, 1, 1, 20, tzinfo=UTC), "Asia/Tokyo")  # 05:00 on Jan 2
    assert tokyo.day == date(2026, 1, 2)
    assert tokyo.start_of(date(2026, 1, 2)) == datetime(2026, 1, 1, 19, tzinfo=UTC)
    with pytest.raises(TypeError):
        Moment(date(2026, 1, 1))  # type: ignore[arg-type]


def test_interval_text():
    def due_in(delta: timedelta) -> Due:
        at = NOON.at + delta
        return Due(NOON.day_of(at), at)

    assert interval_text(NOON, due_in(timedelta(minutes=10))) == "10 min"
    assert interval_text(NOON, due_in(timedelta(hours=3))) == "3 h"
    assert interval_text(NOON, due_in(timedelta(days=1))) == "1 d"
    assert interval_text(NOON, due_in(timedelta(days=45))) == "1.5 mo"
    assert interval_text(NOON, due_in(timedelta(days=730))) == "2 y"


def test_new_fsrs_state_validates_itself():
    with pytest.raises(ValueError):
        FsrsState(FsrsPhase.REVIEW, None, 1.0, None, None, None, None, None, 0, 0, 0)
    with pytest.raises(ValueError):
        FsrsState(FsrsPhase.REVIEW, None, 1.0, 5.0, date(2026, 1, 1), None, None, None, 0, 0, 0)
    with pytest.raises(ValueError):  # reviewed, but no memory state
        FsrsState(FsrsPhase.REVIEW, None, None, None, date(2026, 1, 1), None, None,
                  date(2026, 1, 1), 1, 1, 0)  # fmt: skip
    with pytest.raises(ValueError):  # relearning needs its step
        FsrsState(FsrsPhase.RELEARNING, None, 1.0, 5.0, date(2026, 1, 1), None, None,
                  date(2026, 1, 1), 0, 1, 0)  # fmt: skip


@pytest.mark.parametrize("scheduler", [Sm2Scheduler(), FsrsScheduler()], ids=lambda s: s.name)
def test_an_anki_button_becomes_a_rating_that_exports_as_that_button(scheduler):
    for button in (1, 2, 3, 4):
        rating = scheduler.rating_for_anki_button(button)
        assert scheduler.anki_button(rating) == button
        assert scheduler.scale.passes(rating) == (button > 1)
    assert Sm2Scheduler().rating_for_anki_button(1) == 1  # "recognised once shown"
    for nonsense in (0, 5, True):
        with pytest.raises(ValueError):
            scheduler.rating_for_anki_button(nonsense)
