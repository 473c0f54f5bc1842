"""The quizapp deck file format (``decks/*.json``), version 1.

Pure Python: no Flask, no database. Importers (CSV, Anki), the deck generator and the
``flask decks load`` command all meet here: each produces a :class:`DeckData`, and the
service layer stores one. The format is documented for people in ``docs/deck-format.md``;
this module is the authority when the two disagree.

Validation collects every problem with its location (file, card, field) so that a bad file
is reported in full and nothing from it is loaded.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from quizapp import kinds
from quizapp.deckfile_check import GUID_RE as GUID_RE
from quizapp.deckfile_check import MAX_GUID as MAX_GUID
from quizapp.deckfile_check import MAX_TAG as MAX_TAG
from quizapp.deckfile_check import (
    TAGS_PROBLEM,
    as_written,
    card_place,
    checked_card,
    unique_cards,
)
from quizapp.deckfile_fields import (
    MAX_MEDIA_NAME,
    int_field,
    media_name_is_new,
    read_media,
    text_field,
    text_problem,
)
from quizapp.deckfile_fields import MediaFile as MediaFile
from quizapp.knowledge_schema import knowledge_problems
from quizapp.storable import MAX_CHOICES as MAX_CHOICES
from quizapp.storable import MAX_FIELD as MAX_FIELD
from quizapp.storable import storable_in_place as storable_in_place
from quizapp.storable import storable_text as storable_text
from quizapp.storable import unstorable_text

FORMAT_NAME = "quizapp.deck"
FORMAT_VERSION = 1

ORIGINS = ("generated", "uploaded", "imported")

MAX_TITLE = 200
# Whole numbers go into 32-bit integer columns (PostgreSQL's INTEGER).
MAX_INT32 = 2**31 - 1
# Every edit adds one to a deck's version: room for a billion more below MAX_INT32.
MAX_DECK_VERSION = 1_000_000_000
# The deck settings form's bounds: more than anyone studies in a day, far inside INTEGER.
MAX_NEW_PER_DAY = 9_999
MAX_REVIEWS_PER_DAY = 99_999

class DeckFileError(ValueError):
    """A deck file that cannot be loaded; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{source}: {shown}{more}")


@dataclass(frozen=True)
class SourceRef:
    """Where a card's fact is stated: a source id and a location in that source."""

    source: str
    start: int | None = None
    end: int | None = None
    sentence: int | None = None


@dataclass(frozen=True)
class SourceDoc:
    id: str
    name: str
    title: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class CardData:
    guid: str
    kind: str
    prompt: str
    answer: str = ""
    choices: tuple[str, ...] = ()
    correct: int | None = None
    explanation: str = ""
    tags: tuple[str, ...] = ()
    sources: tuple[SourceRef, ...] = ()

    def content_key(self) -> tuple:
        """What a learner sees; two cards with the same key need no update."""
        return (
            self.kind,
            self.prompt,
            self.answer,
            self.choices,
            self.correct,
            self.explanation,
            self.tags,
            self.sources,
        )

    @property
    def ordinals(self) -> tuple[int, ...]:
        """The separately scheduled sides of this card (Anki's cards of one note)."""
        return kinds.get(self.kind).ordinals(self.prompt)


def new_card(
    guid: str, kind: str, prompt: str, answer: str, choices: tuple[str, ...],
    correct: int | None, explanation: str, tags: tuple[str, ...],
) -> CardData:
    """``CardData(...)`` of these values and no sources, for importers that build tens of
    thousands: a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__`` (a call each, 2.2 against 0.8 µs a card), this fills its
    ``__dict__`` at once. The card is the same, equal and as frozen."""
    card = object.__new__(CardData)
    card.__dict__.update(
        guid=guid, kind=kind, prompt=prompt, answer=answer, choices=choices, correct=correct,
        explanation=explanation, tags=tags, sources=(),
    )
    return card


@dataclass
class DeckData:
    title: str
    description: str = ""
    origin: str = "uploaded"
    version: int = 1
    new_per_day: int = 20
    reviews_per_day: int = 200
    cards: list[CardData] = field(default_factory=list)
    sources: list[SourceDoc] = field(default_factory=list)
    media: list[MediaFile] = field(default_factory=list)
    knowledge: dict[str, Any] | None = None


# --- reading -------------------------------------------------------------------------


