"""A learner's progress figures, computed from card states and review history.

Pure Python: the web layer turns database rows into ``SideState`` and ``Review`` values and
passes the learner's time zone and the current instant, so every figure is reproducible.

Definitions, chosen to match what Anki shows so that learners moving over recognise them:

* Stage of a card (each card is in exactly one):
  retired if the card is retired, whatever its history; otherwise the stage its scheduler
  gives it (``Scheduler.stage``: new, learning, young below 21 days of interval, mature).
* Due today: studied, not retired, due on or before the learner's today.
* True retention: the share of reviews of already learned cards (young or mature before the
  review) that passed on their scheduler's scale (``RatingScale.passes``).
  Cram reviews are left out because they come before the card is due and would flatter it.
* Weeks are the seven-day spans ending on the learner's today, so the latest week is always
  a whole week rather than a partial ISO week.
* A study day is a learner day (rolling over at 4 a.m. local time) with at least one review,
  cram included. The current streak still counts when today has no review yet but yesterday
  has, since the learner can keep it going.
* Hardest cards: what the learner actually fails. Every failed answer counts (same-session
  repeats and cramming included, since a miss there is a miss), then lapses, then low ease
  (SM-2's easiness, or the Anki ease a scheduler's state maps to); learning cards are
  included, and a card that never gave trouble is not listed.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from quizapp.scheduling.base import Stage as ScheduleStage
from quizapp.scheduling.day import learner_day

FORECAST_DAYS = 30
HEATMAP_WEEKS = 53
RETENTION_WEEKS = 12
STUDY_TIME_DAYS = 30
HARDEST_COUNT = 10
STARTING_EASINESS = Decimal("2.5")


@dataclass(frozen=True)
class SideState:
    """One side of a card as one learner currently has it; ``due is None`` means never
    studied."""

    card_id: int
    ordinal: int
    deck_id: int
    tags: tuple[str, ...]
    stage: ScheduleStage
    easiness: Decimal
    due: date | None
    lapses: int
    retired: bool
    prompt: str


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


class Stage(StrEnum):
    NEW = "new"
    LEARNING = "learning"
    YOUNG = "young"
    MATURE = "mature"
    RETIRED = "retired"


LEARNED = frozenset({ScheduleStage.YOUNG, ScheduleStage.MATURE})


def card_stage(state: SideState) -> Stage:
    return Stage.RETIRED if state.retired else Stage(state.stage.value)


def counts_for_retention(review: Review) -> bool:
    return not review.cram and review.stage_before in LEARNED


def is_pass(review: Review) -> bool:
    return review.passed


@dataclass(frozen=True)
class StageCounts:
    new: int = 0
    learning: int = 0
    young: int = 0
    mature: int = 0
    retired: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.young + self.mature + self.retired

    @property
    def studied(self) -> int:
        """Cards that have left "new" and are still in study."""
        return self.learning + self.young + self.mature


@dataclass(frozen=True)
class Tally:
    """Retention reviews and how many of them passed."""

    reviews: int = 0
    passed: int = 0

    @property
    def retention(self) -> float | None:
        """Share passed, or None when there is nothing to measure."""
        return self.passed / self.reviews if self.reviews else None


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


@dataclass(frozen=True)
class TopicMastery:
    """Figures for one tag, over the tag's cards that are not retired."""

    tag: str
    cards: int
    studied: int
    mature: int
    tally: Tally

    @property
    def mature_share(self) -> float | None:
        return self.mature / self.cards if self.cards else None


@dataclass(frozen=True)
class HardCard:
    card_id: int
    ordinal: int
    deck_id: int
    prompt: str
    lapses: int
    easiness: Decimal
    failures: int = 0


@dataclass(frozen=True)
class ProgressFigures:
    """Every progress figure for one deck, or for all selected decks when ``deck_id`` is None."""

    deck_id: int | None
    stages: StageCounts
    due_today: int
    forecast: tuple[DayCount, ...]
    reviews_per_day: tuple[DayCount, ...]
    retention: Tally
    retention_by_week: tuple[WeekRetention, ...]
    study_time: StudyTime
    streaks: Streaks
    topics: tuple[TopicMastery, ...]
    hardest: tuple[HardCard, ...]


@dataclass(frozen=True)
class LearnerSummary:
    today: date
    overall: ProgressFigures
    decks: tuple[ProgressFigures, ...]


