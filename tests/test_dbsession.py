"""The ORM session kept from one app context for the thread's next (quizapp.dbsession): each
context still starts with a session as a new one, closed, empty and with the default
settings, whatever the last request did with it; nested contexts never share one."""

from __future__ import annotations

import threading

from conftest import make_user
from sqlalchemy import inspect

from quizapp.extensions import db
from quizapp.models import User


def _in_context(app, work):
    with app.app_context():
        return work(db.session())


def test_next_context_gets_the_closed_session_back_as_new(app):
    user_id = make_user("kept@example.org").id
    seen = {}

    def first(session):
        session.expire_on_commit = False  # as the study blueprint sets it
        session.autoflush = False
        session.info["note"] = "request one"
        seen["user"] = session.get(User, user_id)
        seen["connection"] = session.connection()
        return session

    one = _in_context(app, first)
    assert inspect(seen["user"]).detached  # closed at the end of its context
    assert seen["connection"].closed  # and its connection back in the pool

    def second(session):
        assert session.expire_on_commit and session.autoflush
        assert session.info == {}
        assert not session.identity_map and not session.new and not session.dirty
        assert not session.in_transaction()
        user = session.get(User, user_id)
        assert user is not seen["user"]  # read again, not the last request's object
        return session

    assert _in_context(app, second) is one  # the same object, reused


def test_nested_contexts_have_sessions_of_their_own(app):
    with app.app_context():
        outer = db.session()
        with app.app_context():
            inner = db.session()
            assert inner is not outer
        assert db.session() is outer
        with app.app_context():
            assert db.session() is inner  # kept at the inner teardown
            assert db.session() is not outer


def test_session_with_a_changed_setting_is_not_kept(app):
    changed = _in_context(app, lambda session: setattr(session, "autobegin", False) or session)
    assert _in_context(app, lambda session: session) is not changed


def test_pending_changes_are_dropped_not_carried_over(app):
    def add_and_leave(session):
        session.add(User(email="never@example.org", display_name="n", role="learner",
                         timezone="UTC", password_hash="x"))
        return session

    _in_context(app, add_and_leave)
    assert _in_context(app, lambda session: session.query(User).filter_by(
        email="never@example.org").count()) == 0


def test_threads_do_not_share_kept_sessions(app):
    main = _in_context(app, lambda session: session)
    found = []
    worker = threading.Thread(target=lambda: found.append(_in_context(app, lambda s: s)))
    worker.start()
    worker.join()
    assert found[0] is not main
    assert _in_context(app, lambda session: session) is main


def test_explicit_remove_is_not_kept(app):
    with app.app_context():
        removed = db.session()
        db.session.remove()
    assert _in_context(app, lambda session: session) is not removed
