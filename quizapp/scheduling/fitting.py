"""Personal FSRS parameters fitted to one learner's review history (pure).

The optimizer is FSRS's Rust core through its Python bindings (``fsrs-rs-python``, pinned in
``constraints.txt``): the same code Anki runs for "Optimize", without a deep-learning stack.

**Items.** A card's answers, in order, become one training item per answer after the first:
the answers up to and including it, each with the learner days since the one before (0 for the
first answer and for answers on the same day). The optimizer learns from the last answer of
each item whether the memory state built from the earlier ones predicted it.

**Before / after.** Both sets of parameters are scored by log loss on answers the fit never
saw: the learner's cards are dealt, at random but reproducibly, into :data:`FOLDS` groups; each
group's answers are predicted by parameters fitted on the other groups, and the defaults predict
the same answers. Only the answers that come a day or more after the one before are scored
(what a schedule decides). The fit counts as better only when its held-out log loss is lower;
the parameters handed back are then fitted on the whole history, and a caller keeps the
defaults otherwise. The log loss is computed here, from the library's memory states and FSRS's
forgetting curve: the library's own ``evaluate`` gives different figures for the same items in
another order, which would make the comparison depend on how cards were dealt.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import fsrs_rs_python as fsrs_rs

from .fsrs_scheduler import DEFAULT_PARAMETERS, FsrsScheduler, Rating

FOLDS = 5
SPLIT_SEED = 20261126
RECALL_CLIP = 1e-4  # a predicted certainty costs a bounded, not an infinite, loss


class FitFailed(ValueError):
    """The history cannot be fitted (too little of it); the message says why."""


@dataclass(frozen=True)
class PastReview:
    """One answer that tested recall: which card, on which learner day, rated 1–4.

    Answers of one card on one day keep the order they are given in."""

    card: Hashable
    day: date
    rating: int


@dataclass(frozen=True)
class FitResult:
    parameters: tuple[float, ...]
    reviews: int
    log_loss_default: float
    log_loss_fitted: float

    @property
    def improved(self) -> bool:
        return self.log_loss_fitted < self.log_loss_default


def by_card(history: Iterable[PastReview]) -> dict[Hashable, list[PastReview]]:
    cards: dict[Hashable, list[PastReview]] = defaultdict(list)
    for review in history:
        cards[review.card].append(review)
    for reviews in cards.values():
        reviews.sort(key=lambda review: review.day)  # stable: same-day order is kept
    return dict(cards)


Steps = tuple[tuple[int, int], ...]  # (rating, days since the answer before) per answer


def steps_of(reviews: Sequence[PastReview]) -> Steps:
    """One card's answers as the optimizer reads them."""
    days = [review.day for review in reviews]
    return tuple(
        (int(Rating(review.rating)), 0 if index == 0 else (review.day - days[index - 1]).days)
        for index, review in enumerate(reviews)
    )


def items_for(steps: Steps) -> list[Steps]:
    """One card's training items (see the module docstring)."""
    return [steps[:end] for end in range(2, len(steps) + 1)]


def _library_items(items: Iterable[Steps]) -> list[fsrs_rs.FSRSItem]:
    return [
        fsrs_rs.FSRSItem([fsrs_rs.FSRSReview(rating, elapsed) for rating, elapsed in item])
        for item in items
    ]


def folds_of(cards: Iterable[Hashable], folds: int = FOLDS, seed: int = SPLIT_SEED
             ) -> list[list[Hashable]]:
    """The cards dealt at random, but reproducibly, into ``folds`` groups (fewer when there
    are fewer cards), none empty."""
    ordered = sorted(cards, key=repr)
    random.Random(seed).shuffle(ordered)
    count = min(folds, len(ordered))
    return [ordered[index::count] for index in range(count)]


def _losses(parameters: Sequence[float], cards: Iterable[Steps]) -> tuple[float, int]:
    """(summed log loss, answers scored): each answer on a later day than the one before it,
    predicted from the memory state the earlier answers left."""
    model = fsrs_rs.FSRS(list(parameters))
    decay = parameters[20]
    factor = 0.9 ** (-1 / decay) - 1
    total, scored = 0.0, 0
    for steps in cards:
        if not any(elapsed for _, elapsed in steps[1:]):
            continue
        states = model.historical_memory_states(_library_items([steps])[0])
        for (rating, elapsed), before in zip(steps[1:], states, strict=False):
            if elapsed == 0:
                continue
            recall = (1 + factor * elapsed / before.stability) ** -decay
            recall = min(max(recall, RECALL_CLIP), 1 - RECALL_CLIP)
            total -= math.log(recall if rating > Rating.AGAIN else 1 - recall)
            scored += 1
    return total, scored


