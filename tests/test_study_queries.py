"""The database work of one study request, counted: SQL statements, commits and connection
checkouts (each a pre-ping round trip) per GET and POST. The numbers are exact on purpose, so
a change that adds a round trip to the hottest path fails here and is decided on, not found
later in a benchmark."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from study_helpers import basic, make_deck, sm2_row

from quizapp.extensions import db
from quizapp.models import utcnow

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def counted():
    """Counts what the engine does while the block runs, by kind of statement."""
    seen: Counter = Counter()

    def statement(conn, cursor, sql, parameters, context, executemany):
        seen[sql.split(None, 1)[0].upper()] += 1

    def commit(conn):
        seen["COMMIT"] += 1

    def checkout(dbapi_connection, record, proxy):
        seen["checkout"] += 1

    engine = db.engine
    listeners = [(engine, "before_cursor_execute", statement), (engine, "commit", commit),
                 (engine.pool, "checkout", checkout)]
    for target, name, function in listeners:
        event.listen(target, name, function)
    try:
        yield seen
    finally:
        for target, name, function in listeners:
            event.remove(target, name, function)


@pytest.fixture
def deck(app, learner):
    deck = make_deck([basic(f"q{i}") for i in range(30)])
    return deck


def _page(client, deck_id):
    response = client.get(f"/study/{deck_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _answer(client, deck_id, page):
    response = client.post(f"/study/{deck_id}/answer", data={
        "token": TOKEN_RE.search(page).group(1), "csrf_token": CSRF_RE.search(page).group(1),
        "grade": "4"})
    assert response.status_code == 303
    return response


def _make_due(learner, deck, count):
    yesterday = utcnow().date() - timedelta(days=1)
    db.session.add_all([
        sm2_row(learner, card, due=yesterday, interval=3, repetitions=2,
                last_review_at=utcnow() - timedelta(days=3))
        for card in deck.cards[:count]
    ])
    db.session.commit()


def test_due_review_get_and_answer(client, auth, learner, deck):
    _make_due(learner, deck, 5)
    auth.login()
    _page(client, deck.id)  # opens the session
    with counted() as get:
        page = _page(client, deck.id)
    with counted() as post:
        _answer(client, deck.id, page)
    # GET: user with the deck of the URL (one statement), session, its queue, today's counts,
    # the due state with its card, the learner's own scheduler settings (for the intervals on
    # the buttons).
    assert dict(get) == {"checkout": 1, "SELECT": 6, "COMMIT": 1}
    # POST: user with the deck, one joined read (card, state, own settings, session, queued
    # again?), the guarded UPDATE of the state, the log INSERT.
    assert dict(post) == {"checkout": 1, "SELECT": 2, "UPDATE": 1, "INSERT": 1, "COMMIT": 1}


def test_new_card_get_and_answer(client, auth, learner, deck):
    auth.login()
    _page(client, deck.id)  # opens the session and records where new cards start
    with counted() as get:
        page = _page(client, deck.id)
    with counted() as post:
        _answer(client, deck.id, page)
    # GET: user with the deck, session, queue, today's counts, no due state, the first new
    # card, the learner's own scheduler settings.
    assert dict(get) == {"checkout": 1, "SELECT": 7, "COMMIT": 1}
    # POST: user with the deck, the joined read, INSERT state, INSERT log.
    assert dict(post) == {"checkout": 1, "SELECT": 2, "INSERT": 2, "COMMIT": 1}


def test_cram_get(client, auth, learner, deck):
    auth.login()
    client.get(f"/study/{deck.id}?mode=cram&restart=1")
    with counted() as get:
        response = client.get(f"/study/{deck.id}?mode=cram")
    assert response.status_code == 200
    # user with the deck, session, queue, a window of the deck from a random point, the card,
    # own scheduler settings.
    assert dict(get) == {"checkout": 1, "SELECT": 6, "COMMIT": 1}
