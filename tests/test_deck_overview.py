"""The deck page: learners get an overview and browse the cards (with answers) only on asking,
a page at a time; the owner keeps the whole list with its edit tools."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from study_helpers import basic, make_deck, mcq

from quizapp.services import study

SECRET = "test-secret-key"


def figure(page: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">\s*([^<]*?)\s*<', page).group(1)


def test_learners_see_an_overview_without_answers(auth, client, learner):
    cards = [basic(f"b{i}", answer=f"Answer {i}", tags=("muscle",)) for i in range(3)]
    cards += [mcq("m", tags=("nerve", "muscle"))]
    deck = make_deck(cards, title="Atrophy")
    p = study.choose_next(learner, deck, study.SessionQueue(), cram=False,
                          now=datetime.now(UTC))
    study.record_answer(learner, study.encode_presentation(p, learner.id, SECRET), SECRET,
                        grade=1, choice=0)
    auth.login(learner.email)
    page = client.get(f"/decks/{deck.id}").get_data(as_text=True)
    assert figure(page, "card-count") == "4"
    assert "muscle · 4" in page and "nerve · 1" in page
    assert figure(page, "count-new") == "3" and figure(page, "count-learning") == "1"
    assert ">Study</a>" in page and "Cram (no schedule change)" in page
    assert not [f"Answer {i}" for i in range(3) if f"Answer {i}" in page]
    assert "Browse the cards, with answers" in page
    assert ">Edit<" not in page and "Add a card" not in page


def test_browsing_the_cards_is_paginated(auth, client, learner):
    deck = make_deck([basic(f"c{i:03}", answer=f"Answer {i:03}") for i in range(120)])
    auth.login(learner.email)
    first = client.get(f"/decks/{deck.id}?cards=1").get_data(as_text=True)
    assert "Answer 000" in first and "Answer 049" in first and "Answer 050" not in first
    assert "Page 1 of 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get(f"/decks/{deck.id}?cards=1&page=3").get_data(as_text=True)
    assert "Answer 100" in last and "Answer 119" in last and "Answer 099" not in last
    assert "<td>101</td>" in last  # numbered through the deck, not per page
    for odd in ("0", "-4", "999999999999", "x", "²"):
        response = client.get(f"/decks/{deck.id}?cards=1&page={odd}")
        assert response.status_code == 200, odd


def test_the_owner_keeps_every_card_with_edit_tools(auth, client, instructor):
    deck = make_deck([basic(f"c{i:03}", answer=f"Answer {i:03}") for i in range(60)],
                     owner=instructor)
    auth.login(instructor.email)
    page = client.get(f"/decks/{deck.id}").get_data(as_text=True)
    assert "Answer 000" in page and "Answer 059" in page
    assert page.count(">Edit<span") == 60 and "Add a card" in page
    assert "Page 1 of" not in page
