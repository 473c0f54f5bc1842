"""Plain text, Markdown and HTML into blocks: headings, paragraphs and list items (Markdown
is read by :mod:`.markdown_blocks`, HTML by :mod:`.html_blocks`, plain text here).

Lists are recognised by layout, not only by bullet characters: after an introduction that
ends with a colon, the following short lines are its items (across blank lines) until a
heading or a paragraph; a run of short sentence-case lines under a heading is a list, a run
of Title Case lines is a menu. Every block keeps the offsets of its characters.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from quizapp.generation.boilerplate import is_boilerplate
from quizapp.generation.html_blocks import html_blocks
from quizapp.generation.markdown_blocks import BULLET_RE, markdown_blocks
from quizapp.generation.pieces import Block, Piece

_TERMINAL = ".!?"
JOINING_WORDS = frozenset(
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
FINITE_VERB_RE = re.compile(
    r"\b(?:is|are|was|were|can|may|might|will|should|tends?|causes?|occurs?|has|helps?)\b",
    re.IGNORECASE,
)

# An item line after an introduction has at most this many words; a longer line is prose.
MAX_ITEM_WORDS = 25
# A term that a gloss follows ("Term. Explanation ...") has at most this many words.
MAX_TERM_WORDS = 8
# Short lines, one after another, of which this many make a menu or an unmarked list.
MIN_RUN = 3
# A line of an unmarked list with a verb and this many words is prose: the list has ended.
MIN_PROSE_WORDS = 10


def _word_count(text: str) -> int:
    return len(text.split())


def is_heading_line(text: str) -> bool:
    """A short line that is not a sentence: a heading, a menu entry or a caption."""
    stripped = text.strip()
    if not stripped or _word_count(stripped) > 12:
        return False
    if re.search(r"[.!?;]\s|:\s+\S", stripped):
        return False  # sentences, and "Tests may include: A B C" squeezed onto a line
    if stripped.endswith("?"):
        return True
    return stripped[-1] not in _TERMINAL + ":," and stripped[0].isupper()


def is_title_case(text: str) -> bool:
    tokens = text.split()
    if not tokens or len(tokens) > 7 or any(c.isdigit() for c in text):
        return False
    return tokens[0][0].isupper() and all(t[0].isupper() for t in tokens if len(t) >= 4)


def detect_format(name: str, text: str) -> str:
    head = text[:2000].lower()
    if re.search(r"<(?:!doctype html|html|body|p|div|h[1-6]|ul|li)\b", head):
        return "html"
    if PurePath(name).suffix.lower() in (".md", ".markdown"):
        return "md"
    return "text"


def _logical_lines(text: str, repeated: frozenset[str]) -> list[tuple[Piece, bool]]:
    """Lines with the breaks a page layout put inside sentences rejoined, each with whether
    a blank line follows it; repeated menu lines left out."""
    lines = [line.clean() for line in Piece.lines(text)]
    logical: list[tuple[Piece, bool]] = []
    index = 0
    while index < len(lines):
        current = lines[index]
        index += 1
        if not current.text:
            if logical:
                logical[-1] = (logical[-1][0], True)
            continue
        run = [current]
        # In a list after "...:", a line starting in lower case is the next entry, unless
        # the line before it stops on a joining word or the line opens with punctuation.
        in_list = bool(logical) and logical[-1][0].text.endswith(":")
        while (
            index < len(lines)
            and lines[index].text
            and _continues(run[-1], lines[index])
            and not (in_list and not _broken_mid_phrase(run[-1], lines[index]))
        ):
            run.append(lines[index])
            index += 1
        joined = Piece.join_lines(run)
        if " ".join(joined.text.lower().split()) in repeated:
            continue
        logical.append((joined, False))
    if logical:
        logical[-1] = (logical[-1][0], True)
    return logical


def reads_as_item(text: str) -> bool:
    """A line a list holds: one short sentence, or a short term followed by its gloss."""
    if is_boilerplate(text) or text.endswith("?"):
        return False
    if not re.search(r"[.!?]\s", text):
        return _word_count(text) <= MAX_ITEM_WORDS
    return _is_term_gloss(text)


def _is_term_gloss(text: str) -> bool:
    """ "Term. Explanation ..." or "Term: explanation": a short verbless term first."""
    term = re.match(r"^([^.!?:]+)[.:]\s", text)
    return (
        term is not None
        and _word_count(term.group(1)) <= MAX_TERM_WORDS
        and not _has_verb(term.group(1))
    )


def _entry_words(text: str) -> int:
    term = re.match(r"^([^.!?:]+)[.:]\s", text)
    return _word_count(term.group(1) if term and _is_term_gloss(text) else text)


def _has_verb(text: str) -> bool:
    return bool(FINITE_VERB_RE.search(text))


def _plain_blocks(text: str, repeated: frozenset[str] = frozenset()) -> list[Block]:
    logical = _logical_lines(text, repeated)
    blocks: list[Block] = []
    pending_break = False
    list_open = False  # an introduction ending with a colon opened a list still going on
    longest_item = 0  # words of the longest entry of that list (of its term, for a gloss)
    runs = _short_runs(logical)
    for position, (line, blank_after) in enumerate(logical):
        following = logical[position + 1][0].text if position + 1 < len(logical) else ""
        bullet = BULLET_RE.match(line.text)
        if bullet:
            blocks.append(Block("item", line[bullet.end() :].strip(), pending_break))
            pending_break = blank_after
            list_open = False  # a marked list ends at the first unmarked line
            continue
        heading_like = is_heading_line(line.text)
        heading_before_text = (
            heading_like
            and bool(following)
            and not reads_as_item(following)
            and not is_boilerplate(following)
        )
        ends_list = heading_before_text or (
            longest_item > 0
            and not _is_term_gloss(line.text)
            and bool(FINITE_VERB_RE.search(line.text))
            and _word_count(line.text) >= max(MIN_PROSE_WORDS, 2 * longest_item)
        )
        if list_open and reads_as_item(line.text) and not ends_list:
            blocks.append(Block("item", line, False))
            pending_break = blank_after
            longest_item = max(longest_item, _entry_words(line.text))
            continue
        longest_item = 0
        list_open = line.text.endswith(":")
        if heading_like:
            run, title_case = runs[position]
            if run >= MIN_RUN and title_case:
                kind = "nav"
            elif (
                blocks
                and blocks[-1].kind in ("heading", "item")
                and run >= MIN_RUN
                and following
                and (reads_as_item(following) or is_heading_line(following))
            ):
                kind = "item"  # an unmarked list under a heading, one entry a line
            else:
                kind = "heading"
            blocks.append(Block(kind, line, kind != "item"))
            pending_break = kind != "item"
            continue
        para, tail = _split_trailing_heading(line) if blank_after else (line, None)
        blocks.append(Block("para", para, pending_break))
        if tail is not None:
            blocks.append(Block("heading", tail, True))
        pending_break = blank_after
    return blocks


def _short_runs(logical: list[tuple[Piece, bool]]) -> list[tuple[int, bool]]:
    """For each line, the length of the run of short lines around it, and whether most of
    the run's lines are Title Case or clutter (a menu) rather than sentence case (a list).

    A run is broken by a blank line or by a line that reads as text. Counted in one pass
    each way, so a page of thousands of short lines costs no more than its length.
    """

    def short(text: str) -> bool:
        return (is_heading_line(text) and not text.endswith("?")) or is_boilerplate(text)

    def menu_like(text: str) -> bool:
        """Clutter, or Title Case with at least two capitalised words ("Health Topics"; not
        "Older age")."""
        long_words = [t for t in text.split() if len(t) >= 4]
        return is_boilerplate(text) or (len(long_words) > 1 and is_title_case(text))

    flags = [short(line.text) for line, _ in logical]
    menus = [menu_like(line.text) for line, _ in logical]
    linked = [not blank_after for _, blank_after in logical]
    starts = [0] * len(logical)
    for i in range(1, len(logical)):
        if flags[i - 1] and flags[i] and linked[i - 1]:
            starts[i] = starts[i - 1]
        else:
            starts[i] = i
    result: list[tuple[int, bool]] = [(1, False)] * len(logical)
    i = 0
    while i < len(logical):
        j = i
        while j + 1 < len(logical) and starts[j + 1] == starts[i]:
            j += 1
        size = j - i + 1
        phrases = sum(
            1 for k in range(i, j + 1) if _word_count(logical[k][0].text) > 1 and not menus[k]
        )
        title_case = phrases * 2 < size
        for k in range(i, j + 1):
            result[k] = (size, title_case)
        i = j + 1
    return result


def _continues(current: Piece, following: Piece) -> bool:
    """Whether ``following`` is the rest of a sentence that a page layout broke.

    ``current`` is the last line read so far; a joined line ends the way its last line does.
    """
    if current.text[-1] in _TERMINAL + ":" or BULLET_RE.match(following.text):
        return False
    first = following.text[0]
    if first.islower() or first in ".,;:)":
        return True
    last_word = current.text.split()[-1].lower()
    return last_word in JOINING_WORDS


def _broken_mid_phrase(current: Piece, following: Piece) -> bool:
    return (
        following.text[0] in ".,;:)"
        or current.text.split()[-1].lower() in JOINING_WORDS
        or current.text[-1] in ",-"
    )


def _split_trailing_heading(line: Piece) -> tuple[Piece, Piece | None]:
    """Split off a heading glued to the end of a paragraph ("... tissue. Causes")."""
    text = line.text
    cut = max(text.rfind(". "), text.rfind("? "), text.rfind("! "))
    if cut < 0:
        return line, None
    tail = text[cut + 2 :]
    if is_title_case(tail) and not any(c in tail for c in ".:;,"):
        return line[: cut + 1], line[cut + 2 :]
    return line, None


def read_blocks(text: str, fmt: str, repeated: frozenset[str] = frozenset()) -> list[Block]:
    if fmt == "html":
        return html_blocks(text)
    if fmt == "md":
        return markdown_blocks(text)
    return _plain_blocks(text, repeated)
