"""Merge what several documents say into one knowledge base, and record where they disagree.

Names that differ only in spelling, accents, plurals or qualifiers ("long-term ...") are one
entity; names a document gives as aliases ("ALS", "Lou Gehrig's disease") join theirs. A
cause that one source files under one type and another source under a different type is a
conflict; so are different counts of types and opposite statements about reversibility.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from quizapp.generation.extract import DocumentFacts, Location, Mention, Vocabulary
from quizapp.generation.text import fold, name_key, stem

CATEGORIES = ("causes", "symptoms", "tests", "treatments")
TAUGHT = "taught as disagreement"
LEFT_OUT = "left out"


@dataclass
class Entity:
    key: str
    name: str
    aliases: list[str]
    mentions: list[Mention]
    alias_pairs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({m.location.source for m in self.mentions})

    def types_by_source(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for mention in self.mentions:
            if mention.type is not None:
                found[mention.location.source].add(mention.type)
        return found

    @property
    def types(self) -> list[str]:
        return sorted({m.type for m in self.mentions if m.type is not None})

    def locations(self, type_word: str | None = None) -> list[Location]:
        chosen = {m.location for m in self.mentions if type_word is None or m.type == type_word}
        return sorted(chosen, key=_location_order)


@dataclass
class Conflict:
    key: str
    about: str
    positions: dict[str, list[Location]]  # a position ("disuse", "2 types") -> where stated
    handling: str


@dataclass
class Knowledge:
    vocabulary: Vocabulary
    facts: list[DocumentFacts]
    entities: dict[str, list[Entity]]
    conflicts: list[Conflict]

    def conflict_keys(self) -> set[str]:
        return {c.key for c in self.conflicts}


def _location_order(location: Location) -> tuple:
    return (location.source, location.sentence, location.start)


def _entity_key(name: str, vocabulary: Vocabulary) -> str:
    """A name's key without the condition's own words ("age-related atrophy" -> "ag")."""
    own = {stem(vocabulary.head), *vocabulary.qualifiers}
    tokens = [
        t
        for t in name_key(name).split()
        if t not in own and t[:4] not in {q[:4] for q in vocabulary.qualifiers}
    ]
    return " ".join(tokens) or name_key(name)


def merge_entities(mentions: list[Mention], vocabulary: Vocabulary) -> list[Entity]:
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for mention in mentions:
        own = _entity_key(mention.name, vocabulary)
        root(own)
        for alias in mention.aliases:
            union(own, _entity_key(alias, vocabulary))
    # Spelling slips ("cortocosteroid") and word forms ("muscle"/"muscular dystrophy"):
    # compare keys that end in the same word, so the work grows with the number of names.
    by_last: dict[str, list[str]] = defaultdict(list)
    for key in sorted(parent):
        tokens = key.split()
        if tokens:
            by_last[tokens[-1][:4]].append(key)
    for keys in by_last.values():
        for index, first in enumerate(keys):
            for second in keys[index + 1 :]:
                same_length = len(first.split()) == len(second.split())
                if same_length and difflib.SequenceMatcher(None, first, second).ratio() >= 0.85:
                    union(first, second)

    groups: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        groups[root(_entity_key(mention.name, vocabulary))].append(mention)
    entities = []
    for key, members in groups.items():
        name = _preferred_name([m.name for m in members])
        spellings = {m.name for m in members} | {a for m in members for a in m.aliases}
        aliases = sorted(
            {a for a in spellings if _entity_key(a, vocabulary) != _entity_key(name, vocabulary)},
            key=lambda a: (fold(a), a),
        )
        pairs = sorted({(m.name, a) for m in members for a in m.aliases})
        ordered = sorted(members, key=lambda m: (_location_order(m.location), m.type or ""))
        entities.append(Entity(key, name, aliases, ordered, pairs))
    return sorted(entities, key=lambda e: e.key)


def _preferred_name(names: list[str]) -> str:
    """The most used spelling, shortest on ties; accented and lower-case forms first."""
    by_fold: dict[str, list[str]] = defaultdict(list)
    for name in names:
        by_fold[fold(name)].append(name)
    best = sorted(by_fold, key=lambda f: (-len(by_fold[f]), len(f), f))[0]
    variants = Counter(by_fold[best])
    return sorted(variants, key=lambda n: (n.isascii(), -variants[n], n != n.lower(), n))[0]


def is_ambiguous(entity: Entity, entities: list[Entity]) -> bool:
    """A bare word ("sclerosis") that ends the names of several other entities."""
    words = fold(entity.name).split()
    if len(words) != 1:
        return False
    longer = [
        other
        for other in entities
        if len(fold(other.name).split()) > 1 and fold(other.name).split()[-1:] == words
    ]
    return len(longer) >= 2


def reconcile(vocabulary: Vocabulary, facts: list[DocumentFacts]) -> Knowledge:
    entities = {
        category: merge_entities([m for f in facts for m in getattr(f, category)], vocabulary)
        for category in CATEGORIES
    }
    conflicts: list[Conflict] = []
    for entity in entities["causes"]:
        by_source = entity.types_by_source()
        named = sorted({t for types in by_source.values() for t in types})
        if len(named) < 2:
            continue
        handling = LEFT_OUT if is_ambiguous(entity, entities["causes"]) else TAUGHT
        conflicts.append(
            Conflict(
                key=f"cause-type:{entity.key}",
                about=f"which type of {vocabulary.condition} {entity.name} belongs to",
                positions={t: entity.locations(t) for t in named},
                handling=handling,
            )
        )
    counts: dict[str, list[Location]] = defaultdict(list)
    for document in facts:
        for number, _, location in document.type_counts:
            counts[f"{number} types"].append(location)
    if len(counts) > 1:
        conflicts.append(
            Conflict(
                key="type-count",
                about=f"how many types of {vocabulary.condition} there are",
                positions=dict(sorted(counts.items())),
                handling=TAUGHT,
            )
        )
    for type_word in vocabulary.type_words:
        statements = reversibility_of(facts, type_word)
        values = {"no" if value == "no" else "yes" for value, _, _ in statements}
        if len(values) > 1:
            positions: dict[str, list[Location]] = defaultdict(list)
            for value, _, location in statements:
                positions["reversible" if value != "no" else "not reversible"].append(location)
            conflicts.append(
                Conflict(
                    key=f"reversible:{type_word}",
                    about=f"whether {type_word} {vocabulary.type_suffix} can be reversed",
                    positions=dict(sorted(positions.items())),
                    handling=TAUGHT,
                )
            )
    superlatives: dict[str, dict[str, list[Location]]] = defaultdict(lambda: defaultdict(list))
    for document in facts:
        for adjective, subject, location in document.superlatives:
            if not subject.startswith("sign:"):
                superlatives[adjective][subject].append(location)
    for adjective, subjects in sorted(superlatives.items()):
        if len(subjects) > 1:
            conflicts.append(
                Conflict(
                    key=f"most:{adjective}",
                    about=f"which type of {vocabulary.condition} is the most {adjective}",
                    positions=dict(sorted(subjects.items())),
                    handling=TAUGHT,
                )
            )
    return Knowledge(vocabulary, facts, entities, sorted(conflicts, key=lambda c: c.key))


def reversibility_of(facts: list[DocumentFacts], type_word: str) -> list[tuple[str, str, Location]]:
    return sorted(
        (
            (value, cue, location)
            for document in facts
            for subject, value, cue, location in document.reversibility
            if subject == type_word
        ),
        key=lambda item: _location_order(item[2]),
    )


def summary_value(statements: list[tuple[str, str, Location]]) -> str | None:
    """yes / sometimes / no, by what most statements say, when none contradict another."""
    values = Counter(value for value, _, _ in statements)
    if not values:
        return None
    if values["no"] and (values["yes"] or values["sometimes"]):
        return None
    if values["no"]:
        return "no"
    return "yes" if values["yes"] > values["sometimes"] else "sometimes"