def loads(text: str | bytes, source: str = "<deck>") -> DeckData:
    """Parse and validate a deck file; raise :class:`DeckFileError` naming every problem."""
    try:
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeckFileError(source, [f"not valid JSON ({exc})"]) from None
    return from_dict(raw, source)


def from_dict(raw: Any, source: str = "<deck>") -> DeckData:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise DeckFileError(source, ["top level must be a JSON object"])
    if raw.get("format") != FORMAT_NAME:
        problems.append(f"field 'format' must be {FORMAT_NAME!r}")
    if raw.get("format_version") != FORMAT_VERSION:
        problems.append(
            f"field 'format_version' must be {FORMAT_VERSION} "
            f"(got {raw.get('format_version')!r})"
        )
    meta = raw.get("deck")
    if not isinstance(meta, dict):
        problems.append("field 'deck' must be an object")
        meta = {}
    title = text_field(meta, "title", "deck", problems, required=True, limit=MAX_TITLE)
    if not title.strip() and "title" in meta:
        problems.append("deck: field 'title' must not be blank")
    description = text_field(meta, "description", "deck", problems)
    origin = meta.get("origin", "uploaded")
    if origin not in ORIGINS:
        problems.append(f"deck: field 'origin' must be one of {', '.join(ORIGINS)}")
    version = int_field(meta, "version", "deck", problems, default=1, low=1, high=MAX_DECK_VERSION)
    settings = meta.get("settings", {})
    if not isinstance(settings, dict):
        problems.append("deck: field 'settings' must be an object")
        settings = {}
    new_per_day = int_field(
        settings, "new_per_day", "deck.settings", problems, default=20, low=0, high=MAX_NEW_PER_DAY
    )
    reviews_per_day = int_field(
        settings, "reviews_per_day", "deck.settings", problems, default=200, low=0,
        high=MAX_REVIEWS_PER_DAY,
    )

    sources = _read_sources(raw.get("sources", []), problems)
    source_ids = {s.id for s in sources}
    if len(source_ids) != len(sources):
        problems.append("field 'sources' lists the same source id twice")
    cards_raw = raw.get("cards")
    if not isinstance(cards_raw, list):
        problems.append("field 'cards' must be a list")
        cards_raw = []
    cards = unique_cards(
        (_read_card(card_raw, index, source_ids, problems) for index, card_raw in
         enumerate(cards_raw)),
        problems,
    )
    media = read_media(raw.get("media", []), problems)
    knowledge = raw.get("knowledge")
    if knowledge is not None:
        problems.extend(knowledge_problems(knowledge, unstorable_text))
    if problems:
        raise DeckFileError(source, problems)
    return DeckData(
        title=title.strip(),
        description=description,
        origin=origin,
        version=version,
        new_per_day=new_per_day,
        reviews_per_day=reviews_per_day,
        cards=cards,
        sources=sources,
        media=media,
        knowledge=knowledge,
    )


def check_deck(deck: DeckData, source: str = "<deck>") -> DeckData:
    """What :func:`from_dict` makes of ``to_dict(deck)``, found by checking the deck in place:
    importers build decks of tens of thousands of cards, and turning each into JSON's form
    and back would cost more than reading them did."""
    problems: list[str] = []
    try:
        head = from_dict(to_dict(replace(deck, cards=[], media=[])), source)
    except DeckFileError as error:
        problems.extend(error.problems)
        head = deck
    source_ids = {doc.id for doc in deck.sources}
    cards = unique_cards((checked_card(as_written(card), card_place(index, card.guid),
                                       source_ids, problems, choices_given=False)
                          for index, card in enumerate(deck.cards)), problems)
    names: set[str] = set()
    for index, item in enumerate(deck.media):
        where = f"media {index + 1}"
        if problem := text_problem(item.name, MAX_MEDIA_NAME):
            problems.append(f"{where}: field 'name' {problem}")
        media_name_is_new(item.name, where, names, problems)
    if problems:
        raise DeckFileError(source, problems)
    return replace(head, cards=cards, media=list(deck.media))


