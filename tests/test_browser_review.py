"""The instructor's draft review page driven in headless Chromium: suggestions accepted and
dropped with one click, cards dropped in place and brought back, with and without script,
at desktop and phone sizes."""

from __future__ import annotations

import pytest

# The browser, live server and watched contexts of the main browser tests.
from browser_support import PHONE, log_in, shot
from conftest import make_user
from playwright.sync_api import expect
from review_helpers import draft_deck
from sqlalchemy import select
from test_browser import assert_fits, contexts, fresh_view  # noqa: F401

from quizapp.extensions import db
from quizapp.models import Card, SuggestionDecision

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}


def card_state() -> dict[str, bool]:
    """guid → retired, for every stored card."""
    fresh_view()
    return {c.guid: c.retired for c in db.session.scalars(select(Card))}


def decisions() -> dict[str, str]:
    fresh_view()
    return {r.suggestion_id: r.decision for r in db.session.scalars(select(SuggestionDecision))}


def test_suggestions_and_drops_are_decided_in_place_and_undone(contexts, live):  # noqa: F811
    instructor = make_user("reviewer@example.org", "instructor", name="Rae")
    deck = draft_deck(instructor)
    page = contexts(viewport=WIDE)
    log_in(page, live.url, instructor.email)
    page.goto(f"{live.url}/decks/{deck.id}/review")
    # Set once: if any step below reloaded the page, the marker is gone.
    page.evaluate("() => { window.reviewPageMarker = 'kept'; }")

    first = page.locator(".suggestion").filter(has_text="clot buildup → deep type")
    expect(first.locator(".confidence")).to_have_text("confidence 0.42")
    expect(first.locator(".evidence")).to_contain_text(
        "Deep vein thrombosis: Some pages say that clot buildup may lead to the deep type, rarely.")
    expect(page.locator("#suggestions-heading")).to_contain_text("(2 of 2 open)")
    shot(page, "review-desktop.png")

    first.get_by_role("button", name="Accept").click()
    first = page.locator(".suggestion").filter(has_text="clot buildup → deep type")
    expect(first.locator(".outcome")).to_have_text("Accepted: 1 card added to the draft.")
    expect(page.locator("#cards-heading")).to_have_text("Draft cards (4)")
    expect(page.locator("#draft-cards")).to_contain_text("What may cause it? (sg-buildup)")
    expect(first.get_by_role("button", name="Undo")).to_be_focused()
    expect(page.locator("#announcer")).to_contain_text("Accepted “clot buildup → deep type”")
    assert decisions() == {"cause:clot-buildup": "accepted"}
    assert card_state()["sg-buildup"] is False

    second = page.locator(".suggestion").filter(has_text="injury → superficial type")
    second.get_by_role("button", name="Drop").click()
    expect(second.locator(".outcome")).to_have_text("Dropped.")
    assert decisions() == {"cause:clot-buildup": "accepted", "cause:injury": "dropped"}

    first.get_by_role("button", name="Undo").click()
    expect(first.get_by_role("button", name="Accept")).to_be_visible()
    expect(page.locator("#cards-heading")).to_have_text("Draft cards (3)")
    assert "sg-buildup" not in card_state()

    # Drop a draft card: it gives way to an Undo in the same place.
    card = page.locator("#draft-cards article").filter(has_text="How many types are named?")
    card_id = card.get_attribute("id")
    card.get_by_role("button", name="Drop").click()
    placeholder = page.locator(f"#{card_id}")
    expect(placeholder).to_contain_text("Dropped “How many types are named?”.")
    expect(placeholder.get_by_role("button", name="Undo")).to_be_focused()
    expect(page.locator("#retired-heading")).to_have_text("Retired cards (1)")
    assert card_state()["c-count"] is True
    shot(page, "review-dropped-desktop.png")
    page.keyboard.press("Enter")  # the focused Undo
    expect(page.locator(f"#{card_id}")).to_contain_text("Answer: Two")
    expect(page.locator("#retired-heading")).to_have_count(0)
    assert card_state()["c-count"] is False

    # Dropped again, then brought back from the retired list.
    page.locator(f"#{card_id}").get_by_role("button", name="Drop").click()
    page.locator("#retired-cards").get_by_role("button", name="Restore").click()
    expect(page.locator(f"#{card_id}")).to_contain_text("Answer: Two")
    assert card_state()["c-count"] is False
    assert page.evaluate("() => window.reviewPageMarker") == "kept"


def test_without_javascript_every_action_comes_back_to_the_review_page(contexts, live):  # noqa: F811
    instructor = make_user("noscript-reviewer@example.org", "instructor", name="Noor")
    deck = draft_deck(instructor)
    page = contexts(javascript=False, viewport=WIDE)
    log_in(page, live.url, instructor.email)
    review_url = f"{live.url}/decks/{deck.id}/review"
    page.goto(review_url)

    page.locator(".suggestion").filter(has_text="clot buildup").get_by_role(
        "button", name="Accept").click()
    assert page.url.startswith(review_url + "#suggestion-")
    expect(page.locator(".flashes")).to_contain_text("1 card added to the draft")
    assert card_state()["sg-buildup"] is False

    card = page.locator("#draft-cards article").filter(has_text="What usually causes DVT?")
    card_id = card.get_attribute("id")
    card.get_by_role("button", name="Drop").click()
    assert page.url == f"{review_url}?dropped={card_id.removeprefix('card-')}#{card_id}"
    page.locator(f"#{card_id}").get_by_role("button", name="Undo").click()
    assert page.url == f"{review_url}#{card_id}"
    expect(page.locator(f"#{card_id}")).to_contain_text("Long periods of sitting")
    assert card_state()["c-sitting"] is False


def test_review_page_fits_a_phone(contexts, live):  # noqa: F811
    instructor = make_user("phone-reviewer@example.org", "instructor", name="Pia")
    deck = draft_deck(instructor)
    page = contexts(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    log_in(page, live.url, instructor.email)
    page.goto(f"{live.url}/decks/{deck.id}/review")
    assert_fits(page, "review page")
    shot(page, "review-phone.png", full_page=False)
    page.locator("#draft-cards article").first.get_by_role("button", name="Drop").click()
    expect(page.locator("#retired-heading")).to_be_visible()
    page.locator(".suggestion").first.get_by_role("button", name="Accept").click()
    expect(page.locator(".suggestion .outcome").first).to_be_visible()
    assert_fits(page, "review page after a drop and an accept")
    page.locator("#retired-cards").scroll_into_view_if_needed()
    shot(page, "review-phone-after.png", full_page=False)
