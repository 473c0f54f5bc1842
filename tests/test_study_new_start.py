"""The session's new-card search start: the next new card is found from where the last search
ended, not by walking every studied card, and never skips a card that became new again."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from study_helpers import basic, make_deck, sm2_row

from quizapp.deckfile import DeckData
from quizapp.extensions import db
from quizapp.models import MAX_ID, StudySession, utcnow
from quizapp.services import study, study_queue
from quizapp.services.decks import store_deck


def next_card(user, deck):
    """What the study page does: open the session, choose, store the start, commit."""
    queue = study_queue.open_session(user, deck.id, cram=False)
    presentation = study.choose_next(user, deck, queue, cram=False)
    study_queue.save_new_start(queue)
    db.session.commit()
    return presentation


def mark_studied(user, deck, cards):
    later = utcnow().date() + timedelta(days=5)
    db.session.add_all([sm2_row(user, card, due=later, interval=5, repetitions=1)
                        for card in cards])
    db.session.commit()


def start_of(user, deck):
    db.session.expire_all()
    row = db.session.scalars(select(StudySession).where(
        StudySession.user_id == user.id, StudySession.deck_id == deck.id)).one()
    return row.new_from_position, row.new_from_version


def test_the_start_moves_in_steps_and_past_the_end(app, learner):
    deck = make_deck([basic(f"q{i}") for i in range(60)], new_per_day=1000)
    cards = deck.cards
    mark_studied(learner, deck, cards[:40])
    assert next_card(learner, deck).card_id == cards[40].id
    assert start_of(learner, deck) == (40, deck.version)
    # A few cards further on: found from the stored start, which stays where it is.
    mark_studied(learner, deck, cards[40:50])
    assert next_card(learner, deck).card_id == cards[50].id
    assert start_of(learner, deck) == (40, deck.version)
    mark_studied(learner, deck, cards[50:])
    assert next_card(learner, deck) is None
    assert start_of(learner, deck) == (MAX_ID, deck.version)


def test_an_undone_first_answer_before_the_start_is_asked_again(app, learner):
    deck = make_deck([basic(f"q{i}") for i in range(40)], new_per_day=1000)
    cards = deck.cards
    first = next_card(learner, deck)
    assert first.card_id == cards[0].id
    token = study.encode_presentation(first, learner.id, current_app.config["SECRET_KEY"])
    study.record_answer(learner, token, current_app.config["SECRET_KEY"], grade=4)
    mark_studied(learner, deck, cards[1:30])
    assert next_card(learner, deck).card_id == cards[30].id
    assert start_of(learner, deck)[0] == 30
    assert study.undo_last(learner, deck) is not None
    assert next_card(learner, deck).card_id == cards[0].id


def test_a_card_added_at_the_top_of_the_deck_is_not_skipped(app, learner):
    old = [basic(f"q{i}") for i in range(40)]
    deck = make_deck(old, title="Grows", new_per_day=1000)
    mark_studied(learner, deck, deck.cards[:30])
    assert next_card(learner, deck).card_id == deck.cards[30].id
    store_deck(DeckData(title="Grows", cards=[basic("new-first"), *old], new_per_day=1000),
               owner=None, publish=True)
    db.session.commit()
    added = next(card for card in deck.cards if card.guid == "new-first")
    assert next_card(learner, deck).card_id == added.id
