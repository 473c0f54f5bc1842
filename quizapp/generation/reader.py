"""Read plain text, Markdown or HTML into clean units: headings, sentences and list items.

Every unit keeps the character span it came from in the original text, so a card can point
at the sentence that states its fact. Web clutter (menus, ads, image credits, copyright and
review lines, disclaimers, widgets) is dropped on the way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePath

from quizapp.generation.text import STOP_WORDS, stem, words


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


@dataclass
class Document:
    name: str
    text: str
    format: str
    title: str
    units: list[Unit] = field(default_factory=list)


@dataclass
class _Block:
    kind: str  # "heading", "nav" (a menu line), "para" or "item"
    piece: Piece
    list_break: bool = False  # a dropped line or blank line stood before this block


# --- boilerplate ----------------------------------------------------------------------

_BOILERPLATE_RE = re.compile(
    r"advertis|sponsored|getty images|photo credit|image credit|copyright|©|all rights reserved"
    r"|reproduced|javascript|cookies?\b|sign up|subscribe|newsletter|schedule an appointment"
    r"|appointments|read more|related .*topics|review date|reviewed (?:by|on)|last reviewed"
    r"|medically reviewed|medical reviewer|updated by|editorial|user agreement|filed under"
    r"|educational purposes|substitute for professional|do not endorse|browse the|share this"
    r"|sharing features|privacy policy|terms of use|click here|www\.|\.com\b|\bad\b"
    r"|\b\d{3}[.-]\d{3}[.-]\d{4}\b|you're all caught up|member badge|author image"
    r"|popular now|video of the day|spotlight|what's causing|learn more about"
    r"|\beds?\.|:chap\b|\bet al\b",
    re.IGNORECASE,
)
_DROPPED_SECTION_RE = re.compile(
    r"^(references|sources|bibliography|read more|images|related\b.*|see also|"
    r"further reading|citations?)$",
    re.IGNORECASE,
)
_TERMINAL = ".!?"
_JOINING_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "or",
        "and",
        "to",
        "your",
        "their",
        "such",
        "as",
        "due",
        "with",
        "by",
        "in",
        "for",
        "from",
        "at",
        "on",
        "called",
    ]
)
_BULLET_RE = re.compile(r"^\s*(?:[•·▪◦‣∙*+-]|\d{1,2}[.)])\s+")
_FINITE_VERB_RE = re.compile(
    r"\b(?:is|are|was|were|can|may|might|will|should|tends?|causes?|occurs?|has|helps?)\b",
    re.IGNORECASE,
)
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


def is_boilerplate(text: str) -> bool:
    return bool(_BOILERPLATE_RE.search(text)) or not any(c.isalpha() for c in text)


def _word_count(text: str) -> int:
    return len(text.split())


def _is_heading_line(text: str) -> bool:
    """A short line that is not a sentence: a heading, a menu entry or a caption."""
    stripped = text.strip()
    if not stripped or _word_count(stripped) > 12:
        return False
    if re.search(r"[.!?]\s", stripped):
        return False
    if stripped.endswith("?"):
        return True
    return stripped[-1] not in _TERMINAL + ":," and stripped[0].isupper()


def _is_title_case(text: str) -> bool:
    tokens = text.split()
    if not tokens or len(tokens) > 7 or any(c.isdigit() for c in text):
        return False
    return tokens[0][0].isupper() and all(t[0].isupper() for t in tokens if len(t) >= 4)


# --- format readers -------------------------------------------------------------------


def detect_format(name: str, text: str) -> str:
    head = text[:2000].lower()
    if re.search(r"<(?:!doctype html|html|body|p|div|h[1-6]|ul|li)\b", head):
        return "html"
    if PurePath(name).suffix.lower() in (".md", ".markdown"):
        return "md"
    return "text"


def _lines(text: str) -> list[Piece]:
    pieces = []
    position = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        pieces.append(Piece.from_span(text, position, position + len(body)))
        position += len(line)
    return pieces


def _plain_blocks(text: str) -> list[_Block]:
    lines = [line.clean() for line in _lines(text)]
    logical: list[tuple[Piece, bool]] = []  # (line, blank line follows)
    index = 0
    while index < len(lines):
        current = lines[index]
        index += 1
        if not current.text:
            if logical:
                logical[-1] = (logical[-1][0], True)
            continue
        run = [current]
        while index < len(lines) and lines[index].text and _continues(run[-1], lines[index]):
            run.append(lines[index])
            index += 1
        logical.append((Piece.join_lines(run), False))
    if logical:
        logical[-1] = (logical[-1][0], True)

    blocks: list[_Block] = []
    pending_break = False
    list_open = False  # the previous line ended with a colon, or was an item of its list
    runs = _heading_runs(logical)
    for position, (line, blank_after) in enumerate(logical):
        bullet = _BULLET_RE.match(line.text)
        if bullet:
            blocks.append(_Block("item", line[bullet.end() :].strip(), pending_break))
            pending_break = blank_after
            continue
        if list_open and _reads_as_item(line.text) and not _is_heading_line(line.text):
            blocks.append(_Block("item", line, False))
            list_open = not blank_after
            pending_break = blank_after
            continue
        list_open = line.text.endswith(":") and not blank_after
        if _is_heading_line(line.text):
            kind = "heading" if runs[position] < 3 else "nav"
            blocks.append(_Block(kind, line, True))
            pending_break = True
            continue
        para, tail = _split_trailing_heading(line) if blank_after else (line, None)
        blocks.append(_Block("para", para, pending_break))
        if tail is not None:
            blocks.append(_Block("heading", tail, True))
        pending_break = blank_after
    return blocks


def _reads_as_item(text: str) -> bool:
    """A short line of one sentence at most, as the entries of a page's lists are."""
    return (
        not is_boilerplate(text)
        and _word_count(text) <= 25
        and not re.search(r"[.!?]\s", text)
        and not text.endswith("?")
    )


