"""A learner brings their Anki progress into a deck: upload → preview → confirm."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from ..access import deck_for_study
from ..extensions import db
from ..formats import ImportFailed
from ..forms import AnkiProgressForm
from ..models import utcnow
from ..services import anki_progress
from ..services.jobs import JobRefused, check_storage_allowance
from ..services.uploads import forget_stale_uploads
from .decks import UPLOAD_GONE

bp = Blueprint("anki_progress", __name__, url_prefix="/decks")


@bp.route("/<int:deck_id>/anki-progress", methods=["GET", "POST"])
@login_required
def upload(deck_id: int):
    deck = deck_for_study(deck_id)
    form = AnkiProgressForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read()
        try:
            plan = anki_progress.read_plan(current_user, deck, data, utcnow())
            check_storage_allowance(current_user, len(data))
        except (ImportFailed, JobRefused) as error:
            form.file.errors.append(str(error))
            return render_template("anki_progress/upload.html", deck=deck, form=form), 400
        forget_stale_uploads()
        filename = (storage.filename or "upload")[:300]
        token = anki_progress.stash(current_user, deck, filename, data)
        shown = anki_progress.preview(current_user, deck, plan)
        db.session.commit()
        return render_template(
            "anki_progress/preview.html", deck=deck, preview=shown, token=token,
            filename=filename,
        )
    status = 400 if form.errors else 200
    return render_template("anki_progress/upload.html", deck=deck, form=form), status


@bp.post("/<int:deck_id>/anki-progress/confirm")
@login_required
def confirm(deck_id: int):
    deck = deck_for_study(deck_id)
    token = request.form.get("token", "")
    data = anki_progress.pending_data(current_user, deck, token)
    if data is None:
        abort(400, UPLOAD_GONE)
    try:
        plan = anki_progress.read_plan(current_user, deck, data, utcnow())
    except ImportFailed as error:
        abort(400, str(error))
    try:
        added = anki_progress.apply_plan(current_user, deck, plan, token)
        if added is None:
            db.session.rollback()
            abort(400, UPLOAD_GONE)
        db.session.commit()
    except IntegrityError:
        # A card was studied for the first time in another tab meanwhile; the rollback
        # puts the upload back, so confirming again imports on top of that answer.
        db.session.rollback()
        abort(409, "Your progress in this deck changed while importing. Confirm again.")
    flash(
        f"Imported your Anki progress for {len(plan.sides)} card side(s) and {added} "
        "review(s).",
        "success",
    )
    return redirect(url_for("progress.deck", deck_id=deck.id), code=303)
