"""card_state.stage: written with every state (answers, undo, cram, Anki progress, a switch of
scheduler), filled in by its migration, and the figures counted from it in SQL equal those
read out of every state's JSON, on both engines."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from conftest import make_user
from progress_helpers import assert_totals_are_the_log_s, slow_learner_summary
from sqlalchemy import JSON, column, insert, inspect, select, table
from study_helpers import basic, make_deck
from test_memory_migration import scratch_database
from test_progress_totals import slow_class_dashboard

from quizapp import create_app
from quizapp.deckfile import CardData
from quizapp.extensions import db
from quizapp.models import CardState, ClassDeck, ClassMembership, Classroom, ReviewLog
from quizapp.scheduling import registry
from quizapp.scheduling.base import Moment, Stage
from quizapp.scheduling.fsrs_scheduler import FsrsScheduler
from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler
from quizapp.services import progress, schedules, study, study_queue
from quizapp.stats.learner import HARDEST_COUNT

SECRET = "test-secret-key"
START = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
BEFORE = "7e2d4f1a8c36"


def assert_stages_are_the_schedulers():
    rows = db.session.scalars(select(CardState)).all()
    assert rows
    for row in rows:
        assert row.stage == registry.stage_of_stored(row.state), (row.id, row.state)


def deck_of(title: str, size: int, scheduler: str):
    cards = []
    for n in range(size):
        tags = ("cells",) if n % 2 else ("genes", "energy")
        if n % 3 == 1:  # two sides
            cards.append(CardData(guid=f"{title}-{n}", kind="reversed", prompt=f"Front {n}",
                                  answer="Back", tags=tags))
        else:
            cards.append(basic(f"{title}-{n}", tags=tags))
    deck = make_deck(cards, title=title)
    schedules.set_deck_settings(deck, registry.SchedulerSettings(name=scheduler))
    db.session.commit()
    return deck


def study_a_while(rng: random.Random, user, deck, now: datetime, answers: int) -> None:
    """Up to ``answers`` answers in the deck's session; a cram answer or an undo now and
    then."""
    for _ in range(answers):
        cram = rng.random() < 0.15
        queue = study_queue.open_session(user, deck.id, cram=cram, now=now)
        p = study.choose_next(user, deck, queue, cram=cram, now=now)
        if p is None:
            return
        scale = registry.create(schedules.settings_for(user, deck)).scale
        token = study.encode_presentation(p, user.id, SECRET)
        study.record_answer(user, token, SECRET, grade=rng.choice(scale.values), now=now)
        if rng.random() < 0.12:
            assert study.undo_last(user, deck, now=now) is not None
        now += timedelta(seconds=rng.randint(5, 600))


@pytest.mark.parametrize("seed", [1, 2])
def test_studied_histories_store_the_scheduler_s_stage_and_their_figures_agree(app, seed):
    rng = random.Random(seed)
    random.seed(seed)  # the cram pick's random point: the same history on every run
    teacher = make_user(f"t{seed}@example.org", "instructor")
    decks = [deck_of(f"s{seed}sm2", 9, "sm2"), deck_of(f"s{seed}fsrs", 7, "fsrs")]
    learners = [make_user(f"l{seed}-{n}@example.org", timezone=tz)
                for n, tz in enumerate(("UTC", "Europe/Berlin", "America/Los_Angeles"))]
    classes = []
    for n, (members, assigned) in enumerate((
        (learners[:2], decks), (learners[1:], decks[1:]),  # learner 1 is in both classes
    )):
        classroom = Classroom(name=f"C{n}", instructor_id=teacher.id, join_code=f"ST{seed}X{n}")
        db.session.add(classroom)
        db.session.flush()
        db.session.add_all([ClassDeck(class_id=classroom.id, deck_id=d.id) for d in assigned])
        db.session.add_all([ClassMembership(class_id=classroom.id, user_id=u.id)
                            for u in members])
        classes.append(classroom.id)
    db.session.commit()

    for day in range(30):
        if day == 27:  # the SM-2 deck moves to FSRS: its states convert as they are answered
            schedules.set_deck_settings(decks[0], registry.SchedulerSettings(name="fsrs"))
            db.session.commit()
        for user in learners:
            for deck in decks:
                if rng.random() < 0.7:
                    study_a_while(rng, user, deck, START + timedelta(days=day), 6)
    assert_stages_are_the_schedulers()
    assert_totals_are_the_log_s()
    untallied = db.session.scalars(select(ReviewLog).where(ReviewLog.tallied.is_(False))).all()
    assert untallied and {log.phase for log in untallied} == {"cram"}
    assert any(log.undone_at is not None for log in untallied)
    stored = {row.stage for row in db.session.scalars(select(CardState))}
    assert {Stage.LEARNING.value, Stage.YOUNG.value, Stage.MATURE.value} <= stored
    assert {row.scheduler for row in db.session.scalars(select(CardState))} == {"sm2", "fsrs"}

    now = START + timedelta(days=31)
    for user in learners:
        for shown in (decks, decks[:1], decks[1:]):
            assert progress.learner_summary(user, shown, now) == slow_learner_summary(
                user, shown, now)
        for deck in decks:
            slow = slow_learner_summary(user, [deck], now).decks[0].hardest
            assert slow
            for count in (1, 3, HARDEST_COUNT):
                assert progress.hardest_cards(user, deck.id, count) == slow[:count]
    db.session.expire_all()
    for class_id in classes:
        classroom = db.session.get(Classroom, class_id)
        fast, slow = progress.class_dashboard(classroom, now), slow_class_dashboard(classroom, now)
        assert fast.students == slow.students and fast.cards == slow.cards
        assert any(s.cards_studied for s in fast.students)
        assert any(s.cards_mastered for s in fast.students)


def test_a_learner_with_little_history_ranks_hardest_by_ease(app):
    """Few failures and lapses: the hardest list is decided by ease, read for every side."""
    rng = random.Random(7)
    user = make_user("few@example.org")
    deck = deck_of("few", 12, "sm2")
    sm2 = Sm2Scheduler()
    for n, card in enumerate(deck.cards):
        for ordinal in card.ordinals:
            state = Sm2State(Decimal(rng.choice(("1.3", "2.5", "2.36", "2.7"))),
                             rng.choice((0, 3, 30)), rng.randint(0, 3), date(2026, 3, 1), 0)
            db.session.add(CardState(
                user_id=user.id, card_id=card.id, deck_id=deck.id, ordinal=ordinal,
                scheduler="sm2", state=sm2.to_json(state), due=state.due,
                lapses=1 if n == 0 else 0))
    db.session.commit()
    now = START + timedelta(days=3)
    summary = progress.learner_summary(user, [deck], now)
    assert summary == slow_learner_summary(user, [deck], now)
    eases = [card.easiness for card in summary.overall.hardest]
    assert len(eases) > 2 and eases[1:] == sorted(eases[1:]) and eases[-1] < Decimal("2.5")


def test_the_stage_of_an_inserted_state_is_its_own_unless_given(app):
    user = make_user("ins@example.org")
    deck = deck_of("ins", 2, "fsrs")
    fsrs = FsrsScheduler()
    first, _ = fsrs.review(fsrs.new_state(), 3, Moment(START, "UTC"))
    a, b = deck.cards
    db.session.execute(insert(CardState), [
        {"user_id": user.id, "card_id": a.id, "deck_id": deck.id, "ordinal": 0,
         "scheduler": "fsrs", "state": fsrs.to_json(first), "due": first.due},
        {"user_id": user.id, "card_id": b.id, "deck_id": deck.id, "ordinal": 0,
         "scheduler": "fsrs", "state": fsrs.to_json(first), "due": first.due,
         **schedules.state_columns(fsrs, first, START, None)},
    ])
    db.session.commit()
    assert_stages_are_the_schedulers()
    assert {row.stage for row in db.session.scalars(select(CardState))} == {
        fsrs.stage(first).value}


STATES_BEFORE = table(
    "card_state", *map(column, ("id", "user_id", "card_id", "deck_id", "ordinal", "scheduler",
                                "due", "lapses", "version")),
    column("state", JSON),
)


def test_migration_fills_in_every_stage_and_goes_back(tmp_path):
    sm2, fsrs = Sm2Scheduler(), FsrsScheduler()
    young = Sm2State(Decimal("2.5"), 3, 2, date(2026, 2, 1), 0)
    fsrs_learning, _ = fsrs.review(fsrs.new_state(), 1, Moment(START, "UTC"))
    states = {
        1: (sm2, Sm2State(Decimal("2.5"), 0, 0, date(2026, 2, 1), 0)),  # learning
        2: (sm2, young),
        3: (sm2, Sm2State(Decimal("2.1"), 40, 5, date(2026, 3, 1), 2)),  # mature
        4: (fsrs, fsrs_learning),
        5: (sm2, sm2.new_state()),  # never answered: new
    }
    with scratch_database(tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            from flask_migrate import downgrade, upgrade
            upgrade(revision=BEFORE)
            user = make_user("m@example.org")
            deck = make_deck([basic(str(n)) for n in states])
            connection = db.session.connection()
            for (n, (scheduler, state)), card in zip(states.items(), deck.cards, strict=True):
                connection.execute(insert(STATES_BEFORE).values(
                    id=n, user_id=user.id, card_id=card.id, deck_id=deck.id, ordinal=0,
                    scheduler=scheduler.name, state=scheduler.to_json(state),
                    due=state.due or date(2026, 2, 1), lapses=state.lapses, version=1))
            db.session.commit()
            upgrade()
            stages = dict(db.session.execute(select(CardState.id, CardState.stage)).all())
            assert stages == {1: "learning", 2: "young", 3: "mature",
                              4: fsrs.stage(fsrs_learning).value, 5: "new"}
            assert_stages_are_the_schedulers()
            db.session.commit()
            downgrade(revision=BEFORE)
            db.session.remove()
            columns = {c["name"] for c in inspect(db.engine).get_columns("card_state")}
            assert "stage" not in columns and "memory_stability" in columns
            upgrade()
            assert dict(db.session.execute(select(CardState.id, CardState.stage)).all()) == stages
            db.session.remove()
            db.engine.dispose()


STAGED = "3c9e5a7b1d42"
STATES_STAGED = table(
    "card_state", *map(column, ("id", "user_id", "card_id", "deck_id", "ordinal", "scheduler",
                                "due", "lapses", "version", "stage")),
    column("state", JSON),
)
LOGS_BEFORE = table("review_log", *map(column, (
    "user_id", "card_id", "deck_id", "ordinal", "phase", "grade", "scheduler", "passed",
    "answered_at", "duration_ms", "stage_before", "interval_before", "presentation",
    "undone_at")))


def test_migration_sums_every_side_s_answers_and_goes_back(tmp_path):
    """Totals from the answers not undone of the sides with a state; the answers of a side
    without one are marked untallied."""
    sm2 = Sm2Scheduler()
    young = Sm2State(Decimal("2.5"), 3, 2, date(2026, 2, 1), 0)
    answers = [  # (card, ordinal, phase, passed, stage before, undone)
        (0, 0, "learn", True, "new", False), (0, 0, "review", False, "young", False),
        (0, 0, "review", True, "mature", False), (0, 0, "cram", False, "young", False),
        (0, 0, "repeat", True, "learning", False), (0, 0, "review", True, "young", True),
        (1, 0, "learn", False, "new", False), (1, 1, "review", True, "young", False),
        (2, 0, "cram", False, "new", False), (2, 0, "cram", True, "new", True),
    ]
    with scratch_database(tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            from flask_migrate import downgrade, upgrade
            upgrade(revision=STAGED)
            user = make_user("m@example.org")
            deck = make_deck([basic("a"), CardData(guid="b", kind="reversed", prompt="F",
                                                   answer="B"), basic("c")])
            connection = db.session.connection()
            for n, (card, ordinal) in enumerate(((0, 0), (1, 0), (1, 1))):
                connection.execute(insert(STATES_STAGED).values(
                    id=n + 1, user_id=user.id, card_id=deck.cards[card].id, deck_id=deck.id,
                    ordinal=ordinal, scheduler="sm2", state=sm2.to_json(young), due=young.due,
                    lapses=0, version=1, stage="young"))
            for n, (card, ordinal, phase, passed, stage, undone) in enumerate(answers):
                connection.execute(insert(LOGS_BEFORE).values(
                    user_id=user.id, card_id=deck.cards[card].id, deck_id=deck.id,
                    ordinal=ordinal, phase=phase, grade=4 if passed else 1, scheduler="sm2",
                    passed=passed, answered_at=START + timedelta(minutes=n), duration_ms=0,
                    stage_before=stage, interval_before=0, presentation=f"p{n}",
                    undone_at=START if undone else None))
            db.session.commit()
            upgrade()
            assert_totals_are_the_log_s()
            totals = {row.id: (row.answers, row.failures, row.retention_answers,
                               row.retention_passed)
                      for row in db.session.scalars(select(CardState))}
            assert totals == {1: (5, 2, 2, 1), 2: (1, 1, 0, 0), 3: (1, 0, 1, 1)}
            untallied = db.session.scalars(
                select(ReviewLog.presentation).where(ReviewLog.tallied.is_(False))).all()
            assert sorted(untallied) == ["p8", "p9"]
            db.session.commit()
            downgrade(revision=STAGED)
            db.session.remove()
            columns = {c["name"] for c in inspect(db.engine).get_columns("card_state")}
            assert "answers" not in columns and "stage" in columns
            assert "tallied" not in {c["name"] for c in inspect(db.engine).get_columns(
                "review_log")}
            upgrade()
            assert {row.id: (row.answers, row.failures, row.retention_answers,
                             row.retention_passed)
                    for row in db.session.scalars(select(CardState))} == totals
            db.session.remove()
            db.engine.dispose()
