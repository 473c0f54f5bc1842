"""Personal FSRS parameters in the app: the threshold, the background job, what is stored,
the learner's progress page and ``flask sched fit``."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from conftest import csrf_token, make_user
from sqlalchemy import func, insert, select
from study_helpers import basic, make_deck

from quizapp.extensions import db
from quizapp.models import Job, LearnerSchedulerParams, ReviewLog
from quizapp.scheduling.fitting import DISTANT_LEARNER, FitResult, synthetic_history
from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS
from quizapp.scheduling.registry import SchedulerSettings, create
from quizapp.services import personal_params, scheduler_jobs

SM2_GRADE_FOR_RATING = {1: 1, 2: 3, 3: 4, 4: 5}


def seed_history(user, deck, history, phase="review", **extra) -> None:
    """The learner's answers in ``deck`` as review-log rows, synthetic card n = deck card n."""
    card_ids = [card.id for card in deck.cards]
    start = db.session.scalar(select(func.count(ReviewLog.id)))
    rows = [
        {"user_id": user.id, "deck_id": deck.id, "card_id": card_ids[review.card],
         "ordinal": 0, "phase": phase, "grade": SM2_GRADE_FOR_RATING[review.rating],
         "answered_at": datetime.combine(review.day, time(12), tzinfo=UTC),
         "duration_ms": 5000, "scheduler": "sm2", "passed": review.rating > 1,
         "stage_before": "young", "interval_before": 0,
         "presentation": f"p{start + index}", **extra}
        for index, review in enumerate(history)
    ]
    db.session.execute(insert(ReviewLog), rows)
    db.session.commit()


@pytest.fixture
def deck():
    return make_deck([basic(f"c{n}") for n in range(150)], title="Physiology")


def fit_form(client, deck):
    token = csrf_token(client, f"/progress/decks/{deck.id}")
    return client.post(f"/progress/decks/{deck.id}/fit", data={"csrf_token": token})


def test_below_the_threshold_the_defaults_stay_and_a_fit_is_refused(client, auth, learner, deck):
    seed_history(learner, deck, synthetic_history(DISTANT_LEARNER, cards=40, answers_per_card=5))
    auth.login(learner.email)
    page = client.get(f"/progress/decks/{deck.id}").get_data(as_text=True)
    assert "Using defaults (200 of 1,000 reviews)" in page
    assert "Fit parameters to your reviews" not in page
    response = fit_form(client, deck)
    assert response.status_code == 303
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "need 1,000 reviews in this deck; you have 200" in followed
    assert db.session.scalar(select(func.count(Job.id))) == 0
    assert db.session.scalar(select(func.count(LearnerSchedulerParams.id))) == 0


def test_the_threshold_is_a_setting_and_counts_only_real_answers(app, learner, deck,
                                                                 monkeypatch):
    history = synthetic_history(DISTANT_LEARNER, cards=20, answers_per_card=5)
    seed_history(learner, deck, history)
    seed_history(learner, deck, history, phase="cram")
    seed_history(learner, deck, history, undone_at=datetime(2026, 6, 1, tzinfo=UTC))
    assert personal_params.review_count(learner.id, deck.id) == 100
    monkeypatch.setitem(app.config, "QUIZAPP_FSRS_FIT_MIN_REVIEWS", 100)
    assert personal_params.status(learner, deck).eligible
    monkeypatch.setitem(app.config, "QUIZAPP_FSRS_FIT_MIN_REVIEWS", 101)
    assert not personal_params.status(learner, deck).eligible


def test_the_job_stores_parameters_that_beat_the_defaults(client, auth, learner, deck):
    seed_history(learner, deck, synthetic_history(DISTANT_LEARNER, cards=150, answers_per_card=8))
    auth.login(learner.email)
    assert "Fit parameters to your reviews" in client.get(
        f"/progress/decks/{deck.id}").get_data(as_text=True)
    response = fit_form(client, deck)  # the test queue runs the job inside the request
    assert response.status_code == 303
    job = db.session.scalars(select(Job)).one()
    assert (job.kind, job.status, job.deck_id) == ("fit", "done", deck.id)
    row = db.session.scalars(select(LearnerSchedulerParams)).one()
    assert row.reviews_used == 1200 and len(row.parameters) == 21
    assert row.log_loss_fitted < row.log_loss_default
    assert personal_params.personal_parameters(learner.id, deck.id) == tuple(row.parameters)
    deck_settings = SchedulerSettings("fsrs", desired_retention=0.85)
    mine = personal_params.settings_for_learner(deck_settings, learner.id, deck.id)
    assert mine == SchedulerSettings("fsrs", 0.85, parameters=tuple(row.parameters))
    assert create(mine).parameters == tuple(row.parameters)
    other = make_user("other@example.org")
    assert personal_params.settings_for_learner(deck_settings, other.id, deck.id) == deck_settings
    page = client.get(f"/progress/decks/{deck.id}").get_data(as_text=True)
    assert (f"Personal parameters: fitted on 1,200 reviews, log loss "
            f"{row.log_loss_default:.4f} → {row.log_loss_fitted:.4f}") in page
    assert "Fit again on your latest reviews" in page


