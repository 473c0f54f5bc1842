"""rows.get_with: the user and the deck of a study URL read in one statement come out as
loaded objects would: persistent in the session's identity map, flushed as updates when
changed, reloaded after expiry, deferred columns still deferred, a missing row None."""

from __future__ import annotations

import pytest
from conftest import make_user
from sqlalchemy import event, inspect, update

from quizapp.extensions import db
from quizapp.models import Deck, User
from quizapp.services.rows import get_by_id, get_with


@pytest.fixture
def pair(app):
    owner = make_user("owner@example.org", role="instructor")
    deck = Deck(slug="d", title="Deck", owner_id=owner.id, knowledge={"facts": [1, 2]},
                scheduler={"name": "sm2"})
    db.session.add(deck)
    db.session.commit()
    ids = owner.id, deck.id
    db.session.remove()  # a fresh session, as at the start of a request
    return ids


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_both_objects_are_persistent_with_their_columns(pair, statements):
    user_id, deck_id = pair
    user = get_with(User, user_id, Deck, deck_id)
    assert len(statements) == 1
    assert (user.id, user.email, user.role, user.session_version) == (
        user_id, "owner@example.org", "instructor", 1)
    assert user.created_at.tzinfo is not None
    state = inspect(user)
    assert state.persistent and not state.modified and not state.expired
    assert db.session.identity_map.get(inspect(User).identity_key_from_primary_key(
        (user_id,))) is user
    deck = get_by_id(Deck, deck_id)
    assert db.session.get(User, user_id) is user
    assert len(statements) == 1  # both found in the identity map
    assert inspect(deck).persistent and not inspect(deck).modified
    assert (deck.title, deck.owner_id, deck.scheduler, deck.published) == (
        "Deck", user_id, {"name": "sm2"}, False)
    assert deck.updated_at.tzinfo is not None
    assert deck.owner is user  # a many-to-one to an object held: no statement
    assert len(statements) == 1


def test_deferred_column_stays_deferred_and_loads_on_access(pair, statements):
    user_id, deck_id = pair
    get_with(User, user_id, Deck, deck_id)
    deck = get_by_id(Deck, deck_id)
    assert "knowledge" not in inspect(deck).dict
    assert not any("knowledge" in statement for statement in statements)
    assert deck.knowledge == {"facts": [1, 2]}
    assert len(statements) == 2
    assert deck.cards == []  # relationships load lazily as on a loaded deck
    assert len(statements) == 3


def test_changes_flush_as_updates(pair):
    user_id, deck_id = pair
    user = get_with(User, user_id, Deck, deck_id)
    deck = get_by_id(Deck, deck_id)
    user.display_name = "Renamed"
    deck.title = "Retitled"
    assert inspect(user).modified
    db.session.commit()
    db.session.remove()
    assert db.session.get(User, user_id).display_name == "Renamed"
    assert db.session.get(Deck, deck_id).title == "Retitled"
    assert db.session.query(User).count() == 1 and db.session.query(Deck).count() == 1


def test_expired_objects_reload_the_row(pair, statements):
    user_id, deck_id = pair
    user = get_with(User, user_id, Deck, deck_id)
    deck = get_by_id(Deck, deck_id)
    with db.engine.begin() as other:  # another request changes the rows
        other.execute(update(User).where(User.id == user_id).values(session_version=2))
        other.execute(update(Deck).where(Deck.id == deck_id).values(title="Elsewhere"))
    db.session.commit()  # expires everything
    assert user.session_version == 2
    assert deck.title == "Elsewhere"
    assert get_with(User, user_id, Deck, deck_id) is user
    db.session.refresh(deck)
    assert deck.title == "Elsewhere"


def test_held_deck_is_reused_not_duplicated(pair):
    user_id, deck_id = pair
    deck = db.session.get(Deck, deck_id)
    user = get_with(User, user_id, Deck, deck_id)
    assert user.id == user_id
    assert get_by_id(Deck, deck_id) is deck


def test_missing_rows(pair, statements):
    user_id, deck_id = pair
    assert get_with(User, user_id + 100, Deck, deck_id) is None
    user = get_with(User, user_id, Deck, deck_id + 100)
    assert user.id == user_id
    key = inspect(Deck).identity_key_from_primary_key((deck_id + 100,))
    assert key not in db.session.identity_map
    assert len(statements) == 2


def test_deleted_user_row_is_none(pair):
    user_id, deck_id = pair
    with db.engine.begin() as other:
        other.execute(update(Deck).where(Deck.id == deck_id).values(owner_id=None))
        other.execute(User.__table__.delete().where(User.id == user_id))
    assert get_with(User, user_id, Deck, deck_id) is None
