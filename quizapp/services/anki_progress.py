"""Importing a learner's own Anki progress into their state for one deck.

Upload → preview (what matched, how many reviews, which of the learner's states would be
overwritten) → confirm, each step read in a background job (:mod:`.anki_progress_jobs`).
Between the two the file waits as a :class:`PendingUpload` whose token names the deck, so
it can be confirmed only for the deck it was previewed for; the import deletes it (the
claim) in the transaction that writes the progress, as deck uploads do. Operations flush;
the job commits.

Where the state is written: :func:`_store_state` (the one place that knows the columns of
``card_state``) and :func:`_review_log_row` (the one place that turns an Anki answer into a
``review_log`` row).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..formats.anki.progress import (
    DeckCard,
    ImportedReview,
    ImportedSide,
    ProgressPlan,
    read_anki_progress,
)
from ..models import Card, CardState, Deck, PendingUpload, ReviewLog, User
from ..scheduling import registry
from ..scheduling.base import Scheduler
from ..scheduling.conversions import PastAnswer, from_sm2_history
from ..scheduling.phase import Phase
from . import history_days, memory, schedules, tallies
from .uploads import claim_pending_upload

# An answer already in the app (studied here and exported to Anki, or imported before)
# comes back with its time cut to the millisecond and perhaps nudged by one to stay unique.
SAME_ANSWER_MS = 1000
PRESENTATION_PREFIX = "anki:"


@dataclass(frozen=True)
class Overwrite:
    """One of the learner's states the import would replace."""

    card_id: int
    ordinal: int
    prompt: str
    due_now: date
    interval_now: int
    due_after: date | None
    interval_after: int
    studied_here_later: bool  # answered in the app after Anki's last answer


@dataclass
class ProgressPreview:
    plan: ProgressPlan
    new_reviews: int
    known_reviews: int  # answers the app already holds
    overwrites: list[Overwrite]


def deck_cards(deck: Deck) -> list[DeckCard]:
    rows = db.session.execute(
        select(Card.id, Card.guid, Card.prompt, Card.answer, Card.ordinals).where(
            Card.deck_id == deck.id, Card.retired.is_(False)
        )
    )
    return [
        DeckCard(card_id, guid, prompt, answer or "", tuple(ordinals or (0,)))
        for card_id, guid, prompt, answer, ordinals in rows
    ]


def read_plan(learner: User, deck: Deck, data: bytes, now: datetime) -> ProgressPlan:
    """ImportFailed (message for the learner) for anything that cannot be imported."""
    return read_anki_progress(data, deck_cards(deck), learner.timezone, now)


@dataclass(frozen=True)
class LearnerSide:
    """An imported side as states of the scheduler the learner uses in the deck: the card's,
    and for each of its reviews the states before and after it (None: not scheduled yet)."""

    state: Any
    steps: list[tuple[Any | None, Any | None]]


def learner_side(
    scheduler: Scheduler[Any], side: ImportedSide, tz_name: str | None
) -> LearnerSide:
    """Anki's schedule arrives as SM-2 states; another scheduler gets them converted with the
    side's answers as history. Cram answers leave the schedule as it was; Anki's learning
    steps (the app's repeats) moved it, so they count, as in ``conversions``."""
    scheduling = [r for r in side.reviews if r.phase != Phase.CRAM]
    state, afters = from_sm2_history(
        scheduler,
        side.state,
        [(PastAnswer(r.answered_at, r.grade), r.after) for r in scheduling],
        tz_name=tz_name,
    )
    after_of = {r.anki_id: after for r, after in zip(scheduling, afters, strict=True)}
    steps: list[tuple[Any | None, Any | None]] = []
    current = None
    for review in side.reviews:
        before = current
        current = after_of.get(review.anki_id, current)
        steps.append((before, current))
    return LearnerSide(state, steps)


def preview(learner: User, deck: Deck, plan: ProgressPlan) -> ProgressPreview:
    states = _states(learner, deck)
    settings = schedules.settings_for(learner, deck)
    scheduler = registry.create(settings)
    known = _known_answers(learner, deck)
    prompts = dict(
        db.session.execute(select(Card.id, Card.prompt).where(Card.deck_id == deck.id)).all()
    )
    overwrites = []
    new_reviews = 0
    for side in plan.sides:
        new_reviews += sum(1 for r in side.reviews if not _is_known(known, side, r))
        row = states.get((side.card_id, side.ordinal))
        if row is None:
            continue
        _, state_now = schedules.load_state(row, settings, learner)
        after = learner_side(scheduler, side, learner.timezone).state
        overwrites.append(
            Overwrite(
                card_id=side.card_id,
                ordinal=side.ordinal,
                prompt=prompts.get(side.card_id, ""),
                due_now=row.due,
                interval_now=state_now.interval,
                due_after=after.due,
                interval_after=after.interval,
                studied_here_later=_answered_later(row.last_review_at, side.last_review_at),
            )
        )
    return ProgressPreview(plan, new_reviews, plan.review_count - new_reviews, overwrites)


def _answered_later(here: datetime | None, in_anki: datetime | None) -> bool:
    if here is None:
        return False
    return in_anki is None or here > in_anki + timedelta(milliseconds=SAME_ANSWER_MS)


