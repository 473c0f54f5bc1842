"""Read plain text, Markdown or HTML into clean units: headings, sentences and list items.

Every unit keeps the character span it came from in the original text, so a card can point
at the sentence that states its fact. Lists keep their introductions (nested ones too), a
list entry written "Term. Explanation" or "Term: explanation" becomes the term plus the
sentences of its gloss, and page furniture is left out by structure (``blocks``,
``boilerplate``), never by what the page is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from quizapp.generation.blocks import (
    FINITE_VERB_RE,
    JOINING_WORDS,
    MAX_TERM_WORDS,
    detect_format,
    read_blocks,
)
from quizapp.generation.boilerplate import DROPPED_SECTION_RE, is_boilerplate
from quizapp.generation.pieces import Block, Piece

__all__ = ["Document", "Unit", "detect_format", "read_document"]


@dataclass(frozen=True)
class Unit:
    """One heading, sentence or list item, with its place in the document."""

    index: int
    kind: str  # "heading", "sentence" or "item"
    text: str
    start: int
    end: int
    block: int
    intro: int | None = None  # for list items: the unit that introduces the list
    gloss_of: int | None = None  # for a sentence explaining a list entry: that entry
    level: int = 0  # for headings: 1 for a page title ... 6, or 0 when the format has none


@dataclass
class Document:
    name: str
    text: str
    format: str
    title: str
    units: list[Unit] = field(default_factory=list)


_ABBREVIATIONS = frozenset(
    [
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "u.s",
        "fig",
        "no",
        "approx",
        "ed",
        "eds",
        "ft",
        "in",
        "jr",
        "sr",
        "prof",
        "inc",
    ]
)


_SENTENCE_END_RE = re.compile(r"[.!?](?=\s+[\"“(]?[A-Z0-9])")
_LONGEST_ABBREVIATION = max(len(a) for a in _ABBREVIATIONS) + 2


def _sentences(piece: Piece, start: int = 0) -> Iterator[tuple[int, Piece]]:
    """The sentences of a paragraph from ``start`` on, each with its index in ``piece``.

    Abbreviations and initials do not end a sentence. Lazy, and looks back only a few
    characters at each full stop, so a caller that stops early pays for what it read, not
    for the rest of a huge paragraph.
    """
    text = piece.text

    def stripped(begin: int, end: int) -> Iterator[tuple[int, Piece]]:
        sentence = piece[begin:end].strip()
        if sentence.text:
            raw = text[begin:end]
            yield begin + len(raw) - len(raw.lstrip()), sentence

    for match in _SENTENCE_END_RE.finditer(text, start):
        window_start = max(start, match.start() - _LONGEST_ABBREVIATION)
        before = text[window_start : match.start()].split()
        if before and window_start > start and not text[window_start - 1].isspace():
            before = before[1:]  # cut by the window: longer than any abbreviation
        last = before[-1].lower().rstrip(".") if before else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        yield from stripped(start, match.end())
        start = match.end()
    yield from stripped(start, len(text))


_RUN_ON_TOKEN_RE = re.compile(r"\(|\)|[^\s()]+")


def _run_on_items(
    text: str, start: int
) -> tuple[list[tuple[int, int]], tuple[int, int] | None, int]:
    """Find list items that a page flattened into one line after a colon at ``start``.

    Returns the item spans, a heading glued to the end of the list (if any) and where
    ordinary prose resumes, all as indexes into ``text``. Items begin with a capital letter;
    the list ends at the first segment that reads as a sentence of its own, and nothing after
    that segment is looked at.
    """

    def reads_as_sentence(begin: int, finish: int) -> bool:
        """A segment with a verb of its own (a relative clause's verb belongs to a name)."""
        words = " ".join(text[begin:finish].split()[1:])
        words = re.split(r"\b(?:that|which|who)\b", words)[0]
        return bool(FINITE_VERB_RE.search(words))

    depth = 0
    previous_word = ""
    spans: list[tuple[int, int]] = []
    begin = start
    resume = len(text)
    for match in _RUN_ON_TOKEN_RE.finditer(text, start):
        token = match.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth = max(0, depth - 1)
        else:
            if (
                depth == 0
                and match.start() > start
                and token[0].isupper()
                and previous_word.lower() not in JOINING_WORDS
            ):
                if reads_as_sentence(begin, match.start()):
                    resume = begin
                    break
                spans.append((begin, match.start()))
                begin = match.start()
            previous_word = token
    else:
        if reads_as_sentence(begin, len(text)):
            resume = begin
        else:
            spans.append((begin, len(text)))
    # Single capitalised words closing the line ("... arthritis Home Care") are a heading.
    glued = 0
    while glued < len(spans) and len(text[slice(*spans[-1 - glued])].split()) == 1:
        glued += 1
    heading = None
    if glued >= 2 and resume == len(text):
        heading = (spans[-glued][0], spans[-1][1])
        spans = spans[:-glued]
    return spans, heading, resume


# "Type: Ischemic stroke" is a label line naming what follows, not a list squeezed onto a line.
MAX_LABEL_WORDS = 5
# A list entry "Term. Gloss" or "Term: gloss": the term, then its explanation.
_TERM_RE = re.compile(r"^([^.!?:;()]+?)(?:\.|:)\s+(?=\S)")


class _UnitBuilder:
    def __init__(self) -> None:
        self.units: list[Unit] = []
        self.block = 0

    def add(
        self,
        kind: str,
        piece: Piece,
        intro: int | None = None,
        gloss_of: int | None = None,
        level: int = 0,
    ) -> int | None:
        piece = piece.strip(" ;,")
        if not piece.text:
            return None
        index = len(self.units)
        self.units.append(
            Unit(
                index, kind, piece.text, piece.start, piece.end, self.block, intro, gloss_of, level
            )
        )
        return index

    def new_block(self) -> None:
        self.block += 1

    def add_item(self, piece: Piece, intro: int | None) -> int | None:
        """A list entry; "Term. Gloss" entries become the term and the gloss's sentences."""
        term = _TERM_RE.match(piece.text)
        if (
            term
            and len(term.group(1).split()) <= MAX_TERM_WORDS
            and not FINITE_VERB_RE.search(term.group(1))
        ):
            index = self.add("item", piece[: term.end(1)], intro)
            for _, sentence in _sentences(piece, term.end()):
                if not is_boilerplate(sentence.text):
                    self.add("sentence", sentence, gloss_of=index)
            return index
        return self.add("item", piece, intro)

    def add_paragraph(self, piece: Piece) -> int | None:
        """Add a paragraph's sentences and any flattened lists; return a dangling intro."""
        position = 0  # where the paragraph's unread text begins
        intro: int | None = None
        while True:
            flattened = None
            for begin, sentence in _sentences(piece, position):
                if is_boilerplate(sentence.text):
                    intro = None
                    continue
                colon = sentence.text.find(": ")
                if (
                    colon >= 0
                    and sentence.text[colon + 2 : colon + 3].isupper()
                    and len(sentence.text.split()) > MAX_LABEL_WORDS
                ):
                    flattened = (begin, sentence, colon)
                    break
                index = self.add("sentence", sentence)
                intro = index if sentence.text.endswith(":") else None
            if flattened is None:
                break
            begin, sentence, colon = flattened
            intro = self.add("sentence", sentence[: colon + 1])
            spans, heading, position = _run_on_items(piece.text, begin + colon + 2)
            for begin, finish in spans:
                self.add("item", piece[begin:finish], intro)
            if heading is not None:
                self.new_block()
                self.add("heading", piece[heading[0] : heading[1]])
            intro = None
        return intro


def _units_from_blocks(blocks: list[Block]) -> list[Unit]:
    builder = _UnitBuilder()
    dropping_section = False
    last_intro: int | None = None  # the unit a following list belongs to
    open_items: list[tuple[int, int]] = []  # (depth, unit) of entries that end with ":"

    for block in blocks:
        text = block.piece.text
        if not text:
            continue
        if block.kind == "nav":
            if DROPPED_SECTION_RE.match(text.strip()):
                dropping_section = True
            last_intro = None
            open_items.clear()
            continue
        if block.kind == "heading":
            if is_boilerplate(text):
                continue
            dropping_section = bool(DROPPED_SECTION_RE.match(text.strip()))
            open_items.clear()
            if not dropping_section:
                builder.new_block()
                last_intro = builder.add("heading", block.piece, level=block.level)
            continue
        if dropping_section or (len(text.split()) <= 25 and is_boilerplate(text)):
            last_intro = None
            continue
        if block.kind == "item":
            if block.list_break:
                open_items.clear()
            while open_items and open_items[-1][0] > block.depth:
                open_items.pop()
            intro: int | None
            if open_items and (open_items[-1][0] < block.depth or block.depth == 0):
                intro = open_items[-1][1]
            else:
                intro = last_intro
            index = builder.add_item(block.piece, intro)
            if index is not None and text.rstrip().endswith(":"):
                open_items.append((block.depth, index))
            continue
        open_items.clear()
        builder.new_block()
        last_intro = builder.add_paragraph(block.piece)
    return builder.units


def read_document(
    name: str, text: str, fmt: str | None = None, repeated: frozenset[str] = frozenset()
) -> Document:
    """Read one document; ``fmt`` ("text", "md", "html") overrides format detection and
    ``repeated`` holds menu lines other pages print too (``boilerplate.repeated_lines``)."""
    fmt = fmt if fmt in ("text", "md", "html") else detect_format(name, text)
    units = _units_from_blocks(read_blocks(text, fmt, repeated))
    return Document(
        name=PurePath(name).name,
        text=text,
        format=fmt,
        title=_title(text, fmt, units) or PurePath(name).name,
        units=units,
    )


def _title(text: str, fmt: str, units: list[Unit]) -> str:
    """The page's own title: its <title>, or its first short heading or line."""
    if fmt == "html":
        match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        candidates = [match.group(1)] if match else []
        candidates += [u.text for u in units if u.kind == "heading"][:1]
    else:
        candidates = [u.text for u in units[:3] if u.kind == "heading"]
    for candidate in candidates:
        cleaned = " ".join(candidate.split())
        if cleaned and len(cleaned.split()) <= 12 and not is_boilerplate(cleaned):
            return cleaned
    return ""
