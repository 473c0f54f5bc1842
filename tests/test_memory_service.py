"""Each card state's memory kept with every answer and undo, and rebuilt from the review log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import make_user
from sqlalchemy import create_engine
from study_helpers import basic, make_deck

from quizapp.extensions import db
from quizapp.models import CardState, ReviewLog
from quizapp.scheduling import registry
from quizapp.scheduling.conversions import fsrs_rating_of
from quizapp.services import memory, schedules, study
from quizapp.stats.memory import MEMORY_PHASES, replay

SECRET = "test-secret-key"
START = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def answer(user, deck, grade, now, *, cram=False):
    queue = study.SessionQueue()
    p = study.choose_next(user, deck, queue, cram=cram, now=now)
    token = study.encode_presentation(p, user.id, SECRET)
    study.record_answer(user, token, SECRET, grade=grade, now=now)
    return p


def states(user):
    db.session.expire_all()
    return {
        s.card_id: s for s in db.session.scalars(
            db.select(CardState).where(CardState.user_id == user.id))
    }


def replayed(user, card_id):
    logs = db.session.scalars(
        db.select(ReviewLog).where(
            ReviewLog.user_id == user.id, ReviewLog.card_id == card_id,
            ReviewLog.undone_at.is_(None), ReviewLog.phase.in_(MEMORY_PHASES),
        ).order_by(ReviewLog.answered_at, ReviewLog.id)
    )
    return replay((log.answered_at, fsrs_rating_of(log)) for log in logs)


def test_each_answer_updates_the_memory_as_a_replay_of_the_log(app, learner):
    deck = make_deck([basic("a")])
    card_id = answer(learner, deck, 4, START).card_id
    first = memory.memory_of(states(learner)[card_id])
    assert first == replayed(learner, card_id) and first.reviewed_at == START
    for days, grade in ((1, 5), (7, 2), (8, 4)):
        answer(learner, deck, grade, START + timedelta(days=days))
    state = states(learner)[card_id]
    assert memory.memory_of(state) == replayed(learner, card_id)
    assert state.memory_reviewed_at == START + timedelta(days=8)


def test_each_rating_counts_as_the_fsrs_rating_of_the_scheduler_that_gave_it(app, learner):
    deck = make_deck([basic("a")])
    card_id = answer(learner, deck, 4, START).card_id  # SM-2's 4 is Anki's Good
    schedules.set_deck_settings(deck, registry.SchedulerSettings(name="fsrs"))
    db.session.commit()
    again = START + timedelta(days=2)
    assert answer(learner, deck, 1, again).card_id == card_id  # FSRS's 1 is Again
    expected = replay([(START, 3), (again, 1)])
    assert memory.memory_of(states(learner)[card_id]) == expected
    memory.rebuild(learner.id)
    db.session.commit()
    assert memory.memory_of(states(learner)[card_id]) == expected


def test_cram_answers_leave_the_memory_alone(app, learner):
    deck = make_deck([basic("a")])
    card_id = answer(learner, deck, 4, START).card_id
    before = memory.memory_of(states(learner)[card_id])
    answer(learner, deck, 0, START + timedelta(hours=1), cram=True)
    assert memory.memory_of(states(learner)[card_id]) == before


def test_undo_restores_the_memory_and_undoing_the_first_answer_removes_the_state(
    app, learner
):
    deck = make_deck([basic("a")])
    card_id = answer(learner, deck, 4, START).card_id
    before = memory.memory_of(states(learner)[card_id])
    answer(learner, deck, 1, START + timedelta(days=1))
    assert memory.memory_of(states(learner)[card_id]) != before
    assert study.undo_last(learner, deck, now=START + timedelta(days=1, minutes=1))
    assert memory.memory_of(states(learner)[card_id]) == before
    fresh = make_deck([basic("b")], title="Fresh")
    later = START + timedelta(days=3)
    new_card = answer(learner, fresh, 4, later).card_id
    assert study.undo_last(learner, fresh, now=later + timedelta(minutes=1))
    assert new_card not in states(learner)


def test_rebuild_replays_the_log_for_the_chosen_learner_and_deck(app, learner):
    other = make_user("other@example.org")
    decks = [make_deck([basic("a"), basic("b")], title="One"),
             make_deck([basic("c"), basic("d")], title="Two")]
    for user in (learner, other):
        for deck in decks:
            for days, grade in ((0, 4), (0, 4), (2, 3), (9, 1)):
                answer(user, deck, grade, START + timedelta(days=days))
    kept = {u.id: {c: memory.memory_of(s) for c, s in states(u).items()} for u in (learner, other)}
    db.session.execute(db.update(CardState).values(
        memory_stability=None, memory_difficulty=None, memory_reviewed_at=None))
    db.session.commit()

    written = memory.rebuild(learner.id, decks[0].id)
    db.session.commit()
    assert written == 2
    mine = {c: memory.memory_of(s) for c, s in states(learner).items()}
    assert mine == {c: m if c in {x.id for x in decks[0].cards} else None
                    for c, m in kept[learner.id].items()}
    assert all(m is None for m in (memory.memory_of(s) for s in states(other).values()))

    memory.rebuild()
    db.session.commit()
    for user in (learner, other):
        assert {c: memory.memory_of(s) for c, s in states(user).items()} == kept[user.id]


def test_rebuild_works_in_batches(app, learner, monkeypatch):
    monkeypatch.setattr(memory, "REBUILD_BATCH", 2)
    deck = make_deck([basic(str(n)) for n in range(5)])
    for n in range(5):
        answer(learner, deck, 2 + n % 4, START + timedelta(minutes=n))
    kept = {c: memory.memory_of(s) for c, s in states(learner).items()}
    assert memory.rebuild(learner.id) == 5
    db.session.commit()
    assert {c: memory.memory_of(s) for c, s in states(learner).items()} == kept


@pytest.mark.parametrize("args,expected", [([], "Rebuilt the memory of 1 card states"),
                                           (["--user", "nobody@example.org"], "no account")])
def test_rebuild_command(app, learner, args, expected):
    deck = make_deck([basic("a")])
    answer(learner, deck, 4, START)
    result = app.test_cli_runner().invoke(args=["memory", "rebuild", *args])
    assert expected in result.output


def test_one_side_s_answers_are_read_through_the_side_index_not_the_learner_s_whole_log():
    # Joined on the learner's time index alone, SQLite read a learner's whole log for each
    # side it replayed: memory rebuilt after an Anki import of 1,000 cards took minutes.
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)
    statement = memory._history(CardState.id.in_([1, 2, 3]))
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    assert any("ix_review_log_side (card_id=? AND user_id=? AND ordinal=?)" in step
               for step in plan), plan
