"""A learner's review history folded into per-day and per-card totals, and the figures drawn
from them (reviews per day, weekly retention, study time, streaks).

Pure Python. The totals are small however long the history is (a few hundred days, a few
thousand cards), so they can be built in Python from reviews (:func:`fold_reviews`) or read
already summed from the database; every figure is derived from them alone. The definitions
of retention, weeks and streaks are in :mod:`quizapp.stats.learner`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from quizapp.scheduling.base import Stage
from quizapp.scheduling.day import learner_day

HEATMAP_WEEKS = 53
RETENTION_WEEKS = 12
STUDY_TIME_DAYS = 30


class Review(NamedTuple):
    """One answer; the ``*_before`` fields are the card's scheduling state when it was shown.

    A named tuple rather than a frozen dataclass: a year of history is 100,000 of these, and
    a tuple is built several times faster.
    """

    card_id: int
    ordinal: int
    deck_id: int
    answered_at: datetime
    passed: bool
    duration_ms: int
    stage_before: str  # a scheduling.base.Stage
    interval_before: int
    cram: bool = False


# Stages of a learned card: what a review of it says about retention.
LEARNED = frozenset({Stage.YOUNG, Stage.MATURE})


def counts_for_retention(review: Review) -> bool:
    return not review.cram and review.stage_before in LEARNED


def is_pass(review: Review) -> bool:
    return review.passed


@dataclass(frozen=True)
class Tally:
    """Retention reviews and how many of them passed."""

    reviews: int = 0
    passed: int = 0

    @property
    def retention(self) -> float | None:
        """Share passed, or None when there is nothing to measure."""
        return self.passed / self.reviews if self.reviews else None


@dataclass(slots=True)
class RetentionCount:
    reviews: int = 0
    passed: int = 0

    def add(self, passed: bool) -> None:
        self.reviews += 1
        self.passed += passed

    def merge(self, other: RetentionCount) -> None:
        self.reviews += other.reviews
        self.passed += other.passed

    def frozen(self) -> Tally:
        return Tally(self.reviews, self.passed)


@dataclass(slots=True)
class DayActivity:
    reviews: int = 0
    milliseconds: int = 0
    retention: RetentionCount = field(default_factory=RetentionCount)


@dataclass
class DeckHistory:
    """One deck's history in totals: per learner day, retention per card id, and failed
    answers per (card id, ordinal)."""

    days: dict[date, DayActivity] = field(default_factory=dict)
    retention_by_card: dict[int, RetentionCount] = field(default_factory=dict)
    failures: Counter[tuple[int, int]] = field(default_factory=Counter)

    def day(self, day: date) -> DayActivity:
        activity = self.days.get(day)
        if activity is None:
            activity = self.days[day] = DayActivity()
        return activity

    def card(self, card_id: int) -> RetentionCount:
        count = self.retention_by_card.get(card_id)
        if count is None:
            count = self.retention_by_card[card_id] = RetentionCount()
        return count

    def add_days(self, other: DeckHistory) -> None:
        """Add ``other``'s per-day totals to this history's."""
        for day, activity in other.days.items():
            total = self.day(day)
            total.reviews += activity.reviews
            total.milliseconds += activity.milliseconds
            total.retention.merge(activity.retention)


def fold_reviews(
    reviews: Iterable[Review], tz_name: str | None, wanted: Collection[int] | None = None
) -> dict[int, DeckHistory]:
    """Totals per deck, for the decks in ``wanted`` (every deck when None)."""
    histories: dict[int, DeckHistory] = defaultdict(DeckHistory)
    for review in reviews:
        if wanted is not None and review.deck_id not in wanted:
            continue
        history = histories[review.deck_id]
        activity = history.day(learner_day(review.answered_at, tz_name))
        activity.reviews += 1
        activity.milliseconds += review.duration_ms
        passed = is_pass(review)
        if not passed:
            history.failures[review.card_id, review.ordinal] += 1
        if counts_for_retention(review):
            activity.retention.add(passed)
            history.card(review.card_id).add(passed)
    return dict(histories)


def merge_histories(histories: Iterable[DeckHistory]) -> DeckHistory:
    merged = DeckHistory()
    for history in histories:
        merged.add_days(history)
        for card_id, count in history.retention_by_card.items():
            merged.card(card_id).merge(count)
        merged.failures.update(history.failures)
    return merged


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class DayDuration:
    day: date
    milliseconds: int


@dataclass(frozen=True)
class WeekRetention:
    first_day: date
    last_day: date
    tally: Tally


@dataclass(frozen=True)
class WeekDuration:
    first_day: date
    last_day: date
    milliseconds: int


@dataclass(frozen=True)
class StudyTime:
    total_ms: int
    per_day: tuple[DayDuration, ...]
    per_week: tuple[WeekDuration, ...]


@dataclass(frozen=True)
class Streaks:
    current: int
    longest: int
    studied_today: bool


def heatmap_first_day(today: date) -> date:
    """The Monday that starts a calendar of ``HEATMAP_WEEKS`` weeks whose last week holds today."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(weeks=HEATMAP_WEEKS - 1)


