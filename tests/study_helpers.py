"""Building decks and answering cards in tests."""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event

from quizapp.deckfile import CardData, DeckData
from quizapp.extensions import db
from quizapp.models import CardState, Deck
from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler
from quizapp.services.decks import store_deck

SM2 = Sm2Scheduler()


def make_deck(cards: list[CardData], title="Deck", new_per_day=20, reviews_per_day=200,
              owner=None, published=True) -> Deck:
    data = DeckData(title=title, cards=cards, new_per_day=new_per_day,
                    reviews_per_day=reviews_per_day)
    report = store_deck(data, owner=owner, publish=published)
    db.session.commit()
    return report.deck


def basic(guid: str, prompt: str | None = None, answer: str = "answer", **extra) -> CardData:
    return CardData(guid=guid, kind="basic", prompt=prompt or f"Question {guid}",
                    answer=answer, **extra)


def mcq(guid: str, choices=("Alpha", "Beta", "Gamma"), correct=1, **extra) -> CardData:
    return CardData(guid=guid, kind="mcq", prompt=f"Pick for {guid}", choices=tuple(choices),
                    correct=correct, answer=choices[correct], **extra)


def sm2_row(user, card, *, due, interval=0, repetitions=0, lapses=0, easiness="2.5",
            ordinal=0, **extra) -> CardState:
    """A stored SM-2 state for one side, as record_answer would have written it."""
    state = Sm2State(Decimal(easiness), interval, repetitions, due, lapses)
    return CardState(user_id=user.id, card_id=card.id, deck_id=card.deck_id, ordinal=ordinal,
                     scheduler="sm2", state=SM2.to_json(state), due=due, lapses=lapses,
                     **extra)


def sm2_of(row: CardState) -> Sm2State:
    """The SM-2 state a card state row holds."""
    return SM2.from_json(row.state)


_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def statement_verb(sql: str) -> str:
    """A statement's kind: its first word, a read that begins with a common table expression
    (the study page's materialized count of today's answers) counted as the SELECT it is."""
    verb = sql.split(None, 1)[0].upper()
    return "SELECT" if verb == "WITH" and not _WRITES.search(sql) else verb


def in_transaction_mode(dbapi_connection) -> bool:
    """Whether a DBAPI connection runs its statements in a transaction (always on SQLite; on
    PostgreSQL unless it was switched to autocommit to read outside one)."""
    return isinstance(dbapi_connection, sqlite3.Connection) or not dbapi_connection.autocommit


@contextmanager
def recorded_writes():
    """(verb, in a transaction) of every statement but a read the engine sends meanwhile."""
    writes: list[tuple[str, bool]] = []

    def statement(conn, cursor, sql, parameters, context, executemany):
        verb = statement_verb(sql)
        if verb != "SELECT":
            writes.append((verb, in_transaction_mode(conn.connection.dbapi_connection)))

    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        yield writes
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
