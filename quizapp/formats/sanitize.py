"""Sanitizing card HTML from uploads, and reducing it to plain text for previews.

Pure Python. Every importer passes prompt, answer, explanation and choices through
:func:`sanitize_html`, so nothing that reaches the database can run script in a learner's
browser: only formatting, lists, tables, images and links survive, and URLs are limited to
relative names and http(s) (plus mailto for links).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

import nh3

from quizapp.textutil import LINE_BREAKING_TAG

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col",
        "colgroup", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt",
        "ruby", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "type"},
    "col": {"span"},
    "colgroup": {"span"},
}

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})

_WHITESPACE_RE = re.compile(r"\s+")


def _is_allowed_url(value: str, schemes: frozenset[str]) -> bool:
    candidate = value.strip()
    # A leading "//" is a URL on another host without a scheme; treat it like one.
    if candidate.startswith(("//", "\\\\", "/\\", "\\/")):
        return False
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return False
    if not parts.scheme:
        return True
    return parts.scheme.lower() in schemes


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _is_allowed_url(value, IMAGE_SCHEMES) else None
    if tag == "a" and attribute == "href":
        return value if _is_allowed_url(value, LINK_SCHEMES) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style", "template", "noscript", "iframe", "object"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_filter_attribute,
    url_schemes=set(LINK_SCHEMES),
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)

_TEXT_ONLY = nh3.Cleaner(
    tags=set(),
    clean_content_tags={"script", "style", "template", "noscript", "iframe", "object"},
    attributes={},
    strip_comments=True,
)


# Text without these characters is plain text the parser would hand back unchanged (checked
# over every code point below U+3000 in tests/test_sanitize.py), so it skips the parser:
# imports of large decks sanitize tens of thousands of mostly plain fields.
_PARSER_CHANGES_RE = re.compile("[<>&\x00\r\xa0]")


def sanitize_html(markup: str) -> str:
    """The markup with everything that could run script or load foreign content removed."""
    if not markup:
        return ""
    if not _PARSER_CHANGES_RE.search(markup) or _kept_as_written(markup):
        return markup
    return _CLEANER.clean(markup)


# Markup made only of text, the four entities below and attribute-free tags nested the way
# the HTML parser nests them comes out of the cleaner exactly as it went in (checked against
# nh3 in tests/test_sanitize.py), so it skips the parser too: most fields of real decks are
# text with <b>, <i>, <br>, <div> or a list. Anything else (attributes, other tags, upper
# case, "<" or ">" or "&" of the text's own, a tag left open or closed out of order, a block
# inside a phrase, an item outside its list) goes to the parser.
# Possessive: each piece is told by its first character, so nothing is ever tried twice.
_SIMPLE_MARKUP_RE = re.compile(
    r"(?:[^<>&\x00\r\xa0]++|&(?:amp|lt|gt|nbsp);|</?[a-z][a-z0-9]{0,9}>)*+"
)
_SIMPLE_TAG_RE = re.compile(r"</?[a-z][a-z0-9]{0,9}>")
# Fields of one note type share their tags (say "<b></b><br>"): each sequence up to this
# length is judged once.
_MAX_REMEMBERED_TAGS = 400
_VOID_TAGS = frozenset({"br", "wbr"})
_PHRASE_TAGS = frozenset(
    {
        "abbr", "b", "cite", "code", "del", "em", "i", "ins", "kbd", "mark", "q", "s",
        "samp", "small", "span", "strike", "strong", "sub", "sup", "tt", "u", "var",
    }
)  # fmt: skip
# Blocks that may hold blocks, and blocks that hold only phrases (and close an open one).
_CONTAINER_TAGS = frozenset({"blockquote", "center", "div", "li", "ol", "ul"})
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6"})
_LIST_TAGS = frozenset({"ol", "ul"})


def _kept_as_written(markup: str) -> bool:
    """Whether the parser would hand ``markup`` back unchanged, told by its tags alone."""
    found = _SIMPLE_TAG_RE.findall(markup)
    # Each simple tag holds one "<" and one ">": when they account for all of them, the text
    # between holds none, and only its "&" and control characters remain to be read (most
    # fields have none, so the whole pattern runs on few).
    if markup.count("<") != len(found) or markup.count(">") != len(found):
        return False
    if ("&" in markup or "\x00" in markup or "\r" in markup or "\xa0" in markup) and (
        not _SIMPLE_MARKUP_RE.fullmatch(markup)
    ):
        return False
    return _nests_as_parsed("".join(found))


# All fields of one note are judged at once, joined by a separator no field holds (its
# "\x1f" is Anki's own field separator) that reads as one more tag: every piece the pattern
# finds then opens with "<", which the regex engine searches for quickly.
_SEPARATOR = "<\x1f>"
_SIMPLE_TAG_OR_SEPARATOR_RE = re.compile(r"<(?:/?[a-z][a-z0-9]{0,9}|\x1f)>")


def all_kept_as_written(markups: Sequence[str]) -> bool:
    """Whether :func:`sanitize_html` hands back each of ``markups`` unchanged without the
    parser, told for all of them by one pass over their tags: an Anki note's fields, each
    otherwise read apart. False when that is not found at once (a "&" or a control character
    in any of them, a field holding "\x1f"): then each is sanitized on its own."""
    if not markups:
        return True
    joined = _SEPARATOR.join(markups)
    separators = len(markups) - 1
    if joined.count("\x1f") != separators or (
        "&" in joined or "\x00" in joined or "\r" in joined or "\xa0" in joined
    ):
        return False
    found = _SIMPLE_TAG_OR_SEPARATOR_RE.findall(joined)
    # No simple tag spans a separator, so these are each field's tags in turn, and each piece
    # holds one "<" and one ">": when they account for all of them, no field has one of its own.
    if joined.count("<") != len(found) or joined.count(">") != len(found):
        return False
    skeleton = "".join(found)
    if len(skeleton) > _MAX_REMEMBERED_TAGS:
        return _each_nested_as_parsed.__wrapped__(skeleton)
    return _each_nested_as_parsed(skeleton)


@lru_cache(maxsize=1024)
def _each_nested_as_parsed(skeleton: str) -> bool:
    """Whether each field's tags in ``skeleton`` (between separators) nest as parsed: a note
    type's fields share theirs, so most notes' are judged once."""
    return all(map(_nests_as_parsed, skeleton.split(_SEPARATOR)))


def _nests_as_parsed(tags: str) -> bool:
    """``_nested_as_parsed``, remembered only for sequences short enough to recur."""
    if len(tags) > _MAX_REMEMBERED_TAGS:
        return _nested_as_parsed.__wrapped__(tags)
    return _nested_as_parsed(tags)


@lru_cache(maxsize=1024)
def _nested_as_parsed(tags: str) -> bool:
    """Whether the parser nests a sequence of tags (``"<b></b>"``) as written."""
    if not tags:
        return True
    open_tags: list[str] = []
    in_phrase = 0  # open tags that are not containers: no block may start inside them
    for tag in tags[1:-1].split("><"):
        closing = tag[0] == "/"
        name = tag[1:] if closing else tag
        if closing:
            if not open_tags or open_tags.pop() != name:
                return False
            if name not in _CONTAINER_TAGS:
                in_phrase -= 1
        elif name in _PHRASE_TAGS:
            open_tags.append(name)
            in_phrase += 1
        elif name in _VOID_TAGS:
            continue
        elif in_phrase:
            return False
        elif name == "li":
            if not open_tags or open_tags[-1] not in _LIST_TAGS:
                return False
            open_tags.append(name)
        elif name in _CONTAINER_TAGS:
            open_tags.append(name)
        elif name in _PARAGRAPH_TAGS:
            open_tags.append(name)
            in_phrase += 1
        elif name != "hr":
            return False
    return not open_tags


# In sanitize_html's output every "<" opens a tag (the text's own are escaped) and every
# attribute value is in double quotes, so a tag ends at the first ">" outside quotes. No part
# of the pattern crosses a "<", so no match rescans the rest of a text of unclosed tags.
_SANITIZED_TAG_RE = re.compile(r'<[^<>"]*(?:"[^"<]*"[^<>"]*)*>')


def shows_nothing(sanitized: str) -> bool:
    """Whether markup from :func:`sanitize_html` shows no text (only white space) and no
    image: what :func:`plain_text` would say, mostly without parsing the markup again."""
    first = sanitized[:1]
    if first not in ("", "<", "&") and not first.isspace():
        return False  # sanitized markup opens with text of its own: shown
    if "<img" in sanitized:
        return False
    text = _SANITIZED_TAG_RE.sub("", sanitized) if "<" in sanitized else sanitized
    if "<" in text or ">" in text:
        return not plain_text(sanitized)  # a "<" inside an attribute's value: rare, parsed
    return not html.unescape(text).strip()


def plain_text(markup: str) -> str:
    """The visible text of the markup on one line, entities decoded.

    The result is text, not HTML: callers must escape it again when they render it.
    """
    if not markup:
        return ""
    if not _PARSER_CHANGES_RE.search(markup):
        if markup.isprintable() and "  " not in markup:
            return markup.strip()  # its only white space is single spaces (U+0020)
        return _WHITESPACE_RE.sub(" ", markup).strip()
    spaced = LINE_BREAKING_TAG.sub(" ", markup)
    text = html.unescape(_TEXT_ONLY.clean(spaced))
    return _WHITESPACE_RE.sub(" ", text).strip()
