"""Personal FSRS parameters: a learner's review history in a deck, the fit once it is long
enough (``QUIZAPP_FSRS_FIT_MIN_REVIEWS``, Anki's 1,000 by default), and the parameters kept
only when they predict held-out answers better than the defaults
(:mod:`quizapp.scheduling.fitting`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from .. import jsontext
from ..extensions import db
from ..models import Deck, Job, LearnerSchedulerParams, ReviewLog, User, job_under_way, utcnow
from ..scheduling.base import Scheduler
from ..scheduling.conversions import fsrs_rating_of
from ..scheduling.day import learner_day
from ..scheduling.fitting import FitResult, PastReview, fit
from ..scheduling.registry import TAKES_FITTED_PARAMETERS, SchedulerSettings, create

# Answers that tested recall or moved the schedule; cram answers change nothing and undone
# ones never happened (as in the SM-2 → FSRS replay).
FITTED_PHASES = ("learn", "review", "repeat")


class FitRefused(ValueError):
    """A fit that cannot be made (too few reviews, the deck gone); the message says why."""


FITTED = (ReviewLog.phase.in_(FITTED_PHASES), ReviewLog.undone_at.is_(None))


def _answers(user_id: int, deck_id: int):
    return (ReviewLog.user_id == user_id, ReviewLog.deck_id == deck_id, *FITTED)


def review_count(user_id: int, deck_id: int) -> int:
    return db.session.scalar(select(func.count(ReviewLog.id)).where(*_answers(user_id, deck_id)))


def min_reviews() -> int:
    return current_app.config["QUIZAPP_FSRS_FIT_MIN_REVIEWS"]


def too_few(reviews: int, needed: int) -> str:
    return f"Personal parameters need {needed:,} reviews in this deck; you have {reviews:,}."


def eligible_pairs(user_id: int | None = None, deck_id: int | None = None
                   ) -> list[tuple[int, int]]:
    """(learner, deck) pairs with enough reviews to fit, optionally for one learner or deck."""
    query = (
        select(ReviewLog.user_id, ReviewLog.deck_id)
        .where(*FITTED)
        .group_by(ReviewLog.user_id, ReviewLog.deck_id)
        .having(func.count(ReviewLog.id) >= min_reviews())
        .order_by(ReviewLog.user_id, ReviewLog.deck_id)
    )
    if user_id is not None:
        query = query.where(ReviewLog.user_id == user_id)
    if deck_id is not None:
        query = query.where(ReviewLog.deck_id == deck_id)
    return [(row.user_id, row.deck_id) for row in db.session.execute(query)]


def review_history(user: User, deck_id: int) -> list[PastReview]:
    """The learner's answers in the deck, oldest first, on their own learner days."""
    rows = db.session.execute(
        select(ReviewLog.card_id, ReviewLog.ordinal, ReviewLog.answered_at, ReviewLog.grade,
               ReviewLog.scheduler)
        .where(*_answers(user.id, deck_id))
        .order_by(ReviewLog.answered_at, ReviewLog.id)
    ).all()
    return [
        PastReview((row.card_id, row.ordinal), learner_day(row.answered_at, user.timezone),
                   fsrs_rating_of(row))
        for row in rows
    ]


def fit_for(user: User, deck: Deck) -> LearnerSchedulerParams:
    """Fit the learner's parameters for the deck and store the outcome (flushed, not
    committed). The fitted parameters are kept only when they beat the defaults; otherwise
    the learner keeps the defaults and the row records how both scored."""
    count, needed = review_count(user.id, deck.id), min_reviews()
    if count < needed:
        raise FitRefused(too_few(count, needed))
    result = fit(review_history(user, deck.id))
    row = _stored(user.id, deck.id) or LearnerSchedulerParams(user_id=user.id, deck_id=deck.id)
    _record(row, result)
    db.session.add(row)
    db.session.flush()
    return row


def _record(row: LearnerSchedulerParams, result: FitResult) -> None:
    row.parameters = list(result.parameters) if result.improved else None
    row.reviews_used = result.reviews
    row.log_loss_default = result.log_loss_default
    # Kept when the fit lost too, so the learner sees why the defaults stay.
    row.log_loss_fitted = result.log_loss_fitted if math.isfinite(result.log_loss_fitted) else None
    row.fitted_at = utcnow()


def _stored(user_id: int, deck_id: int) -> LearnerSchedulerParams | None:
    return db.session.scalars(
        select(LearnerSchedulerParams).where(
            LearnerSchedulerParams.user_id == user_id, LearnerSchedulerParams.deck_id == deck_id
        )
    ).first()


