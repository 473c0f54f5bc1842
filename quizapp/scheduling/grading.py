"""Turning automatically checked answers into SM-2 grades (0..5, see ``sm2.GRADE_LABELS``).

A learner who picks an option or types an answer does not grade themselves, so the grade is
read from two facts: whether the answer was right, and how long it took.

* **Wrong → 1.** SM-2's failing grades (0–2) differ only in how close the learner came, which
  an auto-checked answer cannot tell; after a wrong answer the app shows the right one, which
  is SM-2's grade 1 ("incorrect; the correct one remembered" once seen). Under the reading in
  ``sm2`` a failing grade does not change EF, so the choice among 0–2 never changes a
  schedule; it only shows in review logs.
* **Right → 5, 4 or 3 by response time.** SM-2 separates a perfect response (5), one after
  hesitation (4) and one recalled with serious difficulty (3). Here that is: at most
  :data:`FAST_SECONDS` (8 s) → 5, at most :data:`MODERATE_SECONDS` (20 s) → 4, slower → 3.
  Eight seconds leaves time to read a short prompt and its options or type a short answer;
  needing over twenty is taken as a struggle. An unknown time (``None``) gives 4, neither
  rewarding nor penalising a missing measurement. Negative or NaN times raise ``ValueError``.

Type-in answers are compared leniently, because a study tool should test memory, not typing:

* The expected answer is card HTML: tags are removed (line-breaking tags such as ``<br>`` and
  ``<p>`` count as spaces) and entities decoded. What the learner typed is plain text.
* :func:`normalize_answer` case-folds, strips accents that Unicode decomposes (é → e; ø and ł
  stay as they are), deletes apostrophes (don't = dont), turns other punctuation into spaces,
  collapses whitespace, and drops one leading English article ("a", "an", "the") when more
  words follow. Only English articles are known.
* An expected answer may list alternatives separated by " / " (slash with whitespace around
  it, so "km/h" stays one answer) or ";"; matching any one is enough.
* One typo is forgiven (an insertion, deletion, substitution, or swap of adjacent characters,
  i.e. optimal-string-alignment distance ≤ 1) when the normalized alternative has at least
  :data:`TYPO_MIN_LENGTH` (6) characters and contains no digit: in a short word one letter is
  often a different word, and in a number one digit is a different number.
* An answer that normalizes to nothing never matches, so a blank submission is always wrong.

Typed text comes from anyone who can register, so its size is bounded before any work: at
most :data:`MAX_ANSWER_CHARS` characters typed, and normalization stops with
:class:`AnswerTooLong` as soon as its output passes :data:`MAX_NORMALIZED_CHARS` (one code
point can decompose into 18, e.g. U+FDFA, so the input bound alone would allow 18-fold growth).
Normalization works one character at a time, so nothing larger than the bound is ever built.
"""

from __future__ import annotations

import difflib
import html
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import nh3

from quizapp.textutil import LINE_BREAKING_TAG, within_one_edit

WRONG_ANSWER_GRADE = 1
FAST_SECONDS = 8.0
MODERATE_SECONDS = 20.0
UNKNOWN_TIME_GRADE = 4
TYPO_MIN_LENGTH = 6
MAX_ANSWER_CHARS = 500
MAX_NORMALIZED_CHARS = 4 * MAX_ANSWER_CHARS

ENGLISH_ARTICLES = frozenset({"a", "an", "the"})
_APOSTROPHES = frozenset("'’‘ʼ`´")
_ALTERNATIVE_SEPARATOR = re.compile(r"(?<=\s)/(?=\s)|;")


class AnswerTooLong(ValueError):
    """Typed text over :data:`MAX_ANSWER_CHARS`, or normalizing past the output bound."""


@dataclass(frozen=True)
class TypeinCheck:
    """How a typed answer compares: ``alternative`` is the accepted text it matched, if any."""

    correct: bool
    exact: bool
    alternative: str | None


def mcq_grade(correct: bool, seconds: float | None) -> int:
    """The SM-2 grade for an answer that was ``correct`` or not, given in ``seconds``."""
    if not isinstance(correct, bool):
        raise TypeError(f"correct must be a bool, got {correct!r}")
    if seconds is not None and (math.isnan(seconds) or seconds < 0):
        raise ValueError(f"response time must be a non-negative number, got {seconds!r}")
    if not correct:
        return WRONG_ANSWER_GRADE
    if seconds is None:
        return UNKNOWN_TIME_GRADE
    if seconds <= FAST_SECONDS:
        return 5
    if seconds <= MODERATE_SECONDS:
        return 4
    return 3


