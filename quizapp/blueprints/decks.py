"""Deck pages: view, upload with preview, generate from sources, edit, publish, export."""

from __future__ import annotations

import secrets
from datetime import timedelta

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
from sqlalchemy import delete, func, select

from ..access import deck_for_edit, deck_for_study, instructor_required
from ..deckfile import CARD_KINDS, CardData, DeckFileError, from_dict
from ..extensions import db
from ..formats import MediaLimits
from ..formats.detect import ImportFailed, read_upload
from ..forms import CardForm, DeckSettingsForm, DeckUploadForm, SourceUploadForm
from ..models import Card, Deck, PendingUpload, ReviewLog, utcnow
from ..services import exports
from ..services.decks import (
    OPAQUE_MEDIA_TYPE,
    MediaOverLimit,
    apply_card,
    card_data,
    card_evidence,
    claim_pending_upload,
    clean_card,
    find_media,
    media_pieces,
    media_type,
    slugify,
    store_decks_racing,
)
from ..services.generation import GenerationFailed, draft_from_uploads
from . import attachment

bp = Blueprint("decks", __name__, url_prefix="/decks")

PENDING_LIFETIME = timedelta(hours=2)
UPLOAD_GONE = "This upload has expired or was already imported. Upload the file again."


@bp.get("/<int:deck_id>")
@login_required
def show(deck_id: int):
    deck = deck_for_study(deck_id)
    cards = [c for c in deck.cards if not c.retired]
    kinds = {kind: sum(1 for c in cards if c.kind == kind) for kind in CARD_KINDS}
    return render_template(
        "decks/show.html",
        deck=deck,
        cards=cards,
        kinds=kinds,
        can_edit=current_user.can_edit(deck),
        retired=sum(1 for c in deck.cards if c.retired),
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
            result = read_upload(filename, data, media_limits=_media_limits())
        except ImportFailed as error:
            form.file.errors.append(str(error))
            return render_template("decks/upload.html", form=form), 400
        _forget_stale_uploads()
        pending = PendingUpload(
            token=secrets.token_urlsafe(24), user_id=current_user.id, filename=filename,
            data=data,
        )
        db.session.add(pending)
        db.session.commit()
        return render_template(
            "decks/preview.html", result=result, token=pending.token, filename=filename,
            existing=_existing_titles(result.decks),
        )
    return render_template("decks/upload.html", form=form), 400 if form.errors else 200


def _media_limits() -> MediaLimits:
    return MediaLimits(
        file_bytes=current_app.config["QUIZAPP_MAX_MEDIA_FILE_BYTES"],
        deck_bytes=current_app.config["QUIZAPP_MAX_DECK_MEDIA_BYTES"],
    )


def _existing_titles(decks) -> set[str]:
    slugs = [slugify(d.title) for d in decks]
    return set(
        db.session.scalars(
            select(Deck.title).where(Deck.owner_id == current_user.id, Deck.slug.in_(slugs))
        )
    )


def _forget_stale_uploads() -> None:
    db.session.execute(
        delete(PendingUpload).where(PendingUpload.created_at < utcnow() - PENDING_LIFETIME)
    )


@bp.post("/upload/confirm")
@instructor_required
def confirm_upload():
    token = request.form.get("token", "")
    pending = db.session.execute(
        select(PendingUpload.filename, PendingUpload.data).where(
            PendingUpload.token == token, PendingUpload.user_id == current_user.id
        )
    ).first()
    if pending is None:
        abort(400, UPLOAD_GONE)
    try:
        result = read_upload(pending.filename, pending.data, media_limits=_media_limits())
    except ImportFailed as error:
        abort(400, str(error))
    # Only now is the upload claimed: of confirms racing on one token, one stores the decks
    # and the others answer as a repeat confirm does.
    try:
        reports = store_decks_racing(
            result.decks,
            owner=current_user,
            claim=lambda: claim_pending_upload(token, current_user),
            max_media_bytes=_media_limits().deck_bytes,
        )
    except MediaOverLimit as error:
        abort(400, str(error))
    if reports is None:
        abort(400, UPLOAD_GONE)
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
            deck = draft_from_uploads(uploads, title=form.title.data or None, owner=current_user)
        except GenerationFailed as error:
            form.files.errors = [str(error)]
            return render_template("decks/generate.html", form=form), 400
        db.session.commit()
        flash("Draft deck generated. Review the cards and publish when ready.", "success")
        return redirect(url_for("decks.review", deck_id=deck.id), code=303)
    return render_template("decks/generate.html", form=form), 400 if form.errors else 200


@bp.get("/<int:deck_id>/review")
@instructor_required
def review(deck_id: int):
    deck = deck_for_edit(deck_id)
    cards = [(card, card_evidence(card)) for card in deck.cards if not card.retired]
    return render_template(
        "decks/review.html", deck=deck, cards=cards, knowledge=deck.knowledge or {}
    )


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
    return render_template("decks/settings.html", deck=deck, form=form), (
        400 if form.errors else 200
    )


@bp.post("/<int:deck_id>/publish")
@instructor_required
def publish(deck_id: int):
    deck = deck_for_edit(deck_id)
    deck.published = request.form.get("published") == "1"
    db.session.commit()
    flash("Deck published: learners can study it." if deck.published
          else "Deck unpublished: only you can see it.", "success")
    return redirect(url_for("decks.show", deck_id=deck.id), code=303)


def _card_from_form(form: CardForm, guid: str) -> CardData | str:
    """The card the form describes, or the reason it is not a valid card."""
    raw = {
        "guid": guid,
        "kind": form.kind.data,
        "prompt": form.prompt.data or "",
        "explanation": form.explanation.data or "",
        "tags": (form.tags.data or "").split(),
    }
    if form.kind.data == "mcq":
        raw["choices"] = [c.strip() for c in (form.choices.data or "").splitlines() if c.strip()]
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
        return "; ".join(p.split(": ", 1)[-1] for p in error.problems)


@bp.route("/<int:deck_id>/cards/new", methods=["GET", "POST"])
@bp.route("/<int:deck_id>/cards/<int:card_id>/edit", methods=["GET", "POST"])
@instructor_required
def edit_card(deck_id: int, card_id: int | None = None):
    deck = deck_for_edit(deck_id)
    card = None
    if card_id is not None:
        card = db.session.get(Card, card_id)
        if card is None or card.deck_id != deck.id:
            abort(404, "No such card in this deck.")
    form = CardForm()
    if request.method == "GET" and card is not None:
        form.kind.data = card.kind
        form.prompt.data = card.prompt
        form.answer.data = card.answer
        form.choices.data = "\n".join(card.choices or [])
        form.correct.data = (card.correct_index or 0) + 1 if card.kind == "mcq" else None
        form.explanation.data = card.explanation
        form.tags.data = " ".join(card.tags or [])
    if form.validate_on_submit():
        guid = card.guid if card else "u" + secrets.token_hex(10)
        data = _card_from_form(form, guid)
        if isinstance(data, str):
            form.prompt.errors.append(data)
        else:
            if card is None:
                position = db.session.scalar(
                    select(func.coalesce(func.max(Card.position), -1)).where(
                        Card.deck_id == deck.id
                    )
                ) + 1
                card = Card(deck_id=deck.id, guid=guid, position=position)
                db.session.add(card)
                changed = True
            else:
                changed = card_data(card).content_key() != data.content_key()
            if changed:
                apply_card(card, data)
                deck.version += 1
                deck.updated_at = utcnow()
            db.session.commit()
            flash("Card saved.", "success")
            return redirect(url_for("decks.show", deck_id=deck.id) + f"#card-{card.id}", code=303)
    return render_template("decks/card_form.html", deck=deck, card=card, form=form), (
        400 if form.errors else 200
    )


@bp.post("/<int:deck_id>/cards/<int:card_id>/delete")
@instructor_required
def delete_card(deck_id: int, card_id: int):
    deck = deck_for_edit(deck_id)
    card = db.session.get(Card, card_id)
    if card is None or card.deck_id != deck.id:
        abort(404, "No such card in this deck.")
    has_history = db.session.scalar(
        select(func.count(ReviewLog.id)).where(ReviewLog.card_id == card.id)
    )
    if has_history:
        # Learners' review history stays meaningful: the card is retired, not erased.
        card.retired = True
        flash("Card retired (learners' history with it is kept).", "success")
    else:
        db.session.delete(card)
        flash("Card deleted.", "success")
    deck.version += 1
    deck.updated_at = utcnow()
    db.session.commit()
    return redirect(url_for("decks.show", deck_id=deck.id), code=303)


# --- export --------------------------------------------------------------------------


@bp.get("/<int:deck_id>/export.apkg")
@login_required
def export_apkg(deck_id: int):
    deck = deck_for_study(deck_id)
    with_progress = request.args.get("progress") == "1"
    data = exports.deck_apkg(deck, learner=current_user if with_progress else None)
    suffix = "-my-progress" if with_progress else ""
    return attachment(data, f"{slugify(deck.title)}{suffix}.apkg", "application/octet-stream")


@bp.get("/<int:deck_id>/export.csv")
@login_required
def export_csv(deck_id: int):
    deck = deck_for_study(deck_id)
    return attachment(exports.deck_csv(deck), f"{slugify(deck.title)}.csv", "text/csv")

