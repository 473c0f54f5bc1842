"""Role and ownership checks shared by every blueprint."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .extensions import db
from .models import Deck
from .services.rows import get_by_id


def instructor_required(view):
    """Instructors and admins only; a learner gets 403, an anonymous visitor the log-in page."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_instructor:
            abort(403, "This page is for instructors.")
        return view(*args, **kwargs)

    return wrapped


def deck_for_study(deck_id: int) -> Deck:
    """A deck the current user may see: published, or their own, or any for an admin."""
    deck = get_by_id(Deck, deck_id)
    if deck is None:
        abort(404, "No such deck, or its author has withdrawn it.")
    if deck.published or (
        current_user.is_authenticated
        and (current_user.is_admin or deck.owner_id == current_user.id)
    ):
        return deck
    # Worded for a learner whose class had the deck: unpublished decks are "withdrawn".
    abort(404, "No such deck, or its author has withdrawn it.")


def deck_for_edit(deck_id: int) -> Deck:
    deck = db.session.get(Deck, deck_id)
    if deck is None:
        abort(404, "No such deck.")
    if not current_user.can_edit(deck):
        abort(403, "Only the deck's owner can change it.")
    return deck
