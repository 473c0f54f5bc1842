"""The instructor's review of a generated draft: confidence, suggestions accepted or dropped
in one click, cards dropped and restored, every step undoable, citations by title."""

from __future__ import annotations

import html
import re

from conftest import csrf_token, make_user
from review_helpers import (
    CLOT_NAME,
    UNTITLED_NAME,
    deck_data_again,
    draft_deck,
    knowledge,
    suggestion,
)
from study_helpers import basic, make_deck

from quizapp.extensions import db
from quizapp.models import Card, Deck, ReviewLog, SuggestionDecision
from quizapp.services.decks import store_deck
from quizapp.services.review import reapply_accepted


def page_text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    markup = response.get_data(as_text=True).replace("<q>", "“").replace("</q>", "”")
    text = re.sub(r"<[^>]+>", " ", markup)
    text = re.sub(r"\s+", " ", html.unescape(text))
    return re.sub(r" (?=[.,:;”)])|(?<=[“(]) ", "", text)


def decide(client, deck, suggestion_id, action):
    return client.post(f"/decks/{deck.id}/suggestions", data={
        "csrf_token": csrf_token(client, "/"), "suggestion": suggestion_id, "decision": action})


def cards_by_guid(deck_id: int) -> dict[str, Card]:
    db.session.expire_all()
    return {c.guid: c for c in db.session.scalars(db.select(Card).where(Card.deck_id == deck_id))}


def test_review_page_shows_confidence_and_suggestions_with_their_sentences(
    auth, client, instructor
):
    deck = draft_deck(instructor)
    auth.login(instructor.email)
    response = client.get(f"/decks/{deck.id}/review")
    assert response.status_code == 200
    text = page_text(response)
    assert "confidence of at least 0.60" in text
    assert "deep vein thrombosis" in text and "confidence 0.91" in text
    assert "long periods of sitting" in text and "confidence 0.77" in text
    assert "Suggestions below the threshold (2 of 2 open)" in text
    assert "clot buildup → deep type" in text and "confidence 0.42" in text
    assert "one source only; stated with 'may'" in text
    # The suggestion's sentence, cited by the document's title, tidied.
    assert ("Deep vein thrombosis: “Some pages say that clot buildup may lead to the deep "
            "type, rarely.”") in text
    markup = response.get_data(as_text=True)
    assert markup.count('value="accept"') == 2 and markup.count('value="drop"') == 2


def test_citations_name_the_document_and_read_cleanly(auth, client, app, instructor):
    deck = draft_deck(instructor, published=True)
    auth.login(instructor.email)
    review = page_text(client.get(f"/decks/{deck.id}/review"))
    assert "“It is usually caused by long periods of sitting.”" in review
    assert "Injury may cause it.”" in review
    assert CLOT_NAME not in review and UNTITLED_NAME not in review
    assert "Untitled document beginning “Superficial thrombosis affects veins near the" in review
    markup = client.get(f"/decks/{deck.id}/review").get_data(as_text=True)
    assert not re.search(r"<q>[^<]*\s[.,][^<]*</q>", markup)

    learner = make_user("student@example.org")
    learner_client = app.test_client()
    auth.login(learner.email, client=learner_client)
    for _ in range(3):
        page = learner_client.get(f"/study/{deck.id}").get_data(as_text=True)
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)
        if 'name="choice"' in page:
            break
        learner_client.post(f"/study/{deck.id}/answer", data={
            "token": token, "grade": "5", "csrf_token": csrf_token(learner_client, "/")})
    feedback = page_text(learner_client.post(f"/study/{deck.id}/answer", data={
        "token": token, "choice": "0", "csrf_token": csrf_token(learner_client, "/")}))
    assert "Untitled document beginning “Superficial thrombosis" in feedback
    assert "“Injury may cause it.”" in feedback
    assert UNTITLED_NAME not in feedback


