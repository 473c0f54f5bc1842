"""What text any database and page can hold, and the sizes of card fields (pure).

One home for the limits every reader of cards (deck files, CSV, Anki, the card editor and
the card kinds) checks against.
"""

from __future__ import annotations

MAX_FIELD = 20_000
MAX_CHOICES = 8


def unstorable_text(value: str) -> str | None:
    """Why no database or page can hold ``value`` (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    if value.isascii():  # a flag CPython keeps on every string: no surrogate in it
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not a valid Unicode character)"
    return None


def storable_text(value: str) -> str:
    """``value`` without what :func:`unstorable_text` refuses: NULs dropped, lone surrogates
    replaced, for text the app writes itself from someone else's words."""
    if not unstorable_text(value):
        return value
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def storable_in_place(value: str) -> str:
    """``value`` with each character no database can hold (a NUL, a lone surrogate) turned
    into U+FFFD, one for one, so offsets into it still point at the same places."""
    if not unstorable_text(value):
        return value
    return "".join(
        "\ufffd" if char == "\x00" or "\ud800" <= char <= "\udfff" else char for char in value
    )
