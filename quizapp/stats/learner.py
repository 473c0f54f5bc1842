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
* Expected retention (today, in 7 days): the mean probability of recall, under FSRS's memory
  model (:mod:`quizapp.stats.memory`), of the sides answered at least once and not retired,
  as if none were reviewed in between; per topic over the topic's sides.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from quizapp.scheduling.day import learner_day
from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS
from quizapp.stats.activity import (
    DayCount,
    DeckHistory,
    Review,
    Streaks,
    Tally,
    counts_for_retention,
    fold_reviews,
    heatmap_first_day,
    is_pass,
    overall_retention,
    retention_by_week,
    reviews_per_day,
    streaks,
    study_time,
)
from quizapp.stats.learner_types import (
    FORECAST_DAYS,
    HARDEST_COUNT,
    STARTING_EASINESS,
    HardCard,
    LearnerSummary,
    ProgressFigures,
    SideState,
    Stage,
    StageCounts,
    TopicMastery,
    card_stage,
)
from quizapp.stats.memory import ForgettingCurve, Parameters, utc
from quizapp.stats.topics import outlook_sums, topic_figures

__all__ = [
    "Review", "Streaks", "Tally", "counts_for_retention", "heatmap_first_day", "is_pass",
]

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
    wanted = None if deck_ids is None else set(deck_ids)
    return summary_from_history(
        states, fold_reviews(reviews, tz_name, wanted), tz_name, now, deck_ids, hardest_count
    )


def summary_from_history(
    states: Iterable[SideState],
    histories: Mapping[int, DeckHistory],
    tz_name: str | None,
    now: datetime,
    deck_ids: Collection[int] | None = None,
    hardest_count: int = HARDEST_COUNT,
    parameters: Parameters = DEFAULT_PARAMETERS,
    deck_parameters: Mapping[int, Parameters] | None = None,
) -> LearnerSummary:
    """:func:`learner_summary` from a history already folded into totals per deck (by
    :func:`~quizapp.stats.activity.fold_reviews`, or summed by the database). Recall is
    estimated with ``deck_parameters`` in the decks it names (a learner's fitted ones), with
    ``parameters`` elsewhere."""
    today = learner_day(now, tz_name)
    wanted = None if deck_ids is None else set(deck_ids)
    states_by_deck: dict[int, list[SideState]] = defaultdict(list)
    for state in states:
        if wanted is None or state.deck_id in wanted:
            states_by_deck[state.deck_id].append(state)
    deck_order = sorted(
        wanted if wanted is not None else states_by_deck.keys() | histories.keys()
    )
    recall = _Recall(now, parameters, deck_parameters or {})
    # Each side's recall, computed once: a side counts towards its deck and the overall.
    chances = {deck_id: recall.each(states_by_deck[deck_id]) for deck_id in deck_order}
    decks = tuple(
        _figures(
            deck_id, states_by_deck[deck_id], histories.get(deck_id) or DeckHistory(), today,
            hardest_count, recall, chances[deck_id],
        )
        for deck_id in deck_order
    )
    if len(decks) == 1:  # one deck's page: its figures are the overall ones
        return LearnerSummary(today=today, overall=replace(decks[0], deck_id=None), decks=decks)
    overall = _overall(
        decks,
        [state for deck_id in deck_order for state in states_by_deck[deck_id]],
        [chance for deck_id in deck_order for chance in chances[deck_id]],
        _merged_days(histories[d] for d in deck_order if d in histories),
        today,
        hardest_count,
    )
    return LearnerSummary(today=today, overall=overall, decks=decks)


