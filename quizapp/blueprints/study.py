"""The study session: one card at a time, answered by form post (JavaScript only enhances)."""

from __future__ import annotations

from typing import NamedTuple

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from .. import kinds
from ..access import deck_for_study
from ..extensions import db
from ..models import Card, utcnow
from ..page_frames import PageFrames
from ..rendering import Side, card_side, safe_html
from ..scheduling import grading
from ..scheduling.day import due_in_words
from ..scheduling.phase import Phase
from ..services import scheduler_jobs, schedules, study, study_queue, study_summary
from ..services.decks import cited_evidence
from ..templating import media_url_for

bp = Blueprint("study", __name__, url_prefix="/study")

# The token, a CSRF token and an answer of MAX_ANSWER_CHARS characters, each percent-encoded
# as up to 12 bytes, fit with room to spare.
MAX_ANSWER_BODY_BYTES = 32 * 1024
MAX_INT_FIELD_CHARS = 3
DEFAULT_EXTRA_NEW = 20
# The card page's frames, one set per process (page_frames).
_frames = PageFrames()


class DeckHead(NamedTuple):
    """What the card page reads of its deck: part of the page's frame key."""

    id: int
    title: str


@bp.url_value_preprocessor
def _limit_form_size(endpoint, values) -> None:
    """Study forms are small: refuse a larger body before it is parsed. This runs before any
    before_request hook, and the CSRF check reads the form in one."""
    if request.method == "POST":
        request.max_content_length = MAX_ANSWER_BODY_BYTES


@bp.before_request
def _keep_loaded_after_commit() -> None:
    """What a study request read stays usable after its commit: the page is rendered from
    it, and reloading the user, deck and card would be three more round trips."""
    db.session().expire_on_commit = False


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    message = f"Answers are limited to {grading.MAX_ANSWER_CHARS} characters."
    return render_template(
        "error.html", status=413, title="Answer too long", message=message
    ), 413


def _learner():
    """The logged-in user itself, not Flask-Login's proxy: the services read it a few dozen
    times per request, each read through the proxy a context lookup."""
    return current_user._get_current_object()


def _partial() -> bool:
    """Only the study panel is wanted: the page's script asks for it."""
    return request.headers.get("X-Partial") == "1"


def _render(template: str, **context):
    """The whole page, or only the study panel (``_partial``)."""
    return render_template(template, partial=_partial(), **context)


@bp.get("/<int:deck_id>")
@login_required
def session_page(deck_id: int):
    """Each outcome commits (opening the session may have begun or restarted it) before its
    page is rendered."""
    deck = deck_for_study(deck_id)
    user = _learner()
    args = request.args
    cram = args.get("mode") == Phase.CRAM
    restart = bool(args.get("restart"))
    only = None
    if cram and restart and args.get("focus") == "hard":
        only = study.hard_card_ids(user, deck)
        if not only:
            flash("You have no hard cards in this deck yet: cramming all of it.", "info")
    queue = study.open_page_session(user, deck, cram=cram, restart=restart, only=only)
    presentation = study.choose_next(user, deck, queue, cram=cram)
    study_queue.save_new_start(queue)
    if presentation is None:
        if not cram:
            scheduler_jobs.queue_fit_if_due(user, deck)
        summary = study_summary.session_summary(user, deck, queue)
        db.session.commit()
        return _render(
            "study/summary.html", deck=deck, summary=summary, cram=cram,
            more_new_batch=deck.new_per_day or DEFAULT_EXTRA_NEW,
            next_due_words=summary["next_due"] and due_in_words(
                summary["next_due"], summary["today"]
            ),
        )
    card = presentation.card
    media_url = media_url_for(deck.id)
    side = card_side(card.kind, card.prompt, card.answer, presentation.ordinal, media_url)
    token, settings = study.shown_token(
        user, deck, queue, presentation, current_app.config["SECRET_KEY"])
    # Sanitized by nh3 inside safe_html, so marking them safe is sound.
    choices = [Markup(safe_html(card.choices[original], media_url))
               for original in presentation.choice_order]
    schedules_answer = Phase(presentation.mode).schedules
    # A due side comes with its state; a new side has none; other answers schedule nothing.
    ratings = schedules.rating_buttons(
        user, deck, presentation.state if schedules_answer else None,
        schedules_answer=schedules_answer, now=utcnow(), settings=settings,
    )
    # The session may have moved its new-card start; reads end here too.
    db.session.commit()
    return _card_page(deck, card.kind, presentation.mode, cram, side, token, choices, ratings,
                      len(queue.repeats))


