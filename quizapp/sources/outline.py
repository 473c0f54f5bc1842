"""Markdown-structured text built block by block, remembering where each location begins."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .limits import SourceLimits, check_chars

# C0 controls other than tab and newline, DEL, and lone surrogates: PDF and Office text
# carries them (bullet glyphs, field codes), and PostgreSQL cannot store NUL.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def printable(text: str) -> str:
    return _UNPRINTABLE.sub(" ", text)


@dataclass(frozen=True)
class SourceText:
    name: str
    text: str
    fmt: str
    # (offset, label) pairs in offset order: the label holds from its offset to the next one.
    locations: tuple[tuple[int, str], ...]

    def document(self) -> tuple[str, str, str]:
        """The ``(name, text, fmt)`` triple that :func:`quizapp.generation.generate_deck` reads."""
        return (self.name, self.text, self.fmt)


def location_at(locations, offset: int) -> str | None:
    """The location (e.g. "page 3") holding the character at ``offset``, if the map has one."""
    starts = [start for start, _ in locations]
    index = bisect.bisect_right(starts, offset) - 1
    return locations[index][1] if index >= 0 else None


class Outline:
    def __init__(self, name: str, limits: SourceLimits):
        self.name = name
        self.limits = limits
        self.parts: list[str] = []
        self.length = 0
        self.locations: list[tuple[int, str]] = []
        self._label: str | None = None
        self._last_was_item = False

    def at(self, label: str) -> None:
        """Blocks added from now on are found at ``label``."""
        self._label = label

    def add(self, block: str, *, item: bool = False) -> None:
        block = " ".join(printable(block).split()) if "\n" not in block else printable(block)
        block = block.strip()
        if not block:
            return
        if self.parts:
            # List items stay one list; every other block is a paragraph of its own.
            separator = "\n" if item and self._last_was_item else "\n\n"
            self.parts.append(separator)
            self.length += len(separator)
        self._last_was_item = item
        if self._label and (not self.locations or self.locations[-1][1] != self._label):
            self.locations.append((self.length, self._label))
        self.parts.append(block)
        self.length += len(block)
        check_chars(self.name, self.length, self.limits)

    def heading(self, text: str, level: int = 1) -> None:
        text = " ".join(printable(text).split())
        if text:
            self.add("#" * max(1, min(level, 6)) + " " + text)

    def ends_with_heading(self) -> bool:
        return bool(self.parts) and self.parts[-1].startswith("#")

    def extend_heading(self, text: str) -> None:
        addition = " " + " ".join(printable(text).split())
        self.parts[-1] += addition
        self.length += len(addition)

    def item(self, text: str, ordered: bool = False) -> None:
        text = " ".join(printable(text).split())
        if text:
            self.add(("1. " if ordered else "- ") + text, item=True)

    def table(self, rows: list[list[str]]) -> None:
        lines = []
        for row in rows:
            cells = [" ".join(printable(c).split()).replace("|", "/") for c in row]
            if any(cells):
                lines.append("| " + " | ".join(cells) + " |")
        if lines:
            self.add("\n".join(lines))

    def result(self, fmt: str = "md") -> SourceText:
        return SourceText(
            name=self.name, text="".join(self.parts), fmt=fmt, locations=tuple(self.locations)
        )