def log_loss(parameters: Sequence[float], cards: Iterable[Steps]) -> float:
    """How well ``parameters`` predict the cards' answers (lower is better)."""
    total, scored = _losses(parameters, cards)
    if not scored:
        raise FitFailed("no answer on a later day to score")
    return total / scored


def fit(history: Iterable[PastReview], default: Sequence[float] = DEFAULT_PARAMETERS) -> FitResult:
    """Parameters fitted to ``history`` and the held-out log loss of default and fitted."""
    cards = {card: steps_of(reviews) for card, reviews in by_card(history).items()}
    reviews = sum(map(len, cards.values()))
    groups = [[cards[card] for card in group] for group in folds_of(cards)]
    held_out = [_losses(default, group)[1] for group in groups]
    if sum(1 for scored in held_out if scored) < 2:
        raise FitFailed(
            f"{reviews} answers on {len(cards)} cards hold too few reviews on a later day to fit"
        )
    try:
        fitted_total = 0.0
        for group in groups:
            training = [steps for other in groups if other is not group for steps in other]
            fitted_total += _losses(_optimized(default, training), group)[0]
        fitted = _optimized(default, list(cards.values()))
    except Exception as error:  # the Rust core reports bad data as a plain exception
        raise FitFailed(f"the optimizer could not fit this history: {error}") from error
    before = log_loss(default, cards.values())
    after = fitted_total / sum(held_out)
    if not _usable(fitted) or not math.isfinite(after):
        return FitResult(tuple(default), reviews, before, math.inf)
    return FitResult(fitted, reviews, before, after)


def _optimized(default: Sequence[float], cards: Sequence[Steps]) -> tuple[float, ...]:
    items = _library_items(item for steps in cards for item in items_for(steps))
    return tuple(float(w) for w in fsrs_rs.FSRS(list(default)).compute_parameters(items))


def _usable(parameters: Sequence[float]) -> bool:
    """Whether the app's scheduler (py-fsrs, which checks bounds) accepts the parameters."""
    try:
        FsrsScheduler(parameters=parameters)
    except ValueError:
        return False
    return True


def _distant_learner() -> tuple[float, ...]:
    w = list(DEFAULT_PARAMETERS)
    w[0:4] = [value * factor for value, factor in zip(w[0:4], (5.0, 4.0, 3.0, 1.5), strict=True)]
    w[8] += 0.4
    w[20] = 0.4
    return tuple(w)


# A synthetic learner far from FSRS's defaults (the tests' and bench/bench_fit.py's): first
# memories last 1.5-5 times longer, the forgetting curve is flatter, and recall grows stability
# faster than the defaults say.
DISTANT_LEARNER = _distant_learner()


def synthetic_history(
    parameters: Sequence[float],
    *,
    cards: int,
    answers_per_card: int,
    seed: int = 0,
    scheduled_by: Sequence[float] = DEFAULT_PARAMETERS,
    start: date = date(2026, 1, 5),
) -> list[PastReview]:
    """A learner whose memory follows FSRS with ``parameters`` exactly, studying under FSRS
    with the ``scheduled_by`` parameters (the defaults, as before a fit) at a desired
    retention drawn from 0.7-0.95 for each review: a history to check that a fit finds its way
    back to the parameters that made it."""
    truth, scheduler = fsrs_rs.FSRS(list(parameters)), fsrs_rs.FSRS(list(scheduled_by))
    decay = -parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    chance = random.Random(seed)
    history = []
    for card in range(cards):
        memory: fsrs_rs.MemoryState | None = None
        believed: fsrs_rs.MemoryState | None = None
        day, elapsed = start, 0
        for _ in range(answers_per_card):
            if memory is None:
                rating = chance.choices(range(1, 5), (0.25, 0.10, 0.50, 0.15))[0]
            else:
                recall = (1 + factor * elapsed / memory.stability) ** decay
                remembered = chance.random() < recall
                rating = chance.choices((2, 3, 4), (0.2, 0.65, 0.15))[0] if remembered else 1
            history.append(PastReview(card, day, rating))
            memory = _after(truth, memory, elapsed, rating)
            believed = _after(scheduler, believed, elapsed, rating)
            interval = scheduler.next_interval(believed.stability, chance.uniform(0.7, 0.95), 3)
            elapsed = max(1, round(interval))
            day += timedelta(days=elapsed)
    return history


def _after(
    model: fsrs_rs.FSRS, memory: fsrs_rs.MemoryState | None, elapsed: int, rating: int
) -> fsrs_rs.MemoryState:
    states = model.next_states(memory, 0.9, elapsed)
    return (states.again, states.hard, states.good, states.easy)[rating - 1].memory
