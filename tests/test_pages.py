"""Every page renders for the people who may see it (a smoke test through HTTP)."""

from __future__ import annotations

import re
from datetime import date

from conftest import csrf_token, login
from study_helpers import basic, make_deck, mcq, sm2_row

from quizapp.deckfile import CardData
from quizapp.extensions import db
from quizapp.models import ReviewLog


def test_study_flow_through_http(client, learner):
    deck = make_deck([basic("a", answer="<b>Mitochondria</b>"), mcq("m")])
    login(client, learner.email)
    page = client.get(f"/study/{deck.id}").get_data(as_text=True)
    assert "Question a" in page and "Show answer" in page and "Blackout" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/study/{deck.id}/answer",
                           data={"token": token, "grade": "5", "csrf_token": csrf})
    assert response.status_code == 303
    again = client.post(f"/study/{deck.id}/answer",
                        data={"token": token, "grade": "5", "csrf_token": csrf})
    assert again.status_code == 303
    assert db.session.query(ReviewLog).count() == 1
    page = client.get(f"/study/{deck.id}").get_data(as_text=True)
    assert "Pick for m" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    feedback = client.post(f"/study/{deck.id}/answer",
                           data={"token": token, "choice": "0", "csrf_token": csrf})
    assert feedback.status_code == 200
    text = feedback.get_data(as_text=True)
    assert re.search(r"<strong>(Right\.|Wrong)</strong>", text)
    assert "Next card" in text
    summary = client.get(f"/study/{deck.id}").get_data(as_text=True)
    if "Session complete" not in summary:  # a wrong MCQ answer comes back once
        assert "Again, until you know it" in summary
    partial = client.get(f"/study/{deck.id}", headers={"X-Partial": "1"}).get_data(as_text=True)
    assert "<html" not in partial and 'id="study"' in partial


def test_answer_without_csrf_is_rejected(client, learner):
    deck = make_deck([basic("a")])
    login(client, learner.email)
    page = client.get(f"/study/{deck.id}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = client.post(f"/study/{deck.id}/answer", data={"token": token, "grade": "5"})
    assert response.status_code == 400
    assert db.session.query(ReviewLog).count() == 0


def test_garbage_answer_fields_do_not_crash(client, learner):
    deck = make_deck([basic("a")])
    login(client, learner.email)
    csrf = csrf_token(client, f"/study/{deck.id}")
    for data in ({"token": "garbage", "grade": "5"}, {"grade": "x"}, {"token": "", "grade": ""}):
        response = client.post(f"/study/{deck.id}/answer", data={**data, "csrf_token": csrf})
        assert response.status_code == 303
    assert client.post("/study/999/answer", data={"csrf_token": csrf}).status_code == 404


def test_unpublished_deck_is_hidden_from_learners(client, learner, instructor):
    deck = make_deck([basic("a")], owner=instructor, published=False)
    login(client, learner.email)
    assert client.get(f"/decks/{deck.id}").status_code == 404
    assert client.get(f"/study/{deck.id}").status_code == 404


def test_deck_page_progress_and_exports_render(client, learner):
    deck = make_deck([basic("a", tags=("topic::one",)),
                      CardData(guid="c", kind="cloze", prompt="{{c1::Paris}} is in France")])
    login(client, learner.email)
    page = client.get(f"/decks/{deck.id}").get_data(as_text=True)
    assert "Export to Anki" in page and "Question a" not in page
    assert "Question a" in client.get(f"/decks/{deck.id}?cards=1").get_data(as_text=True)
    assert client.get(f"/decks/{deck.id}/export.apkg").data[:2] == b"PK"
    assert client.get(f"/decks/{deck.id}/export.apkg?progress=1").data[:2] == b"PK"
    assert "guid" in client.get(f"/decks/{deck.id}/export.csv").get_data(as_text=True)
    progress = client.get("/progress/")
    assert progress.status_code == 200
    # Nothing studied yet: each chart says so instead of drawing an empty frame.
    assert "No reviews yet." in progress.get_data(as_text=True)


def test_instructor_pages_render(client, instructor):
    deck = make_deck([basic("a")], owner=instructor, published=False)
    login(client, instructor.email)
    for url in ("/decks/mine", "/decks/upload", "/decks/generate", f"/decks/{deck.id}/settings",
                f"/decks/{deck.id}/review", f"/decks/{deck.id}/cards/new",
                f"/decks/{deck.id}/cards/{deck.cards[0].id}/edit", "/classes/"):
        assert client.get(url).status_code == 200, url


def test_hard_cards_link_crams_just_those(client, learner):
    deck = make_deck([basic("easy"), basic("hard")])
    hard = next(c for c in deck.cards if c.guid == "hard")
    db.session.add(sm2_row(learner, hard, interval=1, repetitions=0, due=date(2030, 1, 1),
                           lapses=2, easiness="1.9"))
    db.session.commit()
    login(client, learner.email)
    progress = client.get("/progress/").get_data(as_text=True)
    link = f"/study/{deck.id}?mode=cram&amp;focus=hard&amp;restart=1"
    assert link in progress
    page = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Question hard" in page


def test_progress_for_one_deck_counts_only_that_deck(client, learner):
    studied = make_deck([basic("a"), basic("b")], title="Studied deck")
    other = make_deck([basic("c")], title="Other deck")
    login(client, learner.email)
    page = client.get(f"/study/{studied.id}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    client.post(f"/study/{studied.id}/answer", data={
        "token": token, "grade": "5", "csrf_token": csrf_token(client, "/")})
    one = client.get(f"/progress/decks/{studied.id}").get_data(as_text=True)
    assert "Your progress in Studied deck" in one
    assert re.search(r'id="count-new">\s*1\s*<', one)
    assert re.search(r'id="count-young">\s*1\s*<', one)
    assert "<svg" in one
    empty = client.get(f"/progress/decks/{other.id}").get_data(as_text=True)
    assert re.search(r'id="count-new">\s*1\s*<', empty)
    assert re.search(r'id="count-young">\s*0\s*<', empty)
