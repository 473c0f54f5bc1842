"""Turning a stored card side into what a learner sees (no Flask import).

Card HTML was sanitized when it was stored; it is sanitized again here so that nothing in
the database, however it got there, reaches a page unsanitized.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

from . import kinds
from .formats.sanitize import sanitize_html

# nh3 writes every attribute double-quoted and escaped, so this finds each src reliably.
# A tag's inside stops at the next "<", so unclosed "<img<img..." is not rescanned.
IMG_SRC_RE = re.compile(r'(<img\b[^<>]*?\bsrc=")([^"]*)(")')


@dataclass(frozen=True)
class Side:
    """Sanitized HTML, marked safe: a template shows it as it is, without sanitizing it a
    second time."""

    front: Markup
    back: Markup


def with_media_urls(fragment: str, media_url: Callable[[str], str]) -> str:
    """Point bare image names (as Anki stores them) at the deck's media URL."""

    def replace(match: re.Match) -> str:
        src = html.unescape(match.group(2))
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("/"):
            return match.group(0)
        return match.group(1) + html.escape(media_url(src)) + match.group(3)

    return IMG_SRC_RE.sub(replace, fragment)


def card_side(
    kind: str, prompt: str, answer: str, ordinal: int, media_url: Callable[[str], str]
) -> Side:
    """The front and back of one side of a card, safe to insert into a page."""
    front, back = kinds.get(kind).side(prompt, answer, ordinal)
    # Sanitized by nh3 here, so marking it safe is sound.
    return Side(
        front=Markup(with_media_urls(sanitize_html(front), media_url)),
        back=Markup(with_media_urls(sanitize_html(back), media_url)),
    )


def safe_html(fragment: str, media_url: Callable[[str], str]) -> str:
    return with_media_urls(sanitize_html(fragment or ""), media_url)
