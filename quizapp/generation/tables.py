"""Markdown tables (as converted PDF, DOCX and PPTX handouts hold them) read as statements.

A row under a header reads as a label line naming the row, then what each column says about
it: "| Type 1 | autoimmune reaction |" under "| Type | Causes |" reads "Type 1: causes include
autoimmune reaction", so a table of types and their causes files each cause under its type.
The added words point at the header cell they come from.
"""

from __future__ import annotations

import re

from quizapp.generation.pieces import Piece


def table_cells(raw: Piece) -> list[Piece]:
    cells = []
    position = 0
    for match in re.finditer(r"\|", raw.text):
        cells.append(raw[position : match.start()].strip())
        position = match.end()
    cells.append(raw[position:].strip())
    return [cell for cell in cells if cell.text]


def _words(text: str, anchor: int) -> Piece:
    return Piece(text, [anchor] * len(text))


def table_row(cells: list[Piece], header: list[Piece]) -> Piece:
    if not cells:
        return Piece()
    parts = [cells[0]]
    for column, cell in enumerate(cells[1:], start=1):
        parts.append(_words(": " if column == 1 else "; ", cell.start))
        if column < len(header):
            name = header[column]
            parts.append(Piece(name.text.lower(), name.offsets))
            parts.append(_words(" include ", name.end - 1))
        parts.append(cell)
    parts.append(_words(".", parts[-1].end - 1))
    return Piece.concat(parts)
