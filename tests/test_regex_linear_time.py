"""Every regular expression applied to user input runs in linear time on adversarial text.

Time is compared, not bounded: the same work at n and at 8n characters, measured as this
thread's CPU time (other processes on a busy machine do not count), best of three. Linear
work grows about 8-fold; a quadratic pattern grows about 64-fold, a cubic one 512-fold. The
allowed ratio (20) is generous, and a run that stays under a few milliseconds at 8n is too
fast for backtracking to be hiding in it.

Two kinds of check:

* every compiled pattern defined at module level in ``quizapp`` (found by walking the
  package, so a new pattern is checked without anyone listing it) is run with ``finditer``
  over strings built from its own literal pieces: each prefix of the text the pattern
  expects, repeated, or followed by a long run of spaces or letters, which is what makes
  backtracking patterns explode;
* every function that applies inline patterns or the cloze scanner to user input (card
  rendering, sanitizing, answer checking, CSV reading, Anki templates and lists, deck
  generation) is run on the inputs that were found to blow up.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import re
import time

import pytest

import quizapp
from quizapp import kinds
from quizapp.cloze import cloze_gaps, cloze_problem, replace_cloze_gaps
from quizapp.formats.anki.choices import choice_lines, list_items
from quizapp.formats.anki.notetypes import template_references
from quizapp.formats.csv_import import read_csv
from quizapp.formats.sanitize import plain_text, sanitize_html
from quizapp.generation import generate_deck
from quizapp.rendering import card_side, with_media_urls
from quizapp.scheduling.grading import html_to_text, typein_matches
from quizapp.sources.detect import sniff

MAX_GROWTH = 20  # at 8 times the input; linear is about 8
FAST_ENOUGH = 0.003  # seconds at 8n
MAX_PIECES = 12  # prefixes tried per pattern


def _cpu_seconds(function, argument) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        function(argument)
        best = min(best, time.thread_time() - started)
    return best


def growth(function, make_text, *, start: int, most: int) -> tuple[float, float]:
    """CPU seconds at n and at 8n characters, n doubled from ``start`` until the run at n
    is measurable (a millisecond) or n reaches ``most``: a backtracking input stops growing
    early, so its 8n run takes a second, not hours."""
    size = start
    small = _cpu_seconds(function, make_text(size))
    while small < 0.001 and size < most:
        size *= 2
        small = _cpu_seconds(function, make_text(size))
    large = _cpu_seconds(function, make_text(8 * size))
    return small, large


def is_linear(function, make_text, *, start: int = 64, most: int = 2_000) -> bool:
    small, large = growth(function, make_text, start=start, most=most)
    # Without the first bound a linear pattern too fast to time would fail on noise:
    # at these sizes anything super-linear takes far longer than FAST_ENOUGH.
    return large < FAST_ENOUGH or large / max(small, 1e-6) < MAX_GROWTH


# --- module-level patterns, found by walking the package --------------------------------


def module_patterns() -> dict[str, re.Pattern]:
    found: dict[int, tuple[str, re.Pattern]] = {}
    for module_info in pkgutil.walk_packages(quizapp.__path__, "quizapp."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            owners = [(name, value)]
            if isinstance(value, type) and value.__module__ == module.__name__:
                owners = [(f"{name}.{attr}", item) for attr, item in vars(value).items()]
            for label, item in owners:
                if isinstance(item, re.Pattern):
                    found.setdefault(id(item), (f"{module.__name__}.{label}", item))
    return dict(found.values())


_ESCAPE_SAMPLES = {"s": " ", "d": "1", "w": "a", "S": "a", "D": "a", "W": " ", "n": "\n"}


def expected_pieces(pattern: str) -> list[str]:
    """The literal text a pattern expects, piece by piece (classes by one member)."""
    pieces: list[str] = []
    current = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            following = pattern[index + 1]
            index += 2
            if following in "bBAZ":
                continue
            current += _ESCAPE_SAMPLES.get(following, following if not following.isalnum() else "")
            continue
        if char == "[":
            end = pattern.find("]", index + 2)
            members = pattern[index + 1 : end if end > 0 else len(pattern)]
            if current:
                pieces.append(current)
            current = ""
            if members and members[0] != "^":
                sample = members[1] if members[0] == "\\" and len(members) > 1 else members[0]
                pieces.append(_ESCAPE_SAMPLES.get(sample, sample) if members[0] == "\\" else sample)
            index = end + 1 if end > 0 else len(pattern)
            continue
        if char in "()|?*+{}.^$":
            if current:
                pieces.append(current)
            current = ""
            if char == "{":
                closing = pattern.find("}", index)
                if closing > 0 and re.fullmatch(r"[0-9,]+", pattern[index + 1 : closing]):
                    index = closing
            if char == "(" and pattern.startswith("?", index + 1):
                index += 2
                while index < len(pattern) and pattern[index] in ":!=<i":
                    index += 1
                continue
            index += 1
            continue
        current += char
        index += 1
    if current:
        pieces.append(current)
    return [piece for piece in pieces if piece]


def adversarial_texts(pattern: re.Pattern) -> dict[str, object]:
    source = pattern.pattern
    pieces = expected_pieces(source.decode("latin-1") if isinstance(source, bytes) else source)
    texts: dict[str, object] = {}
    for count in range(1, min(len(pieces), MAX_PIECES) + 1):
        prefix = "".join(pieces[:count])
        texts[f"{prefix!r} repeated"] = lambda n, p=prefix: (p * (n // len(p) + 1))[:n]
        texts[f"{prefix!r} then spaces"] = lambda n, p=prefix: p + " " * n
        texts[f"{prefix!r} then letters"] = lambda n, p=prefix: p + "a" * n
    texts["spaces"] = lambda n: " " * n
    return texts


def scans_in_linear_time(pattern: re.Pattern) -> list[str]:
    """The adversarial texts on which ``pattern`` is not linear (empty when it is)."""
    def scan(text: str) -> None:
        subject = text.encode("utf-8") if isinstance(pattern.pattern, bytes) else text
        for _ in pattern.finditer(subject):
            pass

    return [
        label
        for label, make_text in adversarial_texts(pattern).items()
        if not is_linear(scan, make_text)
    ]


PATTERNS = module_patterns()


def test_the_package_walk_finds_the_patterns_on_user_input():
    for name in (
        "quizapp.formats.sanitize.LINE_BREAKING_TAG",  # its home is quizapp.textutil
        "quizapp.rendering.IMG_SRC_RE",
        "quizapp.scheduling.grading._ALTERNATIVE_SEPARATOR",
        "quizapp.formats.anki.choices._LIST_TAG_RE",
        "quizapp.generation.reader._SENTENCE_END_RE",
    ):
        assert name in PATTERNS


@pytest.mark.parametrize(
    "pattern",
    [
        # The cloze pattern and block-boundary pattern this project used before: the check
        # must catch them, or it proves nothing about the patterns it passes.
        r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}",
        r"<\s*/?\s*(?:br|p|div|li)\b[^>]*>",
        r"\s+/\s+|;",
    ],
)
def test_the_check_catches_backtracking_patterns(pattern):
    assert scans_in_linear_time(re.compile(pattern, re.DOTALL))


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_module_pattern_is_linear(name):
    assert scans_in_linear_time(PATTERNS[name]) == []


# --- functions applying inline patterns or the cloze scanner ----------------------------


def _render(prompt: str) -> None:
    card_side("cloze", prompt, "", 0, lambda name: f"/media/{name}")


FUNCTION_CASES = {
    "cloze gaps, unclosed openings": (lambda t: list(cloze_gaps(t)), lambda n: "{{c1::" * (n // 6)),
    "cloze gaps, separators": (lambda t: list(cloze_gaps(t)), lambda n: "{{c1::" + "::" * n + "}"),
    "cloze gaps, digits": (lambda t: list(cloze_gaps(t)), lambda n: "{{c" * (n // 3)),
    "cloze ordinals": (lambda t: kinds.get("cloze").ordinals(t), lambda n: "{{c1::a}}" * (n // 9)),
    "cloze validation": (cloze_problem, lambda n: "{{c" + "9" * n + "::x}}"),
    "cloze replacing": (lambda t: replace_cloze_gaps(t, str), lambda n: "{{c1::a::" * (n // 9)),
    "card rendering": (_render, lambda n: "{{c1::" * (n // 6)),
    "image urls": (lambda t: with_media_urls(t, str), lambda n: "<img " * (n // 5)),
    "sanitizing": (sanitize_html, lambda n: "<br" * (n // 3)),
    "plain text, spaces in a tag": (plain_text, lambda n: "<" + " " * n + "&"),
    "plain text, unclosed tags": (plain_text, lambda n: "<br" * (n // 3) + "&"),
    "typed answer, spaces": (lambda t: typein_matches("x", t), lambda n: " " * n + "x"),
    "typed answer, tags": (html_to_text, lambda n: "<" + " " * n),
    "anki template": (template_references, lambda n: "{{" * (n // 2)),
    "anki choices": (list_items, lambda n: "<li" * (n // 3)),
    "anki choice lines": (choice_lines, lambda n: "A) " * (n // 3)),
    "csv header": (lambda t: _try(read_csv, t, "deck"), lambda n: "front," + " -_" * n),
    "generation, open parentheses": (
        lambda t: generate_deck([("a.txt", t)]),
        lambda n: "Muscle atrophy. " + "a (" * (n // 3),
    ),
    "generation, a long list": (
        lambda t: generate_deck([("a.txt", t)]),
        lambda n: "Types of muscle atrophy: " + "x, " * (n // 3),
    ),
    "generation, a long sentence": (
        lambda t: generate_deck([("a.txt", t)]),
        lambda n: "Disuse atrophy is caused by " + "lack of use and " * (n // 16),
    ),    # Each comment could once be split two ways (2^k tries for k comments before a non-HTML
    # byte): 22 comments took half a second, 30 would take minutes.
    "sniffing a page of comments": (
        lambda t: sniff("page.html", t.encode()), lambda n: "<!-- a -->" * (n // 10) + "x",
    ),
}


def _try(function, *args):
    # Only the time matters here, not whether the text is a valid file.
    with contextlib.suppress(Exception):
        function(*args)


@pytest.mark.parametrize("case", sorted(FUNCTION_CASES))
def test_functions_on_user_input_are_linear(case):
    function, make_text = FUNCTION_CASES[case]
    assert is_linear(function, make_text, start=500, most=64_000)