def heatmap_first_day(today: date) -> date:
    """The Monday that starts a calendar of ``HEATMAP_WEEKS`` weeks whose last week holds today."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(weeks=HEATMAP_WEEKS - 1)


def learner_summary(
    states: Iterable[SideState],
    reviews: Iterable[Review],
    tz_name: str | None,
    now: datetime,
    deck_ids: Collection[int] | None = None,
    hardest_count: int = HARDEST_COUNT,
) -> LearnerSummary:
    """Figures overall and per deck, limited to ``deck_ids`` when given.

    Decks are listed in id order: every deck in ``deck_ids``, or else every deck that has a
    card state or a review.
    """
    today = learner_day(now, tz_name)
    wanted = None if deck_ids is None else set(deck_ids)

    states_by_deck: dict[int, list[SideState]] = defaultdict(list)
    for state in states:
        if wanted is None or state.deck_id in wanted:
            states_by_deck[state.deck_id].append(state)

    # Reviews are read once and folded into per-day and per-card totals; every review figure
    # is then derived from those totals, which stay small however long the history is.
    activity_by_deck: dict[int, dict[date, _DayActivity]] = defaultdict(dict)
    card_retention_by_deck: dict[int, dict[int, _RetentionCount]] = defaultdict(dict)
    failures_by_deck: dict[int, Counter[tuple[int, int]]] = defaultdict(Counter)
    for review in reviews:
        if wanted is not None and review.deck_id not in wanted:
            continue
        day = learner_day(review.answered_at, tz_name)
        activity_by_day = activity_by_deck[review.deck_id]
        activity = activity_by_day.get(day)
        if activity is None:
            activity = activity_by_day[day] = _DayActivity()
        activity.reviews += 1
        activity.milliseconds += review.duration_ms
        if not is_pass(review):
            failures_by_deck[review.deck_id][review.card_id, review.ordinal] += 1
        if counts_for_retention(review):
            passed = is_pass(review)
            activity.retention.add(passed)
            card_retention = card_retention_by_deck[review.deck_id]
            count = card_retention.get(review.card_id)
            if count is None:
                count = card_retention[review.card_id] = _RetentionCount()
            count.add(passed)

    deck_order = sorted(
        wanted if wanted is not None else states_by_deck.keys() | activity_by_deck.keys()
    )
    decks = tuple(
        _figures(
            deck_id,
            states_by_deck[deck_id],
            activity_by_deck[deck_id],
            card_retention_by_deck[deck_id],
            failures_by_deck[deck_id],
            today,
            hardest_count,
        )
        for deck_id in deck_order
    )
    overall = _figures(
        None,
        [state for deck_id in deck_order for state in states_by_deck[deck_id]],
        _merge_activity(activity_by_deck[deck_id] for deck_id in deck_order),
        {
            card_id: count
            for deck_id in deck_order
            for card_id, count in card_retention_by_deck[deck_id].items()
        },
        sum((failures_by_deck[deck_id] for deck_id in deck_order), Counter()),
        today,
        hardest_count,
    )
    return LearnerSummary(today=today, overall=overall, decks=decks)


@dataclass(slots=True)
class _RetentionCount:
    reviews: int = 0
    passed: int = 0

    def add(self, passed: bool) -> None:
        self.reviews += 1
        self.passed += passed

    def merge(self, other: _RetentionCount) -> None:
        self.reviews += other.reviews
        self.passed += other.passed

    def frozen(self) -> Tally:
        return Tally(self.reviews, self.passed)


@dataclass(slots=True)
class _DayActivity:
    reviews: int = 0
    milliseconds: int = 0
    retention: _RetentionCount = field(default_factory=_RetentionCount)


def _merge_activity(per_deck: Iterable[Mapping[date, _DayActivity]]) -> dict[date, _DayActivity]:
    merged: dict[date, _DayActivity] = defaultdict(_DayActivity)
    for activity_by_day in per_deck:
        for day, activity in activity_by_day.items():
            total = merged[day]
            total.reviews += activity.reviews
            total.milliseconds += activity.milliseconds
            total.retention.merge(activity.retention)
    return dict(merged)


def _figures(
    deck_id: int | None,
    states: Sequence[SideState],
    activity_by_day: Mapping[date, _DayActivity],
    retention_by_card: Mapping[int, _RetentionCount],
    failures: Mapping[tuple[int, int], int],
    today: date,
    hardest_count: int,
) -> ProgressFigures:
    forecast = _forecast(states, today)
    overall_retention = _RetentionCount()
    for activity in activity_by_day.values():
        overall_retention.merge(activity.retention)
    return ProgressFigures(
        deck_id=deck_id,
        stages=_stage_counts(states),
        due_today=forecast[0].count,
        forecast=forecast,
        reviews_per_day=_reviews_per_day(activity_by_day, today),
        retention=overall_retention.frozen(),
        retention_by_week=_retention_by_week(activity_by_day, today),
        study_time=_study_time(activity_by_day, today),
        streaks=_streaks(activity_by_day.keys(), today),
        topics=_topics(states, retention_by_card),
        hardest=hardest_cards(states, failures, hardest_count),
    )


def _stage_counts(states: Iterable[SideState]) -> StageCounts:
    counts = Counter(card_stage(state) for state in states)
    return StageCounts(**{stage.value: counts[stage] for stage in Stage})


def _forecast(states: Iterable[SideState], today: date) -> tuple[DayCount, ...]:
    """Cards due on each of the next ``FORECAST_DAYS`` days; overdue cards count for today."""
    per_offset = [0] * FORECAST_DAYS
    for state in states:
        if state.retired or state.due is None:
            continue
        offset = max((state.due - today).days, 0)
        if offset < FORECAST_DAYS:
            per_offset[offset] += 1
    return tuple(
        DayCount(today + timedelta(days=offset), count) for offset, count in enumerate(per_offset)
    )


def _reviews_per_day(
    activity_by_day: Mapping[date, _DayActivity], today: date
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


_NO_ACTIVITY = _DayActivity()


def _activity(activity_by_day: Mapping[date, _DayActivity], day: date) -> _DayActivity:
    return activity_by_day.get(day, _NO_ACTIVITY)


def _activity_between(
    activity_by_day: Mapping[date, _DayActivity], first: date, last: date
) -> list[_DayActivity]:
    span = (last - first).days + 1
    return [_activity(activity_by_day, first + timedelta(days=n)) for n in range(span)]


def _retention_by_week(
    activity_by_day: Mapping[date, _DayActivity], today: date
) -> tuple[WeekRetention, ...]:
    """The last ``RETENTION_WEEKS`` weeks, oldest first."""
    weeks = []
    for first, last in _weeks_ending(today, RETENTION_WEEKS):
        tally = _RetentionCount()
        for activity in _activity_between(activity_by_day, first, last):
            tally.merge(activity.retention)
        weeks.append(WeekRetention(first, last, tally.frozen()))
    return tuple(weeks)


def _study_time(activity_by_day: Mapping[date, _DayActivity], today: date) -> StudyTime:
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


def _streaks(study_days: Collection[date], today: date) -> Streaks:
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


def _topics(
    states: Sequence[SideState], retention_by_card: Mapping[int, _RetentionCount]
) -> tuple[TopicMastery, ...]:
    """One entry per tag of a card still in study, alphabetical by tag."""
    cards: Counter[str] = Counter()
    studied: Counter[str] = Counter()
    mature: Counter[str] = Counter()
    retention: dict[str, _RetentionCount] = defaultdict(_RetentionCount)
    for state in states:
        if state.retired:
            continue
        stage = card_stage(state)
        card_retention = retention_by_card.get(state.card_id, _NO_ACTIVITY.retention)
        for tag in state.tags:
            cards[tag] += 1
            studied[tag] += stage is not Stage.NEW
            mature[tag] += stage is Stage.MATURE
            retention[tag].merge(card_retention)
    return tuple(
        TopicMastery(tag, cards[tag], studied[tag], mature[tag], retention[tag].frozen())
        for tag in sorted(cards)
    )


def hardest_cards(
    states: Iterable[SideState], failures: Mapping[tuple[int, int], int], count: int
) -> tuple[HardCard, ...]:
    """The sides the learner fails most: failed answers (keyed by (card id, ordinal)), then
    lapses, then lowest easiness. Sides that never gave trouble are left out, so a strong
    learner sees an empty list rather than a "hardest" list of cards they always knew."""
    troubled = (
        (failures.get((state.card_id, state.ordinal), 0), state)
        for state in states
        if not state.retired and state.due is not None
    )
    chosen = heapq.nsmallest(
        count,
        (
            (failed, state) for failed, state in troubled
            if failed or state.lapses or state.easiness < STARTING_EASINESS
        ),
        key=lambda pair: (
            -pair[0], -pair[1].lapses, pair[1].easiness, pair[1].deck_id, pair[1].card_id,
            pair[1].ordinal,
        ),
    )
    return tuple(
        HardCard(s.card_id, s.ordinal, s.deck_id, s.prompt, s.lapses, s.easiness, failed)
        for failed, s in chosen
    )
