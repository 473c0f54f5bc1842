"""The condition the documents are about, its other names, and how its name is matched.

The condition is what pages classify ("types/kinds/forms of X", "X is classified as ..."),
counted together with page titles; an abbreviation counts for the name it abbreviates.
Names are matched with their words joined by a space, a hyphen or nothing, in British or
American spelling.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from quizapp.generation.reader import Document, Unit
from quizapp.generation.text import (
    STOP_WORDS,
    acronym_matches,
    american,
    fold,
    spelling_pattern,
    stem,
)

# Longer than any sentence a page states a fact in: a run-on unit this long is a page
# without punctuation, whose wording the patterns cannot read; leaving it out bounds the
# cost of every pattern per unit.
MAX_STATEMENT_CHARS = 1000
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
# Words that say how an enumeration is meant, never part of a type's name.
ENUMERATION_WORDS = frozenset(
    [
        "main",
        "major",
        "different",
        "basic",
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
def statements(document: Document) -> list[Unit]:
    return [unit for unit in document.units if len(unit.text) <= MAX_STATEMENT_CHARS]


def head_pattern(head: str, qualifiers: frozenset[str], synonyms: tuple[str, ...] = ()) -> str:
    """The condition's name after a type's name: "atrophy", "muscle atrophy", "muscular
    atrophy", or one of its other names ("AKI"), in either spelling."""
    qualifier = "|".join(re.escape(q[:4]) + r"\w*" for q in sorted(qualifiers))
    optional = rf"(?:(?:{qualifier})[\s-]+){{0,3}}" if qualifier else ""
    own = rf"{optional}{_singular_or_plural(head)}"
    others = [spaced(name) for name in sorted(synonyms, key=len, reverse=True)]
    return rf"(?:{'|'.join([*others, own])})" if others else own


def _singular_or_plural(word: str) -> str:
    """ "headaches" matches "headache" too, and "stroke" matches "strokes"."""
    singular = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
    return spelling_pattern(american(singular)) + "s?"


def spaced(phrase: str) -> str:
    """A pattern for a phrase whose words may be joined by a space, a hyphen or nothing,
    each in British or American spelling."""
    parts = [spelling_pattern(american(p)) for p in re.split(r"[\s-]+", phrase) if p]
    return r"[\s-]?".join(parts)


def variant_key(phrase: str) -> str:
    return " ".join(american(w) for w in re.split(r"[\s-]+", phrase) if w)


def tight_key(phrase: str) -> str:
    """Spelling-variant key: words' stems joined without hyphens or spaces."""
    return "".join(stem(w) for w in re.split(r"[\s-]+", phrase) if w)


# --- the condition ------------------------------------------------------------------

_PHRASE = r"[a-z][\w'-]*(?: [a-z0-9][\w'-]*){0,3}"


def _captures(documents: list[Document], patterns: tuple[str, ...]) -> Iterator[str]:
    """The first group of every match of each pattern in every statement (folded)."""
    for document in documents:
        for unit in statements(document):
            text = fold(unit.text)
            for pattern in patterns:
                for match in re.finditer(pattern, text):
                    yield match.group(1)


def find_condition(documents: list[Document]) -> str:
    counts: Counter[str] = Counter()
    named = (
        rf"\b{CLASS_NOUNS} of ({_PHRASE}?)"
        rf"(?=\s*(?:\([^)]*\)\s*)?(?::|\bis\b|\bare\b|\binclude|\.|,|\?|$))",
        rf"(?:^|[.;] )({_PHRASE}?) (?:is|are|can be|may be) (?:\w+ )?{CLASSIFY_VERBS}",
        rf"\b{CLASSIFY_ACTIVE} (?:your |the )?({_PHRASE}?) (?:into|by|as)\b",
    )
    for phrase in _captures(documents, named):
        counts[variant_key(_trim_condition(phrase))] += 2
    for document in documents:
        if document.units and document.units[0].kind == "heading":
            title = re.split(r"[:|(]| - ", fold(document.units[0].text))[0].strip()
            if 1 <= len(title.split()) <= 3:
                counts[variant_key(title)] += 1
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


def find_synonyms(documents: list[Document], condition: str) -> tuple[str, ...]:
    name = spaced(condition)
    found = set(_captures(documents, (
        rf"\b{name},? \(?(?:also (?:called|known as)|or|sometimes called)"
        rf" ([a-z][\w'-]*(?: [a-z][\w'-]*){{0,2}})",
        rf"\b{name} \(([a-z]{{2,6}})\)",
        rf"\b([a-z][\w'-]*(?: [a-z][\w'-]*)?) \({name}\)",
    )))
    return tuple(sorted(s for s in found if s not in STOP_WORDS and s != condition))
