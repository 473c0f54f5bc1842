"""Text helpers that layers which may not import one another share (pure: no app imports)."""

from __future__ import annotations

import re

# Tags that end a line of visible text: their text runs into its neighbours' unless they
# become a space. Linear on any text: the optional slash brings its own spaces (two \s* side
# by side share a run of spaces in quadratically many ways), and a tag's inside stops at the
# next "<", so a text of unclosed "<br<br..." is not rescanned from every opening.
LINE_BREAKING_TAG = re.compile(
    r"<\s*(?:/\s*)?(?:br|p|div|li|tr|td|th|h[1-6]|hr|blockquote|pre|dt|dd|ul|ol|table)\b[^<>]*>",
    re.IGNORECASE,
)


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case ASCII letters and digits joined by single hyphens ("Heart failure" ->
    "heart-failure"); anything else is a separator. Fold accents first to keep their letters."""
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def within_one_edit(first: str, second: str) -> bool:
    """Whether one insertion, deletion, substitution or swap of neighbours turns one into
    the other (or they are equal): optimal-string-alignment distance at most 1."""
    if abs(len(first) - len(second)) > 1:
        return False
    prefix = 0
    while prefix < min(len(first), len(second)) and first[prefix] == second[prefix]:
        prefix += 1
    rest_first, rest_second = first[prefix:], second[prefix:]
    return (
        rest_first[1:] == rest_second[1:]
        or rest_first[1:] == rest_second
        or rest_first == rest_second[1:]
        or (rest_first[:2] == rest_second[1::-1] and rest_first[2:] == rest_second[2:])
    )
