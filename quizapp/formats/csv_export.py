"""A deck as CSV, one row per card, readable by :mod:`quizapp.formats.csv_import`.

Pure Python. Columns, in this order (the header row names them):

``kind``
    basic, reversed, cloze, mcq or typein.
``front``
    the question (HTML, as stored).
``back``
    the answer; for a multiple-choice card the right choice's text (which is how the
    importer finds the right choice).
``choices``
    a multiple-choice card's options separated by ``|``. A ``|`` inside an option is
    written as the HTML entity ``&#124;`` so it cannot split the option.
``correct``
    the right choice again, as its text (multiple choice only). Not its number: the
    importer matches a choice's text before trying a number, so with choices such as
    ``3|4|5`` a number would pick the wrong one.
``explanation``, ``tags`` (separated by spaces), ``guid``.

Spreadsheet formula injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is written with a single quote in front (``'=1+1``), so Excel, LibreOffice
and Google Sheets show it as text instead of evaluating it. The quote is part of the cell's
text for any other reader, which must drop it to get the original back (the CSV importer
does).

``build_csv`` returns text; the caller picks the encoding (UTF-8 with a byte-order mark is
what makes Excel read non-ASCII text correctly).
"""

from __future__ import annotations

import csv
import io

from quizapp import kinds
from quizapp.deckfile import CardData, DeckData

CSV_COLUMNS = ("kind", "front", "back", "choices", "correct", "explanation", "tags", "guid")
CHOICE_SEPARATOR = "|"
ESCAPED_SEPARATOR = "&#124;"

# What spreadsheets take as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(cell: str) -> str:
    """The cell with a leading quote if a spreadsheet would otherwise run it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def build_csv(deck: DeckData) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for card in deck.cards:
        writer.writerow([neutralize_formula(cell) for cell in _row(card)])
    return buffer.getvalue()


def _row(card: CardData) -> list[str]:
    choices = ""
    correct = ""
    answer = card.answer
    if kinds.get(card.kind).has_choices and card.correct is not None:
        choices = CHOICE_SEPARATOR.join(
            choice.replace(CHOICE_SEPARATOR, ESCAPED_SEPARATOR) for choice in card.choices
        )
        correct = answer = card.choices[card.correct]
    return [
        card.kind,
        card.prompt,
        answer,
        choices,
        correct,
        card.explanation,
        " ".join(card.tags),
        card.guid,
    ]
