"""The home page: published decks, and for instructors their own drafts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Card, Deck

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    visible = Deck.published.is_(True)
    if current_user.is_authenticated and current_user.is_admin:
        visible = Deck.id.isnot(None)
    elif current_user.is_authenticated and current_user.is_instructor:
        visible = or_(visible, Deck.owner_id == current_user.id)
    card_count = (
        select(func.count(Card.id))
        .where(Card.deck_id == Deck.id, Card.retired.is_(False))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Deck, card_count).where(visible).order_by(Deck.title)
    ).all()
    return render_template("index.html", decks=rows)