def test_accept_adds_the_suggested_cards_and_undo_takes_them_out(auth, client, instructor):
    deck = draft_deck(instructor)
    version = deck.version
    auth.login(instructor.email)
    response = decide(client, deck, "cause:clot-buildup", "accept")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/decks/{deck.id}/review#" + re.search(
        r'id="(suggestion-[0-9a-f]+)"', client.get(f"/decks/{deck.id}/review").get_data(
            as_text=True)).group(1))
    cards = cards_by_guid(deck.id)
    added = cards["sg-buildup"]
    assert not added.retired and added.answer == "clot buildup"
    assert added.sources[0]["source"] == "001" and added.position > cards["c-count"].position
    row = db.session.scalars(db.select(SuggestionDecision)).one()
    assert (row.suggestion_id, row.decision, row.added_guids, row.decided_by) == (
        "cause:clot-buildup", "accepted", ["sg-buildup"], instructor.id)
    assert db.session.get(Deck, deck.id).version > version
    text = page_text(client.get(f"/decks/{deck.id}/review"))
    assert "Accepted: 1 card added to the draft." in text and "Draft cards (4)" in text
    assert "(1 of 2 open)" in text

    # A second click (another window, a double click) changes nothing.
    assert decide(client, deck, "cause:clot-buildup", "accept").status_code == 303
    assert len(cards_by_guid(deck.id)) == 4

    assert decide(client, deck, "cause:clot-buildup", "undo").status_code == 303
    assert "sg-buildup" not in cards_by_guid(deck.id)  # never studied: erased
    assert db.session.scalar(db.select(db.func.count(SuggestionDecision.id))) == 0
    assert "(2 of 2 open)" in page_text(client.get(f"/decks/{deck.id}/review"))


def test_drop_is_recorded_and_undoable_and_can_turn_into_accept(auth, client, instructor, learner):
    deck = draft_deck(instructor)
    auth.login(instructor.email)
    assert decide(client, deck, "cause:injury", "drop").status_code == 303
    row = db.session.scalars(db.select(SuggestionDecision)).one()
    assert (row.decision, row.added_guids) == ("dropped", [])
    assert "sg-injury" not in cards_by_guid(deck.id)
    assert "Dropped." in page_text(client.get(f"/decks/{deck.id}/review"))
    assert decide(client, deck, "cause:injury", "undo").status_code == 303
    assert db.session.scalar(db.select(db.func.count(SuggestionDecision.id))) == 0

    decide(client, deck, "cause:injury", "accept")
    card = cards_by_guid(deck.id)["sg-injury"]
    db.session.add(ReviewLog(user_id=learner.id, card_id=card.id, deck_id=deck.id, ordinal=0,
                             phase="learn", grade=4, presentation="p-injury"))
    db.session.commit()
    # Dropping what was accepted takes its card out again; one studied is kept, retired.
    assert decide(client, deck, "cause:injury", "drop").status_code == 303
    assert cards_by_guid(deck.id)["sg-injury"].retired
    db.session.expire_all()
    assert db.session.scalars(db.select(SuggestionDecision)).one().decision == "dropped"


def test_a_suggestion_whose_card_already_exists_does_not_take_it_on_undo(auth, client, instructor):
    data = knowledge()
    data["suggestions"].append(suggestion("cause:sitting-again", "sitting → deep", "c-sitting",
                                          data["suggestions"][0]["locations"][0]))
    deck = draft_deck(instructor, knowledge_object=data)
    auth.login(instructor.email)
    decide(client, deck, "cause:sitting-again", "accept")
    decide(client, deck, "cause:sitting-again", "undo")
    cards = cards_by_guid(deck.id)
    assert not cards["c-sitting"].retired
    assert cards["c-sitting"].prompt == "What usually causes DVT?"


def test_forged_and_broken_suggestions_get_a_clear_4xx(auth, client, instructor):
    data = knowledge()
    data["suggestions"].append(suggestion("cause:broken", "broken → deep", "sg-broken",
                                          {"source": "nowhere"}, kind="mcq"))
    deck = draft_deck(instructor, knowledge_object=data)
    auth.login(instructor.email)
    assert decide(client, deck, "cause:nope", "accept").status_code == 404
    assert decide(client, deck, "", "accept").status_code == 404
    assert decide(client, deck, "cause:injury", "explode").status_code == 400
    broken = decide(client, deck, "cause:broken", "accept")
    assert broken.status_code == 400 and "cannot be accepted" in page_text(broken)
    assert decide(client, deck, "cause:broken", "drop").status_code == 303
    assert "sg-broken" not in cards_by_guid(deck.id)
    other = make_user("other@example.org", "instructor")
    other_client = client.application.test_client()
    auth.login(other.email, client=other_client)
    assert decide(other_client, deck, "cause:injury", "accept").status_code == 403
    assert db.session.scalars(db.select(SuggestionDecision)).one().suggestion_id == "cause:broken"


