"""Deck generation from source documents about a condition that has types (issue 4).

Pure Python: no Flask, no database. ``generate_deck`` reads the documents, extracts what each
states, reconciles them and writes cards; the result is a :class:`quizapp.deckfile.DeckData`
with ``origin="generated"`` and a ``knowledge`` dict that records every fact with its source
locations and every disagreement between sources with how the deck handled it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePath
from typing import Any

from quizapp.deckfile import DeckData, SourceDoc, SourceRef, storable_in_place, storable_text
from quizapp.deckfile import _card_dict as card_to_dict
from quizapp.generation.boilerplate import repeated_lines
from quizapp.generation.cards import DeckWriter
from quizapp.generation.confidence import THRESHOLD, entity_confidence, is_suggestion, readings
from quizapp.generation.extract import Location, find_vocabulary, read_facts
from quizapp.generation.reader import read_document
from quizapp.generation.reconcile import (
    CATEGORIES,
    Entity,
    Knowledge,
    is_ambiguous,
    reconcile,
    reversibility_of,
    summary_value,
)
from quizapp.generation.text import slug
from quizapp.sources import SourceLimits, read_source

# The deck file format's limits on a source's name and title and on the deck title.
MAX_SOURCE_NAME = 300
MAX_SOURCE_TITLE = 300
MAX_DECK_TITLE = 200

__all__ = [
    "evidence_text",
    "generate_deck",
    "generate_deck_from_paths",
    "read_document",
]


def _source_id(name: str, taken: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", PurePath(name).stem).strip("-").lower()[:40] or "source"
    candidate = stem
    number = 2
    while candidate in taken:
        candidate = f"{stem}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def generate_deck(
    documents: Sequence[tuple[str, ...]],
    title: str | None = None,
    progress: Callable[..., None] | None = None,
) -> DeckData:
    """Build a generated deck from ``(file_name, text)`` or ``(file_name, text, fmt)``
    documents; ``fmt`` ("text", "md", "html") overrides detecting the format (documents
    converted from PDF, DOCX or PPTX arrive as Markdown under their original name).

    ``progress`` (keyword arguments ``documents_read``, ``facts``, ``cards``) hears how far
    the work has gone, for a progress bar."""
    # Whatever a document holds, the names and sentences taken from it must be storable.
    normalised = [
        (str(item[0]), storable_in_place(str(item[1])), str(item[2]) if len(item) > 2 and item[2]
         else "")
        for item in documents
    ]
    ordered = sorted(normalised, key=lambda item: (PurePath(item[0]).name, item[1], item[2]))
    repeated = repeated_lines(text for name, text, fmt in ordered if fmt != "html")
    read = [read_document(name, text, fmt or None, repeated) for name, text, fmt in ordered]
    taken: set[str] = set()
    ids = [_source_id(document.name, taken) for document in read]
    vocabulary = find_vocabulary(read)
    facts = []
    for document, source_id in zip(read, ids, strict=True):
        facts.append(read_facts(document, source_id, vocabulary))
        if progress:
            progress(documents_read=len(facts), facts=sum(f.count() for f in facts))
    knowledge = reconcile(vocabulary, facts)
    writer = DeckWriter(knowledge, {source_id: source_id for source_id in ids})
    cards = writer.write()
    if progress:
        progress(cards=len(cards))
    sources = [
        SourceDoc(
            id=source_id,
            name=storable_text(document.name)[:MAX_SOURCE_NAME],
            title=storable_text(document.title)[:MAX_SOURCE_TITLE],
            # A str from Python (not from decoding an upload) may hold lone surrogates,
            # which strict UTF-8 refuses; surrogatepass still hashes every character.
            sha256=hashlib.sha256(document.text.encode("utf-8", "surrogatepass")).hexdigest(),
        )
        for document, source_id in zip(read, ids, strict=True)
    ]
    condition = vocabulary.condition
    title = storable_text(title or "").strip() or condition[:1].upper() + condition[1:]
    return DeckData(
        title=title[:MAX_DECK_TITLE].strip(),
        description=(
            f"Generated from {len(read)} source document{'s' if len(read) != 1 else ''} "
            f"about {condition}: its types, causes, reversibility, symptoms, tests and "
            "treatments. Each card shows the sentences it is based on."
        ),
        origin="generated",
        cards=cards,
        sources=sources,
        knowledge=knowledge_dict(knowledge, writer),
    )


def generate_deck_from_paths(paths: Iterable[str | Path], title: str | None = None) -> DeckData:
    """A deck from files on disk, each read as uploads and ``flask decks generate`` read it
    (:func:`quizapp.sources.read_source`, default limits); raises
    :class:`~quizapp.sources.SourceRefused` naming a file that cannot be read."""
    documents = [
        read_source(Path(path).name, Path(path).read_bytes(), SourceLimits()).document()
        for path in paths
    ]
    return generate_deck(documents, title)


def evidence_text(text: str, name: str, ref: SourceRef) -> str:
    """The sentence a card's source reference points at, cleaned of layout white space."""
    if ref.sentence is not None:
        units = read_document(name, text).units
        if 0 <= ref.sentence < len(units):
            unit = units[ref.sentence]
            if ref.start is None or unit.start == ref.start:
                return unit.text
    if ref.start is not None and ref.end is not None:
        return " ".join(re.sub(r"<[^>]*>", " ", text[ref.start : ref.end]).split())
    return ""


def _locations(locations: Iterable[Location]) -> list[dict[str, Any]]:
    unique = sorted(set(locations), key=lambda loc: (loc.source, loc.sentence, loc.start))
    return [location.as_dict() for location in unique]


