"""Row-level helpers that operations share."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


def insert_once(model, **values) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on the primary or a unique key, in the caller's
    transaction.

    One statement, so a concurrent insert of the same row neither fails nor needs a retry or
    a rollback; both engines the app runs on spell it the same way in SQLAlchemy.
    """
    db.session.execute(upsert(model).values(**values).on_conflict_do_nothing())


def upsert(target):
    """An INSERT on ``target`` (a model or table) that takes ON CONFLICT clauses, spelled
    for the engine the session is bound to."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(target)


def core_connection() -> Connection:
    """The session's connection, for a prebuilt Core statement that needs no ORM objects
    back: about 90 us less per statement than ``Session.execute`` on SQLite. Pending ORM
    changes are flushed first, as ``Session.execute`` would (autoflush)."""
    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection()