def pending_data(learner: User, deck: Deck, token: str) -> bytes | None:
    if not token.startswith(f"{deck.id}."):
        return None
    return db.session.scalar(
        select(PendingUpload.data).where(
            PendingUpload.token == token, PendingUpload.user_id == learner.id
        )
    )


def apply_plan(
    learner: User, deck: Deck, plan: ProgressPlan, token: str,
    progress: Callable[[int], None] | None = None,
) -> int | None:
    """Write the plan after claiming the upload; the number of answers added, or None when
    the upload was already confirmed (or expired) meanwhile. ``progress`` hears how many
    sides are done."""
    if not claim_pending_upload(token, learner):
        return None
    states = _states(learner, deck)
    known = _known_answers(learner, deck)
    scheduler = registry.create(schedules.settings_for(learner, deck))
    added = 0
    for done, side in enumerate(plan.sides):
        if progress is not None:
            progress(done)
        converted = learner_side(scheduler, side, learner.timezone)
        row = states.get((side.card_id, side.ordinal))
        if row is None:
            row = CardState(user_id=learner.id, card_id=side.card_id, deck_id=deck.id,
                            ordinal=side.ordinal, version=0)
            db.session.add(row)
        _store_state(row, scheduler, converted.state,
                     side.last_review_at or row.last_review_at)
        # Any answer shown with the old state is now stale, as after a review.
        row.version += 1
        previous_at = None
        for review, (before, after) in zip(side.reviews, converted.steps, strict=True):
            if not _is_known(known, side, review):
                db.session.add(
                    _review_log_row(learner, deck, side, review, scheduler, (before, after),
                                    previous_at)
                )
                added += 1
            if review.phase != Phase.CRAM:
                previous_at = review.answered_at
    db.session.flush()
    if progress is not None:
        progress(len(plan.sides))
    # Every imported answer's side has a state row: its totals count them.
    tallies.recount(learner.id, deck.id)
    # The sides' memory estimates follow their new histories.
    memory.rebuild(user_id=learner.id, deck_id=deck.id)
    if added:  # answers on past days: the learner's day totals are summed again
        history_days.forget_days(learner.id)
    return added


def _store_state(
    row: CardState, scheduler: Scheduler[Any], state: Any, last_review_at: datetime | None
) -> None:
    # No instant within the due day: Anki's schedule arrives as days.
    schedules.write_state(row, schedules.state_columns(scheduler, state, last_review_at, None))


def _review_log_row(
    learner: User, deck: Deck, side: ImportedSide, review: ImportedReview,
    scheduler: Scheduler[Any], step: tuple[Any | None, Any | None],
    previous_at: datetime | None,
) -> ReviewLog:
    """``step``: the learner's states before and after the answer; ``previous_at``: when the
    side was last scheduled before it."""
    before, after = step
    rating = scheduler.rating_for_anki_button(review.button)
    return ReviewLog(
        user_id=learner.id,
        card_id=side.card_id,
        deck_id=deck.id,
        ordinal=side.ordinal,
        phase=review.phase,
        grade=rating,
        scheduler=scheduler.name,
        passed=scheduler.scale.passes(rating),
        answered_at=review.answered_at,
        duration_ms=min(review.duration_ms, 3_600_000),
        stage_before=scheduler.stage(before if before is not None else scheduler.new_state()),
        interval_before=before.interval if before is not None else 0,
        state_before=_snapshot(scheduler, before, previous_at),
        state_after=_snapshot(scheduler, after, review.answered_at),
        presentation=f"{PRESENTATION_PREFIX}{review.anki_id}:{side.card_id}:{side.ordinal}",
    )


def _snapshot(scheduler: Scheduler[Any], state: Any | None, at: datetime | None
              ) -> dict[str, Any] | None:
    """The review log's form of a state (as ``services.study`` writes it); None: no state."""
    if state is None:
        return None
    return {"state": scheduler.to_json(state), "last_review_at": at.isoformat() if at else None}


def _states(learner: User, deck: Deck) -> dict[tuple[int, int], CardState]:
    rows = db.session.scalars(
        select(CardState).where(CardState.user_id == learner.id, CardState.deck_id == deck.id)
    )
    return {(row.card_id, row.ordinal): row for row in rows}


def _known_answers(learner: User, deck: Deck) -> dict[tuple[int, int], list[int]]:
    """Every answer the app holds for the learner in the deck, undone ones too (an answer
    taken back in the app must not return through Anki), as sorted epoch milliseconds."""
    known: dict[tuple[int, int], list[int]] = {}
    for card_id, ordinal, at in db.session.execute(
        select(ReviewLog.card_id, ReviewLog.ordinal, ReviewLog.answered_at).where(
            ReviewLog.user_id == learner.id, ReviewLog.deck_id == deck.id
        )
    ):
        known.setdefault((card_id, ordinal), []).append(int(at.timestamp() * 1000))
    for times in known.values():
        times.sort()
    return known


def _is_known(known: dict[tuple[int, int], list[int]], side: ImportedSide,
              review: ImportedReview) -> bool:
    times = known.get((side.card_id, side.ordinal), [])
    at = int(review.answered_at.timestamp() * 1000)
    index = bisect_left(times, at - SAME_ANSWER_MS)
    return index < len(times) and times[index] <= at + SAME_ANSWER_MS
