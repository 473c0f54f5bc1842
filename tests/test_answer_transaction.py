"""The answer POST on PostgreSQL reads outside a transaction and writes its one statement alone
(``rows.read_outside_transaction``, ``study_answer.answer_presentation``); an answer that
writes more than one statement (the session's queue, a repeat's tally and its log) begins a
transaction first, so a failure after its first write leaves nothing behind. On SQLite every
answer is one transaction, as before."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from study_helpers import basic, make_deck, recorded_writes, sm2_row
from test_study_queries import CSRF_RE, TOKEN_RE, counted

from quizapp.extensions import db
from quizapp.models import CardState, ReviewLog, StudyQueueItem, User, utcnow
from quizapp.services import answer_rows, shown_answer, study_answer
from quizapp.services.presentation import Presentation
from quizapp.services.rows import read_outside_transaction

POSTGRESQL = "postgresql"


@pytest.fixture
def due_deck(app, learner):
    """A deck of two sides due for review, the learner's study session opened."""
    deck = make_deck([basic("q0"), basic("q1")])
    yesterday = utcnow().date() - timedelta(days=1)
    db.session.add_all([sm2_row(learner, card, due=yesterday, interval=3, repetitions=2,
                                last_review_at=utcnow() - timedelta(days=3))
                        for card in deck.cards])
    db.session.commit()
    return deck


def _states() -> list[tuple]:
    db.session.remove()
    return [tuple(row) for row in db.session.execute(
        select(*CardState.__table__.c).order_by(CardState.id))]


def _answer(client, deck_id, grade: str):
    page = client.get(f"/study/{deck_id}").get_data(as_text=True)
    return client.post(f"/study/{deck_id}/answer", data={
        "token": TOKEN_RE.search(page).group(1), "csrf_token": CSRF_RE.search(page).group(1),
        "grade": grade})


def test_an_answer_that_queues_its_side_again_is_one_transaction(client, auth, learner,
                                                                  due_deck):
    """A missed review is asked again (a queue row): the state's write, the log and the queue
    row commit together, a BEGIN and a COMMIT more than the common answer on PostgreSQL."""
    deck_id = due_deck.id
    auth.login()
    page = client.get(f"/study/{deck_id}").get_data(as_text=True)
    with recorded_writes() as writes, counted() as post:
        response = client.post(f"/study/{deck_id}/answer", data={
            "token": TOKEN_RE.search(page).group(1),
            "csrf_token": CSRF_RE.search(page).group(1), "grade": "1"})
    assert response.status_code == 303
    state = ({"BEGIN": 1, "WITH": 1} if db.engine.dialect.name == POSTGRESQL
             else {"UPDATE": 1, "INSERT": 1})
    # The user with the deck is its one read (services.shown_answer).
    assert dict(post) == {"checkout": 1, "SELECT": 1, **state, "INSERT": post["INSERT"],
                          "COMMIT": 1}
    assert post["INSERT"] == (1 if db.engine.dialect.name == POSTGRESQL else 2)
    assert writes and all(in_transaction for _, in_transaction in writes)
    db.session.remove()
    assert db.session.scalars(select(StudyQueueItem.kind)).all() == ["again"]


def test_a_failure_after_the_answers_first_write_leaves_nothing(client, auth, learner,
                                                                due_deck, monkeypatch):
    """The queue's write fails after the state's write and the log's (one statement on
    PostgreSQL): the answer is rolled back whole, state, log and queue."""
    deck_id = due_deck.id
    before = _states()
    queue_write = study_answer.record_answer_in_queue

    def failing(*args, **kwargs):
        queue_write(*args, **kwargs)
        raise RuntimeError("injected after the answer's writes")

    # The lean path's (a self-graded review: services.shown_answer) and the general path's.
    for path in (shown_answer, study_answer):
        monkeypatch.setattr(path, "record_answer_in_queue", failing)
    auth.login()
    assert _answer(client, deck_id, "1").status_code == 500  # the app's error page
    assert _states() == before
    assert db.session.scalars(select(ReviewLog.id)).all() == []
    assert db.session.scalars(select(StudyQueueItem.id)).all() == []
    # The same answer afterwards is recorded once, as the common answer is.
    for path in (shown_answer, study_answer):
        monkeypatch.setattr(path, "record_answer_in_queue", queue_write)
    assert _answer(client, deck_id, "4").status_code == 303
    db.session.remove()
    assert len(db.session.scalars(select(ReviewLog.id)).all()) == 1


class _Failing:
    """A prepared statement that fails when run: the answer's log insert, here."""

    def first(self, connection, parameters):
        raise RuntimeError("injected before the log")


def test_a_repeats_tally_and_log_are_one_transaction(app, learner, due_deck, monkeypatch):
    """A repeat (no schedule written) of a side with a state row updates its tally and inserts
    the log: two statements, so in one transaction even outside any study session (no queue
    write) and with the reads outside a transaction."""
    card_id, learner_id = due_deck.cards[0].id, learner.id
    before = _states()
    version = db.session.scalar(select(CardState.version).where(CardState.card_id == card_id))
    monkeypatch.setattr(answer_rows, "INSERT_LOG", _Failing())
    db.session.remove()
    read_outside_transaction()
    user = db.session.get(User, learner_id)
    presentation = Presentation(card_id, 0, "repeat", version, "repeat-1", time.time() - 5)
    with pytest.raises(RuntimeError, match="injected"):
        study_answer.answer_presentation(user, presentation, grade=4)
    db.session.rollback()
    assert _states() == before
    assert db.session.scalars(select(ReviewLog.id)).all() == []


def test_a_common_answer_writes_one_statement_outside_a_transaction(client, auth, learner,
                                                                    due_deck):
    """The common review (queue unchanged): on PostgreSQL its one write statement runs alone,
    outside a transaction, and its log row is there afterwards, once."""
    deck_id = due_deck.id
    auth.login()
    page = client.get(f"/study/{deck_id}").get_data(as_text=True)
    with recorded_writes() as writes:
        response = client.post(f"/study/{deck_id}/answer", data={
            "token": TOKEN_RE.search(page).group(1),
            "csrf_token": CSRF_RE.search(page).group(1), "grade": "4"})
    assert response.status_code == 303
    if db.engine.dialect.name == POSTGRESQL:
        assert writes == [("WITH", False)]
    else:
        assert [verb for verb, _ in writes] == ["UPDATE", "INSERT"]
    db.session.remove()
    assert len(db.session.scalars(select(ReviewLog.id)).all()) == 1
    assert db.session.scalars(select(StudyQueueItem.id)).all() == []
