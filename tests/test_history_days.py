"""Closed learner days summed once (services.history_days): the progress figures read from
them equal the figures summed from every answer, on random histories, as the days are summed
in steps, after a new time zone, and after the events that rewrite past days."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from conftest import make_user
from flask_migrate import downgrade, upgrade
from progress_helpers import random_history, slow_learner_summary
from sqlalchemy import inspect, select
from study_helpers import basic, make_deck
from test_memory_migration import scratch_database
from test_progress_totals import tagged_deck

from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import CardState, Deck, ReviewDayMark, ReviewDayTotal, ReviewLog
from quizapp.scheduling.day import day_start, learner_day
from quizapp.services import history_days, progress, study
from quizapp.stats.activity import counts_for_retention
from quizapp.stats.day_numbers import EPOCH_DAY
from quizapp.stats.learner import Review

NOW = datetime(2026, 1, 20, 15, 30, tzinfo=UTC)
SECRET = "test-secret-key"
BEFORE_DAYS = "8a4c2e6b1f37"


def summed_rows(user_id: int) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    return {
        (row.deck_id, row.day): (row.reviews, row.milliseconds, row.retention_reviews,
                                 row.retention_passed)
        for row in db.session.scalars(
            select(ReviewDayTotal).where(ReviewDayTotal.user_id == user_id))
    }


def rows_from_log(user_id: int, tz_name: str, until: datetime):
    """What the table should hold: every answer not undone before ``until``, by deck and
    learner day, summed here one by one; an undone answer's deck and day with nothing."""
    totals: dict[tuple[int, int], Counter] = {}
    for log in db.session.scalars(select(ReviewLog).where(
        ReviewLog.user_id == user_id, ReviewLog.answered_at < until,
    )):
        day = (learner_day(log.answered_at, tz_name) - EPOCH_DAY).days
        summed = totals.setdefault((log.deck_id, day), Counter())
        if log.undone_at is not None:
            continue
        review = Review(log.card_id, log.ordinal, log.deck_id, log.answered_at, log.passed,
                        log.duration_ms, log.stage_before, log.interval_before,
                        log.phase in ("cram", "repeat"))
        retained = counts_for_retention(review)
        summed.update(reviews=1, milliseconds=log.duration_ms, retained=int(retained),
                      passed=int(retained and log.passed))
    return {key: (c["reviews"], c["milliseconds"], c["retained"], c["passed"])
            for key, c in totals.items()}


def slow_learner_decks(user) -> list[int]:
    """The decks the page lists, with the learner's answers read from the whole log."""
    answered = {log.deck_id for log in db.session.scalars(
        select(ReviewLog).where(ReviewLog.user_id == user.id))}
    studied = {state.deck_id for state in db.session.scalars(
        select(CardState).where(CardState.user_id == user.id))}
    decks = db.session.scalars(select(Deck).where(Deck.id.in_(answered | studied))).all()
    return [deck.id for deck in sorted(decks, key=lambda deck: deck.title)
            if deck.published or deck.owner_id == user.id]


def sum_days(user, now) -> bool:
    wrote = history_days.sum_closed_days(user, now)
    db.session.commit()
    return wrote


def assert_figures_are_the_log_s(user, decks, now=NOW) -> None:
    assert [deck.id for deck in progress.learner_decks(user)] == slow_learner_decks(user)
    for shown in (decks, decks[:1]):
        assert progress.learner_summary(user, shown, now) == slow_learner_summary(
            user, shown, now)


def today_start(user, now=NOW) -> datetime:
    return day_start(learner_day(now, user.timezone), user.timezone)


@pytest.mark.parametrize("seed,tz_name", [
    (11, "UTC"), (12, "Europe/Berlin"), (13, "America/Los_Angeles"), (14, "Asia/Kolkata"),
    (15, "Australia/Lord_Howe"),
])
def test_days_summed_in_steps_give_the_figures_of_every_answer(app, seed, tz_name):
    rng = random.Random(seed)
    user = make_user(f"d{seed}@example.org", timezone=tz_name)
    other = make_user(f"e{seed}@example.org")
    decks = [tagged_deck(f"h{seed}a", 10, rng, retired=1), tagged_deck(f"h{seed}b", 6, rng)]
    cards = [card for deck in decks for card in deck.cards]
    random_history(rng, user.id, cards, 700, NOW)
    random_history(rng, other.id, cards, 80, NOW)
    assert_figures_are_the_log_s(user, decks)  # nothing summed yet: all from the log

    earlier = NOW - timedelta(days=rng.randint(20, 200))
    assert sum_days(user, earlier)
    assert summed_rows(user.id) == rows_from_log(user.id, tz_name, today_start(user, earlier))
    assert_figures_are_the_log_s(user, decks)  # the days since then from the log

    assert sum_days(user, NOW)  # the days since added
    assert summed_rows(user.id) == rows_from_log(user.id, tz_name, today_start(user))
    assert summed_rows(user.id) and not summed_rows(other.id)
    assert not sum_days(user, NOW + timedelta(hours=1))  # same learner day: nothing to do
    assert_figures_are_the_log_s(user, decks)