def _read_sources(raw: Any, problems: list[str]) -> list[SourceDoc]:
    if not isinstance(raw, list):
        problems.append("field 'sources' must be a list")
        return []
    docs = []
    for index, item in enumerate(raw):
        where = f"source {index + 1}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        doc_id = text_field(item, "id", where, problems, required=True, limit=100)
        name = text_field(item, "name", where, problems, required=True, limit=300)
        docs.append(
            SourceDoc(
                id=doc_id,
                name=name,
                title=text_field(item, "title", where, problems, limit=300),
                sha256=text_field(item, "sha256", where, problems, limit=64),
            )
        )
    return docs


def _read_card(
    raw: Any, index: int, source_ids: set[str], problems: list[str]
) -> CardData | None:
    """The card a file's JSON object describes: its types here, its values in
    :func:`~quizapp.deckfile_check.checked_card`."""
    where = card_place(index, "")
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object")
        return None
    start = len(problems)
    guid = text_field(raw, "guid", where, problems, required=True, limit=MAX_GUID)
    where = card_place(index, guid)
    prompt = text_field(raw, "prompt", where, problems, required=True)
    answer = text_field(raw, "answer", where, problems)
    explanation = text_field(raw, "explanation", where, problems)
    # Choices that are not a list of strings are none at all to the card's kind, which
    # then refuses the card in its own words.
    choices_raw = raw.get("choices", [])
    if not isinstance(choices_raw, list) or not all(isinstance(c, str) for c in choices_raw):
        choices_raw = []
    tags_raw = raw.get("tags", [])
    if not isinstance(tags_raw, list) or not all(isinstance(t, str) for t in tags_raw):
        problems.append(TAGS_PROBLEM.format(where=where))
        tags_raw = []
    refs = _read_refs(raw.get("sources", []), where, problems)
    if len(problems) > start:
        return None
    card = CardData(
        guid=guid,
        kind=raw.get("kind"),
        prompt=prompt,
        answer=answer,
        choices=tuple(choices_raw),
        correct=raw.get("correct"),
        explanation=explanation,
        tags=tuple(tags_raw),
        sources=refs,
    )
    choices_given = "choices" in raw or "correct" in raw
    return checked_card(card, where, source_ids, problems, choices_given=choices_given)


def _read_refs(raw: Any, where: str, problems: list[str]) -> tuple[SourceRef, ...]:
    if not isinstance(raw, list):
        problems.append(f"{where}: field 'sources' must be a list")
        return ()
    refs = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("source"), str):
            problems.append(f"{where}: each of 'sources' needs a 'source' id")
            continue
        numbers = {}
        for key in ("start", "end", "sentence"):
            value = item.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int)
                or not 0 <= value <= MAX_INT32
            ):
                problems.append(
                    f"{where}: field 'sources.{key}' must be a whole number from 0 to {MAX_INT32}"
                )
                value = None
            numbers[key] = value
        refs.append(SourceRef(source=item["source"], **numbers))
    return tuple(refs)


# --- writing -------------------------------------------------------------------------


def to_dict(deck: DeckData) -> dict[str, Any]:
    """The JSON-ready form; keys are ordered so equal decks give byte-identical files."""
    out: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "deck": {
            "title": deck.title,
            "description": deck.description,
            "origin": deck.origin,
            "version": deck.version,
            "settings": {
                "new_per_day": deck.new_per_day,
                "reviews_per_day": deck.reviews_per_day,
            },
        },
        "sources": [asdict(s) for s in deck.sources],
        "cards": [_card_dict(c) for c in deck.cards],
    }
    if deck.media:
        out["media"] = [
            {"name": m.name, "data": base64.b64encode(m.data).decode("ascii")}
            for m in deck.media
        ]
    if deck.knowledge is not None:
        out["knowledge"] = deck.knowledge
    return out


def _card_dict(card: CardData) -> dict[str, Any]:
    out: dict[str, Any] = {"guid": card.guid, "kind": card.kind, "prompt": card.prompt}
    card_kind = kinds.find(card.kind)
    if card_kind is not None and card_kind.has_choices:
        out["choices"] = list(card.choices)
        out["correct"] = card.correct
    else:
        out["answer"] = card.answer
    if card.explanation:
        out["explanation"] = card.explanation
    if card.tags:
        out["tags"] = list(card.tags)
    if card.sources:
        out["sources"] = [
            {k: v for k, v in asdict(ref).items() if v is not None} for ref in card.sources
        ]
    return out


def dumps(deck: DeckData) -> str:
    return json.dumps(to_dict(deck), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
