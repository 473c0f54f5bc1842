"""A deck's knowledge object, read for the review page (pure: no Flask, no database).

The object comes from the generator, but also from any uploaded deck file, so every field is
checked here and the page gets only well-formed records: a wrong type is skipped or shown as
missing, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The review page stays usable whatever a deck file holds.
MAX_RECORDS = 500
MAX_TEXT = 500
MAX_SUGGESTION_ID = 200
SECTIONS = ("symptoms", "tests", "treatments")
SUGGESTION_KINDS = ("cause", "type", "symptom", "test", "treatment", "reversibility")


@dataclass(frozen=True)
class TypeRecord:
    name: str
    aliases: tuple[str, ...]
    source_count: int
    reversible: str
    wordings: tuple[str, ...]
    confidence: float | None


@dataclass(frozen=True)
class CauseRecord:
    name: str
    aliases: tuple[str, ...]
    types: tuple[str, ...]
    status: str
    agreeing_sources: int
    confidence: float | None


@dataclass(frozen=True)
class Position:
    """One side of a disagreement and where the sources state it."""

    position: str
    locations: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Conflict:
    about: str
    positions: tuple[Position, ...]
    handling: str


@dataclass(frozen=True)
class ItemRecord:
    name: str
    types: tuple[str, ...]
    confidence: float | None


@dataclass(frozen=True)
class SuggestionRecord:
    id: str
    kind: str
    statement: str
    confidence: float | None
    reasons: tuple[str, ...]
    locations: tuple[dict[str, Any], ...]
    cards: tuple[Any, ...]


@dataclass
class KnowledgeView:
    condition: str = ""
    threshold: float | None = None
    types: list[TypeRecord] = field(default_factory=list)
    causes: list[CauseRecord] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    sections: dict[str, list[ItemRecord]] = field(default_factory=dict)
    suggestions: list[SuggestionRecord] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.condition or self.types or self.causes or self.conflicts
                    or any(self.sections.values()) or self.suggestions)


def read_knowledge(raw: Any) -> KnowledgeView:
    if not isinstance(raw, dict):
        return KnowledgeView()
    condition = raw.get("condition")
    if isinstance(condition, dict):
        condition = condition.get("name")
    return KnowledgeView(
        condition=_text(condition),
        threshold=confidence_of(raw.get("threshold")),
        types=[_type(r) for r in _records(raw.get("types")) if _text(r.get("name"))],
        causes=[_cause(r) for r in _records(raw.get("causes")) if _text(r.get("name"))],
        conflicts=[_conflict(r) for r in _records(raw.get("conflicts"))],
        sections={
            section: [
                ItemRecord(_text(r.get("name")), _texts(r.get("types")),
                           confidence_of(r.get("confidence")))
                for r in _records(raw.get(section)) if _text(r.get("name"))
            ]
            for section in SECTIONS
        },
        suggestions=_suggestions(raw.get("suggestions")),
    )


def confidence_of(value: Any) -> float | None:
    """A confidence between 0 and 1, or None when the value is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 <= value <= 1:
        return None
    return round(float(value), 2)


def _records(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value[:MAX_RECORDS] if isinstance(item, dict)]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:MAX_TEXT]


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(t for t in (_text(v) for v in value[:MAX_RECORDS]) if t)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(value, 0)


def _type(record: dict[str, Any]) -> TypeRecord:
    reversibility = record.get("reversibility")
    if not isinstance(reversibility, dict):
        reversibility = {}
    sources = record.get("sources")
    return TypeRecord(
        name=_text(record.get("name")),
        aliases=_texts(record.get("aliases")),
        source_count=len(sources) if isinstance(sources, list) else 0,
        reversible=_text(reversibility.get("value")),
        # A wording repeated on every page of a long handout is shown once.
        wordings=tuple(dict.fromkeys(
            w for w in (_text(s.get("wording")) for s in _records(reversibility.get("statements")))
            if w
        )),
        confidence=confidence_of(record.get("confidence")),
    )


def _cause(record: dict[str, Any]) -> CauseRecord:
    return CauseRecord(
        name=_text(record.get("name")),
        aliases=_texts(record.get("aliases")),
        types=_texts(record.get("types")),
        status=_text(record.get("status")),
        agreeing_sources=_count(record.get("agreeing_sources")),
        confidence=confidence_of(record.get("confidence")),
    )


def _conflict(record: dict[str, Any]) -> Conflict:
    return Conflict(
        about=_text(record.get("about")),
        positions=tuple(
            Position(_text(p.get("position")), _locations(p))
            for p in _records(record.get("positions"))
        ),
        handling=_text(record.get("handling")),
    )


def _locations(record: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Cited places; a record naming only its sources still cites each document."""
    locations = _records(record.get("locations"))
    if not locations:
        locations = [{"source": source} for source in _texts(record.get("sources"))]
    return tuple(locations)


def _suggestions(value: Any) -> list[SuggestionRecord]:
    """Suggestions with a usable id (unique, at most MAX_SUGGESTION_ID characters)."""
    found: list[SuggestionRecord] = []
    seen: set[str] = set()
    for record in _records(value):
        suggestion_id = record.get("id")
        if (
            not isinstance(suggestion_id, str)
            or not suggestion_id.strip()
            or len(suggestion_id) > MAX_SUGGESTION_ID
            or suggestion_id in seen
        ):
            continue
        seen.add(suggestion_id)
        kind = _text(record.get("kind"))
        cards = record.get("cards")
        found.append(
            SuggestionRecord(
                id=suggestion_id,
                kind=kind if kind in SUGGESTION_KINDS else "fact",
                statement=_text(record.get("statement")) or suggestion_id,
                confidence=confidence_of(record.get("confidence")),
                reasons=_texts(record.get("reasons")),
                locations=_locations(record),
                cards=tuple(cards[:MAX_RECORDS]) if isinstance(cards, list) else (),
            )
        )
    return found
