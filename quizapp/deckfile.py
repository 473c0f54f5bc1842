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
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from quizapp.cloze import cloze_gaps, cloze_problem
from quizapp.knowledge_schema import knowledge_problems

FORMAT_NAME = "quizapp.deck"
FORMAT_VERSION = 1

CARD_KINDS = ("basic", "reversed", "cloze", "mcq", "typein")
ORIGINS = ("generated", "uploaded", "imported")

MAX_TITLE = 200
MAX_GUID = 64
MAX_FIELD = 20_000
MAX_CHOICES = 8
MAX_TAG = 100
MAX_MEDIA_NAME = 200
# Whole numbers go into 32-bit integer columns (PostgreSQL's INTEGER).
MAX_INT32 = 2**31 - 1
# Every edit adds one to a deck's version: room for a billion more below MAX_INT32.
MAX_DECK_VERSION = 1_000_000_000
# The deck settings form's bounds: more than anyone studies in a day, far inside INTEGER.
MAX_NEW_PER_DAY = 9_999
MAX_REVIEWS_PER_DAY = 99_999

GUID_RE = re.compile(r"^[\x21-\x7e]+$")
TAG_RE = re.compile(r"^[^\s]+$")
MEDIA_NAME_RE = re.compile(r"^[^/\\\x00-\x1f\x7f]+$")


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
        return card_ordinals(self.kind, self.prompt)


@dataclass(frozen=True)
class MediaFile:
    name: str
    data: bytes


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