def html_to_text(card_html: str) -> str:
    """The plain text a learner sees for a card's HTML answer."""
    spaced = LINE_BREAKING_TAG.sub(" ", card_html)
    return html.unescape(nh3.clean(spaced, tags=set()))


@lru_cache(maxsize=4096)
def _folded(char: str) -> str:
    """One character as normalization turns it into text (possibly several characters)."""
    # Decomposing before case-folding too catches compatibility capitals such as ℌ → H.
    # Character by character gives the same result as the whole string: NFKD only reorders
    # combining marks, and those are dropped.
    decomposed = unicodedata.normalize(
        "NFKD", unicodedata.normalize("NFKD", char).casefold()
    )
    kept = []
    for part in decomposed:
        if unicodedata.combining(part) or part in _APOSTROPHES:
            continue
        kept.append(" " if unicodedata.category(part).startswith("P") else part)
    return "".join(kept)


def normalize_answer(text: str, limit: int = MAX_NORMALIZED_CHARS) -> str:
    """``text`` reduced to what matters for comparing answers (see module docstring).

    Raises :class:`AnswerTooLong` when ``text`` or its normalized form exceeds ``limit``
    characters, before building anything larger.
    """
    if len(text) > limit:
        raise AnswerTooLong(f"text of {len(text)} characters is over the limit of {limit}")
    kept = []
    size = 0
    for char in text:
        piece = _folded(char)
        size += len(piece)
        if size > limit:
            raise AnswerTooLong(f"text normalizes to over {limit} characters")
        kept.append(piece)
    words = "".join(kept).split()
    if len(words) > 1 and words[0] in ENGLISH_ARTICLES:
        words = words[1:]
    return " ".join(words)


def _forgives_typo(alternative: str) -> bool:
    return len(alternative) >= TYPO_MIN_LENGTH and not any(c.isdigit() for c in alternative)


def check_typein(given: str, expected: str) -> TypeinCheck:
    """Compare the typed ``given`` answer with the card answer ``expected`` (HTML).

    Raises :class:`AnswerTooLong` when ``given`` is over :data:`MAX_ANSWER_CHARS` characters.
    """
    if len(given) > MAX_ANSWER_CHARS:
        raise AnswerTooLong(f"answers are limited to {MAX_ANSWER_CHARS} characters")
    typed = normalize_answer(given)
    if not typed:
        return TypeinCheck(False, False, None)
    typo_match = None
    for alternative in _ALTERNATIVE_SEPARATOR.split(html_to_text(expected)):
        try:
            accepted = normalize_answer(alternative)
        except AnswerTooLong:
            continue  # longer than any typed answer can normalize to, so it cannot match
        if not accepted:
            continue
        if typed == accepted:
            return TypeinCheck(True, True, alternative.strip())
        if typo_match is None and _forgives_typo(accepted) and within_one_edit(typed, accepted):
            typo_match = alternative.strip()
    return TypeinCheck(typo_match is not None, False, typo_match)


def typein_matches(given: str, expected: str) -> bool:
    """Whether the typed ``given`` answer matches the card answer ``expected`` (HTML)."""
    return check_typein(given, expected).correct


def typein_grade(given: str, expected: str, seconds: float | None) -> int:
    """The SM-2 grade for typing ``given`` when ``expected`` was the answer."""
    return mcq_grade(typein_matches(given, expected), seconds)


def _comparison_keys(text: str) -> list[str]:
    return [_folded(char).strip() for char in text]


def mark_differences(
    typed: str, answer: str
) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """``typed`` and ``answer`` as runs of (text, differs), for showing a forgiven typo.

    Characters are compared as normalization sees them, so case and accents are not marked.
    Texts over :data:`MAX_ANSWER_CHARS` come back unmarked (the comparison is quadratic).
    """
    if len(typed) > MAX_ANSWER_CHARS or len(answer) > MAX_ANSWER_CHARS:
        return [(typed, False)], [(answer, False)]
    matcher = difflib.SequenceMatcher(
        None, _comparison_keys(typed), _comparison_keys(answer), autojunk=False
    )
    typed_runs: list[tuple[str, bool]] = []
    answer_runs: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        differs = tag != "equal"
        if i2 > i1:
            typed_runs.append((typed[i1:i2], differs))
        if j2 > j1:
            answer_runs.append((answer[j1:j2], differs))
    return typed_runs, answer_runs