def overall_retention(activity_by_day: Mapping[date, DayActivity]) -> Tally:
    total = RetentionCount()
    for activity in activity_by_day.values():
        total.merge(activity.retention)
    return total.frozen()


def reviews_per_day(
    activity_by_day: Mapping[date, DayActivity], today: date
) -> tuple[DayCount, ...]:
    """One entry per day from ``heatmap_first_day(today)`` through today, zero days included."""
    days = _days_ending(today, (today - heatmap_first_day(today)).days + 1)
    return tuple(DayCount(day, _activity(activity_by_day, day).reviews) for day in days)


def _days_ending(today: date, count: int) -> list[date]:
    """The ``count`` days up to and including today, oldest first."""
    return [today - timedelta(days=days_ago) for days_ago in reversed(range(count))]


def _weeks_ending(today: date, count: int) -> list[tuple[date, date]]:
    """First and last day of the ``count`` seven-day weeks ending today, oldest first."""
    return [
        (today - timedelta(days=7 * weeks_ago + 6), today - timedelta(days=7 * weeks_ago))
        for weeks_ago in reversed(range(count))
    ]


_NO_ACTIVITY = DayActivity()
NO_RETENTION = _NO_ACTIVITY.retention


def _activity(activity_by_day: Mapping[date, DayActivity], day: date) -> DayActivity:
    return activity_by_day.get(day, _NO_ACTIVITY)


def _activity_between(
    activity_by_day: Mapping[date, DayActivity], first: date, last: date
) -> list[DayActivity]:
    span = (last - first).days + 1
    return [_activity(activity_by_day, first + timedelta(days=n)) for n in range(span)]


def retention_by_week(
    activity_by_day: Mapping[date, DayActivity], today: date
) -> tuple[WeekRetention, ...]:
    """The last ``RETENTION_WEEKS`` weeks, oldest first."""
    weeks = []
    for first, last in _weeks_ending(today, RETENTION_WEEKS):
        tally = RetentionCount()
        for activity in _activity_between(activity_by_day, first, last):
            tally.merge(activity.retention)
        weeks.append(WeekRetention(first, last, tally.frozen()))
    return tuple(weeks)


def study_time(activity_by_day: Mapping[date, DayActivity], today: date) -> StudyTime:
    """All-time total, plus the last ``STUDY_TIME_DAYS`` days and ``RETENTION_WEEKS`` weeks."""
    return StudyTime(
        total_ms=sum(activity.milliseconds for activity in activity_by_day.values()),
        per_day=tuple(
            DayDuration(day, _activity(activity_by_day, day).milliseconds)
            for day in _days_ending(today, STUDY_TIME_DAYS)
        ),
        per_week=tuple(
            WeekDuration(
                first,
                last,
                sum(a.milliseconds for a in _activity_between(activity_by_day, first, last)),
            )
            for first, last in _weeks_ending(today, RETENTION_WEEKS)
        ),
    )


def streaks(study_days: Collection[date], today: date) -> Streaks:
    # A review dated after today can only come from a skewed clock; it must not extend a streak.
    past_days = sorted(day for day in study_days if day <= today)
    longest = run = 0
    previous: date | None = None
    for day in past_days:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day

    studied_today = today in study_days
    current = 0
    day = today if studied_today else today - timedelta(days=1)
    while day in study_days:
        current += 1
        day -= timedelta(days=1)
    return Streaks(current=current, longest=longest, studied_today=studied_today)
