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
from study_helpers import basic, make_deck, mcq, sm2_row

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
    # GET: user with the deck of the URL (one statement), one read of the session with its
    # queue, today's counts and the learner's own scheduler settings (for the intervals on the
    # buttons), the due state with its card.
    assert dict(get) == {"checkout": 1, "SELECT": 3, "COMMIT": 1}
    # POST: user with the deck, one joined read (card, state, own settings, session, queued
    # again?), the guarded UPDATE of the state, the log INSERT; on PostgreSQL the two writes are one
    # statement (WITH written AS (UPDATE ...) INSERT ...).
    writes = {"WITH": 1} if db.engine.dialect.name == "postgresql" else {"UPDATE": 1, "INSERT": 1}
    assert dict(post) == {"checkout": 1, "SELECT": 2, **writes, "COMMIT": 1}


def test_new_card_get_and_answer(client, auth, learner, deck):
    auth.login()
    _page(client, deck.id)  # opens the session and records where new cards start
    with counted() as get:
        page = _page(client, deck.id)
    with counted() as post:
        _answer(client, deck.id, page)
    # GET: user with the deck, the session read (queue, today's counts, own settings), no due state,
    # the first new card.
    assert dict(get) == {"checkout": 1, "SELECT": 4, "COMMIT": 1}
    # POST: user with the deck, the joined read, INSERT state, INSERT log (one statement on
    # PostgreSQL: WITH written AS (INSERT ...) INSERT ...).
    writes = {"WITH": 1} if db.engine.dialect.name == "postgresql" else {"INSERT": 2}
    assert dict(post) == {"checkout": 1, "SELECT": 2, **writes, "COMMIT": 1}


def test_cram_get(client, auth, learner, deck):
    auth.login()
    client.get(f"/study/{deck.id}?mode=cram&restart=1")
    with counted() as get:
        response = client.get(f"/study/{deck.id}?mode=cram")
    assert response.status_code == 200
    # user with the deck, the session read (queue, own scheduler settings), a window of the
    # deck from a random point, the card.
    assert dict(get) == {"checkout": 1, "SELECT": 4, "COMMIT": 1}


def test_the_counts_read_with_the_session_keep_the_daily_limits(client, auth, learner, deck):
    """Today's counts come with the session's read: a page still stops at the deck's limits."""
    deck.reviews_per_day, deck.new_per_day = 1, 1
    db.session.commit()
    _make_due(learner, deck, 3)
    auth.login()
    page = _page(client, deck.id)
    assert '<span class="badge">Review</span>' in page
    _answer(client, deck.id, page)
    page = _page(client, deck.id)  # the review limit is reached: a new card instead
    assert "New card" in page
    _answer(client, deck.id, page)
    page = _page(client, deck.id)  # both limits reached
    assert "Session complete" in page


def test_a_feedback_page_reads_on_the_answers_connection(client, auth, learner):
    """An auto-graded answer renders its feedback page (which reads the deck's sources) on
    the connection the answer committed on: no second checkout after the commit."""
    deck = make_deck([mcq(f"m{i}") for i in range(3)])
    auth.login()
    _page(client, deck.id)
    page = _page(client, deck.id)
    with counted() as post:
        response = client.post(f"/study/{deck.id}/answer", data={
            "token": TOKEN_RE.search(page).group(1),
            "csrf_token": CSRF_RE.search(page).group(1), "choice": "0"})
    assert response.status_code == 200 and "Next card" in response.get_data(as_text=True)
    assert post["checkout"] == 1 and post["COMMIT"] == 1