def _heading_runs(logical: list[tuple[Piece, bool]]) -> list[int]:
    """For each line, the length of the run of menu-like short lines around it (navigation).

    A run is broken by a blank line or by a line that reads as text. Counted in one pass
    each way, so a page of thousands of short lines costs no more than its length.
    """

    def menu_like(text: str) -> bool:
        return (_is_heading_line(text) and not text.endswith("?")) or is_boilerplate(text)

    menu = [menu_like(line.text) for line, _ in logical]
    linked = [not blank_after for _, blank_after in logical]  # joined to the next line
    before = [0] * len(logical)
    for i in range(1, len(logical)):
        if menu[i - 1] and linked[i - 1]:
            before[i] = before[i - 1] + 1
    after = [0] * len(logical)
    for i in range(len(logical) - 2, -1, -1):
        if menu[i + 1] and linked[i]:
            after[i] = after[i + 1] + 1
    return [b + a + 1 for b, a in zip(before, after, strict=True)]


def _continues(current: Piece, following: Piece) -> bool:
    """Whether ``following`` is the rest of a sentence that a page layout broke.

    ``current`` is the last line read so far; a joined line ends the way its last line does.
    """
    if current.text[-1] in _TERMINAL + ":" or _BULLET_RE.match(following.text):
        return False
    first = following.text[0]
    if first.islower() or first in ".,;:)":
        return True
    last_word = current.text.split()[-1].lower()
    return last_word in _JOINING_WORDS


def _split_trailing_heading(line: Piece) -> tuple[Piece, Piece | None]:
    """Split off a heading glued to the end of a paragraph ("... tissue. Causes")."""
    text = line.text
    cut = max(text.rfind(". "), text.rfind("? "), text.rfind("! "))
    if cut < 0:
        return line, None
    tail = text[cut + 2 :]
    if _is_title_case(tail) and not any(c in tail for c in ".:;,"):
        return line[: cut + 1], line[cut + 2 :]
    return line, None


def _markdown_blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    paragraph: list[Piece] = []  # the lines of the open paragraph
    item_lines: list[Piece] = []  # the lines of the last list item, while it may go on
    pending_break = False

    def close_item() -> None:
        if item_lines:
            blocks[-1].piece = Piece.join_lines(item_lines)
            item_lines.clear()

    def flush() -> None:
        joined = Piece.join_lines(paragraph)
        if joined.text:
            close_item()
            blocks.append(_Block("para", joined, pending_break))
        paragraph.clear()

    in_code = False
    for raw in _lines(text):
        line = raw.text
        if line.lstrip().startswith("```"):
            in_code = not in_code
            flush()
            continue
        if in_code:
            continue
        if not line.strip():
            flush()
            pending_break = True
            continue
        heading = re.match(r"^\s{0,3}#{1,6}\s+", line)
        bullet = _BULLET_RE.match(line)
        if heading:
            flush()
            close_item()
            body = raw[heading.end() :]
            blocks.append(_Block("heading", _strip_markdown(body.strip("# ")), True))
            pending_break = False
        elif bullet:
            flush()
            close_item()
            item = _strip_markdown(raw[bullet.end() :])
            blocks.append(_Block("item", item, pending_break))
            item_lines.append(item)
            pending_break = False
        elif item_lines and not paragraph and line[:1].isspace():
            item_lines.append(_strip_markdown(raw))
        else:
            paragraph.append(_strip_markdown(raw))
    flush()
    close_item()
    return blocks


