"""Prepared statements (services.prepared) behave as ``Connection.execute`` of the same Core
statement: the same rows with the same Python types, the same values stored, SQLAlchemy's
errors, and the engine's statement events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Text, bindparam, cast, event, insert, select
from sqlalchemy.exc import IntegrityError
from study_helpers import basic, make_deck, sm2_row

from quizapp.extensions import db
from quizapp.models import CardState, ReviewLog, SchedulerOverride
from quizapp.services import answer_rows, study, study_page, study_queue, tallies
from quizapp.services.prepared import Prepared
from quizapp.services.rows import core_connection

_LOGS = ReviewLog.__table__


@pytest.fixture
def side(app, learner):
    deck = make_deck([basic("a", tags=("t1", "t2"))])
    card = deck.cards[0]
    row = sm2_row(learner, card, due=date(2026, 3, 4), interval=3, repetitions=2,
                  last_review_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
                  due_at=datetime(2026, 3, 4, 0, 0, tzinfo=UTC), memory_stability=3.25,
                  memory_difficulty=5.5,
                  memory_reviewed_at=datetime(2026, 3, 1, 9, 30, 12, 345678, tzinfo=UTC))
    db.session.add(row)
    db.session.commit()
    return learner, card


def _read_parameters(learner, card, ordinal=0):
    return {"card_id": card.id, "user_id": learner.id, "ordinal": ordinal, "mode": "scheduled"}


@pytest.mark.parametrize("ordinal", [0, 1])  # with the state row, and without (outer join)
def test_read_gives_the_rows_and_types_of_execute(side, ordinal):
    learner, card = side
    parameters = _read_parameters(learner, card, ordinal)
    connection = core_connection()
    expected = tuple(connection.execute(answer_rows.READ.statement, parameters).first())
    got = answer_rows.READ.first(connection, parameters)
    assert got == expected
    assert [type(value) for value in got] == [type(value) for value in expected]
    assert answer_rows.READ.first(connection, {**parameters, "card_id": -1}) is None


def test_all_gives_the_rows_and_types_of_execute(side):
    """Every row, in order: the cards of a deck from its start (a cram window) and a study
    page's session read (NULL side columns, JSON settings, dates, counts)."""
    learner, card = side
    three = make_deck([basic("b"), basic("c"), basic("d")], title="Three")
    study_queue.open_session(learner, card.deck_id, cram=False)
    db.session.add(SchedulerOverride(user_id=learner.id, deck_id=card.deck_id,
                                     settings={"name": "sm2"}))
    db.session.commit()
    connection = core_connection()
    cases = [
        (study._CRAM_WINDOW, {"deck_id": three.id, "point": 0.0}),
        (study_page._OPEN_PAGE, {"user_id": learner.id, "deck_id": card.deck_id,
                                 "mode": "scheduled", "since": datetime(2026, 3, 5, tzinfo=UTC)}),
        (study_page._OPEN_PAGE_WITH_USER, {"user_id": learner.id, "deck_id": card.deck_id,
                                           "mode": "scheduled",
                                           "since": datetime(2026, 3, 5, tzinfo=UTC)}),
    ]
    for prepared, parameters in cases:
        expected = [tuple(row) for row in connection.execute(prepared.statement, parameters)]
        got = prepared.all(connection, parameters)
        assert got == expected and got
        assert len(got) == (3 if prepared is study._CRAM_WINDOW else 1)
        assert [[type(value) for value in row] for row in got] == [
            [type(value) for value in row] for row in expected]
    assert study._CRAM_WINDOW.all(connection, {"deck_id": -1, "point": 0.0}) == []


def _log(learner, card, nonce: str, *, encoded: bool = True) -> dict:
    """A log row's values; ``state_before`` and ``state_after`` JSON text as the answer path's
    statements take them (``encoded``), or the values themselves as ``Connection.execute``
    takes them."""
    at = datetime(2026, 3, 5, 8, 0, 1, 250000, tzinfo=UTC)
    after = {"state": {"v": 1, "easiness": 2.36, "note": "é"}, "at": at.isoformat()}
    return {
        "user_id": learner.id, "card_id": card.id, "deck_id": card.deck_id, "ordinal": 0,
        "phase": "review", "grade": 4, "scheduler": "sm2", "passed": True, "response": None,
        "answered_at": at, "duration_ms": 1500, "presentation": nonce,
        "state_before": "null" if encoded else None,
        "state_after": json.dumps(after) if encoded else after,
        "stage_before": "young", "interval_before": 3, "undone_at": None, "tallied": False,
    }


