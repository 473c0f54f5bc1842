"""Extract what each document states about a condition and its types.

The extractor knows English, not medicine: it finds the condition from phrases such as
"types of X", the types from enumerations ("There are two types of X: a and b"), namings
("... is called a X") and headings, and then reads causes, reversibility, symptoms, tests and
treatments from how sentences are built ("causes include ...", "can lead to ...",
"... can be reversed with ...", list introductions ending in a colon). The same code reads
a document about any condition that is described this way.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from quizapp.generation.reader import Document, Unit
from quizapp.generation.text import (
    STOP_WORDS,
    acronym_matches,
    fold,
    is_acronym,
    stem,
    word_set,
)

MAX_NAME_WORDS = 7
# Longer than any sentence a page states a fact in (the seeds' longest is 420 characters):
# a run-on unit this long is a page without punctuation, whose wording the patterns cannot
# read, and leaving it out bounds the cost of every pattern and list expansion per unit.
MAX_STATEMENT_CHARS = 1000
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "2": 2, "3": 3, "4": 4}

# Nouns and modifiers that name no particular thing ("other conditions", "various reasons").
GENERIC_WORDS = word_set(
    """condition conditions disease diseases disorder disorders problem problems reason
    reasons ailment ailments issue issues illness illnesses cause causes thing things factor
    factors medical health number variety various certain serious many some underlying other
    others type types kind kinds form forms something anything way ways a an the of"""
)
LIGHT_VERBS = word_set("have has are is be being get gets lead leads live lives suffer")
DETERMINERS = word_set("a an the your their his her its some certain serious any")
PEOPLE = r"(?:individuals|people|persons|patients|those|anyone|someone)"
MODALS = r"(?:can|may|might|could|will|often|also|usually|sometimes|eventually|all)"

# Causes stated through who gets the condition: (pattern, group naming the condition,
# group naming the cause), tried in this order.
PEOPLE_CAUSE_PATTERNS = (
    (
        re.compile(
            rf"{PEOPLE} (?:who (?:have|are|has)(?: contracted| had)?|with) (.+?) (?:are likely to|"
            rf"most commonly|(?:{MODALS} )+)\s*(?:experience|develop|get)s? (.+?)(?:\.|$)",
            re.IGNORECASE,
        ),
        2,
        1,
    ),
    (
        re.compile(
            rf"^if you (?:are|have) (.+?),? you (?:(?:{MODALS}) )*experience (.+?)(?:\.|$)",
            re.IGNORECASE,
        ),
        2,
        1,
    ),
    (
        re.compile(
            r"experiences? (.+?) (?:as (?:a|the) result of|after|because of|due to) (.+?)(?:\.|$)",
            re.IGNORECASE,
        ),
        1,
        2,
    ),
)
CAUSE_VERBS = r"(?:cause|causes|lead to|leads to|result in|results in|contribute to|trigger)"
IMPROVE_VERBS = (
    r"(?:help|rebuild|regain|increase|encourage|maintain|improve|promote|build|reduce|enable)"
)


@dataclass(frozen=True)
class Location:
    source: str
    sentence: int
    start: int
    end: int

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Mention:
    """One statement that something (a cause, symptom, ...) exists, maybe for a type."""

    name: str
    aliases: tuple[str, ...]
    type: str | None
    location: Location


@dataclass
class Vocabulary:
    """What all documents together say the condition and its types are called."""

    condition: str
    head: str  # the condition's last word ("atrophy"), which type names end with
    qualifiers: frozenset[str]  # the condition's other words ("muscle")
    type_of_word: dict[str, str]  # folded type word or alias -> canonical type word
    type_words: dict[str, list[str]]  # canonical type word -> its words, most used first
    type_suffix: str  # what follows a type word in its name: "atrophy" or "hearing loss"

    def type_pattern(self) -> str:
        """One group matching any type word; with no types, a group that never matches.

        An empty alternation would match the empty string everywhere, and callers look the
        matched word up in ``type_of_word``.
        """
        if not self.type_of_word:
            return r"((?!))"
        alternatives = sorted(self.type_of_word, key=len, reverse=True)
        return r"\b(" + "|".join(re.escape(w) for w in alternatives) + r")\b"

    def canonical_type(self, word: str) -> str | None:
        """The canonical type a word matched case-insensitively in unfolded text stands for.

        Case-insensitive matching pairs characters that ``lower`` alone does not (the long s,
        the Kelvin sign), so the word is folded the way the vocabulary's keys were.
        """
        return self.type_of_word.get(fold(word))


@dataclass
class DocumentFacts:
    source: str
    title: str
    text: str  # the whole document as written, where the reconciler checks spellings
    types: dict[str, list[Location]] = field(default_factory=dict)
    type_counts: list[tuple[int, tuple[str, ...], Location]] = field(default_factory=list)
    definitions: list[tuple[str, str, Location]] = field(default_factory=list)
    reversibility: list[tuple[str, str, str, Location]] = field(default_factory=list)
    superlatives: list[tuple[str, str, Location]] = field(default_factory=list)
    causes: list[Mention] = field(default_factory=list)
    symptoms: list[Mention] = field(default_factory=list)
    tests: list[Mention] = field(default_factory=list)
    treatments: list[Mention] = field(default_factory=list)


# --- the vocabulary -------------------------------------------------------------------


def statements(document: Document) -> Iterator[Unit]:
    """The units short enough to be read as statements (see ``MAX_STATEMENT_CHARS``)."""
    return (unit for unit in document.units if len(unit.text) <= MAX_STATEMENT_CHARS)


def find_vocabulary(documents: list[Document]) -> Vocabulary:
    condition = _find_condition(documents)
    head = condition.split()[-1]
    qualifiers = frozenset(stem(w) for w in condition.split()[:-1])
    counts: Counter[str] = Counter()
    alias_pairs: list[tuple[str, str]] = []
    head_re = _head_re(head, qualifiers)
    for document in documents:
        for unit in statements(document):
            for word in _declared_types(unit, condition, head_re, qualifiers):
                counts[word] += 1
    known = set(counts)
    for document in documents:
        for unit in statements(document):
            pattern = rf"\b([a-z][\w-]+) \(([a-z][\w-]+)\)\s+{head_re}"
            for match in re.finditer(pattern, fold(unit.text)):
                first, second = match.group(1), match.group(2)
                if first in known or second in known:
                    alias_pairs.append((first, second))
                    counts[first] += 1
                    counts[second] += 1
    # Spelling variants share a stem (physiologic / physiological).
    groups: dict[str, set[str]] = {}
    for word in counts:
        groups.setdefault(stem(word), set()).add(word)
    parent = {word: word for word in counts}

    def root(word: str) -> str:
        while parent[word] != word:
            word = parent[word]
        return word

    def union(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for members in groups.values():
        ordered = sorted(members)
        for other in ordered[1:]:
            union(ordered[0], other)
    for first, second in alias_pairs:
        union(first, second)
    families: dict[str, list[str]] = {}
    for word in counts:
        families.setdefault(root(word), []).append(word)
    type_of_word: dict[str, str] = {}
    type_words: dict[str, list[str]] = {}
    for members in families.values():
        ordered = sorted(members, key=lambda w: (-counts[w], w))
        canonical = ordered[0]
        type_words[canonical] = ordered
        for word in members:
            type_of_word[word] = canonical
    return Vocabulary(
        condition,
        head,
        qualifiers,
        type_of_word,
        type_words,
        _type_suffix(documents, condition, head, set(type_of_word)),
    )


def _type_suffix(documents: list[Document], condition: str, head: str, words: set[str]) -> str:
    """Whether the sources say "disuse atrophy" or "disuse muscle atrophy", by majority."""
    short = full = 0
    for document in documents:
        for unit in statements(document):
            text = fold(unit.text)
            for match in re.finditer(r"[\w-]+", text):
                if match.group(0) not in words:
                    continue
                full += text.startswith(f" {condition}", match.end())
                short += text.startswith(f" {head}", match.end())
    return condition if full >= short else head


def _find_condition(documents: list[Document]) -> str:
    counts: Counter[str] = Counter()
    for document in documents:
        for unit in statements(document):
            for match in re.finditer(
                r"\btypes? of ((?:[a-z][\w-]* ){0,2}?[a-z][\w-]*)(?=\s*(?::|\bis\b|\.|,|$))",
                fold(unit.text),
            ):
                counts[match.group(1)] += 1
    if counts:
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
    headings: Counter[str] = Counter()
    for document in documents:
        for unit in statements(document):
            tokens = [w for w in re.findall(r"[a-z][\w-]*", fold(unit.text))]
            headings.update(" ".join(pair) for pair in itertools.pairwise(tokens))
    return headings.most_common(1)[0][0] if headings else "condition"


def _head_re(head: str, qualifiers: frozenset[str]) -> str:
    """The condition's name after a type word: "atrophy", "muscle atrophy", "muscular ..."."""
    qualifier = "|".join(re.escape(q[:4]) + r"\w*" for q in sorted(qualifiers))
    optional = rf"(?:(?:{qualifier})\s+)?" if qualifier else ""
    return rf"{optional}{re.escape(head)}"


