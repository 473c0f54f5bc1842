"""Cloze gaps (``{{c1::answer}}``, ``{{c2::answer::hint}}``) found by a scanner, not a regex.

Pure Python. A gap runs from ``{{c<digits>::`` to the first ``}}`` after it; its answer ends
at the first ``::`` inside (the rest is the hint), as Anki reads flat clozes. The scanner
looks at each character a bounded number of times, so text of any shape costs time linear
in its length; the pattern it replaces backtracked cubically on text such as
``"{{c1::" * n`` (6,000 characters took 16 seconds).

Gap numbers are bounded by :data:`MAX_CLOZE_NUMBER` wherever a card is validated, so every
ordinal fits the 32-bit columns it is stored in and the cards Anki makes on export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Anki's own ceiling: it files {{c501::...}} and above under card c500 (checked with the
# anki library: c5000 and c65535 give ordinal 499, c70000 wraps round to 0). Each number is a
# side scheduled for every learner, so the bound also keeps one note's rows in check.
MAX_CLOZE_NUMBER = 500

_OPEN = "{{c"
_SEPARATOR = "::"
_CLOSE = "}}"


@dataclass(frozen=True)
class ClozeGap:
    start: int  # index of the opening "{{"
    end: int  # index just past the closing "}}"
    number_text: str  # the digits as written, possibly far too long to be a real number
    answer: str
    hint: str | None

    @property
    def number(self) -> int | None:
        """The gap's number if it is one a card can have (1..MAX_CLOZE_NUMBER), else None."""
        return _gap_number(self.number_text)


def _gap_number(number_text: str) -> int | None:
    if len(number_text) > len(str(MAX_CLOZE_NUMBER)):
        return None
    value = int(number_text)
    return value if 1 <= value <= MAX_CLOZE_NUMBER else None


def _gap_spans(text: str) -> Iterator[tuple[int, int, int]]:
    """Where each gap is: the index of its "{{", of the "::" after its digits, and of its
    "}}"; left to right, none overlapping."""
    position = 0
    while True:
        start = text.find(_OPEN, position)
        if start < 0:
            return
        digits_end = start + len(_OPEN)
        while digits_end < len(text) and text[digits_end] in "0123456789":
            digits_end += 1
        if digits_end == start + len(_OPEN) or not text.startswith(_SEPARATOR, digits_end):
            position = start + 1
            continue
        close = text.find(_CLOSE, digits_end + len(_SEPARATOR))
        if close < 0:
            # No "}}" anywhere after this opening, so none after any later opening either.
            return
        yield start, digits_end, close
        position = close + len(_CLOSE)


def cloze_gaps(text: str) -> Iterator[ClozeGap]:
    """Every gap in ``text``, left to right, none overlapping."""
    for start, digits_end, close in _gap_spans(text):
        body = text[digits_end + len(_SEPARATOR) : close]
        answer, separator, hint = body.partition(_SEPARATOR)
        yield ClozeGap(
            start=start,
            end=close + len(_CLOSE),
            number_text=text[start + len(_OPEN) : digits_end],
            answer=answer,
            hint=hint if separator else None,
        )


def has_cloze_gap(text: str) -> bool:
    return next(_gap_spans(text), None) is not None


def replace_cloze_gaps(text: str, replace: Callable[[ClozeGap], str]) -> str:
    """``text`` with each gap replaced by what ``replace`` returns for it."""
    pieces = []
    position = 0
    for gap in cloze_gaps(text):
        pieces.append(text[position : gap.start])
        pieces.append(replace(gap))
        position = gap.end
    pieces.append(text[position:])
    return "".join(pieces)


def cloze_problem(text: str) -> str | None:
    """Why ``text`` cannot be a cloze card's prompt, or None."""
    found = False
    for start, digits_end, _ in _gap_spans(text):
        found = True
        number_text = text[start + len(_OPEN) : digits_end]
        if _gap_number(number_text) is None:
            shown = number_text if len(number_text) <= 12 else number_text[:12] + "…"
            return f"has gap number c{shown}; gaps are numbered from c1 to c{MAX_CLOZE_NUMBER}"
    return None if found else "needs a {{c1::...}} gap"