def personal_parameters(user_id: int, deck_id: int) -> tuple[float, ...] | None:
    """The learner's fitted parameters for the deck, or None to use the deck's."""
    row = _stored(user_id, deck_id)
    return tuple(row.parameters) if row is not None and row.parameters else None


def fitted_parameters(
    user_ids: list[int], deck_ids: list[int]
) -> dict[tuple[int, int], tuple[float, ...]]:
    """{(user id, deck id): fitted parameters} of those learners in those decks that have
    some (the others use the defaults)."""
    rows = db.session.execute(
        select(LearnerSchedulerParams.user_id, LearnerSchedulerParams.deck_id,
               LearnerSchedulerParams.parameters)
        .where(LearnerSchedulerParams.user_id.in_(user_ids),
               LearnerSchedulerParams.deck_id.in_(deck_ids))
    ).all()
    return {(row.user_id, row.deck_id): tuple(row.parameters) for row in rows if row.parameters}


def settings_for_learner(settings: SchedulerSettings, user_id: int, deck_id: int
                         ) -> SchedulerSettings:
    """The deck's scheduler settings with the learner's fitted parameters, when they have
    some: what their FSRS scheduler is built from."""
    if settings.name not in TAKES_FITTED_PARAMETERS:
        return settings
    return with_fitted(settings, personal_parameters(user_id, deck_id))


def with_fitted(settings: SchedulerSettings, fitted: Sequence[float] | None
                ) -> SchedulerSettings:
    """``settings`` with the learner's fitted parameters as stored (``parameters`` of their
    ``LearnerSchedulerParams`` row, read by the caller; None or empty: none)."""
    if not fitted or settings.name not in TAKES_FITTED_PARAMETERS:
        return settings
    return replace(settings, parameters=tuple(fitted))


@lru_cache(maxsize=256)
def settings_and_scheduler(chosen: str | None, fitted: str | None
                           ) -> tuple[SchedulerSettings, Scheduler[Any]]:
    """The settings a learner studies with and their scheduler, from the stored JSON texts
    of the chosen settings (the learner's own, else the deck's; None or JSON null: the
    default) and of their fitted parameters (``with_fitted``). Kept per pair of texts: every
    answer reads them, and parsing and checking the settings (an FSRS deck's 21 parameters)
    cost more than scheduling the answer. Settings that do not parse raise as
    ``SchedulerSettings.from_json`` does, every time (a raised call is not kept)."""
    data = None if chosen is None else jsontext.loads(chosen)
    settings = SchedulerSettings() if data is None else SchedulerSettings.from_json(data)
    settings = with_fitted(settings, None if fitted is None else jsontext.loads(fitted))
    return settings, create(settings)


def describe(row: LearnerSchedulerParams) -> str:
    """The outcome of a fit in a sentence (progress page, ``flask sched fit``)."""
    before = f"{row.log_loss_default:.4f}"
    if row.parameters is not None:
        return (
            f"Personal parameters: fitted on {row.reviews_used:,} reviews, log loss "
            f"{before} → {row.log_loss_fitted:.4f}"
        )
    fitted = "could not be used" if row.log_loss_fitted is None else (
        f"scored log loss {row.log_loss_fitted:.4f} against the defaults' {before}"
    )
    return f"Using defaults: parameters fitted on {row.reviews_used:,} reviews {fitted}"


@dataclass(frozen=True)
class ParamsStatus:
    """What the learner's progress page says about their parameters."""

    reviews: int
    needed: int
    stored: LearnerSchedulerParams | None
    fitting: bool

    @property
    def eligible(self) -> bool:
        return self.reviews >= self.needed

    @property
    def summary(self) -> str:
        if self.stored is not None:
            return describe(self.stored)
        return f"Using defaults ({self.reviews:,} of {self.needed:,} reviews)"


def status(user: User, deck: Deck) -> ParamsStatus:
    return ParamsStatus(review_count(user.id, deck.id), min_reviews(), _stored(user.id, deck.id),
                        job_under_way("fit", deck.id, user.id))


def run_fit_job(job: Job, report) -> int:
    """The background job: fit the job owner's parameters for the job's deck."""
    user = db.session.get(User, job.user_id)
    deck = db.session.get(Deck, job.deck_id) if job.deck_id is not None else None
    if deck is None:
        raise FitRefused("This deck no longer exists.")
    report(stage=f"Fitting on {review_count(user.id, deck.id):,} reviews", percent=10)
    fit_for(user, deck)
    return deck.id