def test_hostile_knowledge_renders_without_error(auth, client, instructor):
    hostile = {
        "condition": ["not", "a", "name"], "threshold": "high",
        "types": [{"name": "t", "sources": 5, "confidence": "sure",
                   "reversibility": {"value": {}, "statements": "yes"}}, "junk", None],
        "causes": {"name": "not a list"},
        "conflicts": [{"positions": [{"sources": 7, "locations": ["x", {"source": 3}]}]}],
        "symptoms": [{"name": 12}, {"name": "fever", "confidence": 7}],
        "suggestions": [
            {"id": "a" * 201, "cards": []}, {"id": 5}, "x",
            {"id": "s1", "confidence": True, "reasons": "why", "locations": {"a": 1},
             "cards": [{"guid": "g", "kind": "mcq", "prompt": "<script>x</script>"}]},
            {"id": "s1", "statement": "repeated id"},
        ],
    }
    deck = draft_deck(instructor, knowledge_object=hostile)
    auth.login(instructor.email)
    response = client.get(f"/decks/{deck.id}/review")
    assert response.status_code == 200
    text = page_text(response)
    assert "<script>x" not in response.get_data(as_text=True)
    assert "(1 of 1 open)" in text and "Cannot be accepted" in text
    assert decide(client, deck, "s1", "accept").status_code == 400


def test_regenerating_keeps_the_accepted_cards(auth, client, instructor):
    deck = draft_deck(instructor)
    auth.login(instructor.email)
    decide(client, deck, "cause:clot-buildup", "accept")
    db.session.expire_all()
    deck = db.session.get(Deck, deck.id)
    report = store_deck(deck_data_again(deck), owner=instructor, slug=deck.slug)
    assert report.retired == 1  # the store alone would lose the accepted card
    reapply_accepted(deck)
    db.session.commit()
    assert not cards_by_guid(deck.id)["sg-buildup"].retired


def test_drop_stays_on_the_review_page_with_undo_and_restore(auth, client, instructor):
    deck = draft_deck(instructor)
    card = next(c for c in deck.cards if c.guid == "c-count")
    auth.login(instructor.email)
    token = csrf_token(client, f"/decks/{deck.id}/review")
    response = client.post(f"/decks/{deck.id}/cards/{card.id}/delete",
                           data={"csrf_token": token, "back": "review"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/decks/{deck.id}/review?dropped={card.id}#card-{card.id}")
    assert cards_by_guid(deck.id)["c-count"].retired
    text = page_text(client.get(response.headers["Location"]))
    assert "Dropped “How many types are named?”. Undo" in text and "Draft cards (2)" in text
    assert "Retired cards (1)" in text
    restored = client.post(f"/decks/{deck.id}/cards/{card.id}/restore",
                           data={"csrf_token": token, "back": "review"})
    assert restored.headers["Location"].endswith(f"/decks/{deck.id}/review#card-{card.id}")
    assert not cards_by_guid(deck.id)["c-count"].retired
    assert "Retired cards" not in page_text(client.get(f"/decks/{deck.id}/review"))
    # A forged card id, or a card of someone else's deck, is a 404 and changes nothing.
    foreign = draft_deck(make_user("x@example.org", "instructor"))
    for card_id in (999999, foreign.cards[0].id):
        assert client.post(f"/decks/{deck.id}/cards/{card_id}/restore",
                           data={"csrf_token": token}).status_code == 404
    # The address's "dropped" names only a retired card of this deck.
    for value in ("abc", str(foreign.cards[0].id), "2147483648", "99999999999", "9" * 40,
                  str(card.id), "-1"):
        assert client.get(f"/decks/{deck.id}/review?dropped={value}").status_code == 200


def test_delete_on_the_deck_page_offers_undo_and_restore(auth, client, instructor):
    deck = draft_deck(instructor)
    card = next(c for c in deck.cards if c.guid == "c-sitting")
    auth.login(instructor.email)
    token = csrf_token(client, f"/decks/{deck.id}")
    response = client.post(f"/decks/{deck.id}/cards/{card.id}/delete", data={"csrf_token": token})
    assert response.headers["Location"].endswith(
        f"/decks/{deck.id}?dropped={card.id}#card-{card.id}")
    text = page_text(client.get(response.headers["Location"]))
    assert "Deleted “What usually causes DVT?”. Undo" in text
    assert "1 retired card: restore one on the review page" in text
    client.post(f"/decks/{deck.id}/cards/{card.id}/restore", data={"csrf_token": token})
    assert not cards_by_guid(deck.id)["c-sitting"].retired


def test_a_deck_without_knowledge_can_still_be_reviewed(auth, client, instructor):
    deck = make_deck([basic("a")], owner=instructor, published=False)
    auth.login(instructor.email)
    text = page_text(client.get(f"/decks/{deck.id}/review"))
    assert "no knowledge base" in text and "Draft cards (1)" in text
