"""Name matching for the generation scorer (issue 12): light normalisation and fragments.

Names are compared after light normalisation only: case, accents, apostrophes, hyphens and
spacing ("build-up" = "buildup" = "build up"), a leading article, plural endings and the
aliases the gold lists. A fragment never matches a longer gold name: "prostate" is not
"enlarged prostate", and it counts as a fragment cause.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


ARTICLES = frozenset({"a", "an", "the"})
# Words a whole name may not start with: a name starting so is the tail of a clause.
BAD_START = _word_set(
    """of to in on at by for from with as and or but nor that which who whom whose when where
    while if because since although though than so this these those it its they them their
    there is are was were be been can could may might must shall should will would do
    does did has have had following include includes including such into onto about
    after before during through via your you our we his her he she"""
)
# Words a whole name may not end with: a name ending so was cut before its head.
BAD_END = BAD_START | ARTICLES | _word_set("other some any all each more not being")
MODALS = _word_set("is are was were can could may might must shall should will would")
RELATIVES = frozenset({"that", "which", "who", "whose", "whom"})
PLACEHOLDERS = frozenset({"following", "etc", "below", "above"})


def _singular(word: str) -> str:
    if len(word) <= 2 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return word


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return stripped.replace("\u2019", "'").replace("\u2018", "'")


def raw_words(name: str) -> list[str]:
    """Lower-case words of a name, hyphens and slashes splitting words, nothing else changed."""
    text = re.sub(r"'s\b", "", _plain(name)).replace("'", "")
    return re.findall(r"[a-z0-9]+", text)


def words(name: str) -> tuple[str, ...]:
    """The normalised words of a name: no leading article, each word singular."""
    tokens = raw_words(name)
    while tokens and tokens[0] in ARTICLES:
        tokens = tokens[1:]
    return tuple(_singular(token) for token in tokens)


def key(name: str) -> str:
    """Equality key: normalised words run together, so hyphen and space variants meet."""
    return "".join(words(name))


def _is_strict_subspan(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    if not part or len(part) >= len(whole):
        return False
    return any(whole[i : i + len(part)] == part for i in range(len(whole) - len(part) + 1))


class NameBook:
    """Canonical names with their aliases; looks a written name up by key."""

    def __init__(self, entries: Mapping[str, Iterable[str]]):
        self.by_key: dict[str, str] = {}
        self.forms: list[tuple[str, tuple[str, ...]]] = []
        for canonical, aliases in entries.items():
            for form in [canonical, *aliases]:
                self.by_key.setdefault(key(form), canonical)
                self.forms.append((canonical, words(form)))

    def find(self, name: str) -> str | None:
        return self.by_key.get(key(name))

    def longer_names_containing(self, name: str) -> list[str]:
        part = words(name)
        return sorted({c for c, whole in self.forms if _is_strict_subspan(part, whole)})


def fragment_reasons(name: str, book: NameBook) -> list[str]:
    """Why a generated cause name is a fragment ([] when it is not).

    A name the gold lists (or one of its aliases) is never a fragment."""
    if book.find(name) is not None:
        return []
    reasons = []
    longer = book.longer_names_containing(name)
    if longer:
        reasons.append(f"part of {longer[0]!r}")
    tokens = raw_words(name)
    if not tokens:
        return ["no words"]
    if tokens[0] in BAD_START:
        reasons.append(f"starts with {tokens[0]!r}")
    if tokens[-1] in BAD_END:
        reasons.append(f"ends with {tokens[-1]!r}")
    if PLACEHOLDERS & set(tokens):
        reasons.append("placeholder")
    for index, token in enumerate(tokens):
        if token in MODALS and not RELATIVES & set(tokens[:index]):
            reasons.append(f"verb {token!r} outside a relative clause")
            break
    for opening, closing in ("()", "[]", "{}"):
        if name.count(opening) != name.count(closing):
            reasons.append("unbalanced brackets")
            break
    return reasons
