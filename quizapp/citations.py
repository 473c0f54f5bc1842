"""How a cited source and its sentence read to a person (pure: no Flask, no database).

Source documents are often scraped pages: a sentence may be broken over lines, carry spaces
before its full stop, or come from HTML; a document may be stored under a machine-made file
name and have no title of its own.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from .formats.sanitize import plain_text

# Long enough for any real sentence; a span without full stops may run on for pages.
MAX_SENTENCE_CHARS = 600
OPENING_WORDS = 8

_SPACE_RE = re.compile(r"\s+")
# A space before closing punctuation; before "." only at a sentence end, so ".5 mg" stays.
# A match starts only where a run of white space starts, so no run is rescanned from each of
# its characters (linear on any text).
_SPACE_BEFORE_RE = re.compile(r"(?<!\s)\s+(?=[,;:!?)\]]|\.(?:\s|$|[.,;:!?)\]]))")
_SPACE_AFTER_OPENING_RE = re.compile(r"(?<=[(\[])\s+")
_BULLET_RE = re.compile(r"^(?:[-*•·–—▪◦●]\s*)+")
_HTML_NAME_RE = re.compile(r"\.html?$", re.IGNORECASE)
_DOCUMENT_SUFFIX_RE = re.compile(r"\.(?:txt|md|markdown|html?|pdf|docx?|pptx?|odt|rtf)$",
                                 re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W\d_]{3,}")
_HEX_RUN_RE = re.compile(r"^[0-9a-f]*[0-9][0-9a-f]*$", re.IGNORECASE)


def clean_sentence(span: str, *, html: bool = False) -> str:
    """The cited span as one tidy line: whitespace collapsed, no space before punctuation."""
    text = plain_text(span) if html else span
    text = _SPACE_RE.sub(" ", text).strip()
    text = _BULLET_RE.sub("", text)
    text = _SPACE_BEFORE_RE.sub("", text)
    text = _SPACE_AFTER_OPENING_RE.sub("", text)
    if len(text) > MAX_SENTENCE_CHARS:
        cut = text[:MAX_SENTENCE_CHARS].rsplit(" ", 1)[0]
        text = cut.rstrip(" ,;:") + "…"
    return text


def is_html_name(name: str) -> bool:
    return bool(_HTML_NAME_RE.search(name or ""))


def document_label(title: str, name: str, text: str | None) -> str:
    """What to call a source document: its own title, never a machine-made file name.

    Without a title, a file name made of words reads well enough ("heart-failure notes");
    one made of numbers and hashes says nothing, so the document's opening words stand in.
    """
    title = _SPACE_RE.sub(" ", title or "").strip()
    if title and title != name and not _looks_like_file_name(title):
        return title
    words = _name_words(name)
    if words:
        return words[:1].upper() + words[1:]
    opening = _opening_words(text or "", html=is_html_name(name))
    if opening:
        return f"Untitled document beginning “{opening}”"
    return "Untitled document"


def located_label(label: str, name: str, location: str) -> str:
    """A converted document's citation: "Lecture notes (handout.pdf), page 3". The file name
    is what a person opens to find the page again, so it is shown when it is made of words."""
    if _name_words(name) and name not in label:
        label = f"{label} ({name})"
    return f"{label}, {location}"


def _looks_like_file_name(text: str) -> bool:
    return " " not in text and bool(_DOCUMENT_SUFFIX_RE.search(text))


def _name_words(name: str) -> str:
    """The file name's stem as words, or "" when it has none (digits, hashes)."""
    stem = _DOCUMENT_SUFFIX_RE.sub("", PurePath(name or "").name)
    tokens = [t for t in re.split(r"[\s_.\-]+", stem) if t]
    if not any(_WORD_RE.search(t) and not _HEX_RUN_RE.match(t) for t in tokens):
        return ""
    return " ".join(tokens)


def _opening_words(text: str, *, html: bool) -> str:
    head = text[:4000]
    if html:
        head = re.sub(r"(?is)<(script|style|title|head)\b.*?</\1\s*>", " ", head)
        head = plain_text(head)
    words = head.split()[:OPENING_WORDS + 1]
    for count, word in enumerate(words[:OPENING_WORDS], start=1):
        if word.endswith((".", "!", "?")):
            return " ".join(words[:count]).rstrip(".")  # a whole first sentence
    opening = " ".join(words[:OPENING_WORDS]).rstrip(" ,;:")
    return opening + ("…" if len(words) > OPENING_WORDS else "")
