"""An FSRS deck studied in headless Chromium with the keyboard: keys 1-4 and Space = Good,
the interval each rating leads to on its button, undo, and a stored schedule equal to the
``fsrs`` library's."""

from __future__ import annotations

import fsrs
import pytest
import test_browser
from browser_support import log_in
from conftest import make_user
from playwright.sync_api import expect
from sqlalchemy import select
from study_helpers import make_deck
from test_browser import flashcard, fresh_view

from quizapp.extensions import db
from quizapp.models import Card, CardState, ReviewLog, utcnow
from quizapp.scheduling import registry
from quizapp.scheduling.base import Moment, interval_text
from quizapp.scheduling.fsrs_scheduler import FSRS_SCALE, FsrsScheduler
from quizapp.services import schedules

pytestmark = pytest.mark.browser

contexts = test_browser.contexts

RETENTION = 0.85
PROMPTS = {"a": "What is the powerhouse of the cell?", "b": "What holds the DNA?",
           "c": "Where are proteins assembled?"}


def reveal_and_check_buttons(page, expected_intervals: dict[str, str]) -> None:
    page.keyboard.press("Space")
    buttons = page.locator(".grade")
    expect(buttons).to_have_count(4)
    for index, option in enumerate(FSRS_SCALE):
        button = buttons.nth(index)
        expect(button.locator(".grade-label")).to_have_text(option.label)
        expect(button.locator(".grade-interval")).to_have_text(expected_intervals[option.label])


def test_an_fsrs_deck_is_studied_with_keys_one_to_four_and_undo(contexts, live):
    learner = make_user("fay@example.org", timezone="Europe/Berlin", name="Fay")
    deck = make_deck([flashcard(guid, prompt, "answer") for guid, prompt in PROMPTS.items()],
                     title="Cells")
    schedules.set_deck_settings(
        deck, registry.SchedulerSettings(name="fsrs", desired_retention=RETENTION)
    )
    db.session.commit()
    scheduler = registry.create(schedules.deck_settings(deck))
    assert isinstance(scheduler, FsrsScheduler)
    now = Moment(utcnow(), learner.timezone)
    new_card = {  # every card is new, so each shows the same hints
        option.label: interval_text(now, due)
        for option, due in zip(FSRS_SCALE, scheduler.preview(scheduler.new_state(), now)
                               .values(), strict=True)
    }

    page = contexts()
    log_in(page, live.url, learner.email)
    page.goto(f"{live.url}/study/{deck.id}")
    prompt = page.locator("#prompt")
    # Three new cards in deck order: Good with 3, Easy with 4, Good with Space.
    for guid, key in (("a", "3"), ("b", "4"), ("c", " ")):
        expect(prompt).to_have_text(PROMPTS[guid])
        reveal_and_check_buttons(page, new_card)
        page.keyboard.press("Space" if key == " " else key)
        expect(prompt).not_to_have_text(PROMPTS[guid])
    # Undo the last answer: c comes back as a new card, and Again (1) is given instead.
    page.keyboard.press("u")
    expect(page.locator(".flash")).to_contain_text("undone")
    expect(prompt).to_have_text(PROMPTS["c"])
    reveal_and_check_buttons(page, new_card)
    page.keyboard.press("1")
    # Nothing else is left, so the sooner of the learning steps (c's minute) comes ahead.
    expect(page.locator(".mode .badge")).to_have_text("Review")
    expect(prompt).to_have_text(PROMPTS["c"])

    fresh_view()
    guid_of = dict(db.session.execute(select(Card.id, Card.guid)).all())
    logs = db.session.scalars(select(ReviewLog).order_by(ReviewLog.id)).all()
    assert [(guid_of[log.card_id], log.grade, log.undone_at is not None) for log in logs] == [
        ("a", 3, False), ("b", 4, False), ("c", 3, True), ("c", 1, False)]
    library = fsrs.Scheduler(desired_retention=RETENTION, enable_fuzzing=False)
    states = {guid_of[row.card_id]: row for row in db.session.scalars(select(CardState))}
    assert set(states) == set(PROMPTS)
    for log in logs:
        if log.undone_at is not None:
            continue
        row = states[guid_of[log.card_id]]
        stored = scheduler.from_json(row.state)
        card, _ = library.review_card(fsrs.Card(card_id=1), fsrs.Rating(log.grade),
                                      review_datetime=log.answered_at)
        assert row.scheduler == log.scheduler == "fsrs"
        assert (stored.stability, stored.difficulty) == (card.stability, card.difficulty)
        assert (int(stored.phase), stored.step, stored.due_at) == (
            int(card.state), card.step, card.due)
        assert row.due == now.day_of(card.due)
