from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS
from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler
from quizapp.stats import learner
from quizapp.stats.activity import fold_reviews, merge_histories
from quizapp.stats.learner import (
    HardCard,
    Review,
    SideState,
    Stage,
    StageCounts,
    Streaks,
    Tally,
    card_stage,
    heatmap_first_day,
    learner_summary,
)
from quizapp.stats.memory import Memory
from quizapp.stats.topics import topic_figures

# A Wednesday evening in UTC; the learner's today is 2025-03-12.
NOW = datetime(2025, 3, 12, 20, 0, tzinfo=UTC)
TODAY = date(2025, 3, 12)


def card(
    card_id,
    *,
    deck_id=1,
    due=None,
    repetitions=0,
    interval=0,
    easiness="2.5",
    lapses=0,
    retired=False,
    tags=(),
):
    sm2_state = Sm2State(Decimal(easiness), interval, repetitions, due, lapses)
    return SideState(
        card_id=card_id,
        ordinal=card_id,
        deck_id=deck_id,
        tags=tags,
        stage=Sm2Scheduler().stage(sm2_state),
        easiness=Decimal(easiness),
        due=due,
        lapses=lapses,
        retired=retired,
        prompt=f"prompt {card_id}",
    )


def review(
    answered_at,
    *,
    grade=4,
    card_id=1,
    deck_id=1,
    learned=True,
    cram=False,
    duration_ms=1000,
):
    return Review(
        card_id=card_id,
        ordinal=card_id,
        deck_id=deck_id,
        answered_at=answered_at,
        passed=grade >= 3,
        duration_ms=duration_ms,
        stage_before="young" if learned else "new",
        interval_before=6 if learned else 0,
        cram=cram,
    )


