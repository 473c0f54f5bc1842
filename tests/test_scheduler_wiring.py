"""The study service through the scheduler interface: a scheduler registered in a test
alone studies a card over HTTP, FSRS decks record FSRS's schedule, and switching a deck
between algorithms keeps each learner's progress."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from study_helpers import basic, make_deck, sm2_of

from quizapp.extensions import db
from quizapp.models import CardState, ReviewLog, utcnow
from quizapp.scheduling import registry
from quizapp.scheduling.base import (
    AnkiSchedule,
    Due,
    Moment,
    RatingOption,
    RatingScale,
    ReviewRecord,
    Scheduler,
    Stage,
)
from quizapp.scheduling.day import learner_day
from quizapp.scheduling.fsrs_scheduler import FsrsScheduler
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler
from quizapp.services import schedules, study, study_queue

SECRET = "test-secret-key"
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Fixed:
    due: date | None
    lapses: int = 0


class ThreeDays(Scheduler[Fixed]):
    """Every answer brings the card back in three days."""

    name = "three-days"
    label = "Three days"
    scale = RatingScale((RatingOption(1, "Done", "Seen it", ("1", " "), passing=True),))

    def new_state(self) -> Fixed:
        return Fixed(None)

    def review(self, state: Fixed, rating: int, now: Moment) -> tuple[Fixed, ReviewRecord]:
        due = now.day + timedelta(days=3)
        record = ReviewRecord(self.scale.check(rating), now.at, now.day, self.stage(state), 0,
                              3, Due(due, now.start_of(due)), True)
        return Fixed(due, state.lapses), record

    def stage(self, state: Fixed) -> Stage:
        return Stage.NEW if state.due is None else Stage.YOUNG

    def to_anki(self, state: Fixed) -> AnkiSchedule:
        return AnkiSchedule(2, 2, 3, 2500, state.due, None, state.lapses)

    def to_json(self, state: Fixed) -> dict[str, Any]:
        due = state.due.isoformat() if state.due else None
        return {"scheduler": self.name, "v": 1, "due": due, "lapses": state.lapses}

    def from_json(self, data: Mapping[str, Any]) -> Fixed:
        self._checked_json(data, 1)
        return Fixed(date.fromisoformat(data["due"]) if data["due"] else None, data["lapses"])

    def auto_rating(self, correct: bool, seconds: float | None) -> int:
        return 1

    def drill_again(self, rating: int) -> bool:
        return False


@pytest.fixture
def three_days():
    registry.FACTORIES[ThreeDays.name] = lambda settings: ThreeDays()
    try:
        yield
    finally:
        del registry.FACTORIES[ThreeDays.name]


def test_a_scheduler_registered_in_a_test_studies_a_card_over_http(
    client, auth, learner, three_days
):
    deck = make_deck([basic("a")])
    deck.scheduler = registry.SchedulerSettings(name=ThreeDays.name).to_json()
    db.session.commit()
    auth.login(learner.email)
    page = client.get(f"/study/{deck.id}").get_data(as_text=True)
    assert "Seen it" in page and "3 d" in page  # its one rating, with its interval
    response = client.post(f"/study/{deck.id}/answer", data={
        "token": TOKEN_RE.search(page).group(1), "csrf_token": CSRF_RE.search(page).group(1),
        "grade": "1",
    })
    assert response.status_code == 303
    row = db.session.scalars(db.select(CardState)).one()
    today = learner_day(utcnow(), learner.timezone)
    assert (row.scheduler, row.due) == (ThreeDays.name, today + timedelta(days=3))
    log = db.session.scalars(db.select(ReviewLog)).one()
    assert (log.scheduler, log.grade, log.passed) == (ThreeDays.name, 1, True)


def show_and_answer(user, deck, rating, now):
    queue = study_queue.open_session(user, deck.id, cram=False, now=now)
    p = study.choose_next(user, deck, queue, cram=False, now=now)
    token = study.encode_presentation(p, user.id, SECRET)
    return study.record_answer(user, token, SECRET, grade=rating, now=now)


def use(deck, name, **fsrs):
    schedules.set_deck_settings(deck, registry.SchedulerSettings(name=name, **fsrs))
    db.session.commit()


def test_an_fsrs_deck_stores_the_librarys_schedule_and_undo_restores_it(app, learner):
    deck = make_deck([basic("a")])
    use(deck, "fsrs", desired_retention=0.85)
    fsrs = registry.create(schedules.deck_settings(deck))
    outcome = show_and_answer(learner, deck, 3, NOON)
    expected, _ = fsrs.review(fsrs.new_state(), 3, Moment(NOON, learner.timezone))
    row = db.session.scalars(db.select(CardState)).one()
    assert row.scheduler == "fsrs" and fsrs.from_json(row.state) == expected
    assert outcome.due == row.due == expected.due and not outcome.again
    later = NOON + timedelta(days=expected.interval or 1)
    show_and_answer(learner, deck, 1, later)
    study.undo_last(learner, deck, now=later)
    db.session.expire_all()
    assert fsrs.from_json(db.session.scalars(db.select(CardState)).one().state) == expected


def test_switching_to_fsrs_keeps_the_due_day_and_replays_the_answers(app, learner):
    deck = make_deck([basic("a")])
    for day, grade in ((0, 5), (1, 4), (7, 4)):
        show_and_answer(learner, deck, grade, NOON + timedelta(days=day))
    db.session.expire_all()
    sm2_row = db.session.scalars(db.select(CardState)).one()
    before = sm2_of(sm2_row)
    use(deck, "fsrs")
    settings = schedules.deck_settings(deck)
    scheduler, state = schedules.load_state(sm2_row, settings, learner)
    # Replayed from a new card: the same as FSRS having scheduled every answer itself.
    replayed = scheduler.new_state()
    for day, grade in ((0, 5), (1, 4), (7, 4)):
        replayed, _ = scheduler.review(replayed, grade - 1, Moment(NOON + timedelta(days=day)))
    assert (state.stability, state.difficulty) == (replayed.stability, replayed.difficulty)
    assert (state.due, state.interval, state.lapses) == (before.due, before.interval, 0)
    # The next answer is FSRS's, from that state, and is stored in FSRS's form.
    due = NOON + timedelta(days=7 + before.interval)
    show_and_answer(learner, deck, 3, due)
    db.session.expire_all()
    row = db.session.scalars(db.select(CardState)).one()
    expected, _ = scheduler.review(state, 3, Moment(due, learner.timezone))
    assert row.scheduler == "fsrs" and FsrsScheduler().from_json(row.state) == expected


def test_switching_back_to_sm2_keeps_the_due_day(app, learner):
    deck = make_deck([basic("a")])
    use(deck, "fsrs")
    show_and_answer(learner, deck, 3, NOON)
    show_and_answer(learner, deck, 3, NOON + timedelta(days=3))
    db.session.expire_all()
    fsrs_row = db.session.scalars(db.select(CardState)).one()
    use(deck, "sm2")
    scheduler, state = schedules.load_state(fsrs_row, schedules.deck_settings(deck), learner)
    assert isinstance(scheduler, Sm2Scheduler)
    assert state.due == fsrs_row.due and state.repetitions == 2 and state.interval >= 1


def test_a_learners_own_setting_overrides_the_decks(client, auth, learner):
    deck = make_deck([basic("a")])
    auth.login(learner.email)
    page = client.get(f"/study/{deck.id}/scheduler").get_data(as_text=True)
    response = client.post(f"/study/{deck.id}/scheduler", data={
        "csrf_token": CSRF_RE.search(page).group(1), "name": "fsrs",
        "desired_retention": "0.95", "maximum_interval": "365",
    })
    assert response.status_code == 303
    settings = schedules.settings_for(learner, deck)
    assert (settings.name, settings.desired_retention, settings.maximum_interval) == (
        "fsrs", 0.95, 365)
    page = client.get(f"/study/{deck.id}").get_data(as_text=True)
    assert all(label in page for label in ("Again", "Hard", "Good", "Easy"))
    refused = client.post(f"/study/{deck.id}/scheduler", data={
        "csrf_token": CSRF_RE.search(page).group(1), "name": "fsrs",
        "desired_retention": "1.5", "maximum_interval": "365",
    })
    assert refused.status_code == 400
    assert schedules.settings_for(learner, deck) == settings


def test_an_instructor_sets_the_decks_scheduler(client, auth, instructor):
    deck = make_deck([basic("a")], owner=instructor)
    auth.login(instructor.email)
    page = client.get(f"/decks/{deck.id}/scheduler").get_data(as_text=True)
    assert "FSRS" in page and "SM-2" in page
    response = client.post(f"/decks/{deck.id}/scheduler", data={
        "csrf_token": CSRF_RE.search(page).group(1), "name": "fsrs",
        "desired_retention": "0.9", "maximum_interval": "36500",
    })
    assert response.status_code == 303
    db.session.expire_all()
    assert schedules.deck_settings(db.session.get(type(deck), deck.id)).name == "fsrs"
    unknown = client.post(f"/decks/{deck.id}/scheduler", data={
        "csrf_token": CSRF_RE.search(page).group(1), "name": "nope",
        "desired_retention": "0.9", "maximum_interval": "36500",
    })
    assert unknown.status_code == 400


def test_a_learning_step_waits_for_its_minutes_unless_nothing_else_is_left(app, learner):
    deck = make_deck([basic("a"), basic("b")])
    use(deck, "fsrs")
    show_and_answer(learner, deck, 3, NOON)  # Good on a new card: back in 10 minutes
    queue = study_queue.open_session(learner, deck.id, cram=False, now=NOON)
    card_of = {card.id: card.guid for card in deck.cards}
    p = study.choose_next(learner, deck, queue, cram=False, now=NOON + timedelta(minutes=1))
    assert (card_of[p.card_id], p.mode) == ("b", "learn")
    show_and_answer(learner, deck, 4, NOON + timedelta(minutes=1))  # Easy: days away
    p = study.choose_next(learner, deck, queue, cram=False, now=NOON + timedelta(minutes=2))
    assert (card_of[p.card_id], p.mode) == ("a", "review")  # learnt ahead: nothing else
    p = study.choose_next(learner, deck, queue, cram=False, now=NOON + timedelta(minutes=11))
    assert (card_of[p.card_id], p.mode) == ("a", "review")


def test_cram_on_an_fsrs_deck_brings_misses_back_and_schedules_nothing(app, learner):
    deck = make_deck([basic("a")])
    use(deck, "fsrs")
    queue = study_queue.open_session(learner, deck.id, cram=True, restart=True, now=NOON)
    p = study.choose_next(learner, deck, queue, cram=True, now=NOON)
    token = study.encode_presentation(p, learner.id, SECRET)
    missed = study.record_answer(learner, token, SECRET, grade=1, now=NOON)
    assert missed.again and missed.mode == "cram"
    queue = study_queue.open_session(learner, deck.id, cram=True, now=NOON)
    p = study.choose_next(learner, deck, queue, cram=True, now=NOON)
    token = study.encode_presentation(p, learner.id, SECRET)
    assert not study.record_answer(learner, token, SECRET, grade=3, now=NOON).again
    queue = study_queue.open_session(learner, deck.id, cram=True, now=NOON)
    assert study.choose_next(learner, deck, queue, cram=True, now=NOON) is None
    assert db.session.query(CardState).count() == 0


def test_an_answer_reads_json_null_settings_as_none(app, learner):
    """The answer path reads the settings as stored text: a learner's own settings stored
    as JSON null fall back to the deck's, as the parsed value (None) did."""
    from sqlalchemy import insert, update

    from quizapp.models import Deck, SchedulerOverride

    deck = make_deck([basic("a"), basic("b")])
    use(deck, "fsrs")
    db.session.execute(insert(SchedulerOverride).values(
        user_id=learner.id, deck_id=deck.id, settings=None))
    db.session.commit()
    assert show_and_answer(learner, deck, 3, NOON).grade == 3
    db.session.execute(update(Deck).where(Deck.id == deck.id).values(scheduler=None))
    db.session.commit()
    show_and_answer(learner, deck, 4, NOON)
    logged = db.session.scalars(db.select(ReviewLog.scheduler).order_by(ReviewLog.id)).all()
    assert logged == ["fsrs", "sm2"]
