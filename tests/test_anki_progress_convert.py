"""Anki's schedule columns and revlog rows as SM-2 states and review-log answers (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from quizapp.formats import ImportFailed
from quizapp.formats.anki.progress import review_of, sm2_state_of
from quizapp.formats.anki.scheduling import CardSchedule, CollectionClock, RevlogRow

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
# The app's own export: day 0 is 2000-01-01, rolling over at 4 a.m. UTC.
APP_CLOCK = CollectionClock(crt=946699200, rollover_hour=4, offset_minutes=0)


def schedule(**changes) -> CardSchedule:
    values = dict(card_id=1, note_id=1, ordinal=0, card_type=2, queue=2, due=9565,
                  interval=12, factor=2360, reps=7, lapses=1)
    values.update(changes)
    return CardSchedule(**values)


def test_day_zero_follows_the_creation_offset_and_rollover():
    assert APP_CLOCK.day_zero == date(2000, 1, 1)
    # Created in New York (UTC-5, 300 minutes west): 4 a.m. there is 9 a.m. UTC.
    new_york = CollectionClock(crt=int(datetime(2024, 5, 2, 9, tzinfo=UTC).timestamp()),
                               rollover_hour=4, offset_minutes=300)
    assert new_york.day_zero == date(2024, 5, 2)


def test_a_review_card_keeps_its_interval_ease_lapses_and_due_day():
    state = sm2_state_of(schedule(), APP_CLOCK, "UTC", NOW)
    assert state.due == date(2026, 3, 10)  # 9565 days after 2000-01-01
    assert (state.interval, state.easiness, state.repetitions, state.lapses) == (
        12, Decimal("2.36"), 2, 1)


def test_a_learning_card_is_due_on_the_learners_day_of_its_epoch_second():
    late_evening = int(datetime(2026, 3, 11, 2, 30, tzinfo=UTC).timestamp())
    state = sm2_state_of(schedule(card_type=1, queue=1, due=late_evening, interval=0,
                                  factor=0), APP_CLOCK, "UTC", NOW)
    # 2:30 a.m. is still the previous day before the 4 a.m. rollover
    assert (state.due, state.repetitions, state.easiness) == (date(2026, 3, 10), 0,
                                                              Decimal("2.5"))
    in_tokyo = sm2_state_of(schedule(card_type=1, queue=1, due=late_evening, interval=0,
                                     factor=0), APP_CLOCK, "Asia/Tokyo", NOW)
    assert in_tokyo.due == date(2026, 3, 11)


@pytest.mark.parametrize("changes", [
    {"interval": -1}, {"interval": 40_000}, {"factor": 0}, {"factor": 1299},
    {"factor": 10**9}, {"due": 10**7}, {"card_type": 7}, {"lapses": -2},
    {"due": 10**15},
])
def test_absurd_schedules_are_refused(changes):
    with pytest.raises(ImportFailed, match="refused"):
        sm2_state_of(schedule(**changes), APP_CLOCK, "UTC", NOW)


def revlog(**changes) -> RevlogRow:
    values = dict(id=int(datetime(2026, 3, 1, 9, tzinfo=UTC).timestamp() * 1000), card_id=1,
                  ease=3, interval=-600, last_interval=0, factor=0, time_ms=5000, kind=0)
    values.update(changes)
    return RevlogRow(**values)


def test_a_learning_history_becomes_learn_then_repeat_then_review():
    first = review_of(revlog(), None, "UTC", NOW)
    assert (first.phase, first.grade, first.before) == ("learn", 4, None)
    assert (first.after.repetitions, first.after.interval) == (0, 0)
    graduated = review_of(revlog(id=first.anki_id + 600_000, interval=1, factor=2500),
                          first.after, "UTC", NOW)
    assert (graduated.phase, graduated.after.repetitions, graduated.after.due) == (
        "repeat", 1, date(2026, 3, 2))
    lapse = review_of(revlog(id=first.anki_id + 86_400_000, ease=1, interval=-600,
                             factor=2300, kind=1), graduated.after, "UTC", NOW)
    assert (lapse.phase, lapse.grade, lapse.after.lapses, lapse.after.repetitions) == (
        "review", 1, 1, 0)
    assert lapse.after.easiness == Decimal("2.3")


def test_manual_reschedules_are_not_answers():
    assert review_of(revlog(kind=4, ease=0), None, "UTC", NOW) is None


@pytest.mark.parametrize("changes", [
    {"id": 5}, {"id": int(NOW.timestamp() * 1000) + 3 * 86_400_000}, {"ease": 0},
    {"ease": 5}, {"kind": 9}, {"interval": 10**9}, {"interval": -(10**12)},
    {"factor": 10**8}, {"time_ms": -1},
])
def test_absurd_reviews_are_refused(changes):
    with pytest.raises(ImportFailed, match="refused"):
        review_of(revlog(**changes), None, "UTC", NOW)