def _declared_types(
    unit: Unit, condition: str, head_re: str, qualifiers: frozenset[str]
) -> list[str]:
    """Type words that a unit introduces as types (enumeration, naming or heading)."""
    text = fold(unit.text)
    found: list[str] = []
    enumeration = re.search(rf"types of {re.escape(condition)}\s*:\s*([^.]+)", text)
    if enumeration:
        for part in _split_list(enumeration.group(1)):
            word = re.sub(rf"\s+{head_re}$", "", part.strip()).strip()
            if re.fullmatch(r"[a-z][\w-]*", word):
                found.append(word)
    for match in re.finditer(rf"\bcalled ([a-z][\w-]*)\s+{head_re}\b", text):
        found.append(match.group(1))
    for match in re.finditer(rf"\banother type of {re.escape(condition)} is ([a-z][\w-]*)", text):
        found.append(match.group(1))
    if unit.kind == "heading":
        heading = re.fullmatch(rf"([a-z][\w-]*)\s+{head_re}", text.strip())
        if heading and not _is_qualifier(heading.group(1), qualifiers):
            found.append(heading.group(1))
    return [w for w in found if w not in STOP_WORDS and not _is_qualifier(w, qualifiers)]


def _is_qualifier(word: str, qualifiers: frozenset[str]) -> bool:
    """Whether a word is (a variant of) one of the condition's own words: muscle/muscular."""
    return any(stem(word)[:4] == q[:4] for q in qualifiers)


