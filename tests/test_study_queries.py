"""The database work of one study request, counted: SQL statements, connection checkouts (each
a pre-ping round trip), and the BEGIN and COMMIT the driver sends, per GET and POST. The numbers
are exact on purpose, so a change that adds a round trip to the hottest path fails here and is
decided on, not found later in a benchmark."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event, func, select
from study_helpers import basic, make_deck, mcq, sm2_row, statement_verb

from quizapp.extensions import db
from quizapp.models import ReviewLog, StudyQueueItem, utcnow
from quizapp.scheduling.phase import Phase
from quizapp.services import study, study_page

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _in_transaction(dbapi_connection) -> bool:
    """The driver has a transaction open on the server: its commit sends a COMMIT."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        return dbapi_connection.in_transaction
    return dbapi_connection.info.transaction_status != TransactionStatus.IDLE


@contextmanager
def counted():
    """Counts what the engine sends while the block runs, by kind of statement. BEGIN is
    counted on PostgreSQL, where psycopg sends it as a round trip of its own before a
    transaction's first statement (pysqlite's implicit BEGIN is a call in the process)."""
    seen: Counter = Counter()

    def statement(conn, cursor, sql, parameters, context, executemany):
        dbapi_connection = conn.connection.dbapi_connection
        if (not isinstance(dbapi_connection, sqlite3.Connection)
                and not dbapi_connection.autocommit and not _in_transaction(dbapi_connection)):
            seen["BEGIN"] += 1
        seen[statement_verb(sql)] += 1

    def commit(conn):
        # A commit with no transaction open (one that only read, on SQLite, or ran outside
        # a transaction) sends nothing.
        if _in_transaction(conn.connection.dbapi_connection):
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
    # GET: the user with the deck of the URL, the session with its queue, today's counts, the
    # learner's own scheduler settings (for the intervals on the buttons) and the due state
    # with its card, in one statement; no BEGIN or COMMIT (it only reads: outside a
    # transaction on PostgreSQL, and pysqlite begins only before a write).
    assert dict(get) == {"checkout": 1, "SELECT": 1}
    # POST: user with the deck, then no read (a self-graded side's token carries what its
    # answer needs: services.shown_answer), the guarded UPDATE of the state, the log INSERT;
    # on PostgreSQL the two writes are one statement (WITH written AS (UPDATE ...) INSERT
    # ...), run like the reads outside a transaction: no BEGIN or COMMIT.
    writes = ({"WITH": 1} if db.engine.dialect.name == "postgresql"
              else {"UPDATE": 1, "INSERT": 1, "COMMIT": 1})
    assert dict(post) == {"checkout": 1, "SELECT": 1, **writes}


def test_new_card_get_and_answer(client, auth, learner, deck):
    auth.login()
    _page(client, deck.id)  # opens the session and records where new cards start
    with counted() as get:
        page = _page(client, deck.id)
    with counted() as post:
        _answer(client, deck.id, page)
    # GET: user with the deck and the session read (queue, today's counts, own settings, no
    # due state), the first new card; no transaction.
    assert dict(get) == {"checkout": 1, "SELECT": 2}
    # POST: user with the deck, no read (as above), INSERT state, INSERT log (one statement on
    # PostgreSQL: WITH written AS (INSERT ...) INSERT ..., outside a transaction).
    writes = ({"WITH": 1} if db.engine.dialect.name == "postgresql"
              else {"INSERT": 2, "COMMIT": 1})
    assert dict(post) == {"checkout": 1, "SELECT": 1, **writes}


def test_cram_get(client, auth, learner, deck):
    auth.login()
    client.get(f"/study/{deck.id}?mode=cram&restart=1")
    with counted() as get:
        response = client.get(f"/study/{deck.id}?mode=cram")
    assert response.status_code == 200
    # user with the deck and the session read (queue, own scheduler settings), a window of
    # the deck from a random point, the card; no transaction.
    assert dict(get) == {"checkout": 1, "SELECT": 3}


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


