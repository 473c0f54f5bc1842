"""The card editor: each kind's fields, each message under its own field in plain words."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token
from study_helpers import basic, make_deck

from quizapp.extensions import db
from quizapp.models import Card


def error_of(page: str, field: str) -> str | None:
    """The text of the message under ``field`` (None when it has none)."""
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    return match.group(1) if match else None


@pytest.fixture
def editor(auth, client, instructor):
    deck = make_deck([basic("a")], owner=instructor, published=False)
    auth.login(instructor.email)
    token = csrf_token(client, f"/decks/{deck.id}/cards/new")

    def post(**form):
        response = client.post(f"/decks/{deck.id}/cards/new", data={"csrf_token": token, **form})
        return response.status_code, response.get_data(as_text=True)

    post.deck = deck
    post.client = client
    return post


def test_multiple_choice_without_choices_says_so_under_the_choices(editor):
    status, page = editor(kind="mcq", prompt="Largest planet?", choices="", correct="")
    assert status == 400
    assert error_of(page, "prompt") is None  # not under the prompt any more
    assert error_of(page, "choices") == "List 2 to 8 choices, one per line (you gave 0)."
    assert error_of(page, "correct") == "Give the number of the right choice, such as 1."
    assert "field 'choices'" not in page and "non-blank strings" not in page
    assert 'aria-describedby="choices-hint choices-error"' in page


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"kind": "basic", "prompt": "Q", "answer": " "}, "answer",
     "Write the answer shown on the back of the card."),
    ({"kind": "typein", "prompt": "Q", "answer": ""}, "answer",
     "Write the answer the learner must type."),
    ({"kind": "cloze", "prompt": "No gap here", "answer": ""}, "prompt",
     "A cloze card needs at least one gap, written as {{c1::hidden words}}."),
    ({"kind": "basic", "prompt": "", "answer": "A"}, "prompt",
     "Write the question or statement the learner sees."),
    ({"kind": "mcq", "prompt": "Q", "choices": "Mars\nMars", "correct": "1"}, "choices",
     'Each choice must be different: &#34;Mars&#34; is listed twice.'),
    ({"kind": "mcq", "prompt": "Q", "choices": "Mars\nVenus", "correct": "3"}, "correct",
     "Give a number from 1 to 2: the right choice&#39;s line."),
    ({"kind": "mcq", "prompt": "Q", "choices": "Mars\nVenus", "correct": "two"}, "correct",
     "Give a whole number, such as 1."),
])
def test_each_message_is_under_its_own_field(editor, form, field, message):
    status, page = editor(**form)
    assert status == 400
    assert error_of(page, field) == message
    others = {"prompt", "answer", "choices", "correct", "explanation", "tags"} - {field}
    assert [f for f in others if error_of(page, f)] == []
    assert db.session.query(Card).count() == 1


def test_a_leftover_deck_file_problem_lands_under_its_field(editor):
    status, page = editor(kind="basic", prompt="Q", answer="A", tags="x" * 101)
    assert status == 400
    assert "tags" in (error_of(page, "tags") or "").lower()
    assert error_of(page, "prompt") is None


def test_fields_are_marked_with_the_kinds_that_use_them(editor):
    page = editor.client.get(f"/decks/{editor.deck.id}/cards/new").get_data(as_text=True)
    assert re.search(r'data-kinds="mcq">\s*<label for="choices">', page)
    assert re.search(r'data-kinds="basic reversed cloze typein">\s*<label for="answer">', page)
    assert "Multiple choice only" in page  # without JavaScript the labels say it
    assert '<script src="/static/card_form.js"' in page


def test_a_valid_card_of_each_kind_is_saved(editor):
    for form in (
        {"kind": "basic", "prompt": "Q1", "answer": "A"},
        {"kind": "cloze", "prompt": "The {{c1::heart}} pumps", "answer": ""},
        {"kind": "mcq", "prompt": "Q2", "choices": "A\nB", "correct": "2", "answer": ""},
    ):
        assert editor(**form)[0] == 303, form
    assert db.session.query(Card).count() == 4