# No bracket, parenthesis or tag runs past the next opening one: unclosed "![![![..." or
# "[a](" repeated would otherwise be rescanned from every opening (quadratic time).
_MD_INLINE_RE = re.compile(
    r"!\[[^\[\]]*\]\([^()]*\)"  # images: dropped
    r"|\[([^\[\]]*)\]\([^()]*\)"  # links: keep the text
    r"|<[^<>]+>"  # inline tags
    r"|\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`"
)


def _strip_markdown(piece: Piece) -> Piece:
    kept: list[Piece] = []
    position = 0
    for match in _MD_INLINE_RE.finditer(piece.text):
        kept.append(piece[position : match.start()])
        if match.group(1) is not None:
            kept.append(piece[match.start(1) : match.end(1)])
        position = match.end()
    kept.append(piece[position:])
    return Piece.concat(kept).clean()


class _HtmlBlocks(HTMLParser):
    """Collect headings, paragraphs and list items from HTML, skipping page furniture."""

    SKIP_TAGS = frozenset(
        [
            "script",
            "title",
            "style",
            "nav",
            "header",
            "footer",
            "aside",
            "form",
            "noscript",
            "iframe",
            "svg",
            "button",
            "select",
            "template",
            "figure",
            "figcaption",
            "menu",
            "dialog",
        ]
    )
    BLOCK_TAGS = frozenset(
        [
            "p",
            "div",
            "section",
            "article",
            "main",
            "br",
            "tr",
            "td",
            "th",
            "table",
            "dd",
            "dt",
            "blockquote",
            "head",
            "body",
            "html",
            "ul",
            "ol",
            "dl",
            "pre",
            "address",
        ]
    )
    HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
    VOID_TAGS = frozenset(
        [
            "br",
            "img",
            "hr",
            "meta",
            "link",
            "input",
            "area",
            "base",
            "col",
            "embed",
            "source",
            "wbr",
        ]
    )
    CLUTTER_RE = re.compile(
        r"(?:^|[\s_-])(?:ads?|advert\w*|banner|promo\w*|sponsor\w*|cookie\w*|newsletter|"
        r"share|social|sidebar|breadcrumbs?|nav\w*|menu|footer|header|widget|related|"
        r"subscribe|popup|modal|credit|caption)(?:$|[\s_-])",
        re.IGNORECASE,
    )

    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self.source = source
        self.line_starts = [0]
        for match in re.finditer("\n", source):
            self.line_starts.append(match.end())
        self.blocks: list[_Block] = []
        self.current: list[Piece] = []  # the text of the open block, joined when it closes
        self.current_kind = "para"
        self.stack: list[tuple[str, bool]] = []  # (tag, skipping)
        self.pending_break = False

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _flush(self, next_kind: str = "para") -> None:
        piece = Piece.concat(self.current).clean()
        if piece.text:
            self.blocks.append(_Block(self.current_kind, piece, self.pending_break))
            self.pending_break = False
        self.current = []
        self.current_kind = next_kind

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        hidden = "hidden" in attributes or attributes.get("aria-hidden") == "true"
        marker = " ".join(filter(None, (attributes.get("class"), attributes.get("id"))))
        skip = (
            self.skipping
            or tag in self.SKIP_TAGS
            or hidden
            or attributes.get("role") in ("navigation", "banner", "complementary")
            or bool(marker and self.CLUTTER_RE.search(marker))
        )
        if tag in self.HEADING_TAGS:
            self._flush("heading")
        elif tag == "li":
            self._flush("item")
        elif tag in self.BLOCK_TAGS:
            self._flush()
        if tag not in self.VOID_TAGS:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        if not any(open_tag == tag for open_tag, _ in self.stack):
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        if tag in self.HEADING_TAGS or tag == "li" or tag in self.BLOCK_TAGS:
            self._flush()
            if tag in ("ul", "ol"):
                self.pending_break = True

    def handle_data(self, data):
        if not self.skipping:
            start = self._offset()
            self.current.append(Piece(data, list(range(start, start + len(data)))))

    def _reference(self, char: str) -> None:
        if not self.skipping:
            self.current.append(Piece(char, [self._offset()] * len(char)))

    def handle_entityref(self, name):
        from html import unescape

        self._reference(unescape(f"&{name};"))

    def handle_charref(self, name):
        from html import unescape

        self._reference(unescape(f"&#{name};"))

    def close(self):
        super().close()
        self._flush()


