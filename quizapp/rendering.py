"""Turning a stored card side into what a learner sees (no Flask import).

Card HTML was sanitized when it was stored; it is sanitized again here so that nothing in
the database, however it got there, reaches a page unsanitized.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from .cloze import ClozeGap, replace_cloze_gaps
from .formats.sanitize import sanitize_html

# nh3 writes every attribute double-quoted and escaped, so this finds each src reliably.
# A tag's inside stops at the next "<", so unclosed "<img<img..." is not rescanned.
IMG_SRC_RE = re.compile(r'(<img\b[^<>]*?\bsrc=")([^"]*)(")')


@dataclass(frozen=True)
class Side:
    front: str
    back: str


def with_media_urls(fragment: str, media_url: Callable[[str], str]) -> str:
    """Point bare image names (as Anki stores them) at the deck's media URL."""

    def replace(match: re.Match) -> str:
        src = html.unescape(match.group(2))
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("/"):
            return match.group(0)
        return match.group(1) + html.escape(media_url(src)) + match.group(3)

    return IMG_SRC_RE.sub(replace, fragment)


def cloze_side(text: str, ordinal: int, *, reveal: bool) -> str:
    """Anki's cloze: the gaps of ``ordinal`` are hidden (or shown marked); others read plainly."""

    def replace(gap: ClozeGap) -> str:
        if gap.number is None or gap.number - 1 != ordinal:
            return gap.answer
        # <mark> survives sanitizing (class attributes do not) and the stylesheet styles it.
        if reveal:
            return f"<mark>{gap.answer}</mark>"
        return f"<mark>[{gap.hint or '…'}]</mark>"

    return replace_cloze_gaps(text, replace)


def card_side(
    kind: str, prompt: str, answer: str, ordinal: int, media_url: Callable[[str], str]
) -> Side:
    """The front and back of one side of a card, safe to insert into a page."""
    if kind == "cloze":
        front = cloze_side(prompt, ordinal, reveal=False)
        back = cloze_side(prompt, ordinal, reveal=True)
        if answer:
            back += "<hr>" + answer
    elif kind == "reversed" and ordinal == 1:
        front, back = answer, prompt
    else:
        front, back = prompt, answer
    return Side(
        front=with_media_urls(sanitize_html(front), media_url),
        back=with_media_urls(sanitize_html(back), media_url),
    )


def safe_html(fragment: str, media_url: Callable[[str], str]) -> str:
    return with_media_urls(sanitize_html(fragment or ""), media_url)
