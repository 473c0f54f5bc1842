"""The card page kept as a frame (``quizapp.page_frames``): filled in, it is the page a full
render gives, escaping included, and a page its frame cannot give is always rendered."""

from __future__ import annotations

import random
import re
from contextlib import contextmanager

import pytest
from conftest import make_user
from flask import template_rendered
from flask_login import login_user
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape
from study_helpers import basic, make_deck, mcq

from quizapp.page_frames import (
    CLOSE,
    OPEN,
    UNFIT,
    Frame,
    FrameMismatch,
    PageFrames,
    as_printed,
)

TOKENS = re.compile(r'(name="(?:token|csrf_token)"[^>]*value=")[^"]+')


@contextmanager
def rendered(app):
    names = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def _page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    return TOKENS.sub(r"\1T", response.get_data(as_text=True))


def test_a_card_page_is_filled_in_from_its_frame_as_rendered(app, client, auth, learner,
                                                            monkeypatch):
    # Served from the frame alone, as in production (the suite also renders each in full).
    monkeypatch.setitem(app.config, "CHECK_PAGE_FRAMES", False)
    decks = [make_deck([basic("a")], title="Basic"), make_deck([mcq("m")], title="Choices")]
    auth.login()
    for url, headers in [(f"/study/{deck.id}{query}", headers) for deck in decks
                         for query in ("", "?mode=cram") for headers in ({}, {"X-Partial": "1"})]:
        random.seed(5)  # the same order of options both times
        with rendered(app) as first:
            page = _page(client, url, headers=headers)
        random.seed(5)
        with rendered(app) as again:
            assert _page(client, url, headers=headers) == page
        assert "study/card.html" in first
        assert "study/card.html" not in again


def test_a_framed_page_escapes_each_learners_name_and_shows_its_own(app, client, auth):
    deck = make_deck([basic("a", prompt="<b>bold</b> <img src=x onerror=alert(1)>")],
                     title="T <i>&</i>")
    make_user("one@example.org", name="<script>alert(1)</script>")
    make_user("two@example.org", name='Two "&" <b>')
    pages = {}
    for email in ("one@example.org", "two@example.org", "one@example.org"):
        auth.login(email)
        pages.setdefault(email, []).append(_page(client, f"/study/{deck.id}"))
        auth.logout()
    one, two = pages["one@example.org"][-1], pages["two@example.org"][0]
    assert pages["one@example.org"][0] == one
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in one and "<script>alert" not in one
    assert "Two &#34;&amp;&#34; &lt;b&gt;" in two and "alert(1)&lt;/script" not in two
    assert "T &lt;i&gt;&amp;&lt;/i&gt;" in one and "onerror" not in one
    assert "<b>bold</b>" in one


def test_a_flashed_message_shows_on_a_framed_card_page(client, auth, learner):
    deck = make_deck([basic("a"), basic("b")])
    auth.login()
    _page(client, f"/study/{deck.id}?mode=cram")
    page = _page(client, f"/study/{deck.id}?mode=cram&restart=1&focus=hard")
    assert "You have no hard cards in this deck yet" in page
    assert "You have no hard cards" not in _page(client, f"/study/{deck.id}?mode=cram")


def test_a_page_its_frame_cannot_give_is_rendered_in_full(app, learner):
    deck = make_deck([basic("a")])
    frames = PageFrames()
    shown = []

    def context(values):  # the token goes through a filter: no placeholder can stand for it
        return {"partial": True, "deck": deck, "kind": None, "mode": "learn", "cram": False,
                "side": None, "token": values["token"].upper(), "choices": [], "ratings": [],
                "key_hint": "", "repeats": 0, "max_answer_chars": 10}

    with app.test_request_context("/"):
        login_user(learner)
        for token in ("first", "second"):
            page = frames.render("study/card.html", ("k",), {"token": token}, context).decode()
            shown.append(re.search(r'name="token" value="([^"]*)"', page).group(1))
        assert list(frames._kept.values()) == [UNFIT]
    assert shown == ["FIRST", "SECOND"]


def test_the_suites_check_catches_a_page_its_key_leaves_out(app, learner):
    """A template showing a value that is neither a slot nor in the key (here the deck's
    title, changed under the same key) would serve another page's text from the frame: with
    CHECK_PAGE_FRAMES on, as in this suite, that request fails instead."""
    frames = PageFrames()
    deck = make_deck([basic("a")], title="First title")

    def context(values):
        return {"partial": True, "deck": deck, "kind": None, "mode": "learn", "cram": False,
                "side": None, "token": values["token"], "choices": [], "ratings": [],
                "key_hint": "", "repeats": 0, "max_answer_chars": 10}

    with app.test_request_context("/"):
        login_user(learner)
        assert app.config["CHECK_PAGE_FRAMES"]
        assert b"First title" in frames.render("study/card.html", ("k",), {"token": "a"}, context)
        assert b"First title" in frames.render("study/card.html", ("k",), {"token": "b"}, context)
        deck.title = "Second title"
        with pytest.raises(FrameMismatch):
            frames.render("study/card.html", ("k",), {"token": "c"}, context)


def test_placeholder_characters_in_a_title_are_shown_as_written(client, auth, learner):
    deck = make_deck([basic("a")], title="x\ue000token\ue001 \ue000nothing\ue001")
    auth.login()
    for _ in range(2):
        page = _page(client, f"/study/{deck.id}")
        assert page.count("x\ue000token\ue001 \ue000nothing\ue001") == 2
        assert page.count('name="token" value="T"') == 1


class _Html:
    def __html__(self):
        return "<b>made</b>"


def test_a_filled_in_value_is_escaped_as_jinja_prints_it():
    values = ["", "plain", "a&b", "<script>", "it's", 'say "hi"', "é – ✔", "&amp;",
              Markup("<b>kept</b> &amp;"), Markup(""), 0, 7, None, _Html()]
    for value in values:
        assert as_printed(value) == str(escape(value)).encode(), value


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]),
                       st.one_of(st.text(), st.integers(), st.none(),
                                 st.text().map(Markup)), min_size=3))
def test_a_frame_fills_in_each_value_as_autoescaping_prints_it(values):
    """Every value, with or without characters to escape, and the frame's own text with
    "%" in it, come out as ``str(escape(value))`` would."""
    frame = Frame(f"100% {OPEN}a{CLOSE} – %s {OPEN}b{CLOSE}{OPEN}a{CLOSE}%%{OPEN}c{CLOSE}")
    a, b, c = (str(escape(values[name])) for name in "abc")
    assert frame.fill(values) == f"100% {a} – %s {b}{a}%%{c}".encode()
