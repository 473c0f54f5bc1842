"""What all documents together say the condition and its types are called.

The condition is what pages classify ("types/kinds/forms of X", "X is classified as ...").
Its types are what they enumerate however the enumeration is written: "N main types of X:
a, b and c", "X is classified as a, b or c", a list under "The main types are:", headings
"<T> X", "... is called <T> X". Type names may be several words or numeric ("type 1"), may
share a word with the condition, and are written in variants (hyphens, post-X / postX, a
one-letter slip, "physiologic"/"physiological", "disuse (physiologic) atrophy"). An
enumeration that shares no type with the main one, or one of onset and severity words
(acute / chronic, mild / severe), is a second axis, kept apart as a minor typology.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from quizapp.generation.condition import (
    NUMBER_WORDS,
    find_condition,
    find_synonyms,
    head_pattern,
    spaced,
    statements,
    tight_key,
    variant_key,
)
from quizapp.generation.reader import Document, Unit
from quizapp.generation.text import american, fold, stem
from quizapp.generation.typology import TypeCandidates, contains_in_order, second_axis
from quizapp.textutil import within_one_edit

__all__ = ["NUMBER_WORDS", "Vocabulary", "find_vocabulary", "statements"]


@dataclass
class Vocabulary:
    condition: str
    head: str  # the condition's last word, which type names end with
    qualifiers: frozenset[str]  # stems of the condition's other words
    type_of_word: dict[str, str]  # folded type name or variant -> canonical type
    type_words: dict[str, list[str]]  # canonical type -> its variants, most used first
    type_suffix: str  # what follows a type's name: the head or the whole condition
    synonyms: tuple[str, ...] = ()  # other names of the condition (folded)
    minor_types: dict[str, list[str]] = field(default_factory=dict)  # a second axis
    enumerations: list[tuple[int | None, tuple[str, ...], Unit, str]] = field(
        default_factory=list
    )  # (stated number, canonical types named, unit, document name)
    suffixes: dict[str, str] = field(default_factory=dict)  # types named otherwise
    # Patterns built from the fields above once they are final (compiled once per deck).
    _patterns: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def type_pattern(self) -> str:
        """One group matching any type name; with no types, a group that never matches."""
        if "type" not in self._patterns:
            alternatives = sorted(self.type_of_word, key=len, reverse=True)
            self._patterns["type"] = (
                r"(?<![\w-])(" + "|".join(spaced(w) for w in alternatives) + r")(?![\w-])"
                if alternatives
                else r"((?!))"
            )
        return self._patterns["type"]

    def suffix_of(self, type_word: str) -> str:
        return self.suffixes.get(type_word, self.type_suffix)

    def canonical_type(self, word: str) -> str | None:
        return self.type_of_word.get(variant_key(fold(word)))

    def head_pattern(self) -> str:
        if "head" not in self._patterns:
            self._patterns["head"] = head_pattern(self.head, self.qualifiers, self.synonyms)
        return self._patterns["head"]

    def condition_pattern(self) -> str:
        if "condition" not in self._patterns:
            names = sorted({self.condition, self.head, *self.synonyms}, key=len, reverse=True)
            self._patterns["condition"] = (
                r"\b(?:" + "|".join(spaced(n) for n in names if n) + r")\b"
            )
        return self._patterns["condition"]


def find_vocabulary(documents: list[Document]) -> Vocabulary:
    condition = find_condition(documents)
    head = condition.split()[-1]
    qualifiers = frozenset(stem(w) for w in condition.split()[:-1])
    synonyms = find_synonyms(documents, condition)
    candidates = TypeCandidates(condition, head, qualifiers, synonyms)
    for document in documents:
        candidates.read(document)
    candidates.mentions(documents)
    counts = candidates.counts
    names = sorted(candidates.declared)
    for first, second in candidates.aliases:
        if first in candidates.declared or second in candidates.declared:
            names.extend(n for n in (first, second) if n not in names)
            counts[first] += 1
            counts[second] += 1

    parent = {name: name for name in names}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    def union(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_key: dict[str, str] = {}
    for name in names:
        key = tight_key(name)
        if key in by_key:
            union(by_key[key], name)
        else:
            by_key[key] = name
    keys = sorted(by_key)
    for index, key in enumerate(keys):
        for other in keys[index + 1 : index + 8]:
            if min(len(key), len(other)) >= 6 and within_one_edit(key, other):
                union(by_key[key], by_key[other])
    for first, second in candidates.aliases:
        if first in parent and second in parent:
            union(first, second)
    # "vitamin B12 or folate deficiency" is "vitamin deficiency" written out.
    for longer in names:
        for shorter in names:
            if shorter != longer and contains_in_order(longer, shorter):
                union(longer, shorter)
    families: dict[str, list[str]] = defaultdict(list)
    for name in names:
        families[root(name)].append(name)
    type_of_word: dict[str, str] = {}
    type_words: dict[str, list[str]] = {}
    for members in families.values():
        ordered = sorted(members, key=lambda w: (-counts[w], len(w), w))
        # The canonical name in one spelling, so British and American pages give one id.
        canonical = re.sub(r"[a-z]+", lambda m: american(m.group(0)), ordered[0])
        type_words[canonical] = [canonical, *(w for w in ordered if w != canonical)]
        for word in members:
            type_of_word[variant_key(word)] = canonical
    enumerations = [
        (number, tuple(dict.fromkeys(type_of_word[variant_key(n)] for n in named)), unit, source)
        for number, named, unit, source in candidates.enumerations
    ]
    minor = second_axis(type_words, enumerations)
    for canonical in minor:
        type_words.pop(canonical)
    vocabulary = Vocabulary(
        condition,
        head,
        qualifiers,
        {k: v for k, v in type_of_word.items() if v not in minor},
        type_words,
        head,
        synonyms,
        minor,
        [(n, tuple(t for t in named if t not in minor), u, s) for n, named, u, s in enumerations],
    )
    _type_suffix(documents, vocabulary)
    return vocabulary


def _type_suffix(documents: list[Document], vocabulary: Vocabulary) -> None:
    """Whether the sources say "disuse atrophy" or "disuse muscle atrophy": by majority over
    all types, and otherwise for a type sharing a word with the condition when its own
    majority differs ("pulmonary arterial hypertension", not "pulmonary arterial pulmonary
    hypertension")."""
    vocabulary.type_suffix = vocabulary.head
    if not vocabulary.type_of_word or vocabulary.condition == vocabulary.head:
        return
    pattern = re.compile(vocabulary.type_pattern())
    full: Counter[str | None] = Counter()
    short: Counter[str | None] = Counter()
    for document in documents:
        for unit in statements(document):
            text = fold(unit.text)
            for match in pattern.finditer(text):
                canonical = vocabulary.canonical_type(match.group(1))
                full[canonical] += text.startswith(f" {vocabulary.condition}", match.end())
                short[canonical] += text.startswith(f" {vocabulary.head}", match.end())
    overall = sum(full.values()) >= sum(short.values())
    vocabulary.type_suffix = vocabulary.condition if overall else vocabulary.head
    for canonical in vocabulary.type_words:
        own = full[canonical] >= short[canonical]
        repeats = set(canonical.split()) & set(vocabulary.condition.split())
        if (full[canonical] or short[canonical]) and own != overall and repeats:
            vocabulary.suffixes[canonical] = vocabulary.condition if own else vocabulary.head
