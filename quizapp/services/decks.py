"""Storing decks: one transaction per deck file, cards matched by guid."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import kinds
from ..citations import clean_sentence, document_label, is_html_name, located_label
from ..deckfile import CardData, DeckData, MediaFile, SourceDoc, SourceRef
from ..extensions import db
from ..formats import MediaLimits
from ..formats.sanitize import sanitize_html
from ..models import Card, Deck, Media, SourceDocument, User, utcnow
from ..sources import location_at
from ..textutil import slugify


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


# The only types media is served as: pictures, sound and video a card can show. Anything
# else (.html, .js, .svg, which can carry script) is stored as opaque bytes and served as a
# download, never as something a browser would run.
SAFE_MEDIA_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".bmp": "image/bmp", ".avif": "image/avif",
    ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".wav": "audio/wav",
    ".m4a": "audio/mp4", ".flac": "audio/flac",
    ".mp4": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg",
}  # fmt: skip
OPAQUE_MEDIA_TYPE = "application/octet-stream"
MEDIA_CHUNK_BYTES = 256 * 1024
# Cards written between two progress reports of a deck being stored.
PROGRESS_BATCH = 500


def media_type(name: str) -> str:
    return SAFE_MEDIA_TYPES.get(PurePosixPath(name).suffix.lower(), OPAQUE_MEDIA_TYPE)


@dataclass(frozen=True)
class StoredMedia:
    id: int
    name: str
    size: int


def find_media(deck_id: int, name: str) -> StoredMedia | None:
    """A media file's id and size, without reading its bytes."""
    row = db.session.execute(
        select(Media.id, Media.name, func.length(Media.data)).where(
            Media.deck_id == deck_id, Media.name == name
        )
    ).first()
    return None if row is None else StoredMedia(id=row[0], name=row[1], size=row[2] or 0)


def deck_media(deck_id: int) -> list[StoredMedia]:
    rows = db.session.execute(
        select(Media.id, Media.name, func.length(Media.data))
        .where(Media.deck_id == deck_id)
        .order_by(Media.name)
    )
    return [StoredMedia(id=i, name=n, size=size or 0) for i, n, size in rows]


def media_pieces(media: StoredMedia) -> Iterator[bytes]:
    """The file's bytes a piece at a time, each piece one query: never the whole file."""
    for offset in range(0, media.size, MEDIA_CHUNK_BYTES):
        # SQL's substr counts from 1, for SQLite blobs and PostgreSQL bytea alike.
        piece = db.session.scalar(
            select(func.substr(Media.data, offset + 1, MEDIA_CHUNK_BYTES)).where(
                Media.id == media.id
            )
        )
        if not piece:
            return
        yield bytes(piece)


def deck_slug(title: str) -> str:
    """A deck's slug, by which a re-upload finds the deck it updates. Accents are dropped, not
    folded, as they always were: folding now would give stored decks new slugs."""
    return slugify(title)[:200] or "deck"


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


def mark_changed(deck: Deck) -> None:
    """A new deck version: learners' and exports' copies of the old one are out of date."""
    deck.version += 1
    deck.updated_at = utcnow()


def apply_card(card: Card, data: CardData) -> None:
    card.kind = data.kind
    card.prompt = data.prompt
    card.answer = data.answer
    has_choices = kinds.get(data.kind).has_choices
    card.choices = list(data.choices) if has_choices else None
    card.correct_index = data.correct if has_choices else None
    card.explanation = data.explanation
    card.tags = list(data.tags)
    card.sources = [
        {k: v for k, v in vars(ref).items() if v is not None} for ref in data.sources
    ]
    card.ordinals = list(data.ordinals)
    card.side_count = len(data.ordinals)
    card.content_changed_at = utcnow()


def media_limits() -> MediaLimits:
    """The app's caps on an uploaded deck's media (settings)."""
    return MediaLimits(
        file_bytes=current_app.config["QUIZAPP_MAX_MEDIA_FILE_BYTES"],
        deck_bytes=current_app.config["QUIZAPP_MAX_DECK_MEDIA_BYTES"],
    )


