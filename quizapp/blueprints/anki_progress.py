"""A learner brings their Anki progress into a deck: upload → preview → confirm. Reading the
package is a background job each time (:mod:`quizapp.services.anki_progress_jobs`): the
upload and the confirm answer at once with the job's page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import deck_for_study
from ..formats import ImportFailed
from ..forms import AnkiProgressForm
from ..services import anki_progress_jobs
from ..services.jobs import JobRefused, job_for
from .decks import UPLOAD_GONE

bp = Blueprint("anki_progress", __name__, url_prefix="/decks")


@bp.route("/<int:deck_id>/anki-progress", methods=["GET", "POST"])
@login_required
def upload(deck_id: int):
    deck = deck_for_study(deck_id)
    form = AnkiProgressForm()
    if form.validate_on_submit():
        storage = form.file.data
        filename = (storage.filename or "upload")[:300]
        try:
            job = anki_progress_jobs.queue_preview(current_user, deck, filename, storage.read())
        except (ImportFailed, JobRefused) as error:
            form.file.errors.append(str(error))
            return render_template("anki_progress/upload.html", deck=deck, form=form), 400
        return redirect(url_for("jobs.show", job_id=job.id), code=303)
    status = 400 if form.errors else 200
    return render_template("anki_progress/upload.html", deck=deck, form=form), status


@bp.get("/<int:deck_id>/anki-progress/preview/<int:job_id>")
@login_required
def preview(deck_id: int, job_id: int):
    deck = deck_for_study(deck_id)
    found = anki_progress_jobs.preview_of(current_user, deck, job_for(current_user, job_id))
    if found is None:
        abort(400, UPLOAD_GONE)
    summary, token = found
    return render_template("anki_progress/preview.html", deck=deck, preview=summary,
                           token=token)


@bp.post("/<int:deck_id>/anki-progress/confirm")
@login_required
def confirm(deck_id: int):
    deck = deck_for_study(deck_id)
    try:
        job = anki_progress_jobs.queue_import(current_user, deck, request.form.get("token", ""))
    except JobRefused as error:
        abort(400, str(error))
    if job is None:
        abort(400, UPLOAD_GONE)
    return redirect(url_for("jobs.show", job_id=job.id), code=303)
