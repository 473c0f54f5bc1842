"""A string whose every character remembers where it stood in the original document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class Piece:
    """A string whose every character remembers its offset in the original document."""

    __slots__ = ("offsets", "text")

    def __init__(self, text: str = "", offsets: list[int] | None = None):
        self.text = text
        self.offsets = offsets if offsets is not None else []

    @classmethod
    def from_span(cls, source: str, start: int, end: int) -> Piece:
        return cls(source[start:end], list(range(start, end)))

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, index: slice) -> Piece:
        return Piece(self.text[index], self.offsets[index])

    @classmethod
    def concat(cls, pieces: Iterable[Piece]) -> Piece:
        """All pieces end to end, in time linear in their total length.

        Adding pieces one by one copies the growing text each time, which is quadratic
        on a huge one-line document.
        """
        texts: list[str] = []
        offsets: list[int] = []
        for piece in pieces:
            texts.append(piece.text)
            offsets.extend(piece.offsets)
        return cls("".join(texts), offsets)

    @classmethod
    def lines(cls, text: str) -> list[Piece]:
        """The lines of ``text``, without their line ends, at their offsets."""
        pieces = []
        position = 0
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\r\n")
            pieces.append(cls.from_span(text, position, position + len(body)))
            position += len(line)
        return pieces

    @classmethod
    def join_lines(cls, lines: list[Piece]) -> Piece:
        """Join lines with a space, except before a line that begins with punctuation."""
        parts: list[Piece] = []
        for line in lines:
            if not line.text:
                continue
            if parts and line.text[0] not in ".,;:)!?":
                parts.append(cls(" ", [parts[-1].offsets[-1] + 1]))
            parts.append(line)
        return cls.concat(parts)

    def clean(self) -> Piece:
        """Collapse white space and drop spaces that stand before punctuation."""
        out_chars: list[str] = []
        out_offsets: list[int] = []
        for char, offset in zip(self.text, self.offsets, strict=True):
            if char.isspace() or char in "\u00a0\u200b":
                if out_chars and out_chars[-1] != " " and out_chars[-1] != "(":
                    out_chars.append(" ")
                    out_offsets.append(offset)
                continue
            if char in ".,;:)!?" and out_chars and out_chars[-1] == " ":
                out_chars.pop()
                out_offsets.pop()
            out_chars.append(char)
            out_offsets.append(offset)
        while out_chars and out_chars[-1] == " ":
            out_chars.pop()
            out_offsets.pop()
        return Piece("".join(out_chars), out_offsets)

    def strip(self, chars: str | None = None) -> Piece:
        stripped = self.text.strip(chars)
        if not stripped:
            return Piece()
        begin = self.text.index(stripped)
        return self[begin : begin + len(stripped)]

    @property
    def start(self) -> int:
        return self.offsets[0]

    @property
    def end(self) -> int:
        return self.offsets[-1] + 1


@dataclass
class Block:
    kind: str  # "heading", "nav" (a menu line), "para" or "item"
    piece: Piece
    list_break: bool = False  # a dropped line or blank line stood before this block
    level: int = 0  # a heading's level (1 = the page title) when the format says it
    depth: int = 0  # an item's nesting depth
