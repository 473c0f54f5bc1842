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

from quizapp.generation.names import AUXILIARIES
from quizapp.generation.reader import Document, Unit
from quizapp.generation.text import (
    STOP_WORDS,
    acronym_matches,
    american,
    fold,
    spelling_pattern,
    stem,
    within_one_edit,
)

# Longer than any sentence a page states a fact in: a run-on unit this long is a page
# without punctuation, whose wording the patterns cannot read; leaving it out bounds the
# cost of every pattern per unit.
MAX_STATEMENT_CHARS = 1000
MAX_TYPE_WORDS = 3
MAX_LISTED_TYPE_WORDS = 5
NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    **{str(n): n for n in range(2, 10)},
}
CLASS_NOUNS = r"(?:types?|kinds?|forms?|categories|category|classes|class|varieties|subtypes?)"
CLASSIFY_VERBS = r"(?:classified|categori[sz]ed|divided|grouped|split|separated|sorted)"
CLASSIFY_ACTIVE = (
    r"(?:classif(?:y|ies)|sorts?|divides?|groups?|splits?|separates?|categori[sz]es?"
    r"|describes?)"
)
# A list introduction whose entries are types: "The main types are:", "Doctors classify X
# by ...:", "Severity is a second classification:" (then the entries may omit X).
TYPE_LIST_INTRO = (
    rf"\b{CLASS_NOUNS}\b(?! of (?:treatment|test|medicine|drug))|\bclassification\b"
    rf"|\bstages\b|\bgrades\b|{CLASSIFY_ACTIVE} (?:\w+ )?(?:\w+ )?(?:by|into|as)\b"
)
# Words that say how an enumeration is meant, never part of a type's name.
ENUMERATION_WORDS = frozenset(
    [
        "main",
        "major",
        "different",
        "basic",
        "common",
        "general",
        "primary",
        "principal",
        "distinct",
        "several",
        "many",
        "various",
        "broad",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "most",
        "known",
        "following",
        "other",
        "others",
        "all",
        "both",
        "each",
        "certain",
        "some",
        "specific",
        "separate",
        "individual",
        "usual",
    ]
)
# Words of headings and questions around a type's name, never part of it.
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


def statements(document: Document) -> list[Unit]:
    return [unit for unit in document.units if len(unit.text) <= MAX_STATEMENT_CHARS]


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

    def type_pattern(self) -> str:
        """One group matching any type name; with no types, a group that never matches."""
        if not self.type_of_word:
            return r"((?!))"
        alternatives = sorted(self.type_of_word, key=len, reverse=True)
        return r"(?<![\w-])(" + "|".join(_spaced(w) for w in alternatives) + r")(?![\w-])"

    def canonical_type(self, word: str) -> str | None:
        return self.type_of_word.get(_variant_key(fold(word)))

    def head_pattern(self) -> str:
        return head_pattern(self.head, self.qualifiers, self.synonyms)

    def condition_pattern(self) -> str:
        names = sorted({self.condition, self.head, *self.synonyms}, key=len, reverse=True)
        return r"\b(?:" + "|".join(_spaced(n) for n in names if n) + r")\b"


def head_pattern(head: str, qualifiers: frozenset[str], synonyms: tuple[str, ...] = ()) -> str:
    """The condition's name after a type's name: "atrophy", "muscle atrophy", "muscular
    atrophy", or one of its other names ("AKI"), in either spelling."""
    qualifier = "|".join(re.escape(q[:4]) + r"\w*" for q in sorted(qualifiers))
    optional = rf"(?:(?:{qualifier})[\s-]+){{0,3}}" if qualifier else ""
    own = rf"{optional}{spelling_pattern(american(head))}"
    others = [_spaced(name) for name in sorted(synonyms, key=len, reverse=True)]
    return rf"(?:{'|'.join([*others, own])})" if others else own


def _spaced(phrase: str) -> str:
    """A pattern for a phrase whose words may be joined by a space, a hyphen or nothing,
    each in British or American spelling."""
    parts = [spelling_pattern(american(p)) for p in re.split(r"[\s-]+", phrase) if p]
    return r"[\s-]?".join(parts)