def test_a_fit_that_does_not_beat_the_defaults_keeps_them(client, auth, learner, deck, app,
                                                          monkeypatch):
    seed_history(learner, deck, synthetic_history(DISTANT_LEARNER, cards=30, answers_per_card=4))
    monkeypatch.setitem(app.config, "QUIZAPP_FSRS_FIT_MIN_REVIEWS", 100)
    earlier = LearnerSchedulerParams(user_id=learner.id, deck_id=deck.id,
                                     parameters=list(DISTANT_LEARNER), reviews_used=90,
                                     log_loss_default=0.5, log_loss_fitted=0.45)
    db.session.add(earlier)
    db.session.commit()
    worse = FitResult(tuple(DISTANT_LEARNER), 120, 0.4012, 0.4321)
    monkeypatch.setattr(personal_params, "fit", lambda history: worse)
    auth.login(learner.email)
    fit_form(client, deck)
    row = db.session.scalars(select(LearnerSchedulerParams)).one()
    assert row.parameters is None and row.reviews_used == 120
    assert personal_params.personal_parameters(learner.id, deck.id) is None
    page = client.get(f"/progress/decks/{deck.id}").get_data(as_text=True)
    assert ("Using defaults: parameters fitted on 120 reviews scored log loss 0.4321 against "
            "the defaults&#39; 0.4012") in page


def test_a_history_that_cannot_be_fitted_fails_the_job_with_a_message(client, auth, learner,
                                                                      deck, app, monkeypatch):
    first_answers = synthetic_history(DISTANT_LEARNER, cards=30, answers_per_card=1)
    same_day = [review for review in first_answers for _ in range(4)]
    seed_history(learner, deck, same_day)
    monkeypatch.setitem(app.config, "QUIZAPP_FSRS_FIT_MIN_REVIEWS", 100)
    auth.login(learner.email)
    response = fit_form(client, deck)
    assert "too few reviews on a later day" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalars(select(Job)).one().status == "failed"
    assert db.session.scalar(select(func.count(LearnerSchedulerParams.id))) == 0


def test_a_deck_the_learner_cannot_see_cannot_be_fitted(client, auth, learner):
    owner = make_user("owner@example.org", "instructor")
    hidden = make_deck([basic("x")], owner=owner, published=False)
    auth.login(learner.email)
    token = csrf_token(client, "/progress/")
    assert client.post(f"/progress/decks/{hidden.id}/fit",
                       data={"csrf_token": token}).status_code == 404


