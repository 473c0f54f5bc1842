"""Scheduler work a person starts from a page: fitting a learner's FSRS parameters, running
the simulator for a deck. Both queue a background job and come back to the page they came
from, which shows the outcome."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from ..access import deck_for_edit, deck_for_study, instructor_required
from ..services import deck_simulation, personal_params
from ..services.jobs import JobRefused, queue_job

bp = Blueprint("scheduling", __name__)


@bp.post("/progress/decks/<int:deck_id>/fit")
@login_required
def fit_parameters(deck_id: int):
    deck = deck_for_study(deck_id)
    back = redirect(url_for("progress.deck", deck_id=deck.id, _anchor="parameters"), code=303)
    status = personal_params.status(current_user, deck)
    if not status.eligible:
        flash(f"Personal parameters need {status.needed:,} reviews in this deck; you have "
              f"{status.reviews:,}.", "error")
        return back
    if status.fitting:
        flash("Your parameters are already being fitted.", "info")
        return back
    try:
        job = queue_job(current_user, "fit", deck_id=deck.id, title=deck.title[:200])
    except JobRefused as refused:
        flash(str(refused), "error")
        return back
    if job.status == "failed":
        flash(job.message, "error")
    elif job.status != "done":
        flash("Fitting your parameters: this page shows the result when it is done.", "info")
    return back


@bp.post("/decks/<int:deck_id>/simulation")
@instructor_required
def simulate_deck(deck_id: int):
    deck = deck_for_edit(deck_id)
    back = redirect(url_for("decks.settings", deck_id=deck.id, _anchor="simulation"), code=303)
    view = deck_simulation.view_for(deck)
    if view.problem:
        flash(view.problem, "error")
        return back
    if view.running:
        flash("The simulator is already running for this deck.", "info")
        return back
    try:
        job = queue_job(current_user, "simulate", deck_id=deck.id, title=deck.title[:200])
    except JobRefused as refused:
        flash(str(refused), "error")
        return back
    if job.status == "failed":
        flash(job.message, "error")
    elif job.status != "done":
        flash("The simulator is running: this page shows its figures when it is done.", "info")
    return back