def at(day, hour=12, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def days_ago(n):
    return TODAY - timedelta(days=n)


def summary(states=(), reviews=(), tz_name="UTC", now=NOW, **options):
    return learner_summary(list(states), list(reviews), tz_name, now, **options)


MIXED_CARDS = [
    card(1),
    card(2, retired=True, due=TODAY, repetitions=4, interval=30),
    card(3, due=days_ago(3), repetitions=0, interval=1, lapses=1),
    card(4, due=TODAY, repetitions=1, interval=0),
    card(5, due=TODAY + timedelta(days=1), repetitions=2, interval=6),
    card(6, due=TODAY + timedelta(days=29), repetitions=3, interval=20),
    card(7, due=TODAY + timedelta(days=30), repetitions=5, interval=21),
    card(8, retired=True),
]


def test_each_card_falls_in_one_stage():
    stages = [card_stage(state) for state in MIXED_CARDS]
    assert stages == [
        Stage.NEW,
        Stage.RETIRED,
        Stage.LEARNING,
        Stage.LEARNING,
        Stage.YOUNG,
        Stage.YOUNG,
        Stage.MATURE,
        Stage.RETIRED,
    ]
    counts = summary(MIXED_CARDS).overall.stages
    assert counts == StageCounts(new=1, learning=2, young=2, mature=1, retired=2)
    assert counts.total == 8
    assert counts.studied == 5


def test_forecast_folds_overdue_into_today_and_skips_retired_and_new_cards():
    figures = summary(MIXED_CARDS).overall
    assert len(figures.forecast) == 30
    assert figures.forecast[0].day == TODAY
    assert figures.forecast[-1].day == date(2025, 4, 10)
    counts = {entry.day: entry.count for entry in figures.forecast if entry.count}
    # Card 3 (overdue) and card 4 today; card 7 is due on day 30, one past the window.
    assert counts == {TODAY: 2, date(2025, 3, 13): 1, date(2025, 4, 10): 1}
    assert figures.due_today == 2


def test_reviews_per_day_span_53_calendar_weeks_ending_today():
    reviews = [
        review(at(TODAY, 10)),
        review(at(TODAY, 11)),
        review(at(TODAY, 2, 30)),  # before the 4 a.m. rollover: yesterday
        review(at(date(2024, 3, 11), 12)),  # first day shown
        review(at(date(2024, 3, 10), 12)),  # a day too old for the calendar
    ]
    days = summary(reviews=reviews).overall.reviews_per_day
    assert heatmap_first_day(TODAY) == date(2024, 3, 11)
    assert days[0].day == date(2024, 3, 11)
    assert days[0].day.weekday() == 0
    assert days[-1].day == TODAY
    assert len(days) == 52 * 7 + 3
    assert [entry.day for entry in days] == [
        date(2024, 3, 11) + timedelta(days=n) for n in range(len(days))
    ]
    counts = {entry.day: entry.count for entry in days if entry.count}
    assert counts == {TODAY: 2, date(2025, 3, 11): 1, date(2024, 3, 11): 1}


def test_retention_counts_only_learned_cards_outside_cram_per_week_ending_today():
    reviews = [
        # This week, 2025-03-06 .. 2025-03-12: three of four learned reviews pass.
        review(at(TODAY), grade=5),
        review(at(days_ago(1)), grade=4),
        review(at(days_ago(6)), grade=3),
        review(at(days_ago(6)), grade=2),
        review(at(TODAY), grade=0, cram=True),
        review(at(TODAY), grade=1, learned=False),
        # Last week, 2025-02-27 .. 2025-03-05: one failure.
        review(at(days_ago(7)), grade=1),
        # Long before the weekly chart, still part of the overall figure.
        review(at(days_ago(400)), grade=5),
    ]
    figures = summary(reviews=reviews).overall
    weeks = figures.retention_by_week
    assert len(weeks) == 12
    latest, previous, before = weeks[-1], weeks[-2], weeks[-3]
    assert (latest.first_day, latest.last_day) == (date(2025, 3, 6), TODAY)
    assert latest.tally == Tally(4, 3)
    assert latest.tally.retention == 0.75
    assert (previous.first_day, previous.last_day) == (date(2025, 2, 27), date(2025, 3, 5))
    assert previous.tally == Tally(1, 0)
    assert before.tally.retention is None
    assert (weeks[0].first_day, weeks[0].last_day) == (date(2024, 12, 19), date(2024, 12, 25))
    assert figures.retention == Tally(6, 4)


def test_a_relearning_card_is_not_yet_learned_for_retention():
    lapsed = Review(
        card_id=1,
        ordinal=1,
        deck_id=1,
        answered_at=at(TODAY),
        passed=True,
        duration_ms=1000,
        stage_before="learning",
        interval_before=1,
    )
    assert summary(reviews=[lapsed]).overall.retention == Tally(0, 0)


def test_study_time_includes_cram_and_splits_by_day_and_week():
    reviews = [
        review(at(TODAY), duration_ms=10_000),
        review(at(TODAY), duration_ms=5_000, cram=True),
        review(at(days_ago(6)), duration_ms=2_000),
        review(at(days_ago(7)), duration_ms=4_000),
        review(at(days_ago(29)), duration_ms=100),
        review(at(days_ago(30)), duration_ms=7),
        review(at(days_ago(400)), duration_ms=1),
    ]
    time_studied = summary(reviews=reviews).overall.study_time
    assert time_studied.total_ms == 21_108
    per_day = {entry.day: entry.milliseconds for entry in time_studied.per_day}
    assert len(per_day) == 30
    assert per_day[TODAY] == 15_000
    assert per_day[days_ago(6)] == 2_000
    assert per_day[days_ago(29)] == 100
    assert days_ago(30) not in per_day
    assert sum(per_day.values()) == 21_100
    weekly = [entry.milliseconds for entry in time_studied.per_week]
    # Weeks ending today: days 0-6 ago, 7-13, 14-20, 21-27, 28-34 (29 and 30 days ago).
    assert weekly[-5:] == [107, 0, 0, 4_000, 17_000]
    assert time_studied.per_week[-1].first_day == days_ago(6)


def test_longest_and_current_streaks_when_today_is_not_yet_studied():
    studied = [date(2025, 3, n) for n in (1, 2, 3, 4, 9, 10, 11)]
    streaks = summary(reviews=[review(at(day)) for day in studied]).overall.streaks
    assert streaks == Streaks(current=3, longest=4, studied_today=False)


def test_streak_is_broken_when_neither_today_nor_yesterday_was_studied():
    studied = [date(2025, 3, n) for n in (1, 2, 3, 4, 10)]
    streaks = summary(reviews=[review(at(day)) for day in studied]).overall.streaks
    assert streaks == Streaks(current=0, longest=4, studied_today=False)


def test_streak_counts_today_and_ignores_reviews_dated_in_the_future():
    studied = [date(2025, 3, 11), TODAY, date(2025, 3, 14), date(2025, 3, 15), date(2025, 3, 16)]
    streaks = summary(reviews=[review(at(day)) for day in studied]).overall.streaks
    assert streaks == Streaks(current=2, longest=2, studied_today=True)


def test_late_night_review_counts_for_the_previous_day_in_the_learners_zone():
    # 2025-03-10 07:00 UTC is 20:00 on the 10th in Auckland (UTC+13) but midnight in
    # Los Angeles (UTC-7), which is still the 9th there before the 4 a.m. rollover.
    # 2025-03-11 13:30 UTC is 02:30 on the 12th in Auckland, so it counts for the 11th.
    reviews = [
        review(datetime(2025, 3, 10, 7, 0, tzinfo=UTC)),
        review(datetime(2025, 3, 11, 13, 30, tzinfo=UTC)),
    ]
    now = datetime(2025, 3, 12, 8, 0, tzinfo=UTC)  # 21:00 in Auckland, 01:00 in Los Angeles

    auckland = summary(reviews=reviews, tz_name="Pacific/Auckland", now=now)
    assert auckland.today == date(2025, 3, 12)
    assert auckland.overall.streaks == Streaks(current=2, longest=2, studied_today=False)
    studied = {entry.day for entry in auckland.overall.reviews_per_day if entry.count}
    assert studied == {date(2025, 3, 10), date(2025, 3, 11)}

    los_angeles = summary(reviews=reviews, tz_name="America/Los_Angeles", now=now)
    assert los_angeles.today == date(2025, 3, 11)
    assert los_angeles.overall.streaks == Streaks(current=1, longest=1, studied_today=True)
    studied = {entry.day for entry in los_angeles.overall.reviews_per_day if entry.count}
    assert studied == {date(2025, 3, 9), date(2025, 3, 11)}


def test_mastery_by_topic_leaves_out_retired_cards():
    states = [
        card(1, tags=("type::disuse", "chapter::1"), due=TODAY, repetitions=4, interval=30),
        card(2, tags=("type::disuse",)),
        card(3, tags=("chapter::1",), due=TODAY, repetitions=2, interval=6),
        card(4, tags=("type::retired-only",), retired=True, due=TODAY, interval=30),
    ]
    reviews = [
        review(at(TODAY), card_id=1, grade=4),
        review(at(TODAY), card_id=1, grade=2),
        review(at(TODAY), card_id=3, grade=5),
        review(at(TODAY), card_id=3, grade=5, cram=True),
        review(at(TODAY), card_id=4, grade=5),
    ]
    topics = summary(states, reviews).overall.topics
    assert [topic.tag for topic in topics] == ["chapter::1", "type::disuse"]
    chapter, disuse = topics
    assert (chapter.cards, chapter.studied, chapter.mature) == (2, 2, 1)
    assert chapter.mature_share == 0.5
    assert chapter.tally == Tally(3, 2)
    assert (disuse.cards, disuse.studied, disuse.mature) == (2, 1, 1)
    assert disuse.tally == Tally(2, 1)
    assert disuse.tally.retention == 0.5


def test_hardest_cards_rank_lapses_then_easiness_and_skip_untroubled_cards():
    states = [
        card(1, due=TODAY, repetitions=2, interval=6, lapses=3, easiness="2.1"),
        card(2, due=TODAY, repetitions=2, interval=6, lapses=3, easiness="1.8"),
        card(3, due=TODAY, repetitions=2, interval=6, lapses=0, easiness="2.5"),
        card(4, due=TODAY, repetitions=2, interval=6, lapses=0, easiness="2.36"),
        card(5, due=TODAY, repetitions=2, interval=6, lapses=5, easiness="1.3", retired=True),
        card(6, due=TODAY, repetitions=2, interval=6, lapses=1, easiness="2.5"),
        card(7),
    ]
    hardest = summary(states).overall.hardest
    assert [entry.card_id for entry in hardest] == [2, 1, 6, 4]
    assert hardest[0] == HardCard(2, 2, 1, "prompt 2", 3, Decimal("1.8"))
    top_three = summary(states, hardest_count=3).overall.hardest
    assert [entry.card_id for entry in top_three] == [2, 1, 6]


def test_figures_per_deck_and_for_chosen_decks():
    states = [
        card(1, deck_id=1, due=TODAY, repetitions=4, interval=30),
        card(2, deck_id=1),
        card(3, deck_id=2, due=TODAY, repetitions=1, interval=1),
    ]
    reviews = [
        review(at(TODAY), card_id=1, deck_id=1, grade=5),
        review(at(days_ago(1)), card_id=3, deck_id=2, grade=1),
    ]
    everything = summary(states, reviews)
    assert [deck.deck_id for deck in everything.decks] == [1, 2]
    assert everything.overall.deck_id is None
    assert everything.overall.stages == StageCounts(new=1, young=1, mature=1)
    assert everything.overall.retention == Tally(2, 1)
    assert everything.overall.streaks.current == 2
    first, second = everything.decks
    assert first.stages == StageCounts(new=1, mature=1)
    assert first.retention == Tally(1, 1)
    assert first.streaks == Streaks(current=1, longest=1, studied_today=True)
    assert second.due_today == 1
    assert second.streaks == Streaks(current=1, longest=1, studied_today=False)

    chosen = summary(states, reviews, deck_ids=[2, 9])
    assert [deck.deck_id for deck in chosen.decks] == [2, 9]
    assert chosen.overall.stages == StageCounts(young=1)
    assert chosen.overall.retention == Tally(1, 0)
    empty = chosen.decks[1]
    assert empty.stages.total == 0
    assert empty.due_today == 0
    assert empty.streaks == Streaks(0, 0, False)
    assert empty.retention.retention is None


decks = st.integers(min_value=1, max_value=3)
history = st.lists(
    st.builds(
        review,
        st.datetimes(
            min_value=datetime(2024, 1, 1), max_value=datetime(2025, 3, 13), timezones=st.just(UTC)
        ),
        grade=st.integers(0, 5),
        deck_id=decks,
        learned=st.booleans(),
        cram=st.booleans(),
    ),
    max_size=40,
)
card_states = st.lists(
    st.builds(
        card,
        st.integers(1, 1000),
        deck_id=decks,
        due=st.none() | st.dates(date(2025, 1, 1), date(2025, 6, 1)),
        repetitions=st.integers(0, 6),
        interval=st.integers(0, 60),
        retired=st.booleans(),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(card_states, history)
def test_overall_figures_add_up_from_the_decks(states, reviews):
    result = summary(states, reviews, tz_name="Pacific/Auckland")
    overall = result.overall

    def total(pick):
        return sum(pick(deck) for deck in result.decks)

    for stage in Stage:
        assert getattr(overall.stages, stage.value) == total(
            lambda deck, stage=stage: getattr(deck.stages, stage.value)
        )
    assert overall.due_today == total(lambda deck: deck.due_today)
    assert overall.retention.reviews == total(lambda deck: deck.retention.reviews)
    assert overall.retention.passed == total(lambda deck: deck.retention.passed)
    assert overall.study_time.total_ms == 1000 * len(reviews)
    for index, entry in enumerate(overall.reviews_per_day):
        assert entry.count == total(lambda deck, index=index: deck.reviews_per_day[index].count)
    assert overall.streaks.longest >= max(
        (deck.streaks.longest for deck in result.decks), default=0
    )


def test_a_large_history_is_summarised_in_one_pass():
    states = [
        card(
            n,
            deck_id=n % 10,
            tags=(f"topic::{n % 7}",),
            due=TODAY + timedelta(days=n % 40 - 5),
            repetitions=n % 6,
            interval=n % 50,
            lapses=n % 4,
            retired=n % 97 == 0,
        )
        for n in range(5000)
    ]
    reviews = [
        review(
            NOW - timedelta(minutes=7 * n),
            card_id=n % 5000,
            deck_id=(n % 5000) % 10,
            grade=n % 6,
            learned=n % 3 != 0,
        )
        for n in range(100_000)
    ]
    result = summary(states, reviews, tz_name="Europe/Berlin")
    assert result.overall.stages.total == 5000
    assert sum(deck.retention.reviews for deck in result.decks) == result.overall.retention.reviews
    # A review every seven minutes for 486 days leaves no day without one.
    assert result.overall.streaks.current == result.overall.streaks.longest
    assert result.overall.streaks.current == 487


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            decks,
            st.none() | st.dates(date(2025, 1, 1), date(2025, 6, 1)),
            st.integers(0, 6),
            st.integers(0, 60),
            st.integers(0, 3),
            st.sampled_from(["1.3", "2.1", "2.5", "2.8"]),
            st.booleans(),
            st.lists(st.sampled_from(["a", "b", "c::d"]), max_size=2, unique=True),
            st.none() | st.floats(0.1, 300),
        ),
        max_size=40,
    ),
    history,
    st.integers(1, 4),
)
def test_overall_figures_equal_those_of_all_sides_taken_together(sides, reviews, count):
    """The overall figures are summed from the decks' (learner._overall); they must be the
    very figures of every side taken together, recall means to the last bit."""
    states = [
        card(n, deck_id=deck_id, due=due, repetitions=repetitions, interval=interval,
             lapses=lapses, easiness=easiness, retired=retired, tags=tuple(tags))._replace(
            memory=None if stability is None else Memory(stability, 5.0, NOW - timedelta(days=n))
        )
        for n, (deck_id, due, repetitions, interval, lapses, easiness, retired, tags, stability)
        in enumerate(sides, start=1)
    ]
    # Each answer of a studied side in that side's deck; a card id 0 has no state.
    deck_of = {state.card_id: state.deck_id for state in states}
    reviews = [
        r._replace(card_id=n, ordinal=n, deck_id=deck_of.get(n, r.deck_id))
        for i, r in enumerate(reviews)
        for n in [i % (len(states) + 1)]
    ]
    result = summary(states, reviews, tz_name="Pacific/Auckland", hardest_count=count)
    deck_ids = sorted({state.deck_id for state in states} | {r.deck_id for r in reviews})
    folded = fold_reviews(reviews, "Pacific/Auckland", None)
    together = learner._figures(
        None,
        sorted(states, key=lambda state: state.deck_id),
        merge_histories(folded[d] for d in deck_ids if d in folded),
        result.today,
        count,
        learner._Recall(NOW, DEFAULT_PARAMETERS, {}),
    )
    if len(deck_ids) > 1:
        assert result.overall == together