def _overall(
    decks: Sequence[ProgressFigures],
    states: Sequence[SideState],
    chances: Sequence[tuple[float, float] | None],
    history: DeckHistory,
    today: date,
    hardest_count: int,
) -> ProgressFigures:
    """The figures of all ``decks`` together, what :func:`_figures` gives for all their
    sides, with the counts summed from the decks' own: only the recall means are added up
    side by side again, in the same order, so every float is the very same. A side among
    the hardest of all decks is among the hardest of its own."""
    stages = StageCounts(**{
        stage.value: sum(getattr(deck.stages, stage.value) for deck in decks) for stage in Stage
    })
    forecast = tuple(
        DayCount(today + timedelta(days=offset), sum(deck.forecast[offset].count for deck in decks))
        for offset in range(FORECAST_DAYS)
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for deck in decks:
        for topic in deck.topics:
            summed = counts[topic.tag]
            summed[0] += topic.cards
            summed[1] += topic.studied
            summed[2] += topic.mature
            summed[3] += topic.tally.reviews
            summed[4] += topic.tally.passed
    outlooks, outlook = outlook_sums(states, chances)
    topics = tuple(
        TopicMastery(tag, cards, studied, mature, Tally(reviews, passed),
                     outlooks[tag].outlook())
        for tag, (cards, studied, mature, reviews, passed) in sorted(counts.items())
    )
    return ProgressFigures(
        deck_id=None,
        stages=stages,
        due_today=forecast[0].count,
        forecast=forecast,
        **_history_figures(history, today),
        topics=topics,
        hardest=tuple(heapq.nsmallest(
            hardest_count, (card for deck in decks for card in deck.hardest), key=_hardness,
        )),
        outlook=outlook,
    )


def _merged_days(histories: Iterable[DeckHistory]) -> DeckHistory:
    """:func:`merge_histories` of the days alone: the overall figures draw nothing else from
    the history (topics and hardest cards are summed from the decks' own), and merging the
    retention of every card and the failures of every side again cost a page ~5,000 objects."""
    merged = DeckHistory()
    for history in histories:
        merged.add_days(history)
    return merged


def _hardness(card: HardCard) -> tuple[int, int, Decimal, int, int, int]:
    """:func:`hardest_cards`' order: most failures, most lapses, lowest ease, then ids."""
    return (-card.failures, -card.lapses, card.easiness, card.deck_id, card.card_id,
            card.ordinal)


class _Recall:
    """Each side's recall probability now and in a week under its deck's forgetting curve
    (the learner's fitted one, or the default); the page computes it once per side."""

    def __init__(
        self, now: datetime, parameters: Parameters, deck_parameters: Mapping[int, Parameters]
    ) -> None:
        self.now = now
        self.curve = ForgettingCurve(parameters)
        self.deck_curves = {
            deck_id: ForgettingCurve(own) for deck_id, own in deck_parameters.items()
        }
        self._now_utc = utc(now)  # recall_now_and_in_week's own reading of ``now``, once

    def each(self, states: Iterable[SideState]) -> list[tuple[float, float] | None]:
        """(today, in a week) for each of ``states`` in order: None for a side never
        answered or retired (``recall_now_and_in_week`` for the others)."""
        now, curves, default = self._now_utc, self.deck_curves, self.curve
        return [
            None if state.memory is None or state.retired
            else curves.get(state.deck_id, default).now_and_in_week(state.memory, now)
            for state in states
        ]


def _history_figures(history: DeckHistory, today: date) -> dict[str, Any]:
    """The figures a deck's (or all decks') answers by learner day give."""
    return {
        "reviews_per_day": reviews_per_day(history.days, today),
        "retention": overall_retention(history.days),
        "retention_by_week": retention_by_week(history.days, today),
        "study_time": study_time(history.days, today),
        "streaks": streaks(history.days.keys(), today),
    }


def _figures(
    deck_id: int | None,
    states: Sequence[SideState],
    history: DeckHistory,
    today: date,
    hardest_count: int,
    recall: _Recall,
    chances: Sequence[tuple[float, float] | None] | None = None,
) -> ProgressFigures:
    """One deck's figures (all decks' with ``deck_id`` None); ``chances`` is each side's
    recall when the caller has it (:meth:`_Recall.each`)."""
    forecast = _forecast(states, today)
    if chances is None:
        chances = recall.each(states)
    topics, outlook = topic_figures(states, history.retention_by_card, chances)
    return ProgressFigures(
        deck_id=deck_id,
        stages=_stage_counts(states),
        due_today=forecast[0].count,
        forecast=forecast,
        **_history_figures(history, today),
        topics=topics,
        hardest=hardest_cards(states, history.failures, hardest_count),
        outlook=outlook,
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


def hardest_cards(
    states: Iterable[SideState], failures: Mapping[tuple[int, int], int], count: int
) -> tuple[HardCard, ...]:
    """The sides the learner fails most: failed answers (keyed by (card id, ordinal)), then
    lapses, then lowest ease. Sides that never gave trouble are left out, so a strong
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
