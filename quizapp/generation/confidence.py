"""How sure the deck may be of each fact, and which facts become suggestions instead.

A fact's confidence starts from how firmly its firmest statement puts it (a plain cause
statement or list entry is firmer than one hedged with "may", one whose type comes from the
surrounding passage, or a risk factor), rises with every further source that states it,
drops when one source says it only, and drops again for each source that files it under
another type. Facts below ``THRESHOLD`` get no card in the deck: they are offered to the
instructor as suggestions, with their sentences and ready-made cards.
"""

from __future__ import annotations

from quizapp.generation.reconcile import Entity

THRESHOLD = 0.6
ONE_SOURCE_PENALTY = 0.1
PER_SOURCE_BONUS = 0.1
PER_DISAGREEING_SOURCE = 0.1


def readings(entity: Entity) -> list[str | None]:
    """The types a fact is filed under, each a reading of it; [None] when it has no type."""
    return [*entity.types] or [None]


def entity_confidence(entity: Entity, type_word: str | None = None) -> tuple[float, list[str]]:
    """Confidence of ``entity`` (filed under ``type_word``, when given) and why it is lower."""
    mentions = [m for m in entity.mentions if type_word is None or m.type == type_word]
    if not mentions:
        return 0.0, ["no statement"]
    best = max(mentions, key=lambda m: m.strength)
    sources = {m.location.source for m in mentions}
    reasons = list(best.notes)
    confidence = best.strength + PER_SOURCE_BONUS * (len(sources) - 1)
    if len(sources) == 1:
        confidence -= ONE_SOURCE_PENALTY
        reasons.append("one source only")
    if type_word is not None:
        others = {
            m.location.source for m in entity.mentions if m.type not in (None, type_word)
        } - sources
        if others:
            confidence -= PER_DISAGREEING_SOURCE * len(others)
            reasons.append(f"{len(others)} source(s) file it under another type")
    return round(max(0.0, min(1.0, confidence)), 2), reasons


def is_suggestion(entity: Entity) -> bool:
    """Whether no reading of ``entity`` reaches the threshold (then it gets no card).

    A cause the sources file under different types stays in the deck whatever its
    confidence: the disagreement is what its card teaches, and the conflict refers to it."""
    if len(entity.types) > 1:
        return False
    return all(entity_confidence(entity, t)[0] < THRESHOLD for t in readings(entity)) and (
        entity_confidence(entity)[0] < THRESHOLD
    )
