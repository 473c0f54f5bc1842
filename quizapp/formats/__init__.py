"""Reading uploaded decks: the app's own JSON, CSV/TSV and Anki packages.

Pure Python (no Flask, no database). :func:`quizapp.formats.detect.read_upload` picks the
reader by content; every reader returns :class:`~quizapp.deckfile.DeckData` objects with
sanitized HTML, or raises :class:`ImportFailed` with a message fit to show the uploader.
"""

from __future__ import annotations

from dataclasses import dataclass

from quizapp.deckfile import DeckData, DeckFileError, from_dict, to_dict


class ImportFailed(Exception):
    """An upload that cannot be imported; ``str(exc)`` is the message for the user."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass
class ImportResult:
    decks: list[DeckData]
    warnings: list[str]
    kind: str


def checked_deck(deck: DeckData) -> DeckData:
    """The deck as the deck file format would load it, so no importer hands on a deck
    that the rest of the app would reject."""
    try:
        return from_dict(to_dict(deck), deck.title)
    except DeckFileError as exc:
        raise ImportFailed(f"The deck {deck.title!r} has problems: {exc}") from None
