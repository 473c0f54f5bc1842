"""The grade buttons' intervals: each is the text of the due moment its rating's review
gives (``Scheduler.review``), for SM-2 and FSRS, new and reviewed sides, in two zones."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from study_helpers import basic, make_deck

from quizapp.extensions import db
from quizapp.scheduling import registry
from quizapp.scheduling.base import Moment, interval_text
from quizapp.services import schedules
from quizapp.services.presentation import ShownState

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("name", ["sm2", "fsrs"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_each_button_shows_where_its_review_leads(app, learner, name, zone):
    learner.timezone = zone
    deck = make_deck([basic("a")])
    settings = registry.SchedulerSettings(name=name)
    schedules.set_deck_settings(deck, settings)
    db.session.commit()
    scheduler = registry.create(settings)
    rng = random.Random(7)
    state, now = scheduler.new_state(), START
    for step in range(25):
        row = None if step == 0 else ShownState(learner.id, 1, 0, step, name,
                                                 scheduler.to_json(state))
        buttons = schedules.rating_buttons(learner, deck, row, schedules_answer=True, now=now)
        moment = Moment(now, zone)
        assert [(button.option, button.interval) for button in buttons] == [
            (option, interval_text(moment, scheduler.review(state, option.value, moment)[1].due))
            for option in scheduler.scale
        ]
        state, record = scheduler.review(state, rng.choice(scheduler.scale.values), moment)
        now = max(now + timedelta(minutes=rng.choice((1, 30, 600))), record.due.at)


def test_an_answer_that_schedules_nothing_shows_no_interval(app, learner):
    deck = make_deck([basic("a")])
    buttons = schedules.rating_buttons(learner, deck, None, schedules_answer=False, now=START)
    assert [button.interval for button in buttons] == [None] * len(buttons)
