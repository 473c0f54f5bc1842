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
"""

from __future__ import annotations

import html
import math
import re
import unicodedata

import nh3

WRONG_ANSWER_GRADE = 1
FAST_SECONDS = 8.0
MODERATE_SECONDS = 20.0
UNKNOWN_TIME_GRADE = 4
TYPO_MIN_LENGTH = 6

ENGLISH_ARTICLES = frozenset({"a", "an", "the"})
_APOSTROPHES = frozenset("'’‘ʼ`´")
# Both linear on any text (tests/test_regex_linear_time.py): the optional slash brings its
# own spaces, a tag's inside stops at the next "<", and a separator starts only where a run
# of white space starts, so no run is rescanned from each of its characters.
_LINE_BREAKING_TAG = re.compile(
    r"<\s*(?:/\s*)?(?:br|p|div|li|ul|ol|tr|td|th|h[1-6]|hr|blockquote)\b[^<>]*>",
    re.IGNORECASE,
)
_ALTERNATIVE_SEPARATOR = re.compile(r"(?<!\s)\s+/\s+|;")


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
    spaced = _LINE_BREAKING_TAG.sub(" ", card_html)
    return html.unescape(nh3.clean(spaced, tags=set()))


def normalize_answer(text: str) -> str:
    """``text`` reduced to what matters for comparing answers (see module docstring)."""
    # Decomposing before case-folding too catches compatibility capitals such as ℌ → H.
    compatible = unicodedata.normalize("NFKD", text)
    decomposed = unicodedata.normalize("NFKD", compatible.casefold())
    kept = []
    for char in decomposed:
        if unicodedata.combining(char) or char in _APOSTROPHES:
            continue
        kept.append(" " if unicodedata.category(char).startswith("P") else char)
    words = "".join(kept).split()
    if len(words) > 1 and words[0] in ENGLISH_ARTICLES:
        words = words[1:]
    return " ".join(words)


def _within_one_edit(first: str, second: str) -> bool:
    """Whether optimal-string-alignment distance between the strings is at most 1."""
    if first == second:
        return True
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) == len(second):
        mismatches = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
        if len(mismatches) == 1:
            return True
        if len(mismatches) == 2:
            left, right = mismatches
            return (
                right == left + 1 and first[left] == second[right] and first[right] == second[left]
            )
        return False
    shorter, longer = sorted((first, second), key=len)
    prefix = 0
    while prefix < len(shorter) and shorter[prefix] == longer[prefix]:
        prefix += 1
    return shorter[prefix:] == longer[prefix + 1 :]


def _forgives_typo(alternative: str) -> bool:
    return len(alternative) >= TYPO_MIN_LENGTH and not any(c.isdigit() for c in alternative)


def typein_matches(given: str, expected: str) -> bool:
    """Whether the typed ``given`` answer matches the card answer ``expected`` (HTML)."""
    typed = normalize_answer(given)
    if not typed:
        return False
    for alternative in _ALTERNATIVE_SEPARATOR.split(html_to_text(expected)):
        accepted = normalize_answer(alternative)
        if not accepted:
            continue
        if typed == accepted:
            return True
        if _forgives_typo(accepted) and _within_one_edit(typed, accepted):
            return True
    return False


def typein_grade(given: str, expected: str, seconds: float | None) -> int:
    """The SM-2 grade for typing ``given`` when ``expected`` was the answer."""
    return mcq_grade(typein_matches(given, expected), seconds)
