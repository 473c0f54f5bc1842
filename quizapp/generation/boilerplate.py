"""Page furniture: what a careful reader skips without reading it for facts.

Clutter is recognised by what it is on any web page (share widgets, ads, credits, copyright
and review lines, reference entries) and by repetition: a menu line a page repeats, or a line
that several different pages print word for word, is furniture. Nothing here depends on
the topic of the page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from quizapp.generation.text import fold

# Lower-case, searched in lower-cased text: a third of the time IGNORECASE takes on a long
# alternation like this one, and every line of a document goes through it.
_BOILERPLATE_RE = re.compile(
    r"advertis|sponsored|getty images|photo credit|image credit|copyright|©|all rights reserved"
    r"|reproduced|javascript|cookies?\b|sign up|subscribe|newsletter|schedule an appointment"
    r"|request an appointment|appointments|read more|related .*topics|review date"
    r"|reviewed (?:by|on)|last reviewed|medically reviewed|medical reviewer|updated by"
    r"|editorial|user agreement|filed under|educational purposes"
    r"|substitute for professional|do not endorse|browse the|share (?:this|on)|sharing features"
    r"|follow us|privacy policy|terms of use|click here|skip to|www\.|\.com\b|\bad\b"
    r"|\b\d{3}[.-]\d{3}[.-]\d{4}\b|\beds?\.|:chap\b|\bet al\b|\bdoi\b|\bpmid\b"
)
# Sections whose content is a list of other pages or of publications, not statements.
DROPPED_SECTION_RE = re.compile(
    r"^(references|sources|bibliography|read more|images|related\b.*|see also|"
    r"further reading|citations?|more on this topic|learn more|resources)$",
    re.IGNORECASE,
)
# Menu lines repeated within a page or printed by several pages have at least this many
# words: a repeated "Causes" or "Diagnosis and Tests" heading is structure (a table of
# contents repeats it), a repeated "Find a care provider" is a menu.
MIN_REPEATED_WORDS = 4
MIN_SHARED_WORDS = 5


def is_boilerplate(text: str) -> bool:
    return bool(_BOILERPLATE_RE.search(text.lower())) or not any(c.isalpha() for c in text)


def _menu_lines(text: str) -> list[str]:
    """Lines that read as menu entries: short, no sentence punctuation, no question."""
    found = []
    for line in text.splitlines():
        folded = " ".join(fold(line).split())
        if (
            folded
            and MIN_REPEATED_WORDS <= len(folded.split()) <= 10
            and folded[-1] not in ".!?:;,"
        ):
            found.append(folded)
    return found


def repeated_lines(texts: Iterable[str]) -> frozenset[str]:
    """Menu lines that one page repeats or that two different pages both print.

    Identical documents count once, so a copy of a page does not turn its headings into
    furniture.
    """
    within: set[str] = set()
    across: Counter[str] = Counter()
    for text in dict.fromkeys(texts):
        lines = Counter(_menu_lines(text))
        within.update(line for line, count in lines.items() if count > 1)
        across.update(lines.keys())
    shared = {
        line
        for line, count in across.items()
        if count > 1 and len(line.split()) >= MIN_SHARED_WORDS
    }
    return frozenset(within | shared)
