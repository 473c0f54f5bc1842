"""The types the documents name, found however the typology is stated.

"N main types of X: a, b and c", "X is classified as a, b or c", "Doctors sort X into three
categories: ...", a list under "The main types are:", headings "<T> X", "... is called <T>
X", "X of Y" names; aliases ("disuse (physiologic) atrophy", "once called juvenile X"). A list
of types whose members share none with the main enumeration, or onset and severity words
(acute / chronic, mild / severe), is a second axis, kept apart as a minor typology.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from quizapp.generation.condition import (
    CLASS_NOUNS,
    CLASSIFY_ACTIVE,
    CLASSIFY_VERBS,
    ENUMERATION_WORDS,
    NUMBER_WORDS,
    head_pattern,
    spaced,
    statements,
    variant_key,
)
from quizapp.generation.gate import AUXILIARIES
from quizapp.generation.reader import Document, Unit
from quizapp.generation.text import STOP_WORDS, fold, stem

MAX_TYPE_WORDS = 3
MAX_LISTED_TYPE_WORDS = 5
# A list introduction whose entries are types: "The main types are:", "Doctors classify X
# by ...:", "Severity is a second classification:" (then the entries may omit X).
TYPE_LIST_INTRO = (
    rf"\b{CLASS_NOUNS}\b(?! of (?:treatment|test|medicine|drug))|\bclassification\b"
    rf"|\bstages\b|\bgrades\b|{CLASSIFY_ACTIVE} (?:\w+ )?(?:\w+ )?(?:by|into|as)\b"
)

NOT_TYPE_WORDS = frozenset(
    [
        "what",
        "which",
        "how",
        "why",
        "when",
        "who",
        "causes",
        "cause",
        "caused",
        "causing",
        "treat",
        "treating",
        "treatment",
        "treatments",
        "symptoms",
        "symptom",
        "signs",
        "diagnosis",
        "diagnosing",
        "tests",
        "test",
        "about",
        "living",
        "with",
        "overview",
        "outlook",
        "prevention",
        "preventing",
        "risk",
        "risks",
        "complications",
        "vs",
        "versus",
    ]
)
# Onset, course and severity: a second way to sort almost any condition.
SECOND_AXIS_WORDS = frozenset(
    [
        "acute",
        "chronic",
        "subacute",
        "mild",
        "moderate",
        "severe",
        "early",
        "late",
        "transient",
        "persistent",
    ]
)
NUMBERED_TYPE = r"(?:type|stage|grade|class|group) (?:\d{1,2}[a-z]?|[ivx]{1,4})\b"


# --- the types ----------------------------------------------------------------------


class TypeCandidates:
    def __init__(
        self, condition: str, head: str, qualifiers: frozenset[str], synonyms: tuple[str, ...]
    ):
        self.condition = condition
        self.head = head
        self.qualifiers = qualifiers
        self.head_re = head_pattern(head, qualifiers, synonyms)
        self.counts: Counter[str] = Counter()
        self.declared: set[str] = set()
        self.aliases: list[tuple[str, str]] = []
        self.enumerations: list[tuple[int | None, tuple[str, ...], Unit, str]] = []

    def name_of(self, phrase: str, strict: bool = False, listed: bool = False) -> str | None:
        """The type name in an enumerated phrase ("the disuse atrophy" -> "disuse");
        ``strict``: the phrase is nothing but the name (a heading); ``listed``: an entry of a
        list of types, whose name may be longer and coordinated ("vitamin B12 or folate
        deficiency")."""
        phrase = fold(phrase).strip(" .;:,-")
        after_head = re.fullmatch(
            rf"(?:the |an? )?({self.head_re}) of ((?:[a-z0-9][\w'-]* ?){{1,3}})", phrase
        )
        if after_head:
            return variant_key(phrase.removeprefix("the ").removeprefix("a ").removeprefix("an "))
        if strict and any(w in STOP_WORDS for w in phrase.split()):
            return None
        phrase = re.sub(r"\s*\([^)]*\)", "", phrase)
        phrase = re.sub(rf"[\s-]+{self.head_re}$", "", phrase).strip()
        tokens = phrase.split()
        while len(tokens) > 1 and (tokens[0] in STOP_WORDS or tokens[0] in ENUMERATION_WORDS):
            tokens = tokens[1:]
        if len(tokens) == 1 and tokens[0] in ENUMERATION_WORDS:
            return None
        if not tokens or len(tokens) > (MAX_LISTED_TYPE_WORDS if listed else MAX_TYPE_WORDS):
            return None
        inner_ok = {"or", "and", "of"} if listed else set()
        if re.fullmatch(NUMBERED_TYPE, " ".join(tokens)):
            return " ".join(tokens)
        if not all(re.fullmatch(r"[a-z0-9][\w'-]*", t) for t in tokens):
            return None
        if (
            any(
                (t in STOP_WORDS and not (t in inner_ok and 0 < i < len(tokens) - 1))
                or t in NOT_TYPE_WORDS
                or t in AUXILIARIES
                for i, t in enumerate(tokens)
            )
            or (len(tokens) > 1 and tokens[0].endswith("ing"))
            or tokens[-1]
            in (
                "type",
                "types",
                "form",
            )
        ):
            return None
        if all(self.is_qualifier(t) for t in tokens) or fold(self.head) in tokens:
            return None
        return " ".join(tokens)

    def is_qualifier(self, word: str) -> bool:
        return any(stem(word)[:4] == q[:4] for q in self.qualifiers)

    def declare(
        self, names: Iterable[str | None], unit: Unit, source: str, number: int | None
    ) -> None:
        kept = [n for n in dict.fromkeys(names) if n]
        for name in kept:
            self.declared.add(name)
            self.counts[name] += 1
        if kept:
            self.enumerations.append((number, tuple(kept), unit, source))

    def read(self, document: Document) -> None:
        units = document.units
        condition = spaced(self.condition)
        heading_type = None
        listed: dict[int, list[tuple[str, Unit]]] = {}
        for unit in statements(document):
            text = fold(unit.text)
            enumeration = (
                re.search(
                    rf"\b(?:(\w+) (?:(?:main|major|different|basic|primary|broad|general|distinct"
                    rf"|common|known) )?)?{CLASS_NOUNS} of {condition}"
                    rf"(?:\s*\([^)]*\))?(?: (?:are|include|is))?\s*:\s*([^.]+)",
                    text,
                )
                or re.search(
                    rf"\b{CLASSIFY_ACTIVE} (?:\w+ )?{condition} (?:into|by|as)\b"
                    rf"(?:[^:.]*?\b(\w+) (?:main |major |broad )?{CLASS_NOUNS})?[^:.]*:\s*([^.]+)",
                    text,
                )
                or re.search(
                    rf"\b{condition} (?:is|are|can be|may be) (?:\w+ )?{CLASSIFY_VERBS}"
                    rf"(?: as| into)?(?: (\w+) (?:main |major )?{CLASS_NOUNS})?:?\s*([^.]+)",
                    text,
                )
            )
            if enumeration:
                number = NUMBER_WORDS.get(enumeration.group(1) or "")
                parts = split_enumeration(enumeration.group(2))
                self.declare([self.name_of(p) for p in parts], unit, document.name, number)
            for match in re.finditer(
                rf"\b(?:another|one|a (?:common|rare|serious|third|second)) (?:type|form|kind) of "
                rf"{condition} is ((?:[a-z0-9][\w-]* ){{0,2}}[a-z0-9][\w-]*?)[\s-]+{self.head_re}\b"
                rf"|^(?:the )?((?:[a-z0-9][\w-]* ){{0,2}}[a-z0-9][\w-]*?)[\s-]+{self.head_re} is "
                rf"(?:a|an|one|the) (?:\w+ ){{0,2}}(?:type|form|kind) of {condition}\b",
                text,
            ):
                self.declare(
                    [self.name_of(match.group(1) or match.group(2))], unit, document.name, None
                )
            including = not enumeration and re.search(
                rf"\b(?:(\w+) (?:main |major |common |different )?)?{CLASS_NOUNS} of {condition}"
                rf"(?:\s*\([^)]*\))?,? (?:are|include|includes|including|such as)\s+([^.:]+)",
                text,
            )
            if including:
                # "several types of X, including A X, B X and C X": only members named with X
                parts = [
                    p
                    for p in split_enumeration(including.group(2))
                    if re.search(rf"{self.head_re}\W*$", p)
                ]
                if len(parts) >= 2:
                    number = NUMBER_WORDS.get(including.group(1) or "")
                    self.declare([self.name_of(p) for p in parts], unit, document.name, number)
            falls = re.search(rf"falls? into (?:one of )?(?:\w+ )?{CLASS_NOUNS}?:?\s*([^.]+)", text)
            if falls:
                parts = split_enumeration(falls.group(1))
                self.declare([self.name_of(p) for p in parts], unit, document.name, None)
            for match in re.finditer(
                rf"\b(?:is|are|was|were|case|also|sometimes|often) (?:\w+ )?"
                rf"(?:called|known as|termed) "
                rf"((?:[a-z0-9][\w-]* ){{1,3}}?){self.head_re}\b",
                text,
            ):
                self.declare([self.name_of(match.group(1))], unit, document.name, None)
            if unit.kind == "heading":
                heading = re.fullmatch(rf"(.+?)[\s-]+{self.head_re}\W*", text.strip())
                if heading:
                    name = self.name_of(heading.group(1), strict=True)
                    self.declare([name], unit, document.name, None)
                    heading_type = name
                else:
                    heading_type = None
            once = re.match(
                rf"^(?:it is |it was |this type is |this type was )?(?:once|formerly|previously|"
                rf"also|sometimes) (?:called|known as|named) ((?:[a-z0-9][\w-]* ){{1,3}}?)"
                rf"{self.head_re}\b",
                text,
            )
            alias = self.name_of(once.group(1)) if once else None
            if heading_type and alias:
                self.aliases.append((heading_type, alias))
            if unit.kind == "item" and unit.intro is not None:
                intro = fold(units[unit.intro].text)
                before = units[unit.intro - 1] if unit.intro > 0 else None
                if (
                    re.search(r"\b(?:main|major|common|principal|most common) ones\b", intro)
                    and before is not None
                    and before.block == units[unit.intro].block
                ):
                    intro = fold(before.text) + " " + intro  # "... types of X. The main ones are:"
                typed_heading = units[unit.intro].kind == "heading" and re.search(
                    rf"\b{CLASS_NOUNS} of {condition}\W*$", intro
                )
                if typed_heading and re.search(rf"{self.head_re}\W*$", text):
                    # "Types of glaucoma" over lines "Open-angle glaucoma", "Congenital ..."
                    name = self.name_of(unit.text, listed=True)
                    if name:
                        listed.setdefault(unit.intro, []).append((name, unit))
                elif units[unit.intro].kind != "heading" and re.search(TYPE_LIST_INTRO, intro):
                    name = self.name_of(unit.text, listed=True)
                    if name:
                        listed.setdefault(unit.intro, []).append((name, unit))
            for match in re.finditer(
                rf"\b([a-z][\w-]*) \(([a-z][\w-]*)\)[\s-]+{self.head_re}", text
            ):
                self.aliases.append((match.group(1), match.group(2)))
            for match in re.finditer(
                rf"\b((?:[a-z0-9][\w-]* ){{1,3}}?){self.head_re}\s*[,(]\s*(?:\w+ )?(?:also |once |"
                rf"formerly |previously |sometimes )?(?:called|known as|named|termed) "
                rf"((?:[a-z0-9][\w-]* ){{1,3}}?){self.head_re}\b",
                text,
            ):
                first, second = self.name_of(match.group(1)), self.name_of(match.group(2))
                if first and second and first != second:
                    self.aliases.append((first, second))
        self.declare_lists(listed, units, document.name)
        self.count_statements(document, condition)

    def count_statements(self, document: Document, condition: str) -> None:
        """ "There are three main types." / "Doctors recognise five main types": a count of
        the condition's types stated without naming them."""
        counted = {id(unit) for number, _, unit, _ in self.enumerations if number is not None}
        for unit in statements(document):
            if unit.kind != "sentence" or id(unit) in counted:
                continue
            stated = re.search(
                rf"\b(\w+) (?:main |major |different |basic |broad |distinct )?"
                rf"(?:types|kinds|forms|categories)\b(?! of (?!{condition}))",
                fold(unit.text),
            )
            if stated and stated.group(1) in NUMBER_WORDS:
                self.enumerations.append((NUMBER_WORDS[stated.group(1)], (), unit, document.name))

    def declare_lists(
        self, listed: dict[int, list[tuple[str, Unit]]], units: list[Unit], source: str
    ) -> None:
        """Entries of one type list are one enumeration (so a second list is a second axis),
        counted when the introduction gives their number."""
        for intro, entries in listed.items():
            if len(entries) >= 2:
                stated = re.search(
                    rf"\b(\w+) (?:main |major |broad )?{CLASS_NOUNS}", fold(units[intro].text)
                )
                number = NUMBER_WORDS.get(stated.group(1)) if stated else None
                self.declare([name for name, _ in entries], units[intro], source, number)

    def mentions(self, documents: list[Document]) -> None:
        """Count "<T> X" mentions of declared types, so variants rank by use."""
        if not self.declared:
            return
        pattern = re.compile(
            r"(?<![\w-])("
            + "|".join(spaced(n) for n in sorted(self.declared, key=len, reverse=True))
            + rf")[\s-]+{self.head_re}"
        )
        for document in documents:
            for unit in statements(document):
                for match in pattern.finditer(fold(unit.text)):
                    self.counts[variant_key(match.group(1))] += 1


def contains_in_order(longer: str, shorter: str) -> bool:
    """Whether ``longer`` has every word of ``shorter`` (two words at least), in order, and
    ends with the same word."""
    small = [stem(w) for w in re.split(r"[\s-]+", shorter) if w]
    large = [stem(w) for w in re.split(r"[\s-]+", longer) if w]
    if len(small) < 2 or len(large) <= len(small) or small[-1] != large[-1]:
        return False
    position = 0
    for word in large:
        if position < len(small) and word == small[position]:
            position += 1
    return position == len(small)


def split_enumeration(text: str) -> list[str]:
    """Split "a, b, and c" / "a, b or c" at top-level commas and conjunctions."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for token in re.split(r"(\(|\)|,|\band/or\b|\band\b|\bor\b|;)", text):
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        if depth == 0 and token in (",", "and", "or", "and/or", ";"):
            parts.append("".join(current))
            current = []
            continue
        current.append(token)
    parts.append("".join(current))
    return [p.strip(" .;:-") for p in parts if p.strip(" .;:-")]


def second_axis(
    type_words: dict[str, list[str]],
    enumerations: list[tuple[int | None, tuple[str, ...], Unit, str]],
) -> dict[str, list[str]]:
    """Types of a second way of sorting the condition: onset/severity words, or an
    enumeration sharing no type with the best supported one."""
    support: Counter[str] = Counter()
    for _, named, _, _source in enumerations:
        support.update(set(named))
    groups: list[set[str]] = []
    for _, named, _, _ in enumerations:
        if len(named) < 2:
            continue
        joined = set(named)
        for group in [g for g in groups if g & joined]:
            joined |= group
            groups.remove(group)
        groups.append(joined)
    main: set[str] = set()
    if groups:
        main = max(groups, key=lambda g: (sum(support[t] for t in g), sorted(g)))
    minor = {
        t
        for group in groups
        if group is not main and not group & main
        for t in group
        if t not in main
    }
    axis = {t for t in type_words if t in SECOND_AXIS_WORDS}
    if len(axis) < len(type_words):
        minor |= axis
    return {t: type_words[t] for t in sorted(minor) if t in type_words}
