"""Building decks and answering cards in tests."""

from __future__ import annotations

from quizapp.deckfile import CardData, DeckData
from quizapp.extensions import db
from quizapp.models import Deck
from quizapp.services.decks import store_deck


def make_deck(cards: list[CardData], title="Deck", new_per_day=20, reviews_per_day=200,
              owner=None, published=True) -> Deck:
    data = DeckData(title=title, cards=cards, new_per_day=new_per_day,
                    reviews_per_day=reviews_per_day)
    report = store_deck(data, owner=owner, publish=published)
    db.session.commit()
    return report.deck


def basic(guid: str, prompt: str | None = None, answer: str = "answer", **extra) -> CardData:
    return CardData(guid=guid, kind="basic", prompt=prompt or f"Question {guid}",
                    answer=answer, **extra)


def mcq(guid: str, choices=("Alpha", "Beta", "Gamma"), correct=1, **extra) -> CardData:
    return CardData(guid=guid, kind="mcq", prompt=f"Pick for {guid}", choices=tuple(choices),
                    correct=correct, answer=choices[correct], **extra)
