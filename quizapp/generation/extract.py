"""Extract what each document states about a condition and its types.

The extractor knows English, not medicine. It carries the type a passage is about down the
document (page title -> heading -> label line "Type: X" / "X:" -> list introduction ->
sentence; "this", "it", "these", "this type" resolve to it; risk-factor and treatment
sections stay untyped), and reads causes (``causes``), reversibility, symptoms, tests and
treatments (``statements``) from how sentences and lists are built. Every fact keeps its
location and a strength saying how firmly it was stated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from quizapp.generation.cause_links import FiledCauses
from quizapp.generation.cause_patterns import HEDGE_PENALTY
from quizapp.generation.causes import CauseRules
from quizapp.generation.gate import fragment_reason
from quizapp.generation.names import clean_entry, expand_entries
from quizapp.generation.reader import Document, Unit
from quizapp.generation.reader_host import Entry
from quizapp.generation.statements import StatementRules
from quizapp.generation.text import fold
from quizapp.generation.vocabulary import (
    NUMBER_WORDS,
    Vocabulary,
    find_vocabulary,
    statements,
)

__all__ = [
    "NUMBER_WORDS",
    "DocumentFacts",
    "Location",
    "Mention",
    "find_vocabulary",
    "read_facts",
]

# Section headings that stop the type context: what follows is about the whole condition.
UNTYPED_SECTION_RE = re.compile(
    r"\b(?:risk|treat|therap|manag|diagnos|tests?\b|prevent|outlook|prognos|complication"
    r"|symptom|signs?\b|when to|overview|living with|care\b|recovery)",
    re.IGNORECASE,
)
# How a list introduction says what its entries are.
INTRO_KINDS = (
    ("tests", re.compile(r"\btests?\b|diagnos|\bscans?\b|\bexams?\b|\bimaging\b")),
    ("symptoms", re.compile(r"symptom|\bsigns?\b|\bfeel")),
    ("treatments", re.compile(r"treat|therap|\bmanag|remed|\bcures?\b")),
    ("risks", re.compile(r"\brisks?\b|more likely|higher chance")),
    (
        "causes",
        re.compile(
            r"caus|due to|result(?:s|ing)? (?:from|in)|lead(?:s)? to|trigger|stem|brought on"
            r"|allergens|irritants|culprits"
            r"|examples? of (?:\w+ )?(?:diseases?|conditions?|things|disorders?)"
            r"|most affected|who\s*:|if you\s*:|(?:diseases?|conditions?|disorders?) (?:that|which)"
            r" (?:can )?affect|can affect|reasons?"
        ),
    ),
)


@dataclass(frozen=True)
class Location:
    source: str
    sentence: int
    start: int
    end: int

    def as_dict(self) -> dict[str, str | int]:
        return {
            "source": self.source,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Mention:
    """One statement that something (a cause, symptom, ...) exists, maybe for a type.

    ``strength`` (0..1) is how firmly the statement makes the claim; ``notes`` say why it
    is weaker ("stated with 'may'", "type from the surrounding section").
    """

    name: str
    aliases: tuple[str, ...]
    type: str | None
    location: Location
    strength: float = 0.8
    notes: tuple[str, ...] = ()


@dataclass
class DocumentFacts:
    source: str
    title: str
    text: str  # the whole document as written, where the reconciler checks spellings
    read_text: str = ""  # the text of the units read, folded (what the reader kept)
    folded_text: str = ""  # the whole document, folded
    types: dict[str, list[Location]] = field(default_factory=dict)
    type_counts: list[tuple[int, tuple[str, ...], Location]] = field(default_factory=list)
    definitions: list[tuple[str, str, Location]] = field(default_factory=list)
    reversibility: list[tuple[str, str, str, Location]] = field(default_factory=list)
    exceptions: list[tuple[str, str, str, Location]] = field(default_factory=list)
    superlatives: list[tuple[str, str, Location]] = field(default_factory=list)
    causes: list[Mention] = field(default_factory=list)
    rejected: list[tuple[str, str, Location]] = field(default_factory=list)
    symptoms: list[Mention] = field(default_factory=list)
    tests: list[Mention] = field(default_factory=list)
    treatments: list[Mention] = field(default_factory=list)

    def count(self) -> int:
        """Statements found in this document (before sources are reconciled)."""
        return (
            len(self.types) + len(self.reversibility) + len(self.causes) + len(self.symptoms)
            + len(self.tests) + len(self.treatments)
        )


class _Reader(CauseRules, StatementRules):
    def __init__(self, document: Document, source: str, vocabulary: Vocabulary):
        self.document = document
        self.vocabulary = vocabulary
        self.facts = DocumentFacts(source=source, title=document.title, text=document.text)
        self.filed_causes = FiledCauses(self.facts.causes)
        self.type_re = re.compile(vocabulary.type_pattern(), re.IGNORECASE)
        self.head_re = vocabulary.head_pattern()
        self.condition_re = re.compile(
            rf"(?:{vocabulary.condition_pattern()}|\bthis (?:type|form|condition)\b)",
            re.IGNORECASE,
        )
        self.section_type: str | None = None
        self.section_level = 0
        self.section_untyped = False  # a risk, treatment, test ... section
        self.section_heading: Unit | None = None  # a sub-heading naming an entity
        self.paragraph_type: str | None = None
        self.label_type: str | None = None
        self.block = -1
        # The types each of this document's enumerating units names, looked up per unit
        # (a scan of every enumeration per unit is quadratic on a long document).
        self.enumerated: dict[int, list[str]] = {}
        for _number, named, enumeration, source in vocabulary.enumerations:
            if source == document.name:
                self.enumerated.setdefault(id(enumeration), []).extend(named)

    # -- helpers --

    def location(self, unit: Unit) -> Location:
        return Location(self.facts.source, unit.index, unit.start, unit.end)

    def types_in(self, text: str) -> list[str]:
        found = []
        for match in self.type_re.finditer(text):
            canonical = self.vocabulary.canonical_type(match.group(1))
            if canonical is not None and canonical not in found:
                found.append(canonical)
        return found

    def topic(self, unit: Unit | None = None) -> str | None:
        """The type the passage around ``unit`` is about, if any."""
        if unit is not None and unit.gloss_of is not None:
            # a gloss is about its term's type, or about the type its list is part of
            # ("Common primary headaches include: Tension headaches. Stress triggers them.")
            term = self.document.units[unit.gloss_of]
            named = [
                t
                for link in [term, *self._intro_chain(self._unit(term.intro))]
                for t in self.types_in(link.text)
            ]
            return named[0] if named else None
        if self.section_untyped and not (self.label_type or self.paragraph_type):
            return None
        return self.label_type or self.paragraph_type or self.section_type

    def subject_type(self, text: str, unit: Unit | None = None) -> str | None:
        """The type a clause is about: one it names, or "this type" / "it" in context."""
        named = self.types_in(text)
        if named:
            return named[0]
        if re.search(
            r"\bth(?:is|ese|ose) (?:types?|forms?|kinds?)\b|^(?:it|its|this|they|these)\b"
            r"|^(?:that|this|these|those) [a-z]+$",
            text.strip(),
            re.IGNORECASE,
        ):
            return self.topic(unit)
        return None

    def add(
        self,
        kind: str,
        entries: Iterable[Entry],
        type_word: str | None,
        unit: Unit,
        strength: float = 0.8,
        notes: tuple[str, ...] = (),
    ) -> None:
        bucket = getattr(self.facts, kind)
        for name, aliases in entries:
            if kind == "causes" and self._names_a_type(name):
                continue
            reason = fragment_reason(name)
            if reason is not None:
                if kind == "causes":
                    self.facts.rejected.append((name, reason, self.location(unit)))
                continue
            bucket.append(Mention(name, aliases, type_word, self.location(unit), strength, notes))

    def _names_a_type(self, name: str) -> bool:
        """Whether ``name`` is a type or the condition itself ("sickle cell disease" is not
        the type "sickle cell anemia": it only shares words with it)."""
        rest = self.type_re.sub(" ", fold(name))
        rest = re.sub(self.vocabulary.condition_pattern(), " ", rest, flags=re.IGNORECASE)
        rest = re.sub(rf"\b(?:{self.head_re}|types?|forms?)\b", " ", rest, flags=re.IGNORECASE)
        return not rest.strip(" -")

    def mention_type(self, type_word: str | None, unit: Unit) -> None:
        """Note that ``unit`` names the type (None: a word the vocabulary has no type for)."""
        if type_word is not None:
            self.facts.types.setdefault(type_word, []).append(self.location(unit))

    # -- reading --

    def read(self) -> DocumentFacts:
        units = self.document.units
        kept = []
        for unit in statements(self.document):
            kept.append(fold(unit.text))
            if unit.block != self.block:
                self.block = unit.block
                self.paragraph_type = None
            if unit.kind == "heading":
                self._heading(unit)
            elif unit.kind == "sentence":
                self._note_types(unit)
                self._sentence(unit)
            else:
                self._note_types(unit)
                self._item(unit, units[unit.intro] if unit.intro is not None else None)
        self.facts.read_text = "\n".join(kept)
        self.facts.folded_text = fold(self.document.text)
        for number, named, unit, source in self.vocabulary.enumerations:
            if source == self.document.name and number is not None:
                self.facts.type_counts.append((number, named, self.location(unit)))
        return self.facts

    def _heading(self, unit: Unit) -> None:
        named = self.types_in(unit.text)
        self.section_heading = None
        self.label_type = None
        if named:
            self.section_type = named[0]
            self.section_level = unit.level
            self.section_untyped = False
            self.mention_type(named[0], unit)
        elif UNTYPED_SECTION_RE.search(unit.text) or self.condition_re.search(unit.text):
            if unit.level and self.section_level and unit.level > self.section_level:
                self.section_untyped = bool(UNTYPED_SECTION_RE.search(unit.text))
                return  # a sub-section of a type's section ("Causes" under "Type 1")
            self.section_type = None
            self.section_level = unit.level
            self.section_untyped = bool(UNTYPED_SECTION_RE.search(unit.text))
        else:
            self.section_heading = unit

    def _note_types(self, unit: Unit) -> None:
        """Record the types a unit names, and the type its paragraph or label is about."""
        text = fold(unit.text)
        for match in re.finditer(
            rf"{self.type_re.pattern}(?:\s*\([\w\s-]+\))?[\s-]+{self.head_re}", text
        ):
            self.mention_type(self.vocabulary.canonical_type(match.group(1)), unit)
        for type_word in self.enumerated.get(id(unit), ()):
            self.mention_type(type_word, unit)
        label = re.match(
            rf"^(?:(?:type|form|kind|category|class)\s*:\s*)?(?:{self.type_re.pattern})"
            rf"(?:[\s-]+{self.head_re})?(?:\s*\([^)]*\))?\s*(?::|$)",
            text,
        )
        if label and unit.kind == "item" and unit.intro is not None:
            # an entry "Post-renal (blocked outflow):" labels its own nested list only
            self.mention_type(self.vocabulary.canonical_type(label.group(1)), unit)
            return
        if label:
            self.label_type = self.vocabulary.canonical_type(label.group(1))
            self.mention_type(self.label_type, unit)
            return
        opening = re.match(
            (
                rf"(?:the |rather, |in "
                rf")?{self.type_re.pattern}(?:\s*\([\w-]+\))?[\s-]+(?:{self.head_re}|"
                rf"forms?|types?)"
            ),
            text,
        )
        called = re.search(rf"\bcalled {self.type_re.pattern}", text)
        superlative = re.search(
            rf"the most \w+ (?:type|form|kind) of {self.vocabulary.condition_pattern()} is "
            rf"{self.type_re.pattern}",
            text,
        )
        if opening:
            self.paragraph_type = self.vocabulary.canonical_type(opening.group(1))
        elif called:
            self.paragraph_type = self.vocabulary.canonical_type(called.group(1))
        elif superlative:
            self.paragraph_type = self.vocabulary.canonical_type(superlative.group(1))
        elif unit.kind == "item" and self.types_in(unit.text) and unit.gloss_of is None:
            self.paragraph_type = None

    def _sentence(self, unit: Unit) -> None:
        text = unit.text.replace("’", "'")
        label = re.match(
            rf"^{self.type_re.pattern}(?:[\s-]+{self.head_re})?\s*:\s*(\S.*)$", text, re.I
        )
        if label:
            text = label.group(2)
        self.reversibility(unit, text)
        self.superlative(unit, text)
        self.treatments(unit, text)
        self.symptoms(unit, text)
        self.tests(unit, text)
        self.causes(unit, text)

    # -- list items --

    def _unit(self, index: int | None) -> Unit | None:
        return self.document.units[index] if index is not None else None

    def _intro_chain(self, intro: Unit | None) -> list[Unit]:
        chain: list[Unit] = []
        while intro is not None and len(chain) < 4:
            chain.append(intro)
            intro = self.document.units[intro.intro] if intro.intro is not None else None
        return chain

    def _item(self, unit: Unit, intro: Unit | None) -> None:
        chain = self._intro_chain(intro)
        if not chain:
            return
        kind = None
        for link in chain:
            intro_text = fold(link.text)
            for candidate, pattern in INTRO_KINDS:
                if pattern.search(intro_text):
                    kind = candidate
                    break
            if kind:
                break
        if kind is None or (self.types_in(unit.text) and kind != "causes"):
            return
        named = [t for link in chain for t in self.types_in(link.text)]
        if named:
            type_word = named[0]
            notes: tuple[str, ...] = ()
        elif kind == "risks" or any(self.condition_re.search(link.text) for link in chain):
            type_word, notes = None, ()
        else:
            type_word = self.topic(unit)
            notes = ("type from the surrounding section",) if type_word else ()
        if kind != "causes" and kind != "risks":
            entry = clean_entry(unit.text, False)
            if entry:
                self.add(kind, [entry], type_word, unit)
            return
        verb_phrases = bool(re.search(r"\b(?:who|if you)\s*:$", fold(chain[0].text)))
        strength = 0.6 if kind == "risks" else 0.8
        if kind == "risks":
            notes = (*notes, "listed as a risk factor")
            type_word = None
        hedged = re.search(r"\b(?:may|might|could|possibly)\b", fold(chain[0].text))
        if hedged:
            strength -= HEDGE_PENALTY
            notes = (*notes, f"stated with '{hedged.group(0)}'")
        self.add(
            "causes", expand_entries(unit.text, verb_phrases), type_word, unit, strength, notes
        )


def read_facts(document: Document, source: str, vocabulary: Vocabulary) -> DocumentFacts:
    return _Reader(document, source, vocabulary).read()
