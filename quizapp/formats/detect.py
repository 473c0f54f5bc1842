"""Choosing the reader for an upload by what its bytes are, not by its file name.

Pure Python. A zip is an Anki package, a JSON object is a quizapp deck file, other text is
CSV/TSV. Whatever goes wrong comes out as :class:`~quizapp.formats.ImportFailed`; when the
file's name promised another format than its bytes are, the message says both (a text file
renamed ``.apkg`` is told it is text, not an Anki package, rather than read as a bad CSV).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import PurePosixPath

from quizapp.deckfile import FORMAT_NAME, CardData, DeckData, DeckFileError, loads
from quizapp.formats import (
    ImportFailed,
    ImportResult,
    MediaLimits,
    checked_deck,
    media_problem,
    megabytes,
)
from quizapp.formats.anki import read_anki_package
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


# What each file name ending promises, in the words the messages use.
EXPECTED_BY_SUFFIX = {
    ".apkg": ("apkg", "an Anki package"),
    ".colpkg": ("apkg", "an Anki package"),
    ".json": ("quizapp-json", "a quizapp deck file (JSON)"),
    ".csv": ("csv", "a CSV file with a header row"),
    ".tsv": ("csv", "a TSV file with a header row"),
}


def read_upload(
    filename: str,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    media_limits: MediaLimits | None = None,
) -> ImportResult:
    """The decks in an uploaded file; raise :class:`ImportFailed` with a user-facing reason."""
    if len(data) > max_bytes:
        raise ImportFailed(
            f"The file is {megabytes(len(data))} MB; uploads are limited to "
            f"{megabytes(max_bytes)} MB."
        )
    if not data.strip():
        raise ImportFailed("The file is empty.")
    limits = media_limits or MediaLimits()
    try:
        result = _read_by_content(filename, data, limits)
    except ImportFailed as failure:
        raise _with_expected_format(failure, filename, data) from None
    for deck in result.decks:
        if problem := media_problem(deck, limits):
            raise ImportFailed(problem)
    return result


def _read_by_content(filename: str, data: bytes, limits: MediaLimits) -> ImportResult:
    if data.startswith(ZIP_MAGIC):
        decks, warnings = read_anki_package(data, limits)
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


def _what_it_is(data: bytes) -> tuple[str, str]:
    """The kind of upload the bytes are, and how to say so."""
    if data.startswith(ZIP_MAGIC):
        return "apkg", "a zip archive"
    for magic, description in BINARY_MAGIC.items():
        if data.startswith(magic):
            return "binary", description
    try:
        text = decode_text(data[:4096])
    except ImportFailed:
        return "binary", "binary data, not text"
    if text.lstrip().startswith(("{", "[")):
        return "quizapp-json", "JSON text"
    first_line = text.lstrip("\ufeff").split("\n", 1)[0].strip()[:60]
    return "csv", f"plain text (its first line reads {first_line!r})"


def _with_expected_format(failure: ImportFailed, filename: str, data: bytes) -> ImportFailed:
    expected = EXPECTED_BY_SUFFIX.get(PurePosixPath(filename.lower()).suffix)
    if expected is None:
        return failure
    actual_kind, actual = _what_it_is(data)
    if actual_kind == expected[0]:
        return failure
    return ImportFailed(
        f"The file is named {PurePosixPath(filename).name[:80]!r}, so {expected[1]} was "
        f"expected, but it is {actual}. {failure}"
    )


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
