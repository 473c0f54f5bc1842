import html
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.formats import sanitize
from quizapp.formats.sanitize import ALLOWED_TAGS, plain_text, sanitize_html, shows_nothing

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<img src=javascript:alert(1)>",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="//evil.example/track.png">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="java&#x09;script:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html,<script>alert(1)</script>">click</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="evil.swf"></object>',
    '<embed src="evil.swf">',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="position:fixed;top:0">overlay</p>',
    '<form action="https://evil.example"><input name=p><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>body{display:none}</style>",
    '<base href="https://evil.example/">',
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    '<a href="#" onclick="alert(1)">x</a>',
    "<!--<img src=x onerror=alert(1)>-->",
    '<img src=x:alert(alt) onerror=eval(src) alt=0>',
    "<<img src=x onerror=alert(1)//<",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def _parsed(markup: str) -> _Collector:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_hostile_html_loses_everything_that_could_run(payload):
    cleaned = sanitize_html(payload)
    parsed = _parsed(cleaned)
    assert set(parsed.tags) <= ALLOWED_TAGS, cleaned
    for tag, name, value in parsed.attributes:
        assert not name.startswith("on"), cleaned
        assert name != "style", cleaned
        if name in ("href", "src", "background", "action", "data", "srcdoc"):
            scheme = urlsplit(value.strip()).scheme.lower()
            allowed = {"", "http", "https"} | ({"mailto"} if tag == "a" else set())
            assert scheme in allowed, cleaned
            assert not value.strip().startswith("//"), cleaned
    lowered = cleaned.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitizing_twice_changes_nothing(payload):
    once = sanitize_html(payload)
    assert sanitize_html(once) == once


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<b>bold</b> <i>italic</i> <u>under</u>", "<b>bold</b> <i>italic</i> <u>under</u>"),
        ("<strong>s</strong><em>e</em>", "<strong>s</strong><em>e</em>"),
        ("<ul><li>one</li><li>two</li></ul>", "<ul><li>one</li><li>two</li></ul>"),
        ('<ol start="3"><li>three</li></ol>', '<ol start="3"><li>three</li></ol>'),
        ("line<br>break", "line<br>break"),
        ("H<sub>2</sub>O and x<sup>2</sup>", "H<sub>2</sub>O and x<sup>2</sup>"),
        ("<code>len(x)</code> <pre>block</pre>", "<code>len(x)</code> <pre>block</pre>"),
        ('<img src="quiz_dot.png" alt="dot">', '<img src="quiz_dot.png" alt="dot">'),
        ('<img src="https://example.org/a.png">', '<img src="https://example.org/a.png">'),
        (
            '<table><tr><td colspan="2">c</td></tr></table>',
            '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>',
        ),
        (
            '<a href="https://example.org">link</a>',
            '<a href="https://example.org" rel="noopener noreferrer nofollow">link</a>',
        ),
        ('<span style="color:blue">France</span>', "<span>France</span>"),
        ("{{c1::Canberra}} is in {{c2::Australia::country}}", None),
        ("Paris &amp; nothing else", "Paris &amp; nothing else"),
        ("a < b", "a &lt; b"),
    ],
)
def test_harmless_formatting_survives(markup, expected):
    assert sanitize_html(markup) == (markup if expected is None else expected)


def test_image_sources_other_than_relative_names_and_http_are_dropped():
    assert sanitize_html('<img src="data:image/png;base64,AAAA">') == "<img>"
    assert sanitize_html('<img src="file:///etc/passwd">') == "<img>"
    assert sanitize_html('<img src="mailto:someone@example.org">') == "<img>"


def test_plain_text_strips_tags_and_decodes_entities():
    assert plain_text("What is <b>2 + 2</b>?") == "What is 2 + 2?"
    assert plain_text("Paris &amp; nothing&nbsp;else") == "Paris & nothing else"
    assert plain_text("  spread \n over\tlines  ") == "spread over lines"


def test_plain_text_separates_blocks_and_drops_script_content():
    assert plain_text("<div>one</div><div>two</div>line<br>next") == "one two line next"
    assert plain_text("<ul><li>a</li><li>b</li></ul>") == "a b"
    assert plain_text("<script>alert(1)</script>visible") == "visible"
    assert plain_text("&lt;script&gt; is text") == "<script> is text"
    assert plain_text("") == ""


def test_plain_text_shortcut_matches_the_parser_for_every_character():
    for code_point in range(0x3000):
        text = f"a{chr(code_point)}b"
        assert sanitize.sanitize_html(text) == sanitize._CLEANER.clean(text), hex(code_point)
        parsed = html.unescape(sanitize._TEXT_ONLY.clean(text))
        parsed = sanitize._WHITESPACE_RE.sub(" ", parsed).strip()
        assert plain_text(text) == parsed, hex(code_point)


_MARKUP_PIECES = st.sampled_from([
    "", " ", "\xa0", "&nbsp;", "&amp;", "&lt;", "a", "<b>", "</b>", "<p></p>", "<br>", "<br/>",
    '<a title="x>y">', '<a title="a<b">', '<a title="">', "</a>", '<img src="p.png">', "<img>",
    "<script>x</script>",
    "<!-- c -->", "<", ">", '"', "'", "&", "\n", "\t", "<td>", "<i> </i>", "\x00", "<span",
])


