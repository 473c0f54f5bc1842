"""Draft decks from an instructor's source documents (PDF, DOCX, PPTX, HTML, Markdown, text).

The request only checks the uploads (:func:`check_uploads`: type by content, sizes, pages,
slides, a text layer) and queues a job; the job reads each document into Markdown-structured
text with its location map, generates the deck and stores it in one transaction
(:func:`generate_draft`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from flask import current_app

from ..generation import generate_deck
from ..models import Deck, User
from ..sources import (
    SourceLimits,
    SourceRefused,
    SourceText,
    check_source,
    read_source,
    sniff,
)
from .decks import deck_slug, store_deck
from .review import reapply_accepted

MAX_SOURCES = 20

Report = Callable[..., None]


class GenerationFailed(ValueError):
    """Source documents that cannot become a deck; the message says why."""


def source_limits() -> SourceLimits:
    config = current_app.config
    return SourceLimits(
        max_pages=config["QUIZAPP_SOURCE_MAX_PAGES"],
        max_slides=config["QUIZAPP_SOURCE_MAX_SLIDES"],
        max_unpacked_bytes=config["QUIZAPP_SOURCE_MAX_UNPACKED_BYTES"],
        max_chars=config["QUIZAPP_SOURCE_MAX_CHARS"],
        max_seconds=config["QUIZAPP_SOURCE_SECONDS"],
    )


def clean_name(raw_name: str) -> str:
    return PurePath(raw_name.replace("\\", "/")).name[:200] or "source.txt"


def check_uploads(
    uploads: list[tuple[str, bytes]], limits: SourceLimits
) -> list[tuple[str, bytes]]:
    """The uploads under clean names, each passed through the checks that cost little."""
    if not uploads:
        raise GenerationFailed("Choose at least one source document.")
    if len(uploads) > MAX_SOURCES:
        raise GenerationFailed(f"Upload at most {MAX_SOURCES} documents at once.")
    named = [(clean_name(name), data) for name, data in uploads]
    names = [name for name, _ in named]
    if len(set(names)) != len(names):
        raise GenerationFailed("Two documents have the same file name; rename one.")
    for name, data in named:
        try:
            check_source(name, data, limits)
        except SourceRefused as error:
            raise GenerationFailed(str(error)) from None
    return named


def read_sources(
    uploads: list[tuple[str, bytes]], limits: SourceLimits, report: Report | None = None
) -> list[SourceText]:
    documents = []
    for index, (name, data) in enumerate(check_uploads(uploads, limits)):
        unit = _unit(name, data)

        def progress(done: int, total: int, name=name, index=index, unit=unit) -> None:
            if report:
                report(stage=f"Reading {name}: {unit} {done} of {total}",
                       percent=int(60 * (index + done / total) / len(uploads)))
        try:
            documents.append(read_source(name, data, limits, progress))
        except SourceRefused as error:
            raise GenerationFailed(str(error)) from None
        if report:
            report(documents_read=index + 1, percent=int(60 * (index + 1) / len(uploads)))
    total_chars = sum(len(document.text) for document in documents)
    if total_chars > limits.max_chars:
        raise GenerationFailed(
            f"The documents hold {total_chars:,} characters together, more than the "
            f"{limits.max_chars:,} allowed; generate from fewer at once."
        )
    return documents


def _unit(name: str, data: bytes) -> str:
    return {"pdf": "page", "pptx": "slide", "docx": "block"}.get(sniff(name, data), "part")


def _finding(report: Report, total: int) -> Report:
    """The generator's counts as the job's progress: facts per document read, then cards."""

    def progress(documents_read: int | None = None, facts: int | None = None,
                 cards: int | None = None) -> None:
        if cards is not None:
            report(stage="Writing the cards", cards=cards, percent=88)
        elif documents_read is not None:
            report(stage=f"Finding facts: document {documents_read} of {total}", facts=facts,
                   percent=65 + 20 * documents_read // max(total, 1))

    return progress


def generate_draft(
    uploads: list[tuple[str, bytes]], *, title: str | None, owner: User,
    report: Report | None = None,
) -> Deck:
    """Read, generate and store a deck (new ones start unpublished) keeping the texts and
    their locations as evidence; the caller commits."""
    documents = read_sources(uploads, source_limits(), report)
    if report:
        report(stage="Finding facts and writing cards", percent=65)
    deck_data = generate_deck(
        [document.document() for document in documents], title=title,
        progress=_finding(report, len(documents)) if report else None,
    )
    knowledge = deck_data.knowledge or {}
    facts = sum(len(value) for value in knowledge.values() if isinstance(value, list))
    if not deck_data.cards:
        raise GenerationFailed(
            "No facts could be extracted: the documents should describe a condition, its "
            "types and their causes in plain sentences."
        )
    if report:
        report(stage="Saving the draft deck", facts=facts, cards=len(deck_data.cards),
               percent=90)
    by_name = {document.name: document for document in documents}
    kept = {
        source.id: by_name[source.name] for source in deck_data.sources if source.name in by_name
    }
    report_ = store_deck(
        deck_data, owner=owner, slug=deck_slug(deck_data.title),
        source_texts={key: document.text for key, document in kept.items()},
        publish=None,
    )
    for source in report_.deck.sources:
        if source.key in kept:
            source.locations = [list(pair) for pair in kept[source.key].locations] or None
    # Regenerating retires every card the generator did not write, accepted ones included.
    reapply_accepted(report_.deck)
    return report_.deck