def test_the_command_fits_every_learner_with_enough_reviews(app, learner, deck, monkeypatch):
    runner = app.test_cli_runner()
    assert "No learner has 1,000 reviews in one deck yet." in runner.invoke(
        args=["sched", "fit"]).output
    seed_history(learner, deck, synthetic_history(DISTANT_LEARNER, cards=150, answers_per_card=8))
    other = make_user("other@example.org")
    seed_history(other, deck, synthetic_history(DEFAULT_PARAMETERS, cards=20,
                                                answers_per_card=5))
    result = runner.invoke(args=["sched", "fit", "--deck", "Physiology"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("learner@example.org · Physiology: Personal parameters: "
                                    "fitted on 1,200 reviews, log loss")
    assert "other@example.org" not in result.output
    assert db.session.scalars(select(LearnerSchedulerParams)).one().user_id == learner.id
    unknown = runner.invoke(args=["sched", "fit", "--user", "nobody@example.org"])
    assert unknown.exit_code == 1 and "no account for nobody@example.org" in unknown.output


def test_a_fit_becomes_due_by_itself_when_a_session_ends(client, auth, learner, app,
                                                         monkeypatch):
    deck = make_deck([basic(f"c{n}") for n in range(60)], title="Done for today",
                     new_per_day=0)
    monkeypatch.setitem(app.config, "QUIZAPP_FSRS_FIT_MIN_REVIEWS", 200)
    history = synthetic_history(DISTANT_LEARNER, cards=60, answers_per_card=5)
    seed_history(learner, deck, history[:150])
    auth.login(learner.email)
    client.get(f"/study/{deck.id}")  # nothing left to study: the session's summary
    assert db.session.scalar(select(func.count(Job.id))) == 0  # 150 of 200 reviews
    seed_history(learner, deck, history[150:])
    client.get(f"/study/{deck.id}")
    fitted = db.session.scalars(select(LearnerSchedulerParams)).one()
    assert fitted.reviews_used == 300
    client.get(f"/study/{deck.id}")  # not again until another 200 reviews
    assert db.session.scalar(select(func.count(Job.id))) == 1
    assert not scheduler_jobs.fit_is_due(learner, deck)


def test_a_learners_fitted_parameters_schedule_their_fsrs_deck_only(learner, deck):
    from quizapp.services import schedules

    db.session.add(LearnerSchedulerParams(
        user_id=learner.id, deck_id=deck.id, parameters=list(DISTANT_LEARNER), reviews_used=1200,
        log_loss_default=0.39, log_loss_fitted=0.38,
    ))
    db.session.commit()
    assert schedules.settings_for(learner, deck).name == "sm2"  # SM-2 takes no parameters
    schedules.set_deck_settings(deck, SchedulerSettings(name="fsrs"))
    db.session.commit()
    settings = schedules.settings_for(learner, deck)
    assert settings.parameters == tuple(DISTANT_LEARNER) != DEFAULT_PARAMETERS
    other = make_user("other@example.org")
    assert schedules.settings_for(other, deck).parameters == DEFAULT_PARAMETERS


def test_an_answer_schedules_with_the_fitted_parameters_read_in_its_one_select(learner, deck):
    """The answer path reads the fitted parameters in its joined read: the learner's first
    answer of an FSRS deck is scheduled as their own FsrsScheduler schedules it, with one
    SELECT in all."""
    from collections import Counter

    from sqlalchemy import event

    from quizapp.models import CardState
    from quizapp.scheduling.base import Moment
    from quizapp.services import schedules, study

    schedules.set_deck_settings(deck, SchedulerSettings(name="fsrs"))
    db.session.add(LearnerSchedulerParams(
        user_id=learner.id, deck_id=deck.id, parameters=list(DISTANT_LEARNER), reviews_used=1200,
        log_loss_default=0.39, log_loss_fitted=0.38,
    ))
    db.session.commit()
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    p = study.Presentation(deck.cards[0].id, 0, "learn", 0, "n1", now.timestamp() - 5)
    db.session.refresh(learner)  # loaded as a request loads it, before the answer
    seen: Counter = Counter()

    def statement(conn, cursor, sql, parameters, context, executemany):
        seen[sql.split(None, 1)[0].upper()] += 1

    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        study.answer_presentation(learner, p, grade=3, now=now)
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
    # The state and log inserts: one statement on PostgreSQL (WITH written AS (INSERT ...)).
    writes = {"WITH": 1} if db.engine.dialect.name == "postgresql" else {"INSERT": 2}
    assert dict(seen) == {"SELECT": 1, **writes}
    own = create(SchedulerSettings(name="fsrs", parameters=tuple(DISTANT_LEARNER)))
    expected, _ = own.review(own.new_state(), 3, Moment(now, learner.timezone))
    row = db.session.scalars(select(CardState)).one()
    assert own.from_json(row.state) == expected
    default = create(SchedulerSettings(name="fsrs"))
    assert default.review(default.new_state(), 3, Moment(now, learner.timezone))[0] != expected


def test_settings_kept_per_stored_text_are_what_parsing_them_gives():
    """The answer path's settings_and_scheduler, kept per (settings text, fitted text), is
    from_json + with_fitted + create; a refused text raises on every call, never kept."""
    import json

    fsrs = SchedulerSettings(name="fsrs", desired_retention=0.85, maximum_interval=400)
    fitted = [round(w * 1.01, 4) for w in DEFAULT_PARAMETERS]
    cases = [(None, None), ("null", None), (json.dumps(fsrs.to_json()), None),
             (json.dumps(fsrs.to_json()), json.dumps(fitted)),
             (json.dumps(SchedulerSettings().to_json()), json.dumps(fitted)),
             (json.dumps(fsrs.to_json()), "null"), (json.dumps(fsrs.to_json()), "[]")]
    for chosen, stored in cases:
        expected = SchedulerSettings() if chosen in (None, "null") else (
            SchedulerSettings.from_json(json.loads(chosen)))
        expected = personal_params.with_fitted(
            expected, None if stored is None else json.loads(stored))
        for _ in range(2):
            settings, scheduler = personal_params.settings_and_scheduler(chosen, stored)
            assert settings == expected
            assert scheduler is create(expected)
    bad = json.dumps({**fsrs.to_json(), "parameters": [True] * len(DEFAULT_PARAMETERS)})
    for _ in range(2):
        with pytest.raises(ValueError):
            personal_params.settings_and_scheduler(bad, None)
