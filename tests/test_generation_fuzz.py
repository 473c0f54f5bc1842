"""Whatever an instructor uploads, ``generate_deck`` returns a deck the app can store.

Random text, HTML fragments, mutated seed pages (read from ../shared/seeds, never copied
here), empty documents, huge single lines, Unicode oddities and statement-shaped sentences
with missing parts all go through the generator; it must never raise, every deck it returns
must pass the deck file validation, and a deck without extracted facts has no cards.
"""

from __future__ import annotations

import json
import string
import time

import pytest
from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizapp.deckfile import DeckData, DeckFileError, dumps, from_dict, to_dict
from quizapp.generation import generate_deck

SEED_TEXTS = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
FACT_LISTS = ("types", "causes", "symptoms", "tests", "treatments")
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_valid_deck(documents: list[tuple[str, str]], title: str | None = None) -> DeckData:
    deck = generate_deck(documents, title)
    assert isinstance(deck, DeckData)
    try:
        stored = from_dict(to_dict(deck))
    except DeckFileError as problem:
        raise AssertionError(f"generator returned a deck the app rejects: {problem}") from None
    assert stored.cards == deck.cards
    assert json.loads(json.dumps(deck.knowledge)) == deck.knowledge
    assert deck.origin == "generated" and len(deck.sources) == len(documents)
    for card in deck.cards:
        assert card.sources, card.prompt
    if not any(deck.knowledge[name] for name in FACT_LISTS):
        assert deck.cards == []
    return deck


# --- building blocks ------------------------------------------------------------------

ODD_CHARACTERS = [
    "\u0301",  # combining acute accent
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\ufeff",  # byte order mark
    "\u00a0",  # no-break space
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\x0b",
    "\x0c",
    "\x1c",
    "\x85",
    "\x00",
    "\r",
    "\r\n",
    "\t",
    "\ud800",  # a lone surrogate, which no UTF-8 decoder produces but a caller might
    "\udfff",
    "\ufffd",
    "ﬁ",  # a ligature that NFKD splits into two letters
    "ſ",  # long s: matches "s" case-insensitively
    "K",  # Kelvin sign: matches "k" case-insensitively
    "İ",  # lowers to two code points
    "ß",
    "Ａ",  # fullwidth A
    "①",
    "٣",  # Arabic-Indic digit three, a \\d and \\w
    "𝔸",
    "😀",
    "’",
    "“",
    "…",
    "—",
    "•",
]
STATEMENT_WORDS = [
    "atrophy", "muscle", "muscles", "disuse", "neurogenic", "physiologic", "physiological",
    "pathologic", "type", "types", "of", "is", "are", "caused", "by", "cause", "causes",
    "include", "includes", "can", "be", "reversed", "not", "reversible", "people", "who",
    "have", "with", "may", "develop", "lead", "to", "result", "in", "the", "most", "common",
    "severe", "symptoms", "signs", "tests", "treatment", "treatments", "treated", "exercise",
    "program", "plan", "therapy", "called", "another", "disease", "condition", "such", "as",
    "like", "due", "to", "because", "from", "and", "or", "other", "a", "an", "this", "it",
    "polio", "stroke", "bed", "rest", "best", "ALS", "(ALS)", "Guillain-Barré", "syndrome",
    "loss", "hearing",
]
PUNCTUATION = [".", ",", ":", ";", "(", ")", "-", "?", "!", "/", "'", '"', "*", "#", "&", "<", ">"]

odd_text = st.lists(
    st.one_of(
        st.sampled_from(ODD_CHARACTERS),
        st.sampled_from(STATEMENT_WORDS),
        st.sampled_from([" ", "\n", "\n\n"]),
    ),
    max_size=80,
).map("".join)
wordy_text = st.lists(
    st.one_of(
        st.sampled_from(STATEMENT_WORDS),
        st.sampled_from(PUNCTUATION),
        st.sampled_from([" ", " ", " ", "\n", "\n\n", "- ", "\n* ", "\n# "]),
        st.text(max_size=6),
    ),
    max_size=150,
).map(" ".join)
any_text = st.one_of(st.text(max_size=400), wordy_text, odd_text)
file_names = st.one_of(
    st.sampled_from(["notes.txt", "page.html", "page.htm", "notes.md", "a.markdown", "x"]),
    st.text(max_size=30),
    st.text(min_size=290, max_size=400),
)