# --- lists and names ------------------------------------------------------------------


def _split_list(text: str) -> list[str]:
    """Split "a, b (x, y), or c" at top-level commas and conjunctions."""
    text = re.sub(
        r",?\s*\b(?:in some cases|at times|very rarely|rarely|sometimes|often),\s*", " ", text
    )
    text = re.sub(r"\b(and|or),", r"\1", text)
    parts: list[str] = []
    depth = 0
    current = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if depth == 0:
            rest = text[index:]
            separator = re.match(r",\s*(?:(?:and/or|and|or)\s+)?|\s+(?:and/or|and|or)\s+", rest)
            if separator and not re.search(r"\b(?:little|few)$", current, re.IGNORECASE):
                parts.append(current)
                current = ""
                index += separator.end()
                continue
        current += char
        index += 1
    parts.append(current)
    return [p.strip(" .;:-") for p in parts if p.strip(" .;:-")]


def _expand_entries(text: str, verb_phrase: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """Turn a list's text into (name, aliases) entries, expanding "such as" and "due to".

    ``verb_phrase`` says the text begins with a verb ("Have ...", "Sit at ...") because the
    list answers "people who:" or "if you:".
    """
    link = re.search(r"\s+\b(caused by|due to|because of|from)\s+", text)
    if link and "," not in text[: link.start()]:
        head = text[: link.start()]
        members = _expand_entries(text[link.end() :])
        first = head.split()[0].lower() if head.split() else ""
        starts_with_verb = verb_phrase or first in LIGHT_VERBS or _is_negated_verb(head)
        if starts_with_verb or _is_generic(head):
            return members
        if link.group(1) in ("caused by", "from"):
            if len(head.split()) <= 2:
                return [
                    (f"{_display_case(head)} from {name}", aliases) for name, aliases in members
                ]
            return members
        return (_expand_entries(head) if len(head.split()) <= 3 else []) + members
    entries: list[tuple[str, tuple[str, ...]]] = []
    for position, part in enumerate(_split_list(text)):
        such_as = re.match(r"(?:such as|like|including|e\.g\.,?)\s+(.+)$", part)
        if such_as:
            if entries:
                entries.pop()
            entries.extend(_expand_entries(such_as.group(1)))
            continue
        inner = re.search(r"\b(?:such as|like)\s+(.+)$", part)
        if inner:
            entries.extend(_expand_entries(inner.group(1)))
            continue
        if re.match(r"other\b", part, re.IGNORECASE):
            break  # "..., or other conditions that ..." closes the enumeration
        entry = _clean_entry(part, verb_phrase and position == 0)
        if entry is None:
            continue
        if entries and _names_same_thing(entries[-1][0], entry[0]):
            name, aliases = entries[-1]
            entries[-1] = (name, (*aliases, entry[0], *entry[1]))
        else:
            entries.append(entry)
    return entries


def _names_same_thing(full: str, short: str) -> bool:
    """ "X or ACRONYM" and "poliomyelitis or polio" name one thing twice."""
    if is_acronym(short):
        return acronym_matches(short, full)
    return len(short) >= 4 and fold(full).startswith(fold(short)) and " " not in short


def _is_negated_verb(text: str) -> bool:
    return bool(re.match(r"(?:can['’]?t|cannot|don['’]?t|do not|does not)\b", text, re.I))


def _gerund(verb: str) -> str:
    verb = verb.lower()
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye")):
        return verb[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnpt]", verb):
        return verb + verb[-1] + "ing"
    return verb + "ing"


def _clean_entry(text: str, verb_phrase: bool) -> tuple[str, tuple[str, ...]] | None:
    """A list entry as a display name plus the aliases given in its parentheses."""
    text = text.strip(" .;:,-–—")
    if not text or text.endswith("?") or "..." in text or "…" in text:
        return None
    aliases: list[str] = []
    inside = re.match(r"^(.+?)\s*\(([A-Z]{2,})\)\s+(\S.*)$", text)
    if inside:
        aliases.append(f"{inside.group(2)} {inside.group(3)}")

    def parenthesis(match: re.Match) -> str:
        inner = match.group(1).strip()
        if re.fullmatch(r"[A-Za-z][\w-]+", inner):
            aliases.append(inner)
            return " "
        for position, piece in enumerate(re.split(r"[;,]\s*", inner)):
            piece = piece.strip()
            alias = re.match(r"(?:or|also known as|also called|aka)\s+(.+)$", piece)
            if alias:
                aliases.append(alias.group(1).strip())
            elif position == 0 and is_acronym(piece):
                aliases.append(piece)
        return " "

    text = re.sub(r"\s*\(([^()]*)\)\s*", parenthesis, text).strip()
    tokens = text.split()
    if not tokens:
        return None
    negation = re.match(
        r"(?:don['’]?t|do not|can['’]?t|cannot|does not)\s+(\w+)\s*(.*)$", text, re.I
    )
    if negation:
        tokens = ["not", _gerund(negation.group(1)), *negation.group(2).split()]
    elif tokens[0].lower() in LIGHT_VERBS:
        tokens = tokens[1:]
        if tokens and tokens[0].lower() == "on":
            tokens = tokens[1:]
    elif (
        verb_phrase
        and tokens[0].lower() not in DETERMINERS
        and not tokens[0].lower().endswith("ing")
    ):
        tokens = [_gerund(tokens[0]), *tokens[1:]]
    while tokens and tokens[0].lower() in DETERMINERS:
        tokens = tokens[1:]
    text = " ".join(tokens)
    text = re.sub(
        r"\s+(?:for an extended period|for extended periods|for a long time|for long periods"
        r"|all day|of time|as well|too)$",
        "",
        text,
    )
    if not text or _is_generic(text):
        return None
    return _display_case(text), tuple(_display_case(a) for a in aliases if a)


def _is_generic(text: str) -> bool:
    tokens = [t for t in re.findall(r"[a-z][\w'-]*", fold(text))]
    if not tokens or tokens[0] == "other":
        return True
    return all(t in GENERIC_WORDS or t in STOP_WORDS for t in tokens)


def _display_case(text: str) -> str:
    """Lower-case a sentence-initial capital unless the word is a name or acronym."""
    tokens = text.split()
    if not tokens:
        return text
    first = tokens[0]
    second = tokens[1] if len(tokens) > 1 else ""
    keep = (
        is_acronym(first.strip("(),"))
        or re.search(r"-[A-Z]", first)
        or (second[:1].isupper() and not is_acronym(second))
        or any(c.isupper() for c in first[1:])
        or re.search(r"['’]s$", first)
    )
    if not keep and first[:1].isupper():
        tokens[0] = first[0].lower() + first[1:]
    return " ".join(tokens).replace("’", "'")


# --- per-document reading -------------------------------------------------------------


class _Reader:
    def __init__(self, document: Document, source: str, vocabulary: Vocabulary):
        self.document = document
        self.vocabulary = vocabulary
        self.facts = DocumentFacts(source=source, title=document.title, text=document.text)
        self.type_re = re.compile(vocabulary.type_pattern(), re.IGNORECASE)
        self.head_re = _head_re(vocabulary.head, vocabulary.qualifiers)
        self.condition_re = re.compile(
            rf"\b(?:{self.head_re}|this type|{re.escape(vocabulary.head)})\b", re.IGNORECASE
        )
        self.section_type: str | None = None
        self.section_heading: Unit | None = None
        self.paragraph_type: str | None = None
        self.block = -1

    def location(self, unit: Unit) -> Location:
        return Location(self.facts.source, unit.index, unit.start, unit.end)

    def types_in(self, text: str) -> list[str]:
        found = []
        for match in self.type_re.finditer(text):
            canonical = self.vocabulary.canonical_type(match.group(1))
            if canonical is not None and canonical not in found:
                found.append(canonical)
        return found

    def topic(self) -> str | None:
        return self.paragraph_type or self.section_type

    def read(self) -> DocumentFacts:
        units = self.document.units
        for unit in statements(self.document):
            if unit.block != self.block:
                self.block = unit.block
                self.paragraph_type = None
            if unit.kind == "heading":
                self._heading(unit)
            elif unit.kind == "sentence":
                self._note_types(unit)
                self._sentence(unit)
            else:
                intro = units[unit.intro] if unit.intro is not None else None
                self._item(unit, intro)
        return self.facts

    def _heading(self, unit: Unit) -> None:
        named = self.types_in(unit.text)
        if named and re.search(self.head_re, unit.text, re.IGNORECASE):
            self.section_type = named[0]
            self.section_heading = None
            self._mention_type(named[0], unit)
        elif re.search(re.escape(self.vocabulary.head), unit.text, re.IGNORECASE):
            self.section_type = None
            self.section_heading = None
        else:
            self.section_heading = unit

    def _mention_type(self, type_word: str, unit: Unit) -> None:
        self.facts.types.setdefault(type_word, []).append(self.location(unit))

    def _note_types(self, unit: Unit) -> None:
        text = fold(unit.text)
        vocabulary = self.vocabulary
        for word in _declared_types(
            unit, vocabulary.condition, self.head_re, vocabulary.qualifiers
        ):
            if word in vocabulary.type_of_word:
                self._mention_type(vocabulary.type_of_word[word], unit)
        for match in re.finditer(
            rf"{self.type_re.pattern}(?:\s*\([\w-]+\))?\s+{self.head_re}", text
        ):
            self._mention_type(vocabulary.type_of_word[match.group(1)], unit)
        count = re.search(
            rf"\b(\w+) (?:main |major |different |basic )?types of "
            rf"{re.escape(vocabulary.condition)}\s*:\s*([^.]+)",
            text,
        )
        named = tuple(self.types_in(count.group(2))) if count else ()
        # A count whose list names none of the types says nothing a card could ask.
        if count and count.group(1) in NUMBER_WORDS and named:
            self.facts.type_counts.append(
                (NUMBER_WORDS[count.group(1)], named, self.location(unit))
            )
        opening = re.match(
            rf"(?:the |rather, )?(?:{self.type_re.pattern}(?:\s*\([\w-]+\))?\s+(?:{self.head_re}|"
            rf"forms?)|(this type))",
            text,
        )
        called = re.search(rf"\bcalled {self.type_re.pattern}", text)
        superlative_subject = re.search(
            rf"the most \w+ type of {re.escape(vocabulary.condition)} is {self.type_re.pattern}",
            text,
        )
        if opening and opening.group(1):
            self.paragraph_type = vocabulary.type_of_word[opening.group(1)]
        elif called:
            self.paragraph_type = vocabulary.type_of_word[called.group(1)]
        elif superlative_subject:
            self.paragraph_type = vocabulary.type_of_word[superlative_subject.group(1)]

    # -- sentences --

    def _subject_type(self, text: str) -> str | None:
        """The type a clause is about: a type it names, or "this type" / "it" in context."""
        named = self.types_in(text)
        if named:
            return named[0]
        if re.search(r"\bthis type\b|^it\b", text.strip(), re.IGNORECASE):
            return self.topic()
        return None

    def _sentence(self, unit: Unit) -> None:
        text = unit.text.replace("’", "'")
        self._reversibility(unit, text)
        self._superlative(unit, text)
        self._treatments(unit, text)
        self._symptoms(unit, text)
        self._tests(unit, text)
        self._causes(unit, text)

    def _add(self, kind: str, entries, type_word: str | None, unit: Unit) -> None:
        bucket = getattr(self.facts, kind)
        for name, aliases in entries:
            if kind == "causes" and self.types_in(name):
                continue
            if len(name.split()) > MAX_NAME_WORDS:
                continue  # a clause, not a name; quoting it would copy the source
            bucket.append(Mention(name, aliases, type_word, self.location(unit)))

    def _reversibility(self, unit: Unit, text: str) -> None:
        for match in re.finditer(
            r"\b(?:(can(?:not|'t)?|could|cannot) ((?:\w+ ){0,2}?)be reversed"
            r"|(?:is|are) ((?:\w+ ){0,2}?)(?:ir)?reversible)",
            text,
            re.IGNORECASE,
        ):
            phrase = match.group(0)
            subject = self._subject_type(text[: match.start()]) or self._subject_type("it")
            if subject is None:
                continue
            lowered = phrase.lower()
            if re.search(r"\bnot\b|can't|cannot|irreversible", lowered):
                value = "no"
            elif re.search(r"sometimes|at times|occasionally|in some cases", lowered):
                value = "sometimes"
            else:
                value = "yes"
            self.facts.reversibility.append((subject, value, lowered, self.location(unit)))
            means = re.search(r"reversed (?:with|by|through) ([^.]+?)(?:\.|$| because)", text)
            if means and value != "no":
                self._add("treatments", _expand_entries(means.group(1)), subject, unit)

    def _superlative(self, unit: Unit, text: str) -> None:
        condition = re.escape(self.vocabulary.condition)
        for pattern in (
            rf"^{self.type_re.pattern}\s+(?:{self.head_re}\s+)?is the most (\w+) type",
            rf"the most (\w+) type of {condition} is {self.type_re.pattern}",
        ):
            match = re.search(pattern, fold(text))
            if match:
                groups = match.groups()
                type_group = groups[0] if groups[0] in self.vocabulary.type_of_word else groups[1]
                adjective = groups[1] if type_group == groups[0] else groups[0]
                canonical = self.vocabulary.type_of_word[type_group]
                self.facts.superlatives.append((adjective, canonical, self.location(unit)))
        sign = re.search(rf"the most (\w+) (?:sign|symptom) of {condition} is ([^.]+)", fold(text))
        if sign:
            start = fold(text).index(sign.group(2))
            entry = _clean_entry(text[start : start + len(sign.group(2))], False)
            if entry:
                self._add("symptoms", [entry], None, unit)
                self.facts.superlatives.append(
                    (sign.group(1), f"sign:{entry[0]}", self.location(unit))
                )

    def _treatments(self, unit: Unit, text: str) -> None:
        cut = rf"(?:\.|$| to {IMPROVE_VERBS}\b| --|,? but\b)"
        treated = re.search(rf"\bcan (?:\w+ )?be treated with (.+?){cut}", text)
        if treated:
            phrase = treated.group(1)
            called = re.search(r"\bcalled (.+)$", phrase)
            entries = _expand_entries(called.group(1) if called else phrase)
            self._add("treatments", entries, self._subject_type(text[: treated.start()]), unit)
        forms = re.search(
            rf"\b((?:\w+,? )+?)(?:forms|types) (?:are|is) treated with (.+?){cut}", text
        )
        if forms:
            for type_word in self.types_in(forms.group(1)):
                self._add("treatments", _expand_entries(forms.group(2)), type_word, unit)
        include = re.search(
            rf"\btreatments? (?:may |can )?(?:include|includes) (.+?){cut}", text, re.I
        )
        if include:
            self._add(
                "treatments",
                _expand_entries(include.group(1)),
                self._subject_type(text[: include.start()]),
                unit,
            )
        helps = re.match(r"^(?:an? |the )?(.+?) (?:may|can) help treat\b", text)
        if helps:
            self._add("treatments", _expand_entries(helps.group(1)), None, unit)
        for_people = re.match(
            rf"^for {PEOPLE} with (.+?), (.+?) (?:may|can|is|are) (?:be )?(?:recommended|used)"
            rf"(?:\s*--\s*including (.+?)\s*--)?",
            text,
            re.IGNORECASE,
        )
        if for_people:
            type_word = self._subject_type(for_people.group(1))
            self._add("treatments", _expand_entries(for_people.group(2)), type_word, unit)
            if for_people.group(3):
                self._add("treatments", _expand_entries(for_people.group(3)), type_word, unit)
        recommend = re.search(
            rf"\bmay (?:also )?(?:recommend|suggest) (?:the use of )?(.+?){cut}", text
        )
        if recommend and not re.search(r"\bplan\b.*\bwork for you", recommend.group(1)):
            type_word = self._subject_type(text[: recommend.start()])
            self._add("treatments", _expand_entries(recommend.group(1)), type_word, unit)

    def _symptoms(self, unit: Unit, text: str) -> None:
        for pattern in (
            r"\b(?:symptoms|signs) (?:such as|include|including|like) (.+?)(?:\.|$)",
            r"\bit (?:may |can |is |often )*(?:be )?accompanied by (.+?)(?:,? as well as|\.|$)",
        ):
            match = re.search(pattern, text, re.IGNORECASE)
            if match and not text.rstrip().endswith(":"):
                self._add("symptoms", _expand_entries(match.group(1)), None, unit)

    def _tests(self, unit: Unit, text: str) -> None:
        match = re.search(r"\btests? (?:such as|include|including) (.+?)(?:\.|$)", text, re.I)
        if match and not text.rstrip().endswith(":"):
            self._add("tests", _expand_entries(match.group(1)), None, unit)

    def _causes(self, unit: Unit, text: str) -> None:
        flags = re.IGNORECASE
        called = re.search(rf"\bcalled {self.type_re.pattern}", text, flags)
        called_type = self.vocabulary.canonical_type(called.group(1)) if called else None
        include = re.search(
            r"\bcauses(?: of ([\w\s()-]+?))? (?:may |can )?(?:also )?include (.+?)(?:\.$|$)",
            text,
            flags,
        )
        if include:
            target = include.group(1) or ""
            if self.types_in(target):
                type_word = self.types_in(target)[0]
            elif target and self.condition_re.search(target):
                type_word = None
            else:
                type_word = self.topic()
            self._add("causes", _expand_entries(include.group(2)), type_word, unit)
            return
        are_causes = re.match(r"^(.+?) (?:are|is) (?:\w+ )?causes? of (.+?)(?:\.|$)", text, flags)
        if are_causes:
            type_word = called_type or (self.types_in(are_causes.group(2)) or [None])[0]
            self._add("causes", _expand_entries(are_causes.group(1)), type_word, unit)
            return
        if called:
            definition = re.search(
                r"\b(?:caused by|due to|results? from) (.+?)(?:,|\s+is called)", text, flags
            )
            if definition and called_type:
                self._define(called_type, definition.group(1), unit)
            return
        if not self._people(unit, text):
            self._causal_verbs(unit, text)

    def _define(self, type_word: str, phrase: str, unit: Unit) -> None:
        phrase = phrase.strip(" .,")
        if phrase and not _is_generic(phrase):
            self.facts.definitions.append((type_word, phrase, self.location(unit)))

    def _names_condition_early(self, text: str) -> bool:
        """Whether the condition is what a verb acts on, not a word far down the clause."""
        match = self.condition_re.search(text)
        return bool(match) and len(text[: match.start()].split()) <= 4

    def _causal_verbs(self, unit: Unit, text: str) -> None:
        flags = re.IGNORECASE
        another = re.match(
            r"^another (?:disease|condition|cause)\b.*? is (.+?)(?:\.|$)", text, flags
        )
        if another and self.condition_re.search(another.group(0)):
            entry = _or_alias(another.group(1))
            self._add("causes", [entry], self._subject_type(another.group(0)), unit)
            return
        leading = re.search(r"^(.+?) is an? [^,]+?, leading to (.+?)(?:\.|$)", text, flags)
        if leading and self.condition_re.search(leading.group(2)):
            type_word = self._subject_type(leading.group(2)) or self.section_type
            self._add("causes", _expand_entries(leading.group(1)), type_word, unit)
            return
        verbs = re.search(
            rf"^(.+?),? (?:{MODALS} )*(?:{CAUSE_VERBS}) (.+?)(?:,? as can (.+?))?(?:\.|$)",
            text,
            flags,
        )
        if (
            verbs
            and self._names_condition_early(verbs.group(2))
            and not self.condition_re.search(verbs.group(1))
        ):
            subject = re.sub(r",?\s*(?:all|both)$", "", verbs.group(1))
            type_word = self._subject_type(verbs.group(2))
            if self.section_heading is not None and type_word is None:
                type_word = self.section_type
            if re.match(
                r"^(?:this|these|that) (?:\w+ )?(?:disease|condition|disorder)$", subject, flags
            ):
                if self.section_heading is not None:
                    entry = _clean_entry(self.section_heading.text, False)
                    self._add("causes", [entry] if entry else [], type_word, unit)
                return
            self._add("causes", _expand_entries(_drop_appositive(subject)), type_word, unit)
            if verbs.group(3):
                self._add("causes", _expand_entries(verbs.group(3)), type_word, unit)
            return
        result = re.search(
            rf"^(.+?) ((?:{MODALS} )*)(?:occurs?|results?|develops?|happens?|stems?|is caused"
            rf"|be caused|can be (?:the result|a symptom|a sign)) ?(?:by|from|due to|because of|as"
            rf" (?:a|the) result of|of|when) (.+?)(?:,? but\b|\.|$)",
            text,
            flags,
        )
        if result and self.condition_re.search(result.group(1)):
            subject_type = self._subject_type(result.group(1))
            modal = bool(result.group(2).strip()) or " can be " in result.group(0)
            tail = re.split(r"\s+and (?:most|often|also|usually)\b", result.group(3))[0]
            entries = _expand_entries(tail)
            if subject_type and not modal and len(entries) < 3:
                self._define(subject_type, tail, unit)
            elif modal or len(entries) >= 3:
                self._add("causes", entries, subject_type, unit)
            return
        reasons = re.search(
            r"for (?:a variety of|many|several) reasons\W+such as (.+?)(?:\.|$)", text, flags
        )
        if reasons and self.condition_re.search(text[: reasons.start()]):
            self._add("causes", _expand_entries(reasons.group(1)), None, unit)

    def _people(self, unit: Unit, text: str) -> bool:
        """Causes stated through who gets the condition; True when the sentence had some."""
        flags = re.IGNORECASE
        for pattern, condition_group, cause_group in PEOPLE_CAUSE_PATTERNS:
            found = pattern.search(text)
            if found and self.condition_re.search(found.group(condition_group)):
                type_word = self._subject_type(found.group(condition_group))
                self._add("causes", _expand_entries(found.group(cause_group)), type_word, unit)
                return True
        affects = re.search(rf"\baffects {PEOPLE} who (?:are|have) (.+?)(?:\.|$)", text, flags)
        occurs_in = re.search(rf"\boccurs in {PEOPLE} who (.+?)(?:\.|$)", text, flags)
        subject = re.split(r" affects | occurs ", text)[0]
        if affects:
            self._add(
                "causes", _expand_entries(affects.group(1)), self._subject_type(subject), unit
            )
        if occurs_in:
            entries = _expand_entries(occurs_in.group(1), True)
            self._add("causes", entries, self._subject_type(subject), unit)
        if affects and not occurs_in:
            head = re.match(r"^(.+?) is caused by (.+?) and (?:most|often)", text, flags)
            if head and self._subject_type(head.group(1)):
                self._define(self._subject_type(head.group(1)), head.group(2), unit)
        return bool(affects or occurs_in)

    # -- list items --

    def _item(self, unit: Unit, intro: Unit | None) -> None:
        if intro is None:
            return
        intro_text = fold(intro.text)
        if re.search(r"\btests?\b|diagnos|\bscans?\b", intro_text):
            kind = "tests"
        elif re.search(r"symptom|\bsigns?\b|\bfeel", intro_text):
            kind = "symptoms"
        elif re.search(r"treat|therap|manag|remed", intro_text):
            kind = "treatments"
        elif re.search(
            r"cause|example|disease|condition|affect|result|due to|risk|lead|who:", intro_text
        ):
            kind = "causes"
        else:
            return
        if kind != "causes":
            entry = _clean_entry(unit.text, False)
            if entry:
                self._add(
                    kind,
                    [entry],
                    self.types_in(intro.text)[0] if self.types_in(intro.text) else None,
                    unit,
                )
            return
        named = self.types_in(intro.text)
        if named:
            type_word = named[0]
        elif re.search(re.escape(self.vocabulary.head), intro_text):
            type_word = None
        else:
            type_word = self.topic()
        verb_phrases = bool(re.search(r"\b(?:who|if you)\s*:$", intro_text))
        self._add("causes", _expand_entries(unit.text, verb_phrases), type_word, unit)


def _drop_appositive(subject: str) -> str:
    """ "X, a description of X," names one thing; a real list ends with and/or."""
    parts = _split_list(subject)
    if len(parts) == 2 and not re.search(r"\b(?:and|or)\b", subject.split(",")[-1]):
        return parts[0]
    return subject


def _or_alias(text: str) -> tuple[str, tuple[str, ...]]:
    """ "poliomyelitis or polio" and "X or ACRONYM" name one thing twice."""
    parts = [p.strip() for p in re.split(r"\s+or\s+", text.strip(" ."))]
    if len(parts) == 2:
        first, second = parts
        if acronym_matches(second, first) or fold(first).startswith(fold(second)):
            return _display_case(first), (_display_case(second),)
    return _display_case(text.strip(" .")), ()


def read_facts(document: Document, source: str, vocabulary: Vocabulary) -> DocumentFacts:
    return _Reader(document, source, vocabulary).read()