def test_a_new_time_zone_regroups_every_day(app):
    rng = random.Random(21)
    user = make_user("zone@example.org", timezone="Europe/Berlin")
    decks = [tagged_deck("zone", 12, rng)]
    random_history(rng, user.id, decks[0].cards, 500, NOW)
    assert sum_days(user, NOW)
    user.timezone = "Pacific/Kiritimati"  # 14 hours ahead of UTC: most days move
    db.session.commit()
    assert_figures_are_the_log_s(user, decks)  # the Berlin days are not read
    assert sum_days(user, NOW)
    assert summed_rows(user.id) == rows_from_log(user.id, user.timezone, today_start(user))
    assert_figures_are_the_log_s(user, decks)


def answer(user, deck, now):
    p = study.choose_next(user, deck, study.SessionQueue(), cram=False, now=now)
    study.record_answer(user, study.encode_presentation(p, user.id, SECRET), SECRET, grade=4,
                        now=now)


def test_undoing_an_answer_of_a_summed_day_makes_the_days_summed_again(app):
    user = make_user("undo@example.org", timezone="UTC")
    deck = make_deck([basic(f"u{n}") for n in range(4)], title="Undo")
    last_night = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # still 2 March for the learner
    for minutes in (0, 10, 20):
        answer(user, deck, last_night + timedelta(minutes=minutes))
    morning = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    answer(user, deck, morning)
    assert sum_days(user, morning)
    assert sum(reviews for reviews, *_ in summed_rows(user.id).values()) == 3

    assert study.undo_last(user, deck, now=morning + timedelta(minutes=1))  # today's answer
    assert db.session.get(ReviewDayMark, user.id).rolled_until == today_start(user, morning)
    assert_figures_are_the_log_s(user, [deck], morning)

    assert study.undo_last(user, deck, now=morning + timedelta(minutes=2))  # last night's
    db.session.expire_all()
    assert db.session.get(ReviewDayMark, user.id).rolled_until is None
    assert_figures_are_the_log_s(user, [deck], morning)
    assert sum_days(user, morning)
    assert sum(reviews for reviews, *_ in summed_rows(user.id).values()) == 2
    assert_figures_are_the_log_s(user, [deck], morning)


def test_undo_before_any_summing_leaves_a_mark_that_sums_everything(app):
    user = make_user("fresh-undo@example.org", timezone="UTC")
    deck = make_deck([basic("f1"), basic("f2")], title="Fresh")
    answer(user, deck, NOW - timedelta(hours=20))
    answer(user, deck, NOW - timedelta(hours=19))
    assert study.undo_last(user, deck, now=NOW)
    assert sum_days(user, NOW)
    assert summed_rows(user.id) == rows_from_log(user.id, "UTC", today_start(user))
    assert_figures_are_the_log_s(user, [deck])


def test_the_page_sums_the_closed_days_once(app, client, auth):
    rng = random.Random(31)
    user = make_user("page@example.org", timezone="America/New_York")
    decks = [tagged_deck("page", 8, rng)]
    now = datetime.now(UTC)
    random_history(rng, user.id, decks[0].cards, 300, now)
    auth.login("page@example.org")
    first = client.get("/progress/")
    assert first.status_code == 200
    db.session.expire_all()
    mark = db.session.get(ReviewDayMark, user.id)
    assert mark.timezone == "America/New_York"
    assert mark.rolled_until == today_start(user, datetime.now(UTC))
    assert summed_rows(user.id) == rows_from_log(user.id, user.timezone, mark.rolled_until)
    again = client.get(f"/progress/decks/{decks[0].id}")
    assert again.status_code == 200
    assert_figures_are_the_log_s(user, decks, datetime.now(UTC))


def test_the_migration_adds_and_removes_the_day_tables(tmp_path):
    with scratch_database(tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                          "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {"review_day_total", "review_day_mark"} <= tables
            downgrade(revision=BEFORE_DAYS)
            tables = set(inspect(db.engine).get_table_names())
            assert not {"review_day_total", "review_day_mark"} & tables
            upgrade()
            assert {"review_day_total", "review_day_mark"} <= set(
                inspect(db.engine).get_table_names())
            db.session.remove()
            db.engine.dispose()


def test_a_deck_whose_only_answer_was_undone_stays_listed(app):
    user = make_user("listed@example.org", timezone="UTC")
    kept = make_deck([basic("k1")], title="Kept")
    undone = make_deck([basic("x1")], title="Undone")
    answer(user, kept, NOW - timedelta(days=3))
    answer(user, undone, NOW - timedelta(days=2))
    assert study.undo_last(user, undone, now=NOW - timedelta(days=2) + timedelta(minutes=1))
    assert not db.session.scalars(select(CardState).where(CardState.deck_id == undone.id)).all()
    assert sum_days(user, NOW)
    assert [deck.title for deck in progress.learner_decks(user)] == ["Kept", "Undone"]
    assert_figures_are_the_log_s(user, [kept, undone])
