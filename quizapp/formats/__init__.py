"""Reading uploaded decks: the app's own JSON, CSV/TSV and Anki packages.

Pure Python (no Flask, no database). :func:`quizapp.formats.detect.read_upload` picks the
reader by content; every reader returns :class:`~quizapp.deckfile.DeckData` objects with
sanitized HTML, or raises :class:`ImportFailed` with a message fit to show the uploader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from quizapp.deckfile import DeckData, DeckFileError, check_deck


class ImportFailed(Exception):
    """An upload that cannot be imported; ``str(exc)`` is the message for the user."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# Media of one deck is held in memory while an upload is previewed and stored, and each
# file is sent whole to learners: these bounds keep both small (README, "Settings").
DEFAULT_MAX_MEDIA_FILE_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_DECK_MEDIA_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class MediaLimits:
    file_bytes: int = DEFAULT_MAX_MEDIA_FILE_BYTES
    deck_bytes: int = DEFAULT_MAX_DECK_MEDIA_BYTES


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def media_problem(deck: DeckData, limits: MediaLimits) -> str | None:
    """Why the deck's media is more than the limits allow, or None."""
    for item in deck.media:
        if len(item.data) > limits.file_bytes:
            return (
                f"The media file {item.name[:80]!r} is {megabytes(len(item.data))} MB; each "
                f"file may be at most {megabytes(limits.file_bytes)} MB."
            )
    total = sum(len(item.data) for item in deck.media)
    if total > limits.deck_bytes:
        return (
            f"The deck {deck.title!r} carries {megabytes(total)} MB of media; a deck may "
            f"carry at most {megabytes(limits.deck_bytes)} MB."
        )
    return None


@dataclass
class ImportResult:
    decks: list[DeckData]
    warnings: list[str]
    kind: str


@dataclass(frozen=True)
class Reader:
    """One import format. The registry (:mod:`quizapp.formats.registry`) tries ``claims``
    in its order and the first reader that claims the bytes reads them with ``read(data,
    filename, limits)``; ``suffixes`` are the file name endings that promise this format,
    ``description`` how messages name it."""

    kind: str
    description: str
    suffixes: tuple[str, ...]
    claims: Callable[[bytes], bool]
    read: Callable[[bytes, str, MediaLimits], ImportResult]


def checked_deck(deck: DeckData) -> DeckData:
    """The deck as the deck file format would load it, so no importer hands on a deck
    that the rest of the app would reject."""
    try:
        return check_deck(deck, deck.title)
    except DeckFileError as exc:
        raise ImportFailed(f"The deck {deck.title!r} has problems: {exc}") from None
