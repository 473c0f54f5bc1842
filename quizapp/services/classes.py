"""Classes in the database: create one, join one with its code, assign and remove decks.

Joining and assigning are idempotent and safe to race: twenty students pressing "Join" at
once, or an instructor double-clicking "Assign", each end with one row and the same answer a
repeated request gets, never a duplicate-key error. Operations flush; the caller commits.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from ..extensions import db
from ..models import ClassDeck, ClassMembership, Classroom, Deck, User
from .rows import insert_once

# No 0/O or 1/I/L: codes are read aloud and copied from a board.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class NotAssignable(ValueError):
    """The deck cannot be assigned to a class (it does not exist or is not published)."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_class(name: str, instructor: User) -> Classroom:
    classroom = Classroom(name=name.strip(), instructor_id=instructor.id, join_code=new_code())
    db.session.add(classroom)
    db.session.flush()
    return classroom


def class_by_code(code: str) -> Classroom | None:
    code = code.strip().upper()
    if not code:
        return None
    return db.session.scalars(select(Classroom).where(Classroom.join_code == code)).first()


def join_class(classroom: Classroom, user: User) -> None:
    """Make ``user`` a member (a no-op when they already are, even if a racer just did it)."""
    insert_once(ClassMembership, class_id=classroom.id, user_id=user.id)


def assign_deck(classroom: Classroom, deck: Deck | None) -> None:
    """Assign a published deck; a draft would leave students with a page they cannot open."""
    if deck is None or not deck.published:
        raise NotAssignable("Choose a published deck: drafts cannot be assigned to a class.")
    insert_once(ClassDeck, class_id=classroom.id, deck_id=deck.id)


def unassign_deck(classroom: Classroom, deck_id: int) -> None:
    link = db.session.get(ClassDeck, (classroom.id, deck_id))
    if link is not None:
        db.session.delete(link)
        db.session.flush()


def assignable_decks(classroom: Classroom) -> list[Deck]:
    """Published decks not yet assigned to the class, by title."""
    assigned = select(ClassDeck.deck_id).where(ClassDeck.class_id == classroom.id)
    return list(db.session.scalars(
        select(Deck).where(Deck.published.is_(True), Deck.id.not_in(assigned))
        .order_by(Deck.title)
    ))
