"""Queueing the scheduler's background work: fitting a learner's FSRS parameters (asked for,
or due by itself after a study session) and running the simulator for a deck."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Deck, Job, User, utcnow
from . import deck_simulation, personal_params
from .jobs import JobRefused, queue_job

# A fit that failed (a history the optimizer cannot use) is not tried again by itself sooner.
RETRY_FAILED_FIT_AFTER = timedelta(days=1)


def queue_fit(user: User, deck: Deck) -> Job:
    """Queue fitting the learner's parameters for the deck; JobRefused says why not."""
    status = personal_params.status(user, deck)
    if not status.eligible:
        raise JobRefused(personal_params.too_few(status.reviews, status.needed))
    if status.fitting:
        raise JobRefused("Your parameters are already being fitted.")
    return queue_job(user, "fit", deck_id=deck.id, title=deck.title[:200])


def fit_is_due(user: User, deck: Deck) -> bool:
    """Enough reviews and no fit yet, or as many new reviews again since the last fit."""
    status = personal_params.status(user, deck)
    if not status.eligible or status.fitting:
        return False
    if status.stored is not None:
        return status.reviews >= status.stored.reviews_used + status.needed
    failed_lately = db.session.scalars(
        select(Job.id).where(
            Job.user_id == user.id, Job.deck_id == deck.id, Job.kind == "fit",
            Job.status == "failed", Job.finished_at > utcnow() - RETRY_FAILED_FIT_AFTER,
        )
    ).first()
    return failed_lately is None


def queue_fit_if_due(user: User, deck: Deck) -> Job | None:
    """Queue a fit when one is due (see :func:`fit_is_due`); a user at their job allowance
    simply gets it later."""
    if not fit_is_due(user, deck):
        return None
    try:
        return queue_job(user, "fit", deck_id=deck.id, title=deck.title[:200])
    except JobRefused:
        return None


def queue_simulation(user: User, deck: Deck) -> Job:
    """Queue the simulator for the deck; JobRefused (or SimulationRefused) says why not."""
    view = deck_simulation.view_for(deck)
    if view.problem:
        raise deck_simulation.SimulationRefused(view.problem)
    if view.running:
        raise JobRefused("The simulator is already running for this deck.")
    return queue_job(user, "simulate", deck_id=deck.id, title=deck.title[:200])