@given(st.lists(_MARKUP_PIECES, max_size=12).map("".join))
@settings(max_examples=400, deadline=None)
def test_shows_nothing_agrees_with_the_plain_text_of_sanitized_markup(raw):
    markup = sanitize_html(raw)
    assert shows_nothing(markup) == (not plain_text(markup) and "<img" not in markup)


# Nested markup of the tags the parser-free path accepts, the rules it refuses (a block in a
# phrase, an item outside a list, a tag left open, attributes, upper case) and text pieces.
_SHORTCUT_TAGS = [
    *sorted(sanitize._PHRASE_TAGS | sanitize._CONTAINER_TAGS | sanitize._PARAGRAPH_TAGS),
    "li", "li", "ol", "ul", "b", "p", "div", "pre", "table", "a", "dd", "font", "rt",
]  # fmt: skip
_SHORTCUT_TEXT = st.sampled_from([
    "", " ", "x", "a b", "\n", "\t", "&amp;", "&lt;", "&gt;", "&nbsp;", "&quot;", "&copy;", "&",
    "'", '"', "\xa0", "\u3000", "é", "<br>", "<wbr>", "<hr>", "<br/>", "</br>", "</p>", "<B>",
    '<span class="c">', "\r",
])


def _nested_markup(children):
    @st.composite
    def element(draw):
        tag = draw(st.sampled_from(_SHORTCUT_TAGS))
        inner = "".join(draw(st.lists(children, max_size=4)))
        return f"<{tag}>{inner}" + ("" if draw(st.integers(0, 30)) == 0 else f"</{tag}>")

    return element()


_NESTED_MARKUP = st.lists(
    st.recursive(_SHORTCUT_TEXT, _nested_markup, max_leaves=16), max_size=4
).map("".join)


@given(_NESTED_MARKUP)
@settings(max_examples=1500, deadline=None)
def test_markup_skipping_the_parser_is_what_the_parser_returns(raw):
    assert sanitize_html(raw) == sanitize._CLEANER.clean(raw)


@pytest.mark.parametrize(
    ("markup", "skips"),
    [
        ("What is <b>2 + 2</b>?", True),
        ("<div>one</div><div><i>two</i><br>three</div>", True),
        ("<p>Which?</p><ol><li>A &amp; B</li><li>C&nbsp;<sub>2</sub></li></ol>", True),
        ("<b><b><b><b>x</b></b></b></b>", True),  # a fourth <b> drops out of the parser's list
        ("<ul><li><ol><li>nested</li></ol></li></ul>", True),
        ("<b><div>block in a phrase</div></b>", False),
        ("<p><p>paragraph in a paragraph</p></p>", False),
        ("<div><li>item outside a list</li></div>", False),
        ("<b><i>crossed</b></i>", False),
        ("<b>left open", False),
        ("<B>upper case</B>", False),
        ('<span class="x">attribute</span>', False),
        ("<pre>\nleading newline</pre>", False),
        ("a < b", False),
    ],
)
def test_markup_that_skips_the_parser(markup, skips):
    assert sanitize._kept_as_written(markup) is skips
    if skips:
        assert sanitize._CLEANER.clean(markup) == markup


# One note's fields: nested markup, pieces that need the parser, odd text (any character,
# the field separator among them) and the hostile payloads.
_NOTE_FIELD = st.one_of(
    _NESTED_MARKUP,
    st.lists(_MARKUP_PIECES, max_size=8).map("".join),
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from("ab <>&;/\x1f\x00\r\xa0\n"), max_size=12),
    st.sampled_from(XSS_PAYLOADS),
)


def _skips_the_parser(markup: str) -> bool:
    """What sanitize_html decides for one field: returned as written, no parser."""
    return not markup or not sanitize._PARSER_CHANGES_RE.search(markup) or (
        sanitize._kept_as_written(markup)
    )


@given(st.lists(_NOTE_FIELD, max_size=6))
@settings(max_examples=2000, deadline=None)
def test_fields_judged_at_once_are_each_what_sanitizing_returns(fields):
    together = sanitize.all_kept_as_written(fields)
    if together:
        # Every field comes out of the real parser exactly as it went in.
        for markup in fields:
            assert sanitize._CLEANER.clean(markup) == markup or not markup, markup
            assert sanitize_html(markup) == markup
    # And it never holds where a field alone would go to the parser; where it does not hold
    # with every field skipping, a "&", a control character or the separator is the reason.
    each = all(_skips_the_parser(markup) for markup in fields)
    assert together <= each
    if each and not together:
        assert any(c in "".join(fields) for c in "&\x00\r\xa0\x1f"), fields


@pytest.mark.parametrize(
    ("fields", "together"),
    [
        ((), True),
        (("What is <b>2 + 2</b>?", "4", "", "<ol><li>A</li><li>B</li></ol>"), True),
        (("plain", "text only"), True),
        (("<b>open", "close</b>"), False),  # each field's tags must nest on their own
        (("<b>", "</b>"), False),
        (("a < b", "<i>x</i>"), False),
        (("x", '<span class="c">y</span>'), False),
        (("A &amp; B", "x"), False),  # fine alone, judged field by field
        (("a\x1fb", "c"), False),  # a field holding the separator
        (("<b>" * 300 + "</b>" * 300, "<i></i>"), True),  # longer than is remembered
    ],
)
def test_fields_judged_at_once(fields, together):
    assert sanitize.all_kept_as_written(fields) is together
    if together:
        assert all(sanitize._CLEANER.clean(markup) == markup for markup in fields if markup)
