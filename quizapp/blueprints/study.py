"""The study session: one card at a time, answered by form post (JavaScript only enhances)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from ..access import deck_for_study
from ..extensions import db
from ..models import Card
from ..rendering import card_side
from ..services import study
from ..services.decks import card_evidence
from ..templating import media_url_for

bp = Blueprint("study", __name__, url_prefix="/study")


def _queue_key(deck_id: int, cram: bool) -> str:
    return f"q:{deck_id}:{'cram' if cram else 'sm2'}"


def _render(template: str, **context):
    """The whole page, or only the study panel when the page's script asks for it."""
    partial = request.headers.get("X-Partial") == "1"
    return render_template(template, partial=partial, **context)


@bp.get("/<int:deck_id>")
@login_required
def session_page(deck_id: int):
    deck = deck_for_study(deck_id)
    cram = request.args.get("mode") == "cram"
    key = _queue_key(deck.id, cram)
    if request.args.get("restart") or key not in session:
        fresh = study.SessionQueue()
        if cram and request.args.get("focus") == "hard":
            fresh.only = study.hard_card_ids(current_user, deck)
            if not fresh.only:
                flash("You have no hard cards in this deck yet: cramming all of it.", "info")
        session[key] = fresh.dump()
        session[f"{key}:since"] = study.utcnow().timestamp()
    queue = study.SessionQueue.load(session.get(key))
    presentation = study.choose_next(current_user, deck, queue, cram=cram)
    if presentation is None:
        summary = study.session_summary(
            current_user, deck, study.session_started_at(session.get(f"{key}:since"))
        )
        return _render("study/summary.html", deck=deck, summary=summary, cram=cram)
    card = db.session.get(Card, presentation.card_id)
    side = card_side(
        card.kind, card.prompt, card.answer, presentation.ordinal, media_url_for(deck.id)
    )
    token = study.encode_presentation(
        presentation, current_user.id, current_app.config["SECRET_KEY"]
    )
    choices = [(i, card.choices[original]) for i, original in
               enumerate(presentation.choice_order)] if card.kind == "mcq" else []
    return _render(
        "study/card.html",
        deck=deck,
        card=card,
        side=side,
        token=token,
        presentation=presentation,
        choices=choices,
        cram=cram,
        repeats=len(queue.repeats),
    )


def _int_field(name: str) -> int | None:
    value = request.form.get(name, "")
    value = value.strip()
    # isdigit() alone accepts "²", which int() refuses.
    return int(value) if value.isascii() and value.isdigit() else None


@bp.post("/<int:deck_id>/answer")
@login_required
def answer(deck_id: int):
    deck = deck_for_study(deck_id)
    token = request.form.get("token", "")
    secret = current_app.config["SECRET_KEY"]
    try:
        presentation = study.decode_presentation(token, current_user.id, secret)
        card = db.session.get(Card, presentation.card_id)
        if card is None or card.deck_id != deck.id:
            abort(400, "That card is not in this deck.")
        outcome = study.record_answer(
            current_user,
            token,
            secret,
            grade=_int_field("grade"),
            choice=_int_field("choice"),
            typed=request.form.get("typed"),
        )
    except study.StudyError as error:
        flash(str(error), "error")
        return redirect(url_for("study.session_page", deck_id=deck.id), code=303)

    cram = presentation.mode == "cram"
    key = _queue_key(deck.id, cram)
    if not outcome.duplicate and not outcome.conflict:
        queue = study.SessionQueue.load(session.get(key))
        study.update_queue(queue, presentation, outcome.grade)
        session[key] = queue.dump()
    if outcome.conflict:
        flash("That card was already answered in another window; here is the next one.", "info")
    next_url = url_for("study.session_page", deck_id=deck.id, mode="cram" if cram else None)
    if card.kind in ("mcq", "typein") and not outcome.conflict:
        side = card_side(
            card.kind, card.prompt, card.answer, presentation.ordinal, media_url_for(deck.id)
        )
        return _render(
            "study/feedback.html",
            deck=deck,
            card=card,
            side=side,
            outcome=outcome,
            sources=card_evidence(card),
            next_url=next_url,
            cram=cram,
        )
    return redirect(next_url, code=303)


@bp.post("/<int:deck_id>/undo")
@login_required
def undo(deck_id: int):
    deck = deck_for_study(deck_id)
    log = study.undo_last(current_user, deck)
    if log is None:
        flash("There is no answer to undo.", "info")
    else:
        for cram in (False, True):
            key = _queue_key(deck.id, cram)
            queue = study.SessionQueue.load(session.get(key))
            side = (log.card_id, log.ordinal)
            if side in queue.repeats:
                queue.repeats.remove(side)
            if log.card_id in queue.crammed:
                queue.crammed.remove(log.card_id)
            session[key] = queue.dump()
        flash("Your last answer was undone.", "success")
    return redirect(url_for("study.session_page", deck_id=deck.id), code=303)