def test_the_due_side_read_with_the_page_waits_for_its_learning_step(client, auth, learner,
                                                                     deck):
    """The due side comes with the page's first statement (study_page): a side in a learning
    step due later today waits for its time there too, and the most overdue side comes first
    (the daily limits: ``test_the_counts_read_with_the_session_keep_the_daily_limits``)."""
    today = utcnow().date()
    waiting, overdue, due = deck.cards[:3]
    db.session.add_all([
        sm2_row(learner, waiting, due=today, due_at=utcnow() + timedelta(hours=1)),
        sm2_row(learner, overdue, due=today - timedelta(days=3), interval=3, repetitions=2),
        sm2_row(learner, due, due=today - timedelta(days=1), interval=3, repetitions=2)])
    db.session.commit()
    deck_id, prompts, later = deck.id, (overdue.prompt, due.prompt), waiting.prompt
    auth.login()
    _page(client, deck_id)  # opens the session
    shown = []
    for _ in range(2):
        with counted() as get:
            page = _page(client, deck_id)
        assert get["SELECT"] == 1 and '<span class="badge">Review</span>' in page
        shown.append(next(prompt for prompt in prompts if prompt in page))
        _answer(client, deck_id, page)
    assert shown == list(prompts)
    # Only the waiting side is left due: not yet; a new card instead.
    page = _page(client, deck_id)
    assert "New card" in page and later not in page


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
    # A missed card is queued again: more than one write, a transaction on either engine;
    # an answer right is one statement on PostgreSQL, outside a transaction.
    queued = db.session.scalar(select(func.count(StudyQueueItem.id)))
    assert post["checkout"] == 1
    assert post["COMMIT"] == (0 if db.engine.dialect.name == "postgresql" and not queued else 1)


def test_a_study_page_that_starts_a_session_writes_in_one_transaction(client, auth, learner, deck):
    """The study GET reads outside a transaction on PostgreSQL, but starting a session (its
    row, then where new cards start) is one transaction, begun before its first write."""
    deck_id = deck.id
    auth.login()
    with counted() as get:
        _page(client, deck_id)
    # user with the deck and the session read (no session), the session's row found missing,
    # inserted and read, its empty queue, today's counts, no due state, the first new card,
    # the new-card start saved, the learner's own settings.
    begin = {"BEGIN": 1} if db.engine.dialect.name == "postgresql" else {}
    assert dict(get) == {"checkout": 1, **begin, "SELECT": 8, "INSERT": 1, "UPDATE": 1,
                         "COMMIT": 1}


def test_the_counts_read_with_the_session_are_todays_answers_by_phase(app, learner, deck):
    """The session read counts today's answers of the deck as ``_answered_today`` does: not
    undone ones, other decks', other phases' or yesterday's."""
    other = make_deck([basic("elsewhere")], title="Other")
    now = utcnow()
    answers = [("learn", deck, now, None)] * 2 + [("review", deck, now, None)] * 3 + [
        ("review", deck, now, now), ("cram", deck, now, None), ("repeat", deck, now, None),
        ("review", deck, now - timedelta(days=1), None), ("review", other, now, None),
        ("learn", other, now, None)]
    db.session.add_all([
        ReviewLog(user_id=learner.id, card_id=where.cards[0].id, deck_id=where.id, ordinal=0,
                  phase=phase, grade=4, answered_at=at, undone_at=undone,
                  presentation=f"p{index}")
        for index, (phase, where, at, undone) in enumerate(answers)])
    db.session.commit()
    study.open_page_session(learner, deck, cram=False, now=now)  # starts the session
    queue = study.open_page_session(learner, deck, cram=False, now=now)
    counted_today = {key: queue.read_with[key] for key in ("learned_today", "reviewed_today")}
    assert counted_today == {"learned_today": 2, "reviewed_today": 3}
    assert study._answered_today(learner, deck, study.today_for(learner, now)) == {
        Phase.LEARN: 2, Phase.REVIEW: 3}


def test_a_learner_in_another_time_zone_keeps_the_daily_limits(client, auth, learner, deck,
                                                               monkeypatch):
    """The user load reads today's counts for the day in the learner's time zone as last seen
    in the process (UTC at first): until it has seen it, the page counts them again."""
    monkeypatch.setattr(study_page, "_TIMEZONES", {})
    learner.timezone = "Pacific/Kiritimati"  # UTC+14: its day is not UTC's
    deck.reviews_per_day, deck.new_per_day = 1, 1
    db.session.commit()
    _make_due(learner, deck, 3)
    deck_id = deck.id
    auth.login()
    with counted() as first:
        page = _page(client, deck_id)  # starts the session
    assert '<span class="badge">Review</span>' in page
    _answer(client, deck_id, page)
    with counted() as get:
        page = _page(client, deck_id)  # the review limit is reached: a new card instead
    assert "New card" in page
    # The zone is known now: the counts came with the user and the session read, none read
    # again; the new card (and its search start moved, one UPDATE, alone on PostgreSQL).
    assert get["SELECT"] == 2 and get["UPDATE"] == 1 and "BEGIN" not in get
    assert first["SELECT"] > get["SELECT"]
    _answer(client, deck_id, page)
    monkeypatch.setattr(study_page, "_TIMEZONES", {})  # another worker process: UTC at first
    with counted() as get:
        page = _page(client, deck_id)
    assert "Session complete" in page
    # today's answers counted again (the UTC day's were read), no due or new card left today.
    assert get["SELECT"] >= 3
