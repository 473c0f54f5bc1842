"""Merge what several documents say into one knowledge base, and record where they disagree.

Names that differ only in spelling, accents, plurals, qualifiers ("long-term ...") or a
generic head noun ("exercise program") are one entity; so are names one slip apart ("spinal
cord injyry"), and a name only one source uses takes the spelling another source writes when
it looks like a slip of that ("best rest" where another page has "bed rest"). Names a
document gives as aliases ("ALS", "Lou Gehrig's disease") join theirs. A cause that one
source files under one type and another source under a different type is a conflict; so are
different counts of types and opposite statements about reversibility.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from quizapp.generation.extract import DocumentFacts, Location, Mention
from quizapp.generation.spelling import MIN_SLIP_WORD, attested_spellings, source_words
from quizapp.generation.text import (
    GENERIC_HEAD_NOUNS,
    fold,
    name_key,
    stem,
)
from quizapp.generation.vocabulary import Vocabulary
from quizapp.textutil import within_one_edit

CATEGORIES = ("causes", "symptoms", "tests", "treatments")
GENERIC_HEAD_STEMS = frozenset(stem(word) for word in GENERIC_HEAD_NOUNS)
# How alike two names' keys must be to count as one spelt two ways ("cortocosteroid").
SIMILAR_RATIO = 0.85
# How many of the following names (in sorted order) each name is compared with.
FUZZY_NEIGHBOURS = 20
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


def _location_order(location: Location) -> tuple[str, int, int]:
    return (location.source, location.sentence, location.start)


def _entity_key(name: str, vocabulary: Vocabulary, *, ordered: bool = False) -> str:
    """A name's key without the condition's own words ("age-related atrophy" -> "ag") and
    without a generic head noun ("exercise program" -> "exercis").

    Names merge by the sorted key; an entity is identified (and its cards' guids made) by
    the ``ordered`` key, the one earlier versions used, so a regenerated deck keeps them.
    """
    own = {stem(vocabulary.head), *vocabulary.qualifiers}
    if not ordered:
        # "high blood pressure that is not controlled" is high blood pressure.
        main = re.split(r"\s+(?:that|which|who)\s+", name)[0]
        if len(main.split()) >= 2:
            name = main
    tokens = [
        t
        for t in name_key(name, ordered=ordered).split()
        if t not in own and t[:4] not in {q[:4] for q in vocabulary.qualifiers}
    ]
    if ordered:
        while len(tokens) > 1 and tokens[-1] in GENERIC_HEAD_STEMS:
            tokens.pop()
    elif len(tokens) > 1:
        tokens = [t for t in tokens if t not in GENERIC_HEAD_STEMS] or tokens[:1]
    return " ".join(tokens) or name_key(name, ordered=ordered)


def _similar(first: str, second: str) -> bool:
    """Keys of as many words that read alike, where each word that differs is a slip or
    another form of the same word: "cortocosteroid", "muscl"/"muscular"; not "head"/"hand".
    """
    for mine, theirs in zip(first.split(), second.split(), strict=True):
        if not (
            within_one_edit(mine, theirs) or mine.startswith(theirs) or theirs.startswith(mine)
        ):
            return False
    matcher = difflib.SequenceMatcher(None, first, second)
    # The quick ratios are upper bounds of the ratio and cost far less.
    return (
        matcher.real_quick_ratio() >= SIMILAR_RATIO
        and matcher.quick_ratio() >= SIMILAR_RATIO
        and matcher.ratio() >= SIMILAR_RATIO
    )


def _one_slip_apart(keys: list[str]) -> Iterator[tuple[str, str]]:
    """Pairs of keys with the same words but one, which is one edit away ("injyry").

    Keys are grouped by the other words plus the differing word with one letter left out,
    so only keys that can be one edit apart are ever compared.
    """
    groups: dict[tuple[int, tuple[str, ...], str], list[str]] = defaultdict(list)
    for key in keys:
        tokens = key.split()
        if len(tokens) < 2:
            continue
        for position, token in enumerate(tokens):
            if len(token) < MIN_SLIP_WORD:
                continue
            others = (*tokens[:position], *tokens[position + 1 :])
            for skipped in range(len(token) + 1):
                groups[(position, others, token[:skipped] + token[skipped + 1 :])].append(key)
    for members in groups.values():
        # Every member is compared with the first only, which keeps a crowded group linear.
        first = members[0]
        for other in members[1:]:
            if other != first and _differ_by_one_edit(first, other):
                yield first, other


def _differ_by_one_edit(first: str, second: str) -> bool:
    pairs = list(zip(first.split(), second.split(), strict=True))
    differing = [(a, b) for a, b in pairs if a != b]
    return len(differing) == 1 and within_one_edit(*differing[0])


def merge_entities(
    mentions: list[Mention],
    vocabulary: Vocabulary,
    spellings: dict[str, str] | None = None,
) -> list[Entity]:
    """Group mentions that name one thing; ``spellings`` maps names to their corrections."""
    spellings = spellings or {}

    def spelled(name: str) -> str:
        return spellings.get(name, name)

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
        own = _entity_key(spelled(mention.name), vocabulary)
        root(own)
        for alias in mention.aliases:
            union(own, _entity_key(alias, vocabulary))
    # Spelling slips ("cortocosteroid") and word forms ("muscle"/"muscular dystrophy"):
    # compare keys of as many words that end in the same word, each with its next
    # neighbours in sorted order only, so the work grows with the number of names.
    buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
    for key in sorted(parent):
        tokens = key.split()
        if tokens:
            buckets[(tokens[-1][:4], len(tokens))].append(key)
    for keys in buckets.values():
        for index, first in enumerate(keys):
            for second in keys[index + 1 : index + 1 + FUZZY_NEIGHBOURS]:
                if _similar(first, second):
                    union(first, second)
    for first, second in _one_slip_apart(sorted(parent)):
        union(first, second)

    groups: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        groups[root(_entity_key(spelled(mention.name), vocabulary))].append(mention)
    entities = []
    for members in groups.values():
        name = _preferred_name([spelled(m.name) for m in members])
        written = {m.name for m in members} | {a for m in members for a in m.aliases}
        aliases = sorted(
            {a for a in written if _entity_key(a, vocabulary) != _entity_key(name, vocabulary)},
            key=lambda a: (fold(a), a),
        )
        pairs = sorted({(m.name, a) for m in members for a in m.aliases})
        ordered = sorted(members, key=lambda m: (_location_order(m.location), m.type or ""))
        identity = min(
            _entity_key(written_name, vocabulary, ordered=True)
            for written_name in {spelled(m.name) for m in members} | written
        )
        entities.append(Entity(identity, name, aliases, ordered, pairs))
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
    words_by_source = source_words(facts)
    entities = {}
    for category in CATEGORIES:
        mentions = [m for f in facts for m in getattr(f, category)]
        spellings = attested_spellings(mentions, words_by_source)
        entities[category] = merge_entities(mentions, vocabulary, spellings)

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
                    about=f"whether {type_word} {vocabulary.suffix_of(type_word)} can be reversed",
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
