"""The two seams together: a card kind and a scheduler that exist only in the tests are
registered, a deck of that kind is set to that scheduler, and a learner studies it over HTTP.
No module of the app knows either of them (issue 15)."""

from __future__ import annotations

from datetime import timedelta

from test_kind_registry import YesNo, deck_file, post_answer
from test_kind_registry import yesno as yesno  # a fixture
from test_scheduler_wiring import ThreeDays
from test_scheduler_wiring import three_days as three_days  # a fixture

from quizapp.deckfile import from_dict
from quizapp.extensions import db
from quizapp.models import CardState, ReviewLog, utcnow
from quizapp.scheduling import registry
from quizapp.scheduling.day import learner_day
from quizapp.services.decks import store_deck


def test_a_throwaway_kind_under_a_throwaway_scheduler_is_studied_over_http(
    client, auth, learner, yesno, three_days
):
    deck = store_deck(from_dict(deck_file(
        {"guid": "y1", "kind": YesNo.name, "prompt": "Copper conducts electricity.",
         "answer": "yes"},
    )), owner=None, publish=True).deck
    deck.scheduler = registry.SchedulerSettings(name=ThreeDays.name).to_json()
    db.session.commit()
    auth.login(learner.email)

    page = client.get(f"/study/{deck.id}").get_data(as_text=True)
    assert 'data-kind="yesno"' in page and 'class="yesno"' in page
    feedback = post_answer(client, deck.id, page, typed="yes")
    assert feedback.status_code == 200
    assert "<strong>Right.</strong>" in feedback.get_data(as_text=True)

    db.session.expire_all()
    row = db.session.scalars(db.select(CardState)).one()
    today = learner_day(utcnow(), learner.timezone)
    assert (row.scheduler, row.due) == (ThreeDays.name, today + timedelta(days=3))
    log = db.session.scalars(db.select(ReviewLog)).one()
    assert (log.scheduler, log.grade, log.passed, log.response) == (
        ThreeDays.name, 1, True, "yes"
    )
    done = client.get(f"/study/{deck.id}").get_data(as_text=True)
    assert "Copper conducts electricity." not in done  # due in three days, not today