def card_ordinals(kind: str, prompt: str) -> tuple[int, ...]:
    if kind == "reversed":
        return (0, 1)
    if kind == "cloze":
        numbers = sorted({gap.number for gap in cloze_gaps(prompt) if gap.number})
        return tuple(n - 1 for n in numbers) or (0,)
    return (0,)


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
    title = _text(meta, "title", "deck", problems, required=True, limit=MAX_TITLE)
    if not title.strip() and "title" in meta:
        problems.append("deck: field 'title' must not be blank")
    description = _text(meta, "description", "deck", problems)
    origin = meta.get("origin", "uploaded")
    if origin not in ORIGINS:
        problems.append(f"deck: field 'origin' must be one of {', '.join(ORIGINS)}")
    version = _int(meta, "version", "deck", problems, default=1, low=1, high=MAX_DECK_VERSION)
    settings = meta.get("settings", {})
    if not isinstance(settings, dict):
        problems.append("deck: field 'settings' must be an object")
        settings = {}
    new_per_day = _int(
        settings, "new_per_day", "deck.settings", problems, default=20, low=0, high=MAX_NEW_PER_DAY
    )
    reviews_per_day = _int(
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
    cards = _unique(
        (_read_card(card_raw, index, source_ids, problems) for index, card_raw in
         enumerate(cards_raw)),
        problems,
    )
    media = _read_media(raw.get("media", []), problems)
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
    cards = _unique((_checked_card(_as_written(card), _card_place(index, card.guid), source_ids,
                                   problems, mcq_fields=False)
                     for index, card in enumerate(deck.cards)), problems)
    names: set[str] = set()
    for index, item in enumerate(deck.media):
        where = f"media {index + 1}"
        if problem := _text_problem(item.name, MAX_MEDIA_NAME):
            problems.append(f"{where}: field 'name' {problem}")
        _media_name_is_new(item.name, where, names, problems)
    if problems:
        raise DeckFileError(source, problems)
    return replace(head, cards=cards, media=list(deck.media))


def _as_written(card: CardData) -> CardData:
    """The card as a deck file holds it: an mcq card's answer is its right choice, and only
    mcq cards have choices."""
    if card.kind == "mcq":
        return replace(card, answer="") if card.answer else card
    if card.choices or card.correct is not None:
        return replace(card, choices=(), correct=None)
    return card


def _card_place(index: int, guid: str) -> str:
    return f"card {index + 1} (guid {guid})" if guid else f"card {index + 1}"


def _unique(cards: Iterable[CardData | None], problems: list[str]) -> list[CardData]:
    """The cards read (None for one refused), each guid once."""
    kept = []
    seen: set[str] = set()
    for index, card in enumerate(cards):
        if card is None:
            continue
        if card.guid in seen:
            problems.append(f"{_card_place(index, card.guid)}: field 'guid' is repeated")
        seen.add(card.guid)
        kept.append(card)
    return kept


def unstorable_text(value: str) -> str | None:
    """Why no database or page can hold ``value`` (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not a valid Unicode character)"
    return None


def storable_text(value: str) -> str:
    """``value`` without what :func:`unstorable_text` refuses: NULs dropped, lone surrogates
    replaced, for text the app writes itself from someone else's words."""
    if not unstorable_text(value):
        return value
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def storable_in_place(value: str) -> str:
    """``value`` with each character no database can hold (a NUL, a lone surrogate) turned
    into U+FFFD, one for one, so offsets into it still point at the same places."""
    if not unstorable_text(value):
        return value
    return "".join(
        "\ufffd" if char == "\x00" or "\ud800" <= char <= "\udfff" else char for char in value
    )


def _text(
    obj: dict, key: str, where: str, problems: list[str], *, required=False, limit=MAX_FIELD
) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            problems.append(f"{where}: field '{key}' is required")
        return ""
    if not isinstance(value, str):
        problems.append(f"{where}: field '{key}' must be a string")
        return ""
    if problem := _text_problem(value, limit):
        problems.append(f"{where}: field '{key}' {problem}")
    return value


def _text_problem(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"is longer than {limit} characters"
    return unstorable_text(value)


def _int(
    obj: dict, key: str, where: str, problems: list[str], *, default: int, low: int, high: int
) -> int:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{where}: field '{key}' must be a whole number")
        return default
    if not low <= value <= high:
        problems.append(f"{where}: field '{key}' must be between {low} and {high}")
    return value


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
        doc_id = _text(item, "id", where, problems, required=True, limit=100)
        name = _text(item, "name", where, problems, required=True, limit=300)
        docs.append(
            SourceDoc(
                id=doc_id,
                name=name,
                title=_text(item, "title", where, problems, limit=300),
                sha256=_text(item, "sha256", where, problems, limit=64),
            )
        )
    return docs


def _read_card(
    raw: Any, index: int, source_ids: set[str], problems: list[str]
) -> CardData | None:
    """The card a file's JSON object describes: its types here, its values in
    :func:`_checked_card`."""
    where = _card_place(index, "")
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object")
        return None
    start = len(problems)
    guid = _text(raw, "guid", where, problems, required=True, limit=MAX_GUID)
    where = _card_place(index, guid)
    prompt = _text(raw, "prompt", where, problems, required=True)
    answer = _text(raw, "answer", where, problems)
    explanation = _text(raw, "explanation", where, problems)
    choices_raw = raw.get("choices", [])
    if not isinstance(choices_raw, list) or not all(isinstance(c, str) for c in choices_raw):
        problems.append(_CHOICES_PROBLEM.format(where=where))
        choices_raw = []
    tags_raw = raw.get("tags", [])
    if not isinstance(tags_raw, list) or not all(isinstance(t, str) for t in tags_raw):
        problems.append(_TAGS_PROBLEM.format(where=where))
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
    mcq_fields = "choices" in raw or "correct" in raw
    return _checked_card(card, where, source_ids, problems, mcq_fields=mcq_fields)


_CHOICES_PROBLEM = (
    "{where}: field 'choices' must list 2 to " + str(MAX_CHOICES)
    + " non-blank strings of at most " + str(MAX_FIELD) + " characters each"
)
_TAGS_PROBLEM = "{where}: field 'tags' must be a list of words without spaces"


def _checked_card(
    card: CardData, where: str, source_ids: set[str], problems: list[str], *, mcq_fields: bool
) -> CardData | None:
    """The card with the values the format allows, or None with ``problems`` saying why;
    an mcq card's answer is its right choice when it states none, tags are kept once."""
    start = len(problems)
    for key, value, limit in (("guid", card.guid, MAX_GUID), ("prompt", card.prompt, MAX_FIELD),
                              ("answer", card.answer, MAX_FIELD),
                              ("explanation", card.explanation, MAX_FIELD)):
        if problem := _text_problem(value, limit):
            problems.append(f"{where}: field '{key}' {problem}")
    if card.guid and not GUID_RE.match(card.guid):
        problems.append(f"{where}: field 'guid' must be printable ASCII without spaces")
    kind = card.kind
    if kind not in CARD_KINDS:
        problems.append(f"{where}: field 'kind' must be one of {', '.join(CARD_KINDS)}")
    if not card.prompt.strip():
        problems.append(f"{where}: field 'prompt' must not be blank")
    answer, choices, correct = card.answer, card.choices, card.correct
    if kind == "mcq":
        if (
            not all(c.strip() for c in choices)
            or not 2 <= len(choices) <= MAX_CHOICES
            or any(len(c) > MAX_FIELD or unstorable_text(c) for c in choices)
        ):
            problems.append(_CHOICES_PROBLEM.format(where=where))
            choices = ()
        elif len(set(choices)) != len(choices):
            problems.append(f"{where}: field 'choices' has the same choice twice")
        if isinstance(correct, bool) or not isinstance(correct, int):
            problems.append(f"{where}: field 'correct' must be the index of the right choice")
        elif choices and not 0 <= correct < len(choices):
            problems.append(f"{where}: field 'correct' is not an index into 'choices'")
        elif choices and not answer:
            answer = choices[correct]
    elif mcq_fields:
        problems.append(f"{where}: fields 'choices' and 'correct' belong to mcq cards only")
    if kind in ("basic", "reversed", "typein") and not answer.strip():
        problems.append(f"{where}: field 'answer' is required for {kind} cards")
    if kind == "cloze" and card.prompt and (problem := cloze_problem(card.prompt)):
        problems.append(f"{where}: field 'prompt' of a cloze card {problem}")
    if not all(
        TAG_RE.match(t) and len(t) <= MAX_TAG and not unstorable_text(t) for t in card.tags
    ):
        problems.append(_TAGS_PROBLEM.format(where=where))
    for ref in card.sources:
        if ref.source not in source_ids:
            problems.append(f"{where}: field 'sources' names unknown source {ref.source!r}")
    if len(problems) > start:
        return None
    if answer is card.answer and len(set(card.tags)) == len(card.tags):
        return card
    return replace(card, answer=answer, tags=tuple(dict.fromkeys(card.tags)))


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


def _read_media(raw: Any, problems: list[str]) -> list[MediaFile]:
    if not isinstance(raw, list):
        problems.append("field 'media' must be a list")
        return []
    files = []
    names: set[str] = set()
    for index, item in enumerate(raw):
        where = f"media {index + 1}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        name = _text(item, "name", where, problems, required=True, limit=MAX_MEDIA_NAME)
        if not _media_name_is_new(name, where, names, problems):
            continue
        try:
            data = base64.b64decode(item.get("data", ""), validate=True)
        except (binascii.Error, TypeError, ValueError):
            problems.append(f"{where}: field 'data' must be base64")
            continue
        files.append(MediaFile(name=name, data=data))
    return files


def _media_name_is_new(name: str, where: str, names: set[str], problems: list[str]) -> bool:
    if name and (not MEDIA_NAME_RE.match(name) or name in (".", "..")):
        problems.append(f"{where}: field 'name' must be a plain file name")
        return False
    if name in names:
        problems.append(f"{where}: field 'name' repeats the name of another media file")
        return False
    names.add(name)
    return True


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
    if card.kind == "mcq":
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
