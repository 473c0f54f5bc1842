"""Draft decks from an instructor's uploaded source documents."""

from __future__ import annotations

from pathlib import PurePath

from ..generation import generate_deck
from ..models import Deck, User
from .decks import slugify, store_deck
from .review import reapply_accepted

ALLOWED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_SOURCES = 20


class GenerationFailed(ValueError):
    """Source documents that cannot become a deck; the message says why."""


def decode_source(name: str, data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise GenerationFailed(f"{name}: this looks like a binary file, not text.")
    for encoding in ("utf-8-sig", "utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) \
            else ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise GenerationFailed(f"{name}: the text encoding could not be read.")


def read_sources(uploads: list[tuple[str, bytes]]) -> list[tuple[str, str]]:
    if not uploads:
        raise GenerationFailed("Choose at least one source document.")
    if len(uploads) > MAX_SOURCES:
        raise GenerationFailed(f"Upload at most {MAX_SOURCES} documents at once.")
    documents = []
    for raw_name, data in uploads:
        name = PurePath(raw_name.replace("\\", "/")).name[:200] or "source.txt"
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            raise GenerationFailed(f"{name}: only .txt, .md and .html documents can be used.")
        if len(data) > MAX_SOURCE_BYTES:
            raise GenerationFailed(
                f"{name}: larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB."
            )
        documents.append((name, decode_source(name, data)))
    names = [name for name, _ in documents]
    if len(set(names)) != len(names):
        raise GenerationFailed("Two documents have the same file name; rename one.")
    return documents


def draft_from_uploads(
    uploads: list[tuple[str, bytes]], *, title: str | None, owner: User
) -> Deck:
    """Generate and store a deck (new ones start unpublished) keeping the texts as evidence."""
    documents = read_sources(uploads)
    deck_data = generate_deck(documents, title=title)
    if not deck_data.cards:
        raise GenerationFailed(
            "No facts could be extracted: the documents should describe a condition, its "
            "types and their causes in plain sentences."
        )
    texts_by_name = dict(documents)
    source_texts = {
        source.id: texts_by_name[source.name]
        for source in deck_data.sources
        if source.name in texts_by_name
    }
    report = store_deck(
        deck_data, owner=owner, slug=slugify(deck_data.title), source_texts=source_texts,
        publish=None,
    )
    # Regenerating retires every card the generator did not write, accepted ones included.
    reapply_accepted(report.deck)
    return report.deck