def test_insert_stores_what_execute_stores(side):
    learner, card = side
    connection = core_connection()
    (prepared_id,) = answer_rows.INSERT_LOG.first(connection, _log(learner, card, "p"))
    core_id = connection.execute(insert(_LOGS).returning(_LOGS.c.id),
                                 _log(learner, card, "c", encoded=False)).scalar_one()
    db.session.commit()
    stored = {row.id: row for row in db.session.scalars(select(ReviewLog))}
    columns = [column.key for column in _LOGS.c if column.key not in ("id", "presentation")]
    assert [getattr(stored[prepared_id], key) for key in columns] == [
        getattr(stored[core_id], key) for key in columns
    ]
    # The JSON as stored, to the byte (state_before None is JSON null, not SQL NULL).
    texts = {log_id: tuple(db.session.execute(
        select(cast(_LOGS.c.state_before, Text), cast(_LOGS.c.state_after, Text))
        .where(_LOGS.c.id == log_id)).one()) for log_id in (prepared_id, core_id)}
    assert texts[prepared_id] == texts[core_id]


@pytest.mark.usefixtures("side")
def test_update_counts_rows_and_writes_values():
    row = db.session.scalars(select(CardState)).one()
    connection = core_connection()
    written = {key: getattr(row, key) for key in answer_rows.WRITTEN
               if key not in tallies.TOTALS}
    written |= {"due": date(2026, 4, 1), "last_review_at": datetime(2026, 3, 5, tzinfo=UTC),
                "state": json.dumps(row.state),
                **tallies.add_parameters({name: 1 for name in tallies.TOTALS})}
    assert answer_rows.UPDATE_STATE.write(
        connection, {"row_id": row.id, "shown": row.version + 1, **written}) == 0
    assert answer_rows.UPDATE_STATE.write(
        connection, {"row_id": row.id, "shown": row.version, **written}) == 1
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(CardState, row.id)
    assert (row.due, row.last_review_at, row.version, row.answers) == (
        date(2026, 4, 1), datetime(2026, 3, 5, tzinfo=UTC), 2, 1)


def test_a_duplicate_raises_sqlalchemys_integrity_error(side):
    learner, card = side
    connection = core_connection()
    answer_rows.INSERT_LOG.first(connection, _log(learner, card, "same"))
    with pytest.raises(IntegrityError):
        answer_rows.INSERT_LOG.first(connection, _log(learner, card, "same"))
    db.session.rollback()


def test_the_engines_statement_events_see_each_run(side):
    learner, card = side
    read, log = _read_parameters(learner, card), _log(learner, card, "e")
    seen = []

    def listener(conn, cursor, sql, parameters, context, executemany):
        seen.append(sql.split(None, 1)[0])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        answer_rows.READ.first(core_connection(), read)
        answer_rows.INSERT_LOG.first(core_connection(), log)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    db.session.rollback()
    assert seen == ["SELECT", "INSERT"]


def test_statements_with_per_run_parts_are_refused(app):
    expanding = Prepared(select(CardState.id).where(
        CardState.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="per run"):
        expanding.first(core_connection(), {"ids": [1]})
    defaulted = Prepared(insert(_LOGS).values(user_id=bindparam("user_id")))
    with pytest.raises(ValueError, match="default"):
        defaulted.write(core_connection(), {"user_id": 1})


def test_utc_datetimes_keep_their_instant(side):
    """A non-UTC aware datetime is stored as its UTC instant, as through ``execute``."""
    learner, card = side
    log = _log(learner, card, "tz")
    log["answered_at"] = datetime(2026, 3, 5, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    (log_id,) = answer_rows.INSERT_LOG.first(core_connection(), log)
    db.session.commit()
    assert db.session.get(ReviewLog, log_id).answered_at == datetime(2026, 3, 5, 10, tzinfo=UTC)
