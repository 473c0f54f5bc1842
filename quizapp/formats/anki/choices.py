"""Reading a multiple-choice note's choices and which one is right.

Pure Python, on sanitized markup. Choices come as one field holding an HTML list or one
choice per line (``<br>``, ``<div>`` or newline; leading labels such as "A)" or "1." are
dropped when every line has one, in order), or as one field per choice. The right one is
given as a letter (A-H), a number (1-8) or the text of the choice itself.
"""

from __future__ import annotations

import re

from quizapp.deckfile import MAX_CHOICES
from quizapp.formats.sanitize import plain_text, shows_nothing

CHOICE_LETTERS = "ABCDEFGH"
_LIST_OPEN_RE = re.compile(r"<(ol|ul)\b[^<>]*>", re.IGNORECASE)
_LIST_TAG_RE = re.compile(r"(<(/?)(ol|ul|li)\b[^<>]*>)", re.IGNORECASE)
_LINE_BREAKS = ("<br>", "<br/>", "<br />", "</div>", "</p>", "\r")
_LINE_OPENINGS = ("<div>", "<p>")
_LABEL_RE = re.compile(r"\(?([A-Ha-h]|[1-8])[.):]\s+")


def list_items(markup: str) -> list[str] | None:
    """The items of a field that holds one HTML list (or bare ``<li>`` items), else None.

    Works on sanitized markup, whose tags are balanced, so counting list tags finds where
    each top-level item ends even when an item holds a list of its own.
    """
    inner = markup.strip()
    wrapper = _LIST_OPEN_RE.match(inner)
    if wrapper:
        closing = f"</{wrapper.group(1).lower()}>"
        if not inner.lower().endswith(closing):
            return None
        inner = inner[wrapper.end() : -len(closing)]
    if inner.startswith("<li>") and inner.endswith("</li>"):
        # The common list, items side by side and none holding a list tag of its own (the
        # pieces joined are searched once), read without walking its tags.
        pieces = inner[4:-5].split("</li><li>")
        if not _LIST_TAG_RE.search("\x1f".join(pieces)):
            return [piece.strip() for piece in pieces]
    # The text before the first list tag, then for each: the tag, "/" or "", its name and the
    # text after it (split, not a match object per tag: a choice list is read per note).
    parts = _LIST_TAG_RE.split(inner)
    items: list[str] = []
    item: list[str] = []
    depth = 0
    for index in range(1, len(parts), 4):
        tag, slash, name, after = parts[index : index + 4]
        if depth == 0:
            if slash or name.lower() != "li" or parts[index - 1].strip():
                return None
            item = [after]
            depth = 1
            continue
        depth += -1 if slash else 1
        if depth == 0:
            if name.lower() != "li":
                return None
            items.append("".join(item).strip())
        else:
            item += (tag, after)
    if depth != 0 or parts[-1].strip():
        return None
    return items


def choice_lines(markup: str) -> list[str]:
    """The choices of one field: its list items, or its non-blank lines."""
    items = list_items(markup)
    if items is not None:
        return items
    text = markup
    for separator in _LINE_BREAKS:
        text = text.replace(separator, "\n")
    for opening in _LINE_OPENINGS:
        text = text.replace(opening, "")
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    matches = [_LABEL_RE.match(line) for line in lines]
    labels = [label for label in matches if label is not None]
    if lines and len(labels) == len(lines):
        expected = CHOICE_LETTERS if labels[0].group(1) in "Aa" else "12345678"
        if all(
            label.group(1).upper() == expected[position]
            for position, label in enumerate(labels[: len(expected)])
        ):
            lines = [line[label.end() :] for line, label in zip(lines, labels, strict=True)]
    return lines


def right_choice(choices: list[str], correct_markup: str) -> int | None:
    """The index of the right choice as ``correct_markup`` names it, or None."""
    stated = plain_text(correct_markup)
    if not stated:
        return None
    wanted = stated.casefold()
    for position, choice in enumerate(choices):
        if plain_text(choice).casefold() == wanted:
            return position
    if len(stated) <= 2 and stated.isascii() and stated.isdigit():
        number = int(stated)
        return number - 1 if 1 <= number <= len(choices) else None
    label = stated.upper().strip("().")
    if len(label) == 1 and label in CHOICE_LETTERS[: len(choices)]:
        return CHOICE_LETTERS.index(label)
    return None


def choices_and_correct(
    choices: list[str], correct_markup: str
) -> tuple[tuple[str, ...], int] | None:
    """The choices and the index of the right one, if the fields hold a usable question."""
    correct = right_choice(choices, correct_markup)
    if (
        correct is None
        or not 2 <= len(choices) <= MAX_CHOICES
        or any(shows_nothing(item) for item in choices)
        or len(set(choices)) != len(choices)
    ):
        return None
    return tuple(choices), correct
