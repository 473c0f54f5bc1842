"""Markdown into blocks: ATX headings, paragraphs, list items (a continued item keeps its
indented lines), table rows read with their column names; fenced code is left out and inline
markup (emphasis, links, images, tags) stripped. Every block keeps the offsets of its
characters.
"""

from __future__ import annotations

import re

from quizapp.generation.pieces import Block, Piece
from quizapp.generation.tables import table_cells, table_row

# A bullet or a short number that starts a list item (in plain text as in Markdown).
BULLET_RE = re.compile(r"^\s*(?:[•·▪◦‣∙*+-]|\d{1,2}[.)])\s+")

_TABLE_RULE_RE = re.compile(r"^\s*(?:\|\s*)?:?-{2,}")


def markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
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
            blocks.append(Block("para", joined, pending_break))
        paragraph.clear()

    in_code = False
    header: list[Piece] | None = None  # the column names of the table being read
    for raw in Piece.lines(text):
        line = raw.text
        if not line.lstrip().startswith("|"):
            header = None
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
        heading = re.match(r"^\s{0,3}(#{1,6})\s+", line)
        bullet = BULLET_RE.match(line)
        if heading:
            flush()
            close_item()
            body = raw[heading.end() :]
            level = len(heading.group(1))
            blocks.append(Block("heading", _strip_markdown(body.strip("# ")), True, level))
            pending_break = False
        elif line.lstrip().startswith("|"):
            flush()
            close_item()
            cells = [_strip_markdown(cell) for cell in table_cells(raw)]
            if _TABLE_RULE_RE.match(line) or not cells:
                pass
            elif header is None:
                header = cells  # the first row names the columns
            else:
                row = table_row(cells, header)
                if row.text:
                    blocks.append(Block("para", row, pending_break))
            pending_break = False
            continue
        elif bullet:
            flush()
            close_item()
            item = _strip_markdown(raw[bullet.end() :])
            depth = (len(line) - len(line.lstrip())) // 2
            blocks.append(Block("item", item, pending_break, depth=depth))
            item_lines.append(item)
            pending_break = False
        elif item_lines and not paragraph and line[:1].isspace():
            item_lines.append(_strip_markdown(raw))
        else:
            paragraph.append(_strip_markdown(raw))
    flush()
    close_item()
    return blocks


_MD_INLINE_RE = re.compile(
    # Each part stops at the next opening bracket, so a run of unclosed "[" or "<" is scanned
    # once, not once from each of them.
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
