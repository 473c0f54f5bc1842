"""Reviewing a draft: the review page, and generation suggestions accepted or dropped.

Every decision is undoable from the review page: an accepted suggestion records exactly which
cards it put into the deck so that undo takes out those and no others (single cards are
dropped and restored by ``services.cards``). The caller commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..deckfile import FORMAT_NAME, FORMAT_VERSION, CardData, DeckFileError, from_dict
from ..extensions import db
from ..knowledge import KnowledgeView, SuggestionRecord, read_knowledge
from ..models import Card, Deck, ReviewLog, SuggestionDecision, User, utcnow
from .cards import next_position
from .decks import Evidence, apply_card, cited_evidence, clean_card, mark_changed

ACTIONS = ("accept", "drop", "undo")


class ReviewRefused(ValueError):
    """A review action that cannot be carried out; the message says why."""


class NoSuchSuggestion(LookupError):
    """The deck has no suggestion with that id."""


@dataclass(frozen=True)
class Suggestion:
    record: SuggestionRecord
    evidence: list[Evidence]
    cards: tuple[CardData, ...]
    # Why the suggestion's cards cannot be added as they are, when they cannot.
    problem: str | None
    decision: str | None
    added: int

    @property
    def anchor(self) -> str:
        """An HTML id for the suggestion, whatever characters its own id holds."""
        digest = hashlib.sha256(self.record.id.encode("utf-8", "surrogatepass"))
        return "suggestion-" + digest.hexdigest()[:12]


@dataclass(frozen=True)
class PositionView:
    position: str
    evidence: list[Evidence]


@dataclass(frozen=True)
class ConflictView:
    about: str
    handling: str
    positions: list[PositionView]


@dataclass
class ReviewPage:
    knowledge: KnowledgeView
    conflicts: list[ConflictView]
    suggestions: list[Suggestion]
    cards: list[tuple[Card, list[Evidence]]]
    retired: list[Card]


def review_page(deck: Deck, *, just_dropped: Card | None = None) -> ReviewPage:
    """Everything the review page shows; ``just_dropped`` stays in its place, for undo."""
    knowledge = read_knowledge(deck.knowledge)
    decisions = _decisions(deck)
    return ReviewPage(
        knowledge=knowledge,
        conflicts=[
            ConflictView(
                about=c.about,
                handling=c.handling,
                positions=[
                    PositionView(p.position, cited_evidence(deck, list(p.locations)))
                    for p in c.positions
                ],
            )
            for c in knowledge.conflicts
        ],
        suggestions=[_suggestion(deck, record, decisions.get(record.id))
                     for record in knowledge.suggestions],
        cards=[(card, cited_evidence(deck, card.sources)) for card in deck.cards
               if not card.retired or card is just_dropped],
        retired=[card for card in deck.cards if card.retired],
    )


def _decisions(deck: Deck) -> dict[str, SuggestionDecision]:
    rows = db.session.scalars(
        select(SuggestionDecision).where(SuggestionDecision.deck_id == deck.id)
    )
    return {row.suggestion_id: row for row in rows}


def _suggestion(deck: Deck, record: SuggestionRecord,
                decision: SuggestionDecision | None) -> Suggestion:
    cards, problem = _suggested_cards(deck, record)
    return Suggestion(
        record=record,
        evidence=cited_evidence(deck, list(record.locations)),
        cards=cards,
        problem=problem,
        decision=decision.decision if decision else None,
        added=len(decision.added_guids or []) if decision else 0,
    )


def _suggested_cards(
    deck: Deck, record: SuggestionRecord
) -> tuple[tuple[CardData, ...], str | None]:
    """The suggestion's cards read like any deck file's, or why they cannot be."""
    if not record.cards:
        return (), "this suggestion has no cards to add"
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "deck": {"title": "suggestion"},
        "sources": [{"id": doc.key, "name": doc.name} for doc in deck.sources],
        "cards": list(record.cards),
    }
    try:
        cards = from_dict(document, "suggestion").cards
    except DeckFileError as error:
        return (), "its cards are not valid: " + "; ".join(error.problems[:3])
    return tuple(clean_card(card) for card in cards), None


def find_suggestion(deck: Deck, suggestion_id: str) -> Suggestion:
    decisions = _decisions(deck)
    for record in read_knowledge(deck.knowledge).suggestions:
        if record.id == suggestion_id:
            return _suggestion(deck, record, decisions.get(record.id))
    raise NoSuchSuggestion(suggestion_id)


def decide(deck: Deck, suggestion_id: str, action: str, user: User) -> str:
    """Accept, drop or undo one suggestion; returns what happened, in words."""
    if action not in ACTIONS:
        raise ReviewRefused("Choose accept, drop or undo.")
    suggestion = find_suggestion(deck, suggestion_id)
    row = db.session.scalars(
        select(SuggestionDecision).where(
            SuggestionDecision.deck_id == deck.id,
            SuggestionDecision.suggestion_id == suggestion_id,
        )
    ).first()
    label = f"“{suggestion.record.statement}”"
    if action == "undo":
        if row is None:
            return f"{label} is open again."
        _take_back(deck, row)
        db.session.delete(row)
        _flush()
        return f"Undone: {label} is open again."
    if row is not None and row.decision == ("accepted" if action == "accept" else "dropped"):
        return f"{label} was already {row.decision}."
    if action == "accept" and suggestion.problem:
        raise ReviewRefused(f"{label} cannot be accepted: {suggestion.problem}.")
    if row is None:
        row = SuggestionDecision(deck_id=deck.id, suggestion_id=suggestion_id)
        db.session.add(row)
    else:
        _take_back(deck, row)
    row.decision = "accepted" if action == "accept" else "dropped"
    row.added_guids = _add_cards(deck, suggestion.cards) if action == "accept" else []
    row.decided_by = user.id
    row.decided_at = utcnow()
    _flush()
    if action == "accept":
        count = len(row.added_guids)
        return f"Accepted {label}: {count} card{'s' if count != 1 else ''} added to the draft."
    return f"Dropped {label}."


def _add_cards(deck: Deck, cards: tuple[CardData, ...]) -> list[str]:
    """Puts the cards into the deck (a retired one comes back); the guids it changed."""
    by_guid = {card.guid: card for card in deck.cards}
    position = next_position(deck) - 1
    added = []
    for data in cards:
        card = by_guid.get(data.guid)
        if card is not None and not card.retired:
            continue  # already in the deck: not this suggestion's to take back
        if card is None:
            position += 1
            card = Card(deck_id=deck.id, guid=data.guid, position=position)
            deck.cards.append(card)
        apply_card(card, data)
        card.retired = False
        added.append(data.guid)
    if added:
        mark_changed(deck)
    return added


def _take_back(deck: Deck, row: SuggestionDecision) -> None:
    """Removes the cards an acceptance added: erased if never studied, else retired."""
    guids = set(row.added_guids or [])
    if not guids:
        return
    for card in [c for c in deck.cards if c.guid in guids and not c.retired]:
        if _has_history(card):
            card.retired = True
        else:
            deck.cards.remove(card)
            db.session.delete(card)
    mark_changed(deck)


def reapply_accepted(deck: Deck) -> None:
    """After a draft is regenerated: the suggestions accepted before keep their cards."""
    decisions = _decisions(deck)
    for record in read_knowledge(deck.knowledge).suggestions:
        row = decisions.get(record.id)
        if row is None or row.decision != "accepted":
            continue
        suggestion = _suggestion(deck, record, row)
        if suggestion.problem is None:
            added = _add_cards(deck, suggestion.cards)
            row.added_guids = sorted(set(row.added_guids or []) | set(added))
    db.session.flush()


def _has_history(card: Card) -> bool:
    return bool(db.session.scalar(
        select(func.count(ReviewLog.id)).where(ReviewLog.card_id == card.id)
    )) if card.id is not None else False


def _flush() -> None:
    """Two windows deciding the same suggestion at once: the second is told, not failed."""
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise ReviewRefused(
            "This suggestion was just changed in another window; reload the page."
        ) from error