class MediaOverLimit(ValueError):
    """Storing the upload would leave a deck carrying more media than it may."""


def store_deck(
    data: DeckData,
    *,
    owner: User | None,
    slug: str | None = None,
    source_texts: dict[str, str] | None = None,
    publish: bool | None = None,
    max_media_bytes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> StoreReport:
    """Create or update the owner's deck called ``slug``; the caller commits.

    Cards are matched by guid: a changed card is updated in place (learners keep their
    progress), a card missing from ``data`` is retired, never deleted with its history.
    ``progress(done, total)`` hears of the cards written so far, a batch at a time.
    """
    slug = slug or deck_slug(data.title)
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
        if progress is not None and (position + 1) % PROGRESS_BATCH == 0:
            # Written now, so that the count told is of rows the database has.
            db.session.flush()
            progress(position + 1, len(data.cards))
    for guid, card in existing.items():
        if guid not in incoming and not card.retired:
            card.retired = True
            report.retired += 1

    _store_sources(deck, data, source_texts or {})
    _store_media(deck, data, max_media_bytes)
    if not created and (report.changed or meta_changed):
        mark_changed(deck)
    db.session.flush()
    if progress is not None:
        progress(len(data.cards), len(data.cards))
    return report


def store_decks_racing(
    decks: list[DeckData], *, owner: User, claim, max_media_bytes: int | None = None
) -> list[StoreReport] | None:
    """Store the decks, flushed for the caller to commit; ``claim()`` is run first in the
    same transaction and returns False when there is nothing (left) to store.

    Two confirms that both create the owner's deck called ``slug`` race on the unique
    (owner, slug) key; the loser rolls back and stores again, now updating the deck the
    winner made, exactly as a confirm made a moment later would.
    """
    for attempt in range(2):
        if not claim():
            db.session.rollback()
            return None
        try:
            return [
                store_deck(deck, owner=owner, max_media_bytes=max_media_bytes)
                for deck in decks
            ]
        except MediaOverLimit:
            db.session.rollback()
            raise
        except IntegrityError:
            db.session.rollback()
            if attempt:
                raise
    return None


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


def _store_media(deck: Deck, data: DeckData, max_bytes: int | None) -> None:
    if not data.media:
        return
    names = [item.name for item in data.media]
    if max_bytes is not None:
        # Files the upload does not replace stay, so a deck re-uploaded with new images
        # each time would otherwise grow past the limit one upload at a time.
        kept = db.session.scalar(
            select(func.coalesce(func.sum(func.length(Media.data)), 0)).where(
                Media.deck_id == deck.id, Media.name.not_in(names)
            )
        )
        total = kept + sum(len(item.data) for item in data.media)
        if total > max_bytes:
            raise MediaOverLimit(
                f"With this upload the deck {deck.title!r} would carry "
                f"{total / 2**20:.1f} MB of media; a deck may carry at most "
                f"{max_bytes / 2**20:.1f} MB."
            )
    existing = {
        m.name: m
        for m in db.session.scalars(
            select(Media).where(Media.deck_id == deck.id, Media.name.in_(names))
        )
    }
    for item in data.media:
        mime = media_type(item.name)
        media = existing.get(item.name)
        if media is None:
            db.session.add(Media(deck_id=deck.id, name=item.name, mime=mime, data=item.data))
        else:
            media.mime, media.data = mime, item.data


def deck_data_of(
    deck: Deck, *, include_retired: bool = False, with_media: bool = True
) -> DeckData:
    """The stored deck in the file format's terms (for export and round trips).

    ``with_media=False`` leaves the media out unread, for exports that do not carry it.
    """
    media = (
        db.session.scalars(select(Media).where(Media.deck_id == deck.id)).all()
        if with_media
        else []
    )
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
