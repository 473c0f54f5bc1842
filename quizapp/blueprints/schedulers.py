"""Choosing a deck's scheduler (its instructor) and a learner's own for it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import deck_for_edit, deck_for_study, instructor_required
from ..extensions import db
from ..forms import SchedulerForm
from ..models import Deck
from ..scheduling.registry import SchedulerSettings
from ..services import schedules

bp = Blueprint("schedulers", __name__)

DECK_DEFAULT = ""  # the learner's choice "as the deck says"


def _form(current: SchedulerSettings | None, deck: Deck, *, own: bool) -> SchedulerForm:
    form = SchedulerForm()
    form.name.choices = schedules.choices()
    if own:
        label = dict(form.name.choices).get(schedules.deck_settings(deck).name, "")
        form.name.choices.insert(0, (DECK_DEFAULT, f"As the deck is set ({label})"))
    if request.method == "GET":
        shown = current or schedules.deck_settings(deck)
        form.name.data = DECK_DEFAULT if own and current is None else shown.name
        form.desired_retention.data = shown.desired_retention
        form.maximum_interval.data = shown.maximum_interval
    return form


def _settings(form: SchedulerForm, base: SchedulerSettings) -> SchedulerSettings | None:
    """The submitted settings (None: the deck's); ValueError with the reason if refused."""
    if form.name.data == DECK_DEFAULT:
        return None
    data = base.to_json() | {
        "name": form.name.data,
        "desired_retention": form.desired_retention.data,
        "maximum_interval": form.maximum_interval.data,
    }
    return SchedulerSettings.from_json(data)


def _page(deck: Deck, form: SchedulerForm, *, own: bool):
    status = 400 if form.errors else 200
    return render_template("schedulers/settings.html", deck=deck, form=form, own=own), status


@bp.route("/decks/<int:deck_id>/scheduler", methods=["GET", "POST"])
@instructor_required
def deck_scheduler(deck_id: int):
    deck = deck_for_edit(deck_id)
    current = schedules.deck_settings(deck)
    form = _form(current, deck, own=False)
    if form.validate_on_submit():
        try:
            settings = _settings(form, current)
        except ValueError as error:
            form.name.errors = [str(error)]
        else:
            assert settings is not None
            schedules.set_deck_settings(deck, settings)
            db.session.commit()
            flash("Scheduler saved; every learner keeps their progress.", "success")
            return redirect(url_for("decks.settings", deck_id=deck.id), code=303)
    return _page(deck, form, own=False)


@bp.route("/study/<int:deck_id>/scheduler", methods=["GET", "POST"])
@login_required
def own_scheduler(deck_id: int):
    deck = deck_for_study(deck_id)
    current = schedules.own_settings(current_user, deck)
    form = _form(current, deck, own=True)
    if form.validate_on_submit():
        try:
            settings = _settings(form, current or schedules.deck_settings(deck))
        except ValueError as error:
            form.name.errors = [str(error)]
        else:
            schedules.set_own_settings(current_user, deck, settings)
            db.session.commit()
            flash("Your scheduler for this deck is saved; your progress is kept.", "success")
            return redirect(url_for("decks.show", deck_id=deck.id), code=303)
    return _page(deck, form, own=True)
