"""One card at a time in a deck its instructor edits: save, drop, restore.

Every change to what learners see makes a new deck version (``decks.mark_changed``). A
dropped card is retired, never erased: learners' history stays meaningful and the drop can
be undone. Operations flush; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..deckfile import CardData
from ..extensions import db
from ..models import Card, Deck
from .decks import apply_card, card_data, mark_changed


def card_in_deck(deck: Deck, card_id: int) -> Card | None:
    """The deck's card with that id; None for a card of another deck or none at all."""
    card = db.session.get(Card, card_id)
    return card if card is not None and card.deck_id == deck.id else None


def next_position(deck: Deck) -> int:
    """The position after the deck's last card, retired ones included."""
    last = db.session.scalar(
        select(func.coalesce(func.max(Card.position), -1)).where(Card.deck_id == deck.id)
    )
    return last + 1


def save_card(deck: Deck, card: Card | None, data: CardData) -> Card:
    """Add ``data`` as a new card at the deck's end (``card`` None) or write it over ``card``;
    the deck's version moves only when the content does."""
    if card is None:
        card = Card(deck_id=deck.id, guid=data.guid, position=next_position(deck))
        db.session.add(card)
        changed = True
    else:
        changed = card_data(card).content_key() != data.content_key()
    if changed:
        apply_card(card, data)
        mark_changed(deck)
    db.session.flush()
    return card


def drop_card(deck: Deck, card: Card) -> None:
    """Takes the card out of the deck, undoably: it is retired, never erased."""
    if not card.retired:
        card.retired = True
        mark_changed(deck)


def restore_card(deck: Deck, card: Card) -> None:
    if card.retired:
        card.retired = False
        mark_changed(deck)
