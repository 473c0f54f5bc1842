"""Storing decks: one transaction per deck file, cards matched by guid."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from ..citations import clean_sentence, document_label, is_html_name, located_label
from ..deckfile import CardData, DeckData, MediaFile, SourceDoc, SourceRef
from ..extensions import db
from ..formats.sanitize import sanitize_html
from ..models import Card, Deck, Media, SourceDocument, User, utcnow
from ..sources import location_at


@dataclass
class StoreReport:
    deck: Deck
    created: bool
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.added or self.updated or self.retired)

    def summary(self) -> str:
        verb = "created" if self.created else ("updated" if self.changed else "unchanged")
        return (
            f"{self.deck.title!r} {verb}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.retired} retired"
        )


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:200] or "deck"


def clean_card(card: CardData) -> CardData:
    """The card with every HTML field sanitized, whatever file it came from."""
    return CardData(
        guid=card.guid,
        kind=card.kind,
        prompt=sanitize_html(card.prompt),
        answer=sanitize_html(card.answer),
        choices=tuple(sanitize_html(c) for c in card.choices),
        correct=card.correct,
        explanation=sanitize_html(card.explanation),
        tags=card.tags,
        sources=card.sources,
    )


def card_data(card: Card) -> CardData:
    return CardData(
        guid=card.guid,
        kind=card.kind,
        prompt=card.prompt,
        answer=card.answer,
        choices=tuple(card.choices or ()),
        correct=card.correct_index,
        explanation=card.explanation,
        tags=tuple(card.tags or ()),
        sources=tuple(SourceRef(**ref) for ref in card.sources or ()),
    )


def apply_card(card: Card, data: CardData) -> None:
    card.kind = data.kind
    card.prompt = data.prompt
    card.answer = data.answer
    card.choices = list(data.choices) if data.kind == "mcq" else None
    card.correct_index = data.correct if data.kind == "mcq" else None
    card.explanation = data.explanation
    card.tags = list(data.tags)
    card.sources = [
        {k: v for k, v in vars(ref).items() if v is not None} for ref in data.sources
    ]
    card.ordinals = list(data.ordinals)
    card.side_count = len(data.ordinals)
    card.content_changed_at = utcnow()


def store_deck(
    data: DeckData,
    *,
    owner: User | None,
    slug: str | None = None,
    source_texts: dict[str, str] | None = None,
    publish: bool | None = None,
) -> StoreReport:
    """Create or update the owner's deck called ``slug``; the caller commits.

    Cards are matched by guid: a changed card is updated in place (learners keep their
    progress), a card missing from ``data`` is retired, never deleted with its history.
    """
    slug = slug or slugify(data.title)
    owner_id = owner.id if owner else None
    deck = db.session.scalars(
        # With owner_id None this compiles to IS NULL: the app's own shipped decks.
        select(Deck).where(Deck.owner_id == owner_id, Deck.slug == slug)
    ).first()
    created = deck is None
    if deck is None:
        deck = Deck(slug=slug, owner_id=owner_id, title=data.title, version=data.version)
        db.session.add(deck)
    report = StoreReport(deck=deck, created=created)
    meta_changed = (
        deck.title != data.title
        or deck.description != data.description
        or deck.knowledge != data.knowledge
        or deck.new_per_day != data.new_per_day
        or deck.reviews_per_day != data.reviews_per_day
    )
    deck.title = data.title
    deck.description = data.description
    deck.origin = data.origin
    deck.new_per_day = data.new_per_day
    deck.reviews_per_day = data.reviews_per_day
    deck.knowledge = data.knowledge
    if publish is not None:
        deck.published = publish
    db.session.flush()

    existing = {card.guid: card for card in deck.cards} if not created else {}
    incoming = set()
    for position, raw in enumerate(data.cards):
        card_in = clean_card(raw)
        incoming.add(card_in.guid)
        card = existing.get(card_in.guid)
        if card is not None and card.sources and not card_in.sources:
            # Formats that cannot carry provenance (CSV, Anki) must not erase it.
            card_in = replace(card_in, sources=card_data(card).sources)
        if card is None:
            card = Card(deck_id=deck.id, guid=card_in.guid)
            apply_card(card, card_in)
            deck.cards.append(card)
            report.added += 1
        elif card_data(card).content_key() != card_in.content_key() or card.retired:
            apply_card(card, card_in)
            card.retired = False
            report.updated += 1
        else:
            report.unchanged += 1
        card.position = position
    for guid, card in existing.items():
        if guid not in incoming and not card.retired:
            card.retired = True
            report.retired += 1

    _store_sources(deck, data, source_texts or {})
    _store_media(deck, data)
    if not created and (report.changed or meta_changed):
        deck.version += 1
        deck.updated_at = utcnow()
    db.session.flush()
    return report


def _store_sources(deck: Deck, data: DeckData, texts: dict[str, str]) -> None:
    by_key = {doc.key: doc for doc in deck.sources}
    for source in data.sources:
        doc = by_key.get(source.id)
        if doc is None:
            doc = SourceDocument(key=source.id)
            deck.sources.append(doc)
        doc.name, doc.title, doc.sha256 = source.name, source.title, source.sha256
        if source.id in texts:
            doc.text = texts[source.id]


def _store_media(deck: Deck, data: DeckData) -> None:
    existing = {
        m.name: m for m in db.session.scalars(select(Media).where(Media.deck_id == deck.id))
    }
    for item in data.media:
        mime = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
        media = existing.get(item.name)
        if media is None:
            db.session.add(Media(deck_id=deck.id, name=item.name, mime=mime, data=item.data))
        else:
            media.mime, media.data = mime, item.data


def deck_data_of(deck: Deck, *, include_retired: bool = False) -> DeckData:
    """The stored deck in the file format's terms (for export and round trips)."""
    media = db.session.scalars(select(Media).where(Media.deck_id == deck.id)).all()
    return DeckData(
        title=deck.title,
        description=deck.description,
        origin=deck.origin,
        version=deck.version,
        new_per_day=deck.new_per_day,
        reviews_per_day=deck.reviews_per_day,
        cards=[card_data(c) for c in deck.cards if include_retired or not c.retired],
        sources=[
            SourceDoc(id=doc.key, name=doc.name, title=doc.title, sha256=doc.sha256)
            for doc in deck.sources
        ],
        media=[MediaFile(name=m.name, data=m.data) for m in media],
        knowledge=deck.knowledge,
    )


