"""Small text helpers shared by the reader, the extractor and the card writer.

Everything here is about English in general (stop words, plurals, spelling variants);
nothing is specific to one medical condition.
"""

from __future__ import annotations

import re
import unicodedata

from quizapp.textutil import slugify

WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "but",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "your",
        "you",
        "their",
        "them",
        "they",
        "his",
        "her",
        "its",
        "it",
        "this",
        "that",
        "these",
        "those",
        "our",
        "my",
        "we",
        "i",
        "he",
        "she",
        "who",
        "which",
        "what",
        "when",
        "where",
        "how",
        "some",
        "any",
        "all",
        "such",
        "than",
        "then",
        "also",
        "very",
        "more",
        "most",
        "can",
        "may",
        "might",
        "will",
        "would",
        "should",
        "could",
        "do",
        "does",
        "did",
        "not",
        "no",
        "nor",
        "so",
        "if",
        "into",
        "onto",
        "about",
        "over",
        "under",
    ]
)

# Words that change how strongly or how long something happens, not what it is; two names
# that differ only by these describe the same cause.
QUALIFIER_WORDS = frozenset(
    [
        "long",
        "term",
        "high",
        "dose",
        "doses",
        "treatment",
        "therapy",
        "process",
        "related",
        "induced",
        "chronic",
        "prolonged",
        "extended",
        "serious",
        "severe",
        "certain",
        "period",
        "periods",
        "day",
        "days",
        "long-term",
        "common",
        "other",
        "excessive",
        "repeated",
        "frequent",
    ]
)

# Head nouns that name the form something is given in, not what it is: an "exercise
# program" or "exercise plan" is exercise.
GENERIC_HEAD_NOUNS = frozenset(
    [
        "plan",
        "plans",
        "program",
        "programs",
        "programme",
        "programmes",
        "regimen",
        "regimens",
        "routine",
        "routines",
        "schedule",
        "session",
        "sessions",
        "course",
        "courses",
    ]
)

# English derivations a suffix stemmer cannot connect (adjective or participle to noun).
WORD_FORMS = {
    "malnourished": "malnutrition",
    "undernourished": "undernutrition",
    "immobile": "immobility",
    "immobilized": "immobility",
    "inactive": "inactivity",
    "obese": "obesity",
    "aged": "aging",
    "ageing": "aging",
}


# Word-initial prefixes written joined, hyphenated or apart ("postrenal", "post-renal").
PREFIXES = ("pre", "post", "non", "anti", "sub", "intra", "extra", "inter", "hyper", "hypo", "peri")
# General English synonyms that name one thing (compared by stem).
SYNONYMS = {
    "medicine": "drug",
    "medication": "drug",
    "medicament": "drug",
    "disorder": "disease",
    "illness": "disease",
}


def american(word: str) -> str:
    """One spelling for British and American forms: haem/hem, oedema/edema, diarrhoea,
    tumour/tumor, -ise/-ize (not "thromboembolic", where o and e are two syllables)."""
    word = re.sub(r"(?:(?<=^)|(?<=[^aeiou\W]))ae(?=[^aeiou\W])", "e", word)
    if len(word) > 5:
        word = re.sub(r"^oe(?=[a-z])", "e", word)  # oedema, oesophagus, oestrogen
        word = re.sub(r"(?<=h)oea$", "ea", word)  # diarrhoea
        word = re.sub(r"our$", "or", word)
        # only suffixes that are British -ise for certain (not "exercise", "promise")
        word = re.sub(r"isation$", "ization", word)
        word = re.sub(r"(?<=al)is(e|ed|es|ing)$", r"iz\1", word)
    return word


def spelling_pattern(word: str) -> str:
    """A pattern matching ``word`` (already ``american``) in either spelling, a prefix
    joined, hyphenated or apart ("postrenal", "post-renal")."""
    for prefix in PREFIXES:
        if word.startswith(prefix) and len(word) > len(prefix) + 3:
            return re.escape(prefix) + r"[\s-]?" + _british_or_american(word[len(prefix) :])
    return _british_or_american(word)


def _british_or_american(word: str) -> str:
    pattern = re.escape(word)
    pattern = re.sub(r"(?:^|(?<=[^aeiou\\]))e(?=[^aeiou])", "[ao]?e", pattern)
    pattern = re.sub(r"(?<=[a-z])or$", "ou?r", pattern)
    return pattern.replace("iz", "i[sz]")


def fold(text: str) -> str:
    """Lower case without accents or curly quotes, so spelling variants compare equal."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("’", "'").replace("‘", "'").lower()


def words(text: str) -> list[str]:
    return [m.group(0) for m in WORD_RE.finditer(fold(text))]


def stem(word: str) -> str:
    """A deliberately light stemmer: plurals, -ing, -al, final e."""
    word = american(fold(word).replace("'", ""))
    word = WORD_FORMS.get(word, word)
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) >= 5 and word.endswith("ing"):
        word = word[:-3]
    if len(word) > 6 and word.endswith("ical"):
        word = word[:-2]
    if len(word) >= 3 and word.endswith("e"):
        word = word[:-1]
    return word


_SYNONYM_STEMS = {stem(word): stem(same) for word, same in SYNONYMS.items()}


def name_key(text: str, *, drop_qualifiers: bool = True, ordered: bool = False) -> str:
    """A comparison key for an entity name: stems of its content words, sorted, so word order
    ("exposure to noise" / "noise exposure") and general synonyms do not matter.

    ``ordered`` gives the stems in the order written, without synonyms: the stable key a
    card's guid is made from, as earlier versions made it.
    """
    tokens = []
    folded = fold(text).replace("'s ", " ")
    if not ordered:
        folded = re.sub(r"\bbuild[\s-]up\b", "buildup", folded)
    for token in re.split(r"[^a-z0-9']+", folded):
        token = token.strip("'")
        if token.endswith("'s"):
            token = token[:-2]
        if not token or token in STOP_WORDS:
            continue
        if drop_qualifiers and token in QUALIFIER_WORDS:
            continue
        stemmed = stem(token)
        tokens.append(stemmed if ordered else _SYNONYM_STEMS.get(stemmed, stemmed))
    return " ".join(tokens if ordered else sorted(tokens))


def is_acronym(token: str) -> bool:
    return len(token) >= 2 and token.isupper() and token.isalpha()


def acronym_matches(acronym: str, phrase: str) -> bool:
    """Whether ``acronym`` abbreviates ``phrase`` (initials, or letters in order)."""
    letters = acronym.lower()
    parts = [p for p in re.split(r"[\s-]+", fold(phrase)) if p and p not in STOP_WORDS]
    if not parts:
        return False
    if "".join(p[0] for p in parts) == letters:
        return True
    joined = "".join(parts)
    if not joined.startswith(letters[0]):
        return False
    position = 0
    for letter in letters:
        position = joined.find(letter, position)
        if position < 0:
            return False
        position += 1
    return len(parts) == 1


def slug(text: str) -> str:
    """A fact id's piece: accents folded so "Guillain–Barré" and "Guillain-Barre" agree."""
    return slugify(fold(text))


def join_names(names: list[str], conjunction: str = "and") -> str:
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return f"{names[0]} {conjunction} {names[1]}"
    return ", ".join(names[:-1]) + f", {conjunction} {names[-1]}"


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())