def _html_blocks(text: str) -> list[_Block]:
    parser = _HtmlBlocks(text)
    parser.feed(text)
    parser.close()
    return parser.blocks


# --- from blocks to units -------------------------------------------------------------


def _topic_words(blocks: list[_Block]) -> set[str]:
    counts: Counter[str] = Counter()
    for block in blocks:
        if block.kind != "heading":
            counts.update(stem(w) for w in words(block.piece.text) if w not in STOP_WORDS)
    return {word for word, _ in counts.most_common(2)}


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
        return bool(_FINITE_VERB_RE.search(" ".join(text[begin:finish].split()[1:])))

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
                and previous_word.lower() not in _JOINING_WORDS
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


class _UnitBuilder:
    def __init__(self) -> None:
        self.units: list[Unit] = []
        self.block = 0

    def add(self, kind: str, piece: Piece, intro: int | None = None) -> int | None:
        piece = piece.strip(" ;,")
        if not piece.text:
            return None
        index = len(self.units)
        self.units.append(Unit(index, kind, piece.text, piece.start, piece.end, self.block, intro))
        return index

    def new_block(self) -> None:
        self.block += 1

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
                if colon >= 0 and sentence.text[colon + 2 : colon + 3].isupper():
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


def _units_from_blocks(blocks: list[_Block]) -> list[Unit]:
    topic = _topic_words(blocks)
    builder = _UnitBuilder()
    dropping_section = False
    last_intro: int | None = None

    def on_topic(text: str) -> bool:
        return bool({stem(w) for w in words(text)} & topic)

    for block in blocks:
        text = block.piece.text
        if not text:
            continue
        if block.kind == "nav":
            if _DROPPED_SECTION_RE.match(text.strip()):
                dropping_section = True
            last_intro = None
            continue
        if block.kind == "heading":
            if is_boilerplate(text):
                continue
            dropping_section = bool(_DROPPED_SECTION_RE.match(text.strip()))
            if not dropping_section:
                builder.new_block()
                last_intro = builder.add("heading", block.piece)
            continue
        if dropping_section or (_word_count(text) <= 25 and is_boilerplate(text)):
            last_intro = None
            continue
        if block.kind == "item":
            intro_kind = builder.units[last_intro].kind if last_intro is not None else None
            expects_list = intro_kind == "heading" or (
                intro_kind == "sentence" and builder.units[last_intro].text.endswith(":")
            )
            if block.list_break and not expects_list:
                last_intro = None
            if intro_kind != "sentence" and not on_topic(text):
                intro_text = builder.units[last_intro].text if intro_kind else ""
                if not on_topic(intro_text):
                    continue
            builder.add("item", block.piece, last_intro)
            continue
        if not on_topic(text) and not text.endswith(":"):
            last_intro = None
            continue
        builder.new_block()
        last_intro = builder.add_paragraph(block.piece)
    return builder.units


def read_document(name: str, text: str) -> Document:
    fmt = detect_format(name, text)
    if fmt == "html":
        blocks = _html_blocks(text)
    elif fmt == "md":
        blocks = _markdown_blocks(text)
    else:
        blocks = _plain_blocks(text)
    units = _units_from_blocks(blocks)
    return Document(
        name=PurePath(name).name,
        text=text,
        format=fmt,
        title=_title(text, fmt, blocks, units) or PurePath(name).name,
        units=units,
    )


def _title(text: str, fmt: str, blocks: list[_Block], units: list[Unit]) -> str:
    """The page's own title: a short opening line that names the document's topic."""
    topic = _topic_words(blocks)
    if fmt == "html":
        match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        candidates = [match.group(1)] if match else []
        candidates += [u.text for u in units if u.kind == "heading"][:1]
    else:
        candidates = [line.strip(" #") for line in text.splitlines() if line.strip()][:3]
    for candidate in candidates:
        cleaned = " ".join(candidate.split())
        if (
            cleaned
            and _word_count(cleaned) <= 12
            and not is_boilerplate(cleaned)
            and {stem(w) for w in words(cleaned)} & topic
        ):
            return cleaned
    return ""
