"""HTML into blocks, skipping page furniture (navigation, ads, scripts, footers)."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from quizapp.generation.pieces import Block, Piece


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
        self.blocks: list[Block] = []
        self.current: list[Piece] = []  # the text of the open block, joined when it closes
        self.current_kind = "para"
        self.stack: list[tuple[str, bool]] = []  # (tag, skipping)
        self.pending_break = False
        self.level = 0
        self.list_depth = 0

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _flush(self, next_kind: str = "para") -> None:
        piece = Piece.concat(self.current).clean()
        if piece.text:
            level = self.level if self.current_kind == "heading" else 0
            depth = max(0, self.list_depth - 1) if self.current_kind == "item" else 0
            self.blocks.append(Block(self.current_kind, piece, self.pending_break, level, depth))
            self.pending_break = False
        self.current = []
        self.current_kind = next_kind

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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
            self.level = int(tag[1])
        elif tag == "li":
            self._flush("item")
        elif tag in self.BLOCK_TAGS:
            self._flush()
        if tag in ("ul", "ol", "dl"):
            self.list_depth += 1
        if tag == "dt":
            self._flush("item")
        if tag not in self.VOID_TAGS:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        if not any(open_tag == tag for open_tag, _ in self.stack):
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        if tag in self.HEADING_TAGS or tag == "li" or tag in self.BLOCK_TAGS:
            self._flush()
            if tag in ("ul", "ol", "dl"):
                self.list_depth = max(0, self.list_depth - 1)
                self.pending_break = True

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            start = self._offset()
            self.current.append(Piece(data, list(range(start, start + len(data)))))

    def _reference(self, char: str) -> None:
        if not self.skipping:
            self.current.append(Piece(char, [self._offset()] * len(char)))

    def handle_entityref(self, name: str) -> None:
        self._reference(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self._reference(unescape(f"&#{name};"))

    def close(self) -> None:
        super().close()
        self._flush()


def html_blocks(text: str) -> list[Block]:
    parser = _HtmlBlocks(text)
    parser.feed(text)
    parser.close()
    return parser.blocks
