"""Card kinds are registered objects: a kind defined only here, with its partial templates
given as strings, is imported from a deck file and studied end to end over HTTP."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader

from quizapp import kinds
from quizapp.deckfile import CardData, DeckData, DeckFileError, check_deck, from_dict
from quizapp.extensions import db
from quizapp.kinds.anki import front_back, template
from quizapp.models import Card, ReviewLog
from quizapp.services.decks import store_deck

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

YESNO_TEMPLATES = {
    "test_kinds/yesno_study.html": (
        '<form method="post" action="{{ answer_url }}" class="yesno">'
        '<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">'
        '<input type="hidden" name="token" value="{{ token }}">'
        '<button type="submit" name="typed" value="yes">Yes</button>'
        '<button type="submit" name="typed" value="no">No</button></form>'
    ),
}


class YesNo(kinds.CardKind):
    """A statement the learner calls true (yes) or false (no); the app grades the call."""

    name = "yesno"
    label = "Yes or no"
    plural = "yes/no statements"
    auto_graded = True
    study_partial = "test_kinds/yesno_study.html"
    note_type = front_back("yesno", "Test Yes or no", template("Card 1", "{{Front}}", "{{Back}}"))

    def check_fields(
        self, card: kinds.CardContent, where: str, problems: list[str], *, choices_given: bool
    ) -> str:
        answer = super().check_fields(card, where, problems, choices_given=choices_given)
        if answer and answer not in ("yes", "no"):
            problems.append(f"{where}: field 'answer' of a yesno card must be yes or no")
        return answer

    def check(
        self, response: kinds.Response, *, answer: str, choices: Sequence[str],
        correct: int | None, choice_order: Sequence[int],
    ) -> kinds.Verdict:
        if response.typed not in ("yes", "no"):
            raise kinds.AnswerRefused("Answer yes or no.")
        return kinds.Verdict(response.typed == answer, response.typed)


@pytest.fixture
def yesno(app):
    kind = kinds.register(YesNo())
    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader(YESNO_TEMPLATES), original])
    yield kind
    app.jinja_env.loader = original
    kinds.unregister(kind.name)


def deck_file(*cards: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": "quizapp.deck", "format_version": 1, "deck": {"title": "Facts"},
        "cards": list(cards),
    }


def post_answer(client, deck_id: int, page: str, **fields):
    data = {"token": TOKEN_RE.search(page).group(1),
            "csrf_token": CSRF_RE.search(page).group(1), **fields}
    return client.post(f"/study/{deck_id}/answer", data=data)


def test_the_built_in_kinds_are_registered_in_the_editors_order():
    assert kinds.names() == ("basic", "reversed", "cloze", "mcq", "typein")
    assert kinds.get("reversed").ordinals("a") == (0, 1)
    assert kinds.get("cloze").ordinals("{{c2::a}} {{c1::b}}") == (0, 1)
    with pytest.raises(kinds.UnknownKind):
        kinds.get("yesno")


def test_a_kind_cannot_be_registered_twice(yesno):
    with pytest.raises(ValueError, match="already registered"):
        kinds.register(YesNo())


def test_a_registered_kind_is_read_from_deck_files_by_its_own_rules(yesno):
    card = {"guid": "y1", "kind": "yesno", "prompt": "Water boils at 100 °C at sea level.",
            "answer": "maybe"}
    with pytest.raises(DeckFileError, match="must be yes or no"):
        from_dict(deck_file(card))
    with pytest.raises(DeckFileError, match="'answer' is required for yesno cards"):
        from_dict(deck_file({**card, "answer": ""}))
    assert from_dict(deck_file({**card, "answer": "yes"})).cards[0].ordinals == (0,)


def test_an_importers_deck_is_checked_by_a_registered_kinds_own_rules(yesno):
    card = CardData(guid="y1", kind="yesno", prompt="Spiders are insects.", answer="maybe")
    with pytest.raises(DeckFileError, match="must be yes or no"):
        check_deck(DeckData(title="Facts", cards=[card]))
    checked = check_deck(DeckData(title="Facts", cards=[replace(card, answer="no")]))
    assert checked.cards == [replace(card, answer="no")]


def test_a_throwaway_kind_is_studied_end_to_end(client, auth, learner, yesno):
    data = from_dict(deck_file(
        {"guid": "y1", "kind": "yesno", "prompt": "The Moon orbits the Earth.", "answer": "yes"},
        {"guid": "y2", "kind": "yesno", "prompt": "Spiders are insects.", "answer": "no"},
    ))
    deck = store_deck(data, owner=None, publish=True).deck
    db.session.commit()
    auth.login()

    statements = ("The Moon orbits the Earth.", "Spiders are insects.")
    verdicts = []
    for _ in statements:
        page = client.get(f"/study/{deck.id}").get_data(as_text=True)
        assert 'data-kind="yesno"' in page
        assert 'class="yesno"' in page and "Show answer" not in page
        statement = next(text for text in statements if text in page)
        # "Yes" to both: right about the Moon, wrong about spiders.
        feedback = post_answer(client, deck.id, page, typed="yes")
        assert feedback.status_code == 200
        verdicts.append((statement, feedback.get_data(as_text=True)))

    for statement, feedback in verdicts:
        if statement.startswith("The Moon"):
            assert "<strong>Right.</strong>" in feedback
        else:
            assert "<strong>Wrong</strong>" in feedback
            assert '<span class="right-answer">no</span>' in feedback
    db.session.expire_all()
    logs = {db.session.get(Card, log.card_id).prompt: log for log in db.session.query(ReviewLog)}
    moon, spiders = logs["The Moon orbits the Earth."], logs["Spiders are insects."]
    assert moon.response == spiders.response == "yes"
    # Whatever the scheduler's scale, a right answer rates above a wrong one.
    assert moon.grade > spiders.grade


def test_an_answer_the_kind_refuses_records_nothing(client, auth, learner, yesno):
    data = from_dict(deck_file(
        {"guid": "y1", "kind": "yesno", "prompt": "Salt dissolves in water.", "answer": "yes"},
    ))
    deck = store_deck(data, owner=None, publish=True).deck
    db.session.commit()
    auth.login()
    page = client.get(f"/study/{deck.id}").get_data(as_text=True)
    response = post_answer(client, deck.id, page, typed="perhaps")
    assert response.status_code == 303
    assert "Answer yes or no." in client.get(f"/study/{deck.id}").get_data(as_text=True)
    assert db.session.query(ReviewLog).count() == 0
