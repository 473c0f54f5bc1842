"""Deck pages: view, upload with preview, generate from sources, edit, publish, export."""

from __future__ import annotations

import re
import secrets
from collections import Counter

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import kinds
from ..access import deck_for_edit, deck_for_study, instructor_required
from ..deckfile import CardData, DeckFileError, from_dict
from ..extensions import db
from ..formats.detect import ImportFailed, read_upload
from ..forms import CardForm, DeckSettingsForm, DeckUploadForm, SourceUploadForm
from ..models import MAX_ID, Card, Deck, utcnow
from ..services import cards as cards_service
from ..services import deck_simulation, exports, progress, uploads
from ..services import review as review_service
from ..services.decks import (
    OPAQUE_MEDIA_TYPE,
    MediaOverLimit,
    clean_card,
    deck_slug,
    find_media,
    media_limits,
    media_pieces,
    media_type,
    store_decks_racing,
)
from ..services.generation import GenerationFailed, check_uploads, source_limits
from ..services.jobs import JobRefused, queue_job
from . import attachment

bp = Blueprint("decks", __name__, url_prefix="/decks")

UPLOAD_GONE = "This upload has expired or was already imported. Upload the file again."


CARDS_PER_PAGE = 50


@bp.get("/<int:deck_id>")
@login_required
def show(deck_id: int):
    """The deck's overview. Its owner also gets every card with edit tools; anyone else
    browses the cards, answers and all, only on asking (?cards=1), a page at a time."""
    deck = deck_for_study(deck_id)
    cards = [c for c in deck.cards if not c.retired]
    can_edit = current_user.can_edit(deck)
    browsing = can_edit or request.args.get("cards") == "1"
    pages = max(1, -(-len(cards) // CARDS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    shown = cards if can_edit else cards[(page - 1) * CARDS_PER_PAGE:page * CARDS_PER_PAGE]
    return render_template(
        "decks/show.html",
        deck=deck,
        cards=cards,
        shown=shown if browsing else [],
        browsing=browsing,
        page=page,
        pages=pages if not can_edit else 1,
        first_number=1 if can_edit else (page - 1) * CARDS_PER_PAGE + 1,
        kinds={kind: sum(1 for c in cards if c.kind == kind) for kind in kinds.names()},
        tags=Counter(tag for c in cards for tag in c.tags or ()).most_common(),
        figures=progress.learner_summary(current_user, [deck], utcnow()).decks[0],
        can_edit=can_edit,
        retired=sum(1 for c in deck.cards if c.retired),
        dropped=_retired_card(deck, request.args.get("dropped")),
    )


@bp.get("/<int:deck_id>/media/<path:name>")
@login_required
def media(deck_id: int, name: str):
    deck = deck_for_study(deck_id)
    item = find_media(deck.id, name)
    if item is None:
        abort(404, "No such image.")
    mime = media_type(item.name)
    response = Response(
        stream_with_context(media_pieces(item)), mimetype=mime, direct_passthrough=True
    )
    response.content_length = item.size
    response.headers["Cache-Control"] = "private, max-age=3600"
    # Served from our origin, so never as anything a browser would run: only pictures,
    # sound and video display inline, everything else downloads, nothing is sniffed, and
    # a document opened from here gets no script, plugins or same-origin rights.
    response.headers["Content-Disposition"] = (
        "inline" if mime != OPAQUE_MEDIA_TYPE else "attachment"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'none'"
    )
    return response


# --- upload with preview -------------------------------------------------------------


@bp.route("/upload", methods=["GET", "POST"])
@instructor_required
def upload():
    form = DeckUploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read()
        filename = (storage.filename or "upload")[:300]
        try:
            result = read_upload(filename, data, media_limits=media_limits())
        except ImportFailed as error:
            form.file.errors.append(str(error))
            return render_template("decks/upload.html", form=form), 400
        try:
            token = uploads.hold_upload(current_user, filename, data)
        except JobRefused as error:
            form.file.errors.append(str(error))
            return render_template("decks/upload.html", form=form), 400
        db.session.commit()
        return render_template(
            "decks/preview.html", result=result, token=token, filename=filename,
            existing=uploads.existing_titles(current_user, result.decks),
        )
    return render_template("decks/upload.html", form=form), 400 if form.errors else 200


@bp.post("/upload/confirm")
@instructor_required
def confirm_upload():
    token = request.form.get("token", "")
    pending = uploads.pending_upload(token, current_user)
    if pending is None:
        abort(400, UPLOAD_GONE)
    if len(pending.data) > current_app.config["QUIZAPP_IMPORT_JOB_BYTES"]:
        try:
            job = queue_job(current_user, "import", upload_token=token)
        except JobRefused as error:
            abort(400, str(error))
        return redirect(url_for("jobs.show", job_id=job.id), code=303)
    try:
        result = read_upload(pending.filename, pending.data, media_limits=media_limits())
    except ImportFailed as error:
        abort(400, str(error))
    # Only now is the upload claimed: of confirms racing on one token, one stores the decks
    # and the others answer as a repeat confirm does.
    try:
        reports = store_decks_racing(
            result.decks,
            owner=current_user,
            claim=lambda: uploads.claim_pending_upload(token, current_user),
            max_media_bytes=media_limits().deck_bytes,
        )
    except MediaOverLimit as error:
        abort(400, str(error))
    if reports is None:
        abort(400, UPLOAD_GONE)
    db.session.commit()
    for report in reports:
        flash(report.summary(), "success")
    return redirect(url_for("decks.show", deck_id=reports[0].deck.id), code=303)


# --- generate from source documents --------------------------------------------------


@bp.route("/generate", methods=["GET", "POST"])
@instructor_required
def generate():
    form = SourceUploadForm()
    if form.validate_on_submit():
        uploads = [(f.filename or "source.txt", f.read()) for f in form.files.data if f]
        try:
            files = check_uploads(uploads, source_limits())
            job = queue_job(current_user, "generate", files=files, title=form.title.data or None)
        except (GenerationFailed, JobRefused) as error:
            form.files.errors = [str(error)]
            return render_template("decks/generate.html", form=form), 400
        return redirect(url_for("jobs.show", job_id=job.id), code=303)
    return render_template("decks/generate.html", form=form), 400 if form.errors else 200


@bp.get("/<int:deck_id>/review")
@instructor_required
def review(deck_id: int):
    deck = deck_for_edit(deck_id)
    dropped = _retired_card(deck, request.args.get("dropped"))
    return render_template(
        "decks/review.html", deck=deck,
        page=review_service.review_page(deck, just_dropped=dropped),
    )


def _retired_card(deck: Deck, card_id: str | None) -> Card | None:
    """The just-dropped card named in the address, offered for undo; None for anything else."""
    if not card_id or not card_id.isdigit() or int(card_id) > MAX_ID:
        return None
    card = cards_service.card_in_deck(deck, int(card_id))
    return card if card is not None and card.retired else None


def _card_of(deck: Deck, card_id: int) -> Card:
    card = cards_service.card_in_deck(deck, card_id)
    if card is None:
        abort(404, "No such card in this deck.")
    return card


def _back_to(deck: Deck, anchor: str, **args) -> Response:
    """Back to the page the form was on: the review page or the deck page."""
    page = "decks.review" if request.form.get("back") == "review" else "decks.show"
    return redirect(url_for(page, deck_id=deck.id, **args) + f"#{anchor}", code=303)


@bp.post("/<int:deck_id>/suggestions")
@instructor_required
def decide_suggestion(deck_id: int):
    deck = deck_for_edit(deck_id)
    suggestion_id = request.form.get("suggestion", "")
    try:
        anchor = review_service.find_suggestion(deck, suggestion_id).anchor
        message = review_service.decide(
            deck, suggestion_id, request.form.get("decision", ""), current_user
        )
    except review_service.NoSuchSuggestion:
        abort(404, "This deck has no such suggestion; reload the review page.")
    except review_service.ReviewRefused as error:
        abort(400, str(error))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("decks.review", deck_id=deck.id) + f"#{anchor}", code=303)


@bp.post("/<int:deck_id>/cards/<int:card_id>/restore")
@instructor_required
def restore_card(deck_id: int, card_id: int):
    deck, card = _change_card(deck_id, card_id, cards_service.restore_card)
    flash("Card restored.", "success")
    return _back_to(deck, f"card-{card.id}")


def _change_card(deck_id: int, card_id: int, change) -> tuple[Deck, Card]:
    """Drop or restore one card of a deck the user may edit, and commit."""
    deck = deck_for_edit(deck_id)
    card = _card_of(deck, card_id)
    change(deck, card)
    db.session.commit()
    return deck, card


# --- editing -------------------------------------------------------------------------


@bp.get("/mine")
@instructor_required
def mine():
    query = select(Deck).order_by(Deck.title)
    if not current_user.is_admin:
        query = query.where(Deck.owner_id == current_user.id)
    return render_template("decks/mine.html", decks=db.session.scalars(query).all())


@bp.route("/<int:deck_id>/settings", methods=["GET", "POST"])
@instructor_required
def settings(deck_id: int):
    deck = deck_for_edit(deck_id)
    form = DeckSettingsForm(obj=deck)
    if form.validate_on_submit():
        form.populate_obj(deck)
        deck.title = deck.title.strip()
        deck.updated_at = utcnow()
        db.session.commit()
        flash("Deck settings saved.", "success")
        return redirect(url_for("decks.show", deck_id=deck.id), code=303)
    return render_template(
        "decks/settings.html", deck=deck, form=form,
        simulation=deck_simulation.view_for(deck),
    ), (400 if form.errors else 200)


@bp.post("/<int:deck_id>/publish")
@instructor_required
def publish(deck_id: int):
    deck = deck_for_edit(deck_id)
    deck.published = request.form.get("published") == "1"
    db.session.commit()
    flash("Deck published: learners can study it." if deck.published
          else "Deck unpublished: only you can see it.", "success")
    return redirect(url_for("decks.show", deck_id=deck.id), code=303)


# A problem the deck-file check still finds, by the field it names: the form's own checks
# catch the common ones in plainer words first, so these are the rare leftovers.
FIELD_OF_PROBLEM = re.compile(r"field '(\w+)")
CARD_TEXT_FIELDS = ("prompt", "answer", "choices", "correct", "explanation", "tags")


def _card_from_form(form: CardForm, guid: str) -> CardData | None:
    """The card the form describes, or None after putting each problem under its field."""
    raw = {
        "guid": guid,
        "kind": form.kind.data,
        "prompt": form.prompt.data or "",
        "explanation": form.explanation.data or "",
        "tags": (form.tags.data or "").split(),
    }
    if kinds.get(form.kind.data).has_choices:
        raw["choices"] = form.choice_lines()
        raw["correct"] = (form.correct.data or 0) - 1
    else:
        raw["answer"] = form.answer.data or ""
    document = {
        "format": "quizapp.deck", "format_version": 1, "deck": {"title": "card"},
        "cards": [raw],
    }
    try:
        return clean_card(from_dict(document, "card").cards[0])
    except DeckFileError as error:
        for problem in error.problems:
            named = FIELD_OF_PROBLEM.search(problem)
            name = named.group(1) if named else "prompt"
            field = form[name] if name in CARD_TEXT_FIELDS else form.prompt
            message = problem.split(": ", 1)[-1]
            field.errors.append(message[0].upper() + message[1:] + ".")
        return None


@bp.route("/<int:deck_id>/cards/new", methods=["GET", "POST"])
@bp.route("/<int:deck_id>/cards/<int:card_id>/edit", methods=["GET", "POST"])
@instructor_required
def edit_card(deck_id: int, card_id: int | None = None):
    deck = deck_for_edit(deck_id)
    card = None if card_id is None else _card_of(deck, card_id)
    form = CardForm()
    if request.method == "GET" and card is not None:
        form.kind.data = card.kind
        form.prompt.data = card.prompt
        form.answer.data = card.answer
        form.choices.data = "\n".join(card.choices or [])
        form.correct.data = (
            (card.correct_index or 0) + 1 if kinds.get(card.kind).has_choices else None
        )
        form.explanation.data = card.explanation
        form.tags.data = " ".join(card.tags or [])
    if form.validate_on_submit():
        guid = card.guid if card else "u" + secrets.token_hex(10)
        data = _card_from_form(form, guid)
        if data is not None:
            card = cards_service.save_card(deck, card, data)
            db.session.commit()
            flash("Card saved.", "success")
            return redirect(url_for("decks.show", deck_id=deck.id) + f"#card-{card.id}", code=303)
    return render_template("decks/card_form.html", deck=deck, card=card, form=form), (
        400 if form.errors else 200
    )


@bp.post("/<int:deck_id>/cards/<int:card_id>/delete")
@instructor_required
def delete_card(deck_id: int, card_id: int):
    deck, card = _change_card(deck_id, card_id, cards_service.drop_card)
    return _back_to(deck, f"card-{card.id}", dropped=card.id)


# --- export --------------------------------------------------------------------------


@bp.get("/<int:deck_id>/export.apkg")
@login_required
def export_apkg(deck_id: int):
    deck = deck_for_study(deck_id)
    with_progress = request.args.get("progress") == "1"
    data = exports.deck_apkg(deck, learner=current_user if with_progress else None)
    suffix = "-my-progress" if with_progress else ""
    return attachment(data, f"{deck_slug(deck.title)}{suffix}.apkg", "application/octet-stream")


@bp.get("/<int:deck_id>/export.csv")
@login_required
def export_csv(deck_id: int):
    deck = deck_for_study(deck_id)
    return attachment(exports.deck_csv(deck), f"{deck_slug(deck.title)}.csv", "text/csv")