def topics_side_by_side(states, retention_by_card):
    """topics.topic_figures as it was written before its counts were summed per tag list: every
    count and every float added per side and tag, the reference the faster one must equal."""
    from collections import Counter, defaultdict

    from quizapp.scheduling.base import Stage as ScheduleStage
    from quizapp.stats.activity import NO_RETENTION, RetentionCount
    from quizapp.stats.learner_types import TopicMastery
    from quizapp.stats.memory import WEEK, ForgettingCurve, OutlookSum

    curve = ForgettingCurve(DEFAULT_PARAMETERS)

    cards, studied, mature = Counter(), Counter(), Counter()
    retention = defaultdict(RetentionCount)
    outlooks = defaultdict(OutlookSum)
    overall = OutlookSum()
    for state in states:
        if state.retired:
            continue
        card_retention = retention_by_card.get(state.card_id, NO_RETENTION)
        chances = None if state.memory is None else (
            curve.recall(state.memory, NOW), curve.recall(state.memory, NOW + WEEK))
        if chances is not None:
            overall.add(*chances)
        for tag in state.tags:
            cards[tag] += 1
            studied[tag] += state.stage != ScheduleStage.NEW
            mature[tag] += state.stage == ScheduleStage.MATURE
            retention[tag].merge(card_retention)
            if chances is not None:
                outlooks[tag].add(*chances)
    topics = tuple(
        TopicMastery(tag, cards[tag], studied[tag], mature[tag], retention[tag].frozen(),
                     outlooks[tag].outlook())
        for tag in sorted(cards)
    )
    return topics, overall.outlook()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 12),  # card id: several sides may share one
            st.integers(0, 6),
            st.integers(0, 60),
            st.booleans(),
            st.lists(st.sampled_from(["a", "b", "c::d", "e"]), max_size=3),  # repeats too
            st.none() | st.floats(0.01, 400),
            st.integers(-30, 400),
        ),
        max_size=60,
    ),
    st.dictionaries(st.integers(1, 12), st.tuples(st.integers(0, 50), st.integers(0, 50))),
)
def test_topics_equal_the_side_by_side_sums_to_the_bit(sides, retention):
    from quizapp.stats.activity import RetentionCount

    states = [
        card(card_id, due=TODAY, repetitions=repetitions, interval=interval, retired=retired,
             tags=tuple(tags))._replace(
            ordinal=n,
            memory=None if stability is None else Memory(stability, 5.0,
                                                         NOW - timedelta(days=days_ago)),
        )
        for n, (card_id, repetitions, interval, retired, tags, stability, days_ago)
        in enumerate(sides)
    ]
    by_card = {card_id: RetentionCount(max(a, b), min(a, b))
               for card_id, (a, b) in retention.items()}
    chances = learner._Recall(NOW, DEFAULT_PARAMETERS, {}).each(states)
    fast = topic_figures(states, by_card, chances)
    slow = topics_side_by_side(states, by_card)
    assert fast == slow
    # Equal floats, not merely close: compare their bits.
    for a, b in zip(fast[0], slow[0], strict=True):
        assert (a.outlook.today, a.outlook.in_week) == (b.outlook.today, b.outlook.in_week)
        if a.outlook.today is not None:
            assert a.outlook.today.hex() == b.outlook.today.hex()
            assert a.outlook.in_week.hex() == b.outlook.in_week.hex()