def _variant_key(phrase: str) -> str:
    return " ".join(american(w) for w in re.split(r"[\s-]+", phrase) if w)


def _tight_key(phrase: str) -> str:
    """Spelling-variant key: words' stems joined without hyphens or spaces."""
    return "".join(stem(w) for w in re.split(r"[\s-]+", phrase) if w)


# --- the condition ------------------------------------------------------------------

_PHRASE = r"[a-z][\w'-]*(?: [a-z0-9][\w'-]*){0,2}"


def _find_condition(documents: list[Document]) -> str:
    counts: Counter[str] = Counter()
    for document in documents:
        for unit in statements(document):
            text = fold(unit.text)
            for match in re.finditer(
                rf"\b{CLASS_NOUNS} of ({_PHRASE}?)(?=\s*(?::|\bis\b|\bare\b|\binclude|\.|,|\?|$))",
                text,
            ):
                counts[_variant_key(_trim_condition(match.group(1)))] += 2
            for match in re.finditer(
                rf"(?:^|[.;] )({_PHRASE}?) (?:is|are|can be|may be) (?:\w+ )?{CLASSIFY_VERBS}",
                text,
            ):
                counts[_variant_key(_trim_condition(match.group(1)))] += 2
        if document.units and document.units[0].kind == "heading":
            title = re.split(r"[:|(]| - ", fold(document.units[0].text))[0].strip()
            if 1 <= len(title.split()) <= 3:
                counts[_variant_key(title)] += 1
    counts.pop("", None)
    # An abbreviation ("aki") counts for the name it abbreviates ("acute kidney injury").
    for short in [c for c in counts if " " not in c and 2 <= len(c) <= 6]:
        longer = [c for c in counts if " " in c and acronym_matches(short.upper(), c)]
        if longer:
            counts[max(longer, key=lambda c: (counts[c], c))] += counts.pop(short)
    if counts:
        return sorted(counts.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0][0]
    return "condition"


def _trim_condition(phrase: str) -> str:
    tokens = [t for t in phrase.split() if t not in ENUMERATION_WORDS]
    while tokens and tokens[0] in STOP_WORDS:
        tokens = tokens[1:]
    if not tokens or tokens[-1] in STOP_WORDS or tokens[0] in ("this", "the", "these"):
        return ""
    return " ".join(tokens)


def _synonyms(documents: list[Document], condition: str) -> tuple[str, ...]:
    found: set[str] = set()
    name = _spaced(condition)
    for document in documents:
        for unit in statements(document):
            text = fold(unit.text)
            for match in re.finditer(
                rf"\b{name},? \(?(?:also (?:called|known as)|or|sometimes called)"
                rf" ([a-z][\w'-]*(?: [a-z][\w'-]*){{0,2}})",
                text,
            ):
                found.add(match.group(1))
            for match in re.finditer(rf"\b{name} \(([a-z]{{2,6}})\)", text):
                found.add(match.group(1))
            for match in re.finditer(rf"\b([a-z][\w'-]*(?: [a-z][\w'-]*)?) \({name}\)", text):
                found.add(match.group(1))
    return tuple(sorted(s for s in found if s not in STOP_WORDS and s != condition))


# --- the types ----------------------------------------------------------------------