# Sentences shaped like the statements the extractor reads, with parts left out or filled
# with words from nowhere: types without causes, causes without types, lists without items.
slot = st.one_of(
    st.sampled_from(["disuse", "neurogenic", "physiologic", "", "  ", "x", "(ALS)", "Polio"]),
    st.sampled_from(STATEMENT_WORDS),
    st.text(alphabet=string.ascii_letters + "- é", max_size=12),
)
TEMPLATES = [
    "There are {n} types of {c}: {a} and {b}.",
    "There are {n} main types of {c}: {a}, {b}, and {a}.",
    "The {n} types of {c}: {a}.",
    "{a} {c} is the most {b} type.",
    "The most {a} type of {c} is {b}.",
    "{a} {c} can be reversed with {b}.",
    "{a} {c} is not reversible.",
    "This type can sometimes be reversed.",
    "Causes of {a} {c} include {b}, {b} and {a}.",
    "Causes of {c} include:",
    "{a} can lead to {b} {c}.",
    "{a}, {b} or {a} can cause {c}.",
    "People who have {a} may develop {b} {c}.",
    "If you have {a}, you may experience {c}.",
    "{a} {c} is caused by {b}.",
    "It is called {a} {c}.",
    "Another type of {c} is {a}.",
    "Treatment may include {a} and {b}.",
    "{a} can be treated with {b} to help.",
    "Symptoms include {a}, {b}.",
    "Tests such as {a} ({b}).",
    "{a} ({b}) {c}",
    "# {a} {c}",
    "- {a}",
    "* {b} due to {a}",
    "{a}:",
    "{c}",
]


@st.composite
def statement_documents(draw) -> str:
    condition = draw(st.sampled_from(["atrophy", "muscle atrophy", "hearing loss", "", "x y z"]))
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=14))):
        template = draw(st.sampled_from(TEMPLATES))
        lines.append(
            template.format(
                n=draw(st.sampled_from(["two", "three", "2", "four", "many", ""])),
                c=condition,
                a=draw(slot),
                b=draw(slot),
            )
        )
    separator = draw(st.sampled_from(["\n", " ", "\n\n"]))
    return separator.join(lines)


HTML_TAGS = [
    "p", "div", "ul", "ol", "li", "h1", "h2", "h3", "b", "a", "span", "br", "table", "td",
    "script", "style", "nav", "footer", "title", "pre", "img", "template",
]
html_piece = st.one_of(
    st.sampled_from(HTML_TAGS).map(lambda tag: f"<{tag}>"),
    st.sampled_from(HTML_TAGS).map(lambda tag: f"</{tag}>"),
    st.sampled_from(
        [
            '<div class="ad banner">',
            "<p hidden>",
            '<li aria-hidden="true">',
            '<a href="javascript:alert(1)">',
            "<!-- comment -->",
            "<!--",
            "<![CDATA[x]]>",
            "<!DOCTYPE html>",
            "&amp;",
            "&nbsp;",
            "&#0;",
            "&#x110000;",
            "&#99999999999;",
            "&unknown;",
            "&",
            "<",
            "</",
            "<p",
            "<?php ?>",
            "<svg><script>x</script></svg>",
        ]
    ),
    wordy_text,
    statement_documents(),
)
html_documents = st.lists(html_piece, max_size=40).map("".join)


@st.composite
def mutated_seed(draw) -> str:
    text = draw(st.sampled_from(SEED_TEXTS))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        operation = draw(
            st.sampled_from(
                ["delete", "duplicate", "insert", "swap-lines", "one-line", "upper", "html",
                 "truncate"]
            )
        )
        start = draw(st.integers(min_value=0, max_value=len(text)))
        end = draw(st.integers(min_value=start, max_value=min(len(text), start + 400)))
        if operation == "delete":
            text = text[:start] + text[end:]
        elif operation == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        elif operation == "insert":
            text = text[:start] + draw(any_text) + text[start:]
        elif operation == "swap-lines":
            lines = text.splitlines()
            if lines:
                first = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                second = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                lines[first], lines[second] = lines[second], lines[first]
            text = "\n".join(lines)
        elif operation == "one-line":
            text = " ".join(text.split())
        elif operation == "upper":
            text = text[:start] + text[start:end].upper() + text[end:]
        elif operation == "html":
            text = "".join(f"<p>{line}</p>\n" for line in text.splitlines())
        else:
            text = text[:start]
    return text