def knowledge_dict(knowledge: Knowledge, writer: DeckWriter) -> dict[str, Any]:
    vocabulary = knowledge.vocabulary
    causes = knowledge.entities["causes"]
    conflicted = knowledge.conflict_keys()
    types = []
    for type_word in writer.type_order:
        statements = reversibility_of(knowledge.facts, type_word)
        types.append(
            {
                "id": type_word,
                "name": writer.type_name(type_word),
                "aliases": [writer.type_name(w) for w in vocabulary.type_words[type_word][1:]],
                "sources": sorted(f.source for f in knowledge.facts if type_word in f.types),
                "locations": _locations(
                    location for f in knowledge.facts for location in f.types.get(type_word, [])
                ),
                "reversibility": {
                    "value": summary_value(statements)
                    if f"reversible:{type_word}" not in conflicted
                    else "disputed",
                    "statements": [
                        {"value": value, "wording": cue, "location": location.as_dict()}
                        for value, cue, location in statements
                    ],
                },
                "confidence": round(
                    min(
                        1.0,
                        0.6
                        + 0.1 * len({f.source for f in knowledge.facts if type_word in f.types}),
                    ),
                    2,
                ),
                "exceptions": [
                    {"value": value, "wording": cue, "location": location.as_dict()}
                    for f in knowledge.facts
                    for t, value, cue, location in f.exceptions
                    if t == type_word
                ],
                "definitions": _locations(
                    location
                    for f in knowledge.facts
                    for t, _, location in f.definitions
                    if t == type_word
                ),
            }
        )
    suggestions: list[dict[str, Any]] = []
    cause_rows = []
    for entity in causes:
        if is_suggestion(entity):
            suggestions.extend(_suggestions("causes", entity, writer, vocabulary.condition))
            continue
        by_source = entity.types_by_source()
        type_counts = {t: sum(1 for s in by_source.values() if t in s) for t in entity.types}
        if f"cause-type:{entity.key}" in conflicted:
            status = "conflict"
        elif is_ambiguous(entity, causes):
            status = "ambiguous"
        elif entity.types:
            status = "agreed"
        else:
            status = "untyped"
        assignments = []
        for source in entity.sources:
            for filed_under in sorted(
                {m.type for m in entity.mentions if m.location.source == source},
                key=lambda t: t or "",
            ):
                assignments.append(
                    {
                        "source": source,
                        "type": filed_under,
                        "locations": _locations(
                            m.location
                            for m in entity.mentions
                            if m.location.source == source and m.type == filed_under
                        ),
                    }
                )
        cause_rows.append(
            {
                "id": entity.key,
                "name": entity.name,
                "aliases": entity.aliases,
                "types": entity.types,
                "status": status,
                "agreeing_sources": max(type_counts.values(), default=len(entity.sources)),
                "sources": entity.sources,
                "assignments": assignments,
                "confidence": max(
                    entity_confidence(entity, t)[0] for t in readings(entity)
                ),
            }
        )
    out: dict[str, Any] = {
        "condition": {"name": vocabulary.condition, "head": vocabulary.head},
        "types": types,
        "causes": cause_rows,
        "conflicts": [
            {
                "id": conflict.key,
                "about": conflict.about,
                "positions": [
                    {
                        "position": position,
                        "sources": sorted({loc.source for loc in locations}),
                        "locations": _locations(locations),
                    }
                    for position, locations in conflict.positions.items()
                ],
                "handling": conflict.handling,
            }
            for conflict in knowledge.conflicts
        ],
    }
    for category in CATEGORIES[1:]:
        out[category] = []
        for entity in knowledge.entities[category]:
            if is_suggestion(entity):
                suggestions.extend(_suggestions(category, entity, writer, vocabulary.condition))
                continue
            out[category].append(
                {
                    "id": entity.key,
                    "name": entity.name,
                    "aliases": entity.aliases,
                    "types": entity.types,
                    "sources": entity.sources,
                    "locations": _locations(entity.locations()),
                    "confidence": entity_confidence(entity)[0],
                }
            )
    out["minor_typologies"] = (
        [
            {
                "types": [
                    {"id": t, "aliases": names[1:]} for t, names in vocabulary.minor_types.items()
                ]
            }
        ]
        if vocabulary.minor_types
        else []
    )
    out["threshold"] = THRESHOLD
    out["suggestions"] = sorted(suggestions, key=lambda s: s["id"])
    return out


def _suggestions(
    category: str, entity: Entity, writer: DeckWriter, condition: str
) -> list[dict[str, Any]]:
    """One suggestion per reading of a fact below the threshold, with its ready cards."""
    kind = category.rstrip("s")
    rows = []
    for type_word in readings(entity):
        confidence, reasons = entity_confidence(entity, type_word)
        if type_word is not None:
            statement = f"{entity.name} → {writer.type_name(type_word)}"
            fact_id = f"{kind}:{slug(entity.key)}:{slug(type_word)}"
        else:
            statement = f"{entity.name}: a {kind} of {condition}"
            fact_id = f"{kind}:{slug(entity.key)}"
        rows.append(
            {
                "id": fact_id,
                "kind": kind,
                "statement": statement,
                "confidence": confidence,
                "reasons": reasons,
                "locations": _locations(entity.locations(type_word)),
                "cards": [
                    card_to_dict(card)
                    for card in writer.suggestion_cards(category, entity, type_word)
                ],
            }
        )
    return rows