class _Candidates:
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
            return _variant_key(phrase.removeprefix("the ").removeprefix("a ").removeprefix("an "))
        if strict and any(w in STOP_WORDS for w in phrase.split()):
            return None
        phrase = re.sub(r"\s*\([^)]*\)", "", phrase)
        phrase = re.sub(rf"[\s-]+{self.head_re}$", "", phrase).strip()
        tokens = phrase.split()
        while tokens and (tokens[0] in STOP_WORDS or tokens[0] in ENUMERATION_WORDS):
            tokens = tokens[1:]
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

    def declare(self, names: list[str], unit: Unit, source: str, number: int | None) -> None:
        kept = [n for n in dict.fromkeys(names) if n]
        for name in kept:
            self.declared.add(name)
            self.counts[name] += 1
        if kept:
            self.enumerations.append((number, tuple(kept), unit, source))

    def read(self, document: Document) -> None:
        units = document.units
        condition = _spaced(self.condition)
        heading_type = None
        listed: dict[int, list[tuple[str, Unit]]] = {}
        for unit in statements(document):
            text = fold(unit.text)
            enumeration = (
                re.search(
                    rf"\b(?:(\w+) (?:(?:main|major|different|basic|primary|broad|general|distinct"
                    rf"|common|known) )?)?{CLASS_NOUNS} of {condition}"
                    rf"(?: (?:are|include|is))?\s*:\s*([^.]+)",
                    text,
                )
                or re.search(
                    rf"\b{CLASSIFY_ACTIVE} (?:\w+ )?{condition} (?:into|by|as)\b"
                    rf"(?:[^:.]*?\b(\w+) (?:main |major |broad )?{CLASS_NOUNS})?[^:.]*:\s*([^.]+)",
                    text,
                )
                or re.search(
                    rf"\b{condition} (?:is|are|can be|may be) (?:\w+ )?{CLASSIFY_VERBS}"
                    rf"(?: as| into)?(?: (\w+) \w+)?:?\s*([^.]+)",
                    text,
                )
            )
            if enumeration:
                number = NUMBER_WORDS.get(enumeration.group(1) or "")
                parts = split_enumeration(enumeration.group(2))
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
            if once and heading_type and self.name_of(once.group(1)):
                self.aliases.append((heading_type, self.name_of(once.group(1))))
            if unit.kind == "item" and unit.intro is not None:
                intro = fold(units[unit.intro].text)
                if units[unit.intro].kind != "heading" and re.search(TYPE_LIST_INTRO, intro):
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
            + "|".join(_spaced(n) for n in sorted(self.declared, key=len, reverse=True))
            + rf")[\s-]+{self.head_re}"
        )
        for document in documents:
            for unit in statements(document):
                for match in pattern.finditer(fold(unit.text)):
                    self.counts[_variant_key(match.group(1))] += 1


def _contains_in_order(longer: str, shorter: str) -> bool:
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


def find_vocabulary(documents: list[Document]) -> Vocabulary:
    condition = _find_condition(documents)
    head = condition.split()[-1]
    qualifiers = frozenset(stem(w) for w in condition.split()[:-1])
    synonyms = _synonyms(documents, condition)
    candidates = _Candidates(condition, head, qualifiers, synonyms)
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
        key = _tight_key(name)
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
            if shorter != longer and _contains_in_order(longer, shorter):
                union(longer, shorter)
    families: dict[str, list[str]] = defaultdict(list)
    for name in names:
        families[root(name)].append(name)
    type_of_word: dict[str, str] = {}
    type_words: dict[str, list[str]] = {}
    for members in families.values():
        ordered = sorted(members, key=lambda w: (-counts[w], len(w), w))
        type_words[ordered[0]] = ordered
        for word in members:
            type_of_word[_variant_key(word)] = ordered[0]
    enumerations = [
        (number, tuple(dict.fromkeys(type_of_word[_variant_key(n)] for n in named)), unit, source)
        for number, named, unit, source in candidates.enumerations
    ]
    minor = _second_axis(type_words, enumerations)
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
    vocabulary.type_suffix = _type_suffix(documents, vocabulary)
    return vocabulary


def _second_axis(
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
    axis = {t for t in type_words if len(t.split()) <= 2 and t.split()[0] in SECOND_AXIS_WORDS}
    if len(axis) < len(type_words):
        minor |= axis
    return {t: type_words[t] for t in sorted(minor) if t in type_words}


def _type_suffix(documents: list[Document], vocabulary: Vocabulary) -> str:
    """Whether the sources say "disuse atrophy" or "disuse muscle atrophy", by majority."""
    if not vocabulary.type_of_word or vocabulary.condition == vocabulary.head:
        return vocabulary.head
    pattern = re.compile(vocabulary.type_pattern())
    short = full = 0
    for document in documents:
        for unit in statements(document):
            text = fold(unit.text)
            for match in pattern.finditer(text):
                full += text.startswith(f" {vocabulary.condition}", match.end())
                short += text.startswith(f" {vocabulary.head}", match.end())
    return vocabulary.condition if full >= short else vocabulary.head
