"""Scheduler work a person starts from a page: fitting a learner's FSRS parameters, running
the simulator for a deck. Both queue a background job and come back to the page they came
from, which shows the outcome."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from ..access import deck_for_edit, deck_for_study, instructor_required
from ..models import Job
from ..services import scheduler_jobs
from ..services.deck_simulation import SimulationRefused
from ..services.jobs import JobRefused

bp = Blueprint("scheduling", __name__)


@bp.post("/progress/decks/<int:deck_id>/fit")
@login_required
def fit_parameters(deck_id: int):
    deck = deck_for_study(deck_id)
    try:
        job = scheduler_jobs.queue_fit(current_user, deck)
    except JobRefused as refused:
        flash(str(refused), "error")
    else:
        _say(job, "Fitting your parameters: this page shows the result when it is done.")
    return redirect(url_for("progress.deck", deck_id=deck.id, _anchor="parameters"), code=303)


@bp.post("/decks/<int:deck_id>/simulation")
@instructor_required
def simulate_deck(deck_id: int):
    deck = deck_for_edit(deck_id)
    try:
        job = scheduler_jobs.queue_simulation(current_user, deck)
    except (JobRefused, SimulationRefused) as refused:
        flash(str(refused), "error")
    else:
        _say(job, "The simulator is running: this page shows its figures when it is done.")
    return redirect(url_for("decks.settings", deck_id=deck.id, _anchor="simulation"), code=303)


def _say(job: Job, waiting: str) -> None:
    """A job run at once (the immediate queue) has its outcome on the page already."""
    if job.status == "failed":
        flash(job.message, "error")
    elif job.status != "done":
        flash(waiting, "info")
