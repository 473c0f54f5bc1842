"""Per-topic figures of a learner's sides: how many cards of each tag are studied and
mature, their answers, and the expected recall per tag and over all sides.

The counts are integers; the recall means are floats, added side by side in the sides' order
so that the deck's figures and all decks' figures are the very same bits whichever way they
are computed (:mod:`quizapp.stats.learner`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from quizapp.scheduling.base import Stage as ScheduleStage
from quizapp.stats.activity import RetentionCount, Tally
from quizapp.stats.learner_types import SideState, TopicMastery
from quizapp.stats.memory import NO_OUTLOOK, Outlook, OutlookSum


def outlook_sums(
    states: Iterable[SideState], each_chances: Iterable[tuple[float, float] | None]
) -> tuple[dict[str, OutlookSum], Outlook]:
    """Recall (``each_chances``, one per side) summed per tag and over all sides not retired,
    side by side in order."""
    per_tag: dict[str, OutlookSum] = defaultdict(OutlookSum)
    overall = OutlookSum()
    for state, chances in zip(states, each_chances, strict=True):
        if chances is not None:
            today, in_week = chances
            overall.cards += 1  # OutlookSum.add, inlined
            overall.today += today
            overall.in_week += in_week
            for tag in state.tags:
                summed = per_tag[tag]
                summed.cards += 1
                summed.today += today
                summed.in_week += in_week
    return per_tag, overall.outlook()


def topic_figures(
    states: Sequence[SideState],
    retention_by_card: Mapping[int, RetentionCount],
    each_chances: Sequence[tuple[float, float] | None],
) -> tuple[tuple[TopicMastery, ...], Outlook]:
    """One entry per tag of a card still in study, alphabetical by tag; and the outlook of
    all the sides, tagged or not.

    The counts are integers, summed per distinct tag list first (a deck's cards share few)
    and spread over its tags after. The recall means are floats, summed by
    :func:`outlook_sums` side by side in the sides' order: the same additions in the same
    order give the very same bits."""
    per_list: dict[tuple[str, ...], list[int]] = {}  # cards, studied, mature, reviews, passed
    new, mature = ScheduleStage.NEW, ScheduleStage.MATURE
    retention_of = retention_by_card.get
    for state in states:
        if state.retired:
            continue
        tags = state.tags
        if tags:
            totals = per_list.get(tags)
            if totals is None:
                totals = per_list[tags] = [0, 0, 0, 0, 0]
            totals[0] += 1
            stage = state.stage
            if stage != new:
                totals[1] += 1
                if stage == mature:
                    totals[2] += 1
            card_retention = retention_of(state.card_id)
            if card_retention is not None:
                totals[3] += card_retention.reviews
                totals[4] += card_retention.passed
    counts: dict[str, list[int]] = {}
    for tags, totals in per_list.items():
        for tag in tags:
            summed_counts = counts.get(tag)
            if summed_counts is None:
                counts[tag] = list(totals)
            else:
                for n, value in enumerate(totals):
                    summed_counts[n] += value
    outlooks, overall = outlook_sums(states, each_chances)
    topics = tuple(
        TopicMastery(
            tag, cards, studied, mature_count, Tally(reviews, passed),
            outlooks[tag].outlook() if tag in outlooks else NO_OUTLOOK,
        )
        for tag, (cards, studied, mature_count, reviews, passed) in sorted(counts.items())
    )
    return topics, overall