CLAUSES = [
    "x, ",
    "Word ",
    "disuse atrophy is caused by ",
    "such as ",
    "people who have ",
    "(",
    ")",
    "causes include ",
    "can be treated with ",
    "disuse, ",
    "a (b ",
    "types of atrophy: ",
    "- ",
    "**a** ",
    "<b>x</b> ",
    "&amp;",
]
huge_lines = st.tuples(
    st.lists(st.sampled_from(CLAUSES), min_size=1, max_size=4),
    st.integers(min_value=1_000, max_value=20_000),
).map(lambda pair: ("".join(pair[0]) * (pair[1] // len("".join(pair[0])) + 1))[: pair[1]])


# --- the properties -------------------------------------------------------------------


@FUZZ
@given(st.lists(st.tuples(file_names, any_text), max_size=3), st.none() | st.text(max_size=250))
def test_random_text_gives_a_valid_deck(documents, title):
    assert_valid_deck(documents, title)


@pytest.mark.parametrize("text", ["\U0001d538\ud800", "Anemia\x00 types", "\ud800" * 3])
def test_a_document_with_unstorable_characters_still_gives_a_valid_deck(text):
    # Found by the fuzz test: the condition's name, and so the deck's title, came from them.
    assert_valid_deck([("notes.txt", text)], None)


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(["page.html", "page.txt"]), html_documents),
        min_size=1,
        max_size=3,
    )
)
def test_random_html_fragments_give_a_valid_deck(documents):
    assert_valid_deck(documents)


@FUZZ
@given(st.lists(mutated_seed(), min_size=1, max_size=3))
def test_mutated_seed_pages_give_a_valid_deck(texts):
    assert_valid_deck([(f"seed{index}.txt", text) for index, text in enumerate(texts)])


@FUZZ
@given(st.lists(statement_documents(), min_size=1, max_size=3), st.sampled_from(["txt", "md"]))
def test_statements_with_parts_missing_give_a_valid_deck(texts, suffix):
    assert_valid_deck([(f"doc{index}.{suffix}", text) for index, text in enumerate(texts)])


@settings(FUZZ, max_examples=25)
@given(huge_lines, st.sampled_from(["line.txt", "line.md", "line.html"]))
def test_huge_single_lines_give_a_valid_deck(line, name):
    assert_valid_deck([(name, line)])


def test_empty_documents_give_an_empty_valid_deck():
    for documents in ([], [("empty.txt", "")], [("blank.md", " \n\t\n")], [("e.html", "<p></p>")]):
        deck = assert_valid_deck(documents)
        assert deck.cards == []


def test_plain_prose_without_facts_gives_no_cards():
    deck = assert_valid_deck([("notes.txt", "Nothing here about any condition at all.")])
    assert deck.cards == []
    assert not any(deck.knowledge[name] for name in FACT_LISTS)


def test_types_without_causes_give_a_valid_deck_with_no_cause_cards():
    deck = assert_valid_deck(
        [("notes.txt", "There are two types of frostbite: superficial and deep.")]
    )
    assert [row["id"] for row in deck.knowledge["types"]] == ["deep", "superficial"]
    assert deck.knowledge["causes"] == []
    assert not any(card.prompt.startswith("Cause:") for card in deck.cards)


def test_a_huge_single_line_costs_time_in_proportion_to_its_length():
    seed_line = " ".join(" ".join(SEED_TEXTS).split())
    clutter = "disuse atrophy is caused by x, Word such as (a b "

    def seconds(size: int) -> float:
        line = (seed_line + " " + clutter * 40) * (size // (len(seed_line) + 2000) + 1)
        started = time.perf_counter()
        dumps(generate_deck([("line.txt", line[:size])]))
        return time.perf_counter() - started

    small, large = seconds(50_000), seconds(400_000)
    assert large < 8 * 3 * max(small, 0.05), (small, large)  # 8x the text, linear with slack


def test_a_long_document_of_repeated_statements_costs_time_in_proportion_to_its_length():
    # Every statement kind whose reader once looked back over all earlier ones (type lists,
    # definitions, causes named by "that damage"): 8 times the paragraphs took 35 times the
    # time. CPU time of this thread, so a busy machine does not count.
    paragraph = (
        "There are two types of frostbite: superficial and deep. Deep frostbite is caused by "
        "long cold exposure. Superficial frostbite is caused by wind chill, which causes this "
        "damage to skin. That damage may trigger blisters.\n\n"
    )

    def seconds(copies: int) -> float:
        started = time.thread_time()
        generate_deck([("notes.txt", paragraph * copies)])
        return time.thread_time() - started

    small, large = seconds(200), seconds(1600)
    assert large < 8 * 2 * small, (small, large)  # 8x the text, linear with slack


def test_type_words_spelt_with_case_folding_lookalikes_are_read():
    # "ſ" (long s) and "K" (Kelvin sign) match "s" and "k" when case is ignored.
    deck = assert_valid_deck(
        [
            (
                "notes.txt",
                "There are two types of muscle atrophy: disuse and neurogenic.\n"
                "Causes of diſuse atrophy include bed rest.\n"
                "Causes of neurogenic atrophy include polio.\n"
                "Causes of disuse atrophy include sitting.\n"
                "Neurogenic atrophy is not reversible. KNOWN neurogenic atrophy is rare.",
            )
        ]
    )
    causes = {row["name"]: row["types"] for row in deck.knowledge["causes"]}
    assert causes["bed rest"] == ["disuse"]
