"""Choosing the reader for an upload by what its bytes are, not by its file name.

Pure Python. A zip is an Anki package, a JSON object is a quizapp deck file, other text is
CSV/TSV. Whatever goes wrong comes out as :class:`~quizapp.formats.ImportFailed`.
"""

from __future__ import annotations

import json
from dataclasses import replace

from quizapp.deckfile import FORMAT_NAME, CardData, DeckData, DeckFileError, loads
from quizapp.formats import ImportFailed, ImportResult, checked_deck
from quizapp.formats.apkg_import import read_anki_package
from quizapp.formats.csv_import import decode_text, read_csv, title_from_filename
from quizapp.formats.sanitize import sanitize_html

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
BINARY_MAGIC = {
    b"SQLite format 3\x00": "a bare SQLite database (export an .apkg from Anki instead)",
    b"\x28\xb5\x2f\xfd": "zstd-compressed data",
    b"\x1f\x8b": "gzip-compressed data",
    b"%PDF": "a PDF document",
}


def read_upload(
    filename: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
) -> ImportResult:
    """The decks in an uploaded file; raise :class:`ImportFailed` with a user-facing reason."""
    if len(data) > max_bytes:
        raise ImportFailed(
            f"The file is {_megabytes(len(data))} MB; uploads are limited to "
            f"{_megabytes(max_bytes)} MB."
        )
    if not data.strip():
        raise ImportFailed("The file is empty.")
    if data.startswith(ZIP_MAGIC):
        decks, warnings = read_anki_package(data)
        return ImportResult(decks=decks, warnings=warnings, kind="apkg")
    for magic, description in BINARY_MAGIC.items():
        if data.startswith(magic):
            raise ImportFailed(f"This file is {description}, which cannot be imported.")
    text = decode_text(data)
    if text.lstrip().startswith(("{", "[")):
        deck = _read_deck_file(text, filename)
        return ImportResult(decks=[deck], warnings=[], kind="quizapp-json")
    deck, warnings = read_csv(text, title_from_filename(filename))
    return ImportResult(decks=[deck], warnings=warnings, kind="csv")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _read_deck_file(text: str, filename: str) -> DeckData:
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
    return checked_deck(deck)


def _sanitized_card(card: CardData) -> CardData:
    return replace(
        card,
        prompt=sanitize_html(card.prompt),
        answer=sanitize_html(card.answer),
        explanation=sanitize_html(card.explanation),
        choices=tuple(sanitize_html(choice) for choice in card.choices),
    )
