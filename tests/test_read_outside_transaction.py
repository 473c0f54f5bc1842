"""The study GET's reads outside a transaction on PostgreSQL (``rows.read_outside_transaction``):
what it writes still commits or fails together, and the connection goes back to the pool in
transaction mode."""

from __future__ import annotations

import sqlite3

from sqlalchemy import func, select
from study_helpers import basic, make_deck, recorded_writes

from quizapp.extensions import db
from quizapp.models import StudyQueueItem, StudySession, User
from quizapp.services.rows import begin_writes, outside_transaction, read_outside_transaction


def _dbapi_connection():
    return db.session.connection().connection.dbapi_connection


def _autocommit() -> bool:
    connection = _dbapi_connection()
    return not isinstance(connection, sqlite3.Connection) and connection.autocommit


def test_reads_run_outside_a_transaction_on_postgresql_only(app):
    db.session.remove()
    read_outside_transaction()
    db.session.execute(select(func.count(User.id)))
    assert _autocommit() == (db.engine.dialect.name == "postgresql")
    db.session.commit()


def test_a_flush_after_reads_outside_a_transaction_is_one_transaction(app):
    """An ORM flush (several statements) begins a transaction first: a rollback undoes all of
    it, as it would have before."""
    db.session.remove()
    read_outside_transaction()
    db.session.execute(select(func.count(User.id)))
    db.session.add_all([User(email=f"u{i}@example.org", display_name=f"u{i}", role="learner",
                             timezone="UTC", password_hash="x") for i in range(2)])
    db.session.flush()
    assert not _autocommit()
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_begin_writes_twice_keeps_the_one_transaction(app):
    db.session.remove()
    read_outside_transaction()
    db.session.execute(select(func.count(User.id)))
    begin_writes()
    db.session.add(User(email="a@example.org", display_name="a", role="learner",
                        timezone="UTC", password_hash="x"))
    db.session.flush()
    begin_writes()  # inside the transaction now: nothing to change
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_the_pool_gets_the_connection_back_in_transaction_mode(client, auth, learner):
    deck_id = make_deck([basic("q1")]).id
    auth.login()
    assert client.get(f"/study/{deck_id}").status_code == 200
    assert client.get(f"/study/{deck_id}").status_code == 200
    db.session.remove()
    with db.engine.connect() as connection:
        dbapi_connection = connection.connection.dbapi_connection
        assert isinstance(dbapi_connection, sqlite3.Connection) or not dbapi_connection.autocommit


def test_the_next_checkout_of_the_connection_is_in_a_transaction_again(app):
    """The mark ``read_outside_transaction`` leaves on the pooled connection goes with it
    back to the pool: the next request on it runs in a transaction unless it asks again."""
    db.session.remove()
    read_outside_transaction()
    first = _dbapi_connection()
    assert outside_transaction(db.session.connection()) == (
        db.engine.dialect.name == "postgresql")
    db.session.remove()
    assert _dbapi_connection() is first  # the pool hands the same connection back (LIFO)
    assert not outside_transaction(db.session.connection()) and not _autocommit()
    db.session.add(User(email="b@example.org", display_name="b", role="learner",
                        timezone="UTC", password_hash="x"))
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_restarted_cram_writes_in_one_transaction(client, auth, learner):
    """A restart empties the session's queue and starts it again: after the study GET's reads
    outside a transaction, every write runs in one."""
    deck = make_deck([basic(f"q{i}") for i in range(4)])
    deck_id, card_id = deck.id, deck.cards[0].id
    auth.login()
    assert client.get(f"/study/{deck_id}?mode=cram").status_code == 200
    session_id = db.session.scalar(select(StudySession.id).where(StudySession.mode == "cram"))
    db.session.add(StudyQueueItem(session_id=session_id, kind="done", card_id=card_id))
    db.session.commit()
    with recorded_writes() as writes:
        assert client.get(f"/study/{deck_id}?mode=cram&restart=1").status_code == 200
    assert ("DELETE", True) in writes and all(in_transaction for _, in_transaction in writes)
    assert db.session.scalars(select(StudyQueueItem.kind).where(
        StudyQueueItem.session_id == session_id)).all() == []