def _card_page(deck, kind_name: str, mode: str, cram: bool, side: Side, token: str,
               choices: list[Markup], ratings: list[schedules.RatingButton],
               repeats: int) -> bytes:
    """The card page, from a kept frame (``page_frames``): its key is what the template
    reads that is the same for every card of its shape, its slots what changes."""
    partial = _partial()
    options = tuple(button.option for button in ratings)
    deck_head = DeckHead(deck.id, deck.title)
    kind = kinds.get(kind_name)
    key_hint = ", ".join(option.keys[0] for option in options)
    slots = {"front": side.front, "back": side.back, "token": token, "repeats": repeats}
    slots.update((f"choice{i}", text) for i, text in enumerate(choices))
    slots.update((f"interval{i}", button.interval) for i, button in enumerate(ratings))

    def context(values) -> dict:
        return {
            "partial": partial, "deck": deck_head, "kind": kind, "mode": mode, "cram": cram,
            "side": Side(values["front"], values["back"]), "token": values["token"],
            "choices": [(i, values[f"choice{i}"]) for i in range(len(choices))],
            "ratings": [schedules.RatingButton(option, values[f"interval{i}"])
                        for i, option in enumerate(options)],
            "key_hint": key_hint, "repeats": values["repeats"],
            "max_answer_chars": grading.MAX_ANSWER_CHARS,
        }

    key = (partial, deck_head, kind_name, mode, cram, options, len(choices))
    return _frames.render("study/card.html", key, slots, context)


def _int_field(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    # isdigit() alone accepts "²", which int() refuses; the length bound keeps int() cheap.
    if len(value) > MAX_INT_FIELD_CHARS or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def _comes_back(outcome: study.Outcome, today) -> str:
    """When the card is asked next, in words."""
    again = outcome.again
    if outcome.mode == Phase.CRAM:
        if again:
            return "It comes back later in this session. Cramming does not change your schedule."
        return "Cramming does not change your schedule."
    if again:
        if outcome.due is None:
            return "It comes back later in this session."
        return f"It comes back later in this session, then {due_in_words(outcome.due, today)}."
    if outcome.due is None:
        return ""
    return f"Next review {due_in_words(outcome.due, today)}."


@bp.post("/<int:deck_id>/answer")
@login_required
def answer(deck_id: int):
    deck = deck_for_study(deck_id)
    user = _learner()
    token = request.form.get("token", "")
    secret = current_app.config["SECRET_KEY"]
    choice = _int_field("choice")
    try:
        presentation = study.decode_presentation(token, user.id, secret)
        outcome = study.answer_presentation(
            user,
            presentation,
            deck_id=deck.id,
            grade=_int_field("grade"),
            choice=choice,
            typed=request.form.get("typed"),
        )
    except study.CardNotInDeck as error:
        abort(400, str(error))
    except study.StudyError as error:
        flash(str(error), "error")
        return redirect(url_for("study.session_page", deck_id=deck.id), code=303)

    card = outcome.card
    cram = presentation.mode == Phase.CRAM
    if outcome.conflict:
        flash("That card was already answered in another window; here is the next one.", "info")
    next_url = url_for(
        "study.session_page", deck_id=deck.id, mode=Phase.CRAM.value if cram else None
    )
    kind = kinds.get(card.kind)
    if kind.auto_graded and not outcome.conflict:
        side = card_side(
            card.kind, card.prompt, card.answer, presentation.ordinal, media_url_for(deck.id)
        )
        return _render(
            "study/feedback.html",
            deck=deck,
            card=card,
            kind=kind,
            side=side,
            outcome=outcome,
            options=_options_after(card, presentation, choice),
            typo=_typo_marks(outcome),
            comes_back=_comes_back(outcome, study.today_for(user)),
            sources=cited_evidence(deck, card.sources),
            next_url=next_url,
            cram=cram,
        )
    return redirect(next_url, code=303)


def _options_after(card: Card, presentation: study.Presentation, choice: int | None):
    """The options as shown, each (text, "right" | "wrong" | None, picked)."""
    if not presentation.choice_order or choice is None:
        return []
    picked = presentation.choice_order[choice]
    return [
        (card.choices[original],
         "right" if original == card.correct_index else "wrong" if original == picked else None,
         original == picked)
        for original in presentation.choice_order
    ]


def _typo_marks(outcome: study.Outcome):
    """What was typed against the accepted answer, differences marked, for a forgiven typo."""
    if not outcome.correct or outcome.exact or not outcome.matched or outcome.response is None:
        return None
    return grading.mark_differences(outcome.response.strip(), outcome.matched)


@bp.post("/<int:deck_id>/undo")
@login_required
def undo(deck_id: int):
    deck = deck_for_study(deck_id)
    log = study.undo_last(current_user, deck)
    if log is None:
        flash("There is no answer to undo.", "info")
    else:
        flash("Your last answer was undone.", "success")
    mode = Phase.CRAM.value if log is not None and log.phase == Phase.CRAM else None
    return redirect(url_for("study.session_page", deck_id=deck.id, mode=mode), code=303)


@bp.post("/<int:deck_id>/more-new")
@login_required
def more_new(deck_id: int):
    """Study more new cards today: the daily limit is raised once, for today only."""
    deck = deck_for_study(deck_id)
    batch = deck.new_per_day or DEFAULT_EXTRA_NEW
    extended = study_queue.extend_new_today(current_user, deck.id, batch)
    db.session.commit()
    if extended:
        flash(f"Today you can study {batch} more new cards.", "success")
    else:
        flash("Today's new-card limit was already raised once.", "info")
    return redirect(url_for("study.session_page", deck_id=deck.id), code=303)