@dataclass(frozen=True)
class Evidence:
    """One cited place: the document's title and, when its text is kept, the sentence."""

    document: str
    sentence: str | None


def cited_evidence(deck: Deck, refs: list[dict]) -> list[Evidence]:
    """Where facts come from, given the deck file's source references (malformed ones skipped)."""
    docs = {doc.key: doc for doc in deck.sources}
    shown = []
    for ref in refs or []:
        doc = docs.get(ref.get("source")) if isinstance(ref, dict) else None
        if doc is None:
            continue
        sentence = None
        start, end = ref.get("start"), ref.get("end")
        if doc.text is not None and isinstance(start, int) and isinstance(end, int):
            span = doc.text[max(start, 0):max(end, 0)]
            sentence = clean_sentence(span, html=is_html_name(doc.name)) or None
        label = document_label(doc.title, doc.name, doc.text)
        where = location_at(doc.locations, start) if doc.locations and isinstance(start, int) \
            else None
        if where:
            label = located_label(label, doc.name, where)
        evidence = Evidence(label, sentence)
        if evidence not in shown:
            shown.append(evidence)
    return shown


def card_evidence(card: Card) -> list[Evidence]:
    """Where each of the card's facts comes from, with the sentence when the text is kept."""
    return cited_evidence(card.deck, card.sources)
