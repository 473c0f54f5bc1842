"""The app's own deck file (JSON, ``"format": "quizapp.deck"``) as an upload."""

from __future__ import annotations

import codecs
import json
from dataclasses import replace

from quizapp.deckfile import FORMAT_NAME, CardData, DeckFileError, loads
from quizapp.formats import ImportFailed, ImportResult, MediaLimits, Reader, checked_deck
from quizapp.formats.csv_import import decode_text
from quizapp.formats.sanitize import sanitize_html

_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def looks_like_json(data: bytes) -> bool:
    """Whether the text opens an object or a list, past a byte order mark and white space."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            head = data[len(mark) : len(mark) + 256].decode(encoding, errors="ignore")
            return head.lstrip()[:1] in ("{", "[")
    return data.lstrip()[:1] in (b"{", b"[")


def read_deck_json(data: bytes, filename: str, limits: MediaLimits) -> ImportResult:
    text = decode_text(data)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        raise ImportFailed("The file looks like JSON but is not valid JSON.") from None
    except RecursionError:
        raise ImportFailed("The JSON file is nested too deeply to read.") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise ImportFailed(
            f'This JSON file is not a quizapp deck (it needs "format": "{FORMAT_NAME}").'
        )
    try:
        deck = loads(text, filename or "deck")
    except DeckFileError as exc:
        raise ImportFailed(f"The deck file has problems: {'; '.join(exc.problems[:5])}") from None
    except RecursionError:
        raise ImportFailed("The deck file is nested too deeply to read.") from None
    deck.origin = "uploaded"
    deck.cards = [_sanitized_card(card) for card in deck.cards]
    return ImportResult(decks=[checked_deck(deck)], warnings=[], kind="quizapp-json")


def _sanitized_card(card: CardData) -> CardData:
    return replace(
        card,
        prompt=sanitize_html(card.prompt),
        answer=sanitize_html(card.answer),
        explanation=sanitize_html(card.explanation),
        choices=tuple(sanitize_html(choice) for choice in card.choices),
    )


READER = Reader(
    kind="quizapp-json",
    description="a quizapp deck file (JSON)",
    suffixes=(".json",),
    claims=looks_like_json,
    read=read_deck_json,
)
