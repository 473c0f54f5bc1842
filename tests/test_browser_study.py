"""Study feedback and progress charts as a person sees them, at desktop and phone sizes, in
headless Chromium: options marked in place, a forgiven typo shown against the answer, Space
to continue, no keyboard hints on touch screens, charts that stay readable at 390 px."""

from __future__ import annotations

from datetime import timedelta

import pytest
import test_browser
from browser_support import log_in, page_widths, shot
from conftest import make_user
from playwright.sync_api import expect
from study_helpers import make_deck
from test_browser import answer_in_the_past, choice_card, flashcard

from quizapp.deckfile import CardData
from quizapp.models import utcnow

pytestmark = pytest.mark.browser

# The browser test fixtures: a live server, Chromium, watched contexts.
contexts = test_browser.contexts

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
}
GREEN = "rgb(227, 244, 234)"
RED = "rgb(251, 228, 226)"


def suffix(size: str) -> str:
    return "" if size == "desktop" else "-phone"


def background(locator) -> str:
    return locator.evaluate("node => getComputedStyle(node).backgroundColor")


def assert_no_sideways_scroll(page) -> None:
    scroll_width, inner_width = page_widths(page)
    assert scroll_width <= inner_width, f"{scroll_width}px wide on a {inner_width}px screen"


def touch_or_click(locator, size: str) -> None:
    """A phone is tapped (a mouse click would make Chromium report a hovering pointer)."""
    if size == "desktop":
        locator.click()
    else:
        locator.tap()


def continue_after_feedback(page, size: str) -> None:
    if size == "desktop":
        page.keyboard.press("Space")
    else:
        page.locator("#next").tap()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_feedback_marks_options_in_place_and_shows_a_typo(contexts, live, size):
    learner = make_user(f"feedback-{size}@example.org", name="Fay")
    mitochondria = CardData(
        guid="t", kind="typein", prompt="Which organelle makes most of the cell's ATP?",
        answer="mitochondria", explanation="Cellular respiration happens in the mitochondria.")
    deck = make_deck([
        flashcard("f", "What does the cell membrane mainly consist of?",
                  "A phospholipid bilayer with embedded proteins."),
        CardData(guid="m1", kind="mcq", prompt="Where are proteins assembled?",
                 choices=("In the nucleus", "On ribosomes", "In the Golgi apparatus"),
                 correct=1, answer="On ribosomes",
                 explanation="Ribosomes read messenger RNA and join amino acids."),
        choice_card("m2", "Which organelle holds the cell's DNA?",
                    ("The nucleus", "The vacuole", "The lysosome"), 0),
        mitochondria,
    ], title="Cell biology")
    page = contexts(**SIZES[size])
    log_in(page, live.url, learner.email)
    page.goto(f"{live.url}/study/{deck.id}")
    study = page.locator("#study")

    # Keyboard hints: shown with a mouse and keyboard, not on a touch screen.
    hint = page.locator("#reveal-button kbd")
    if size == "desktop":
        expect(hint).to_be_visible()
    else:
        expect(hint).to_be_hidden()
    shot(page, f"study-flashcard{suffix(size)}.png")
    touch_or_click(page.locator("#reveal-button"), size)
    touch_or_click(page.locator('#study .grade[value="5"]'), size)

    # A wrong pick: it turns red, the right option green, in place; the explanation below.
    expect(study.locator("#prompt")).to_contain_text("Where are proteins assembled?")
    if size == "phone":
        expect(study.locator("legend .key-hint")).to_be_hidden()
    touch_or_click(study.locator(".choice").filter(has_text="In the nucleus"), size)
    picked = study.locator(".options-result .choice.picked")
    right = study.locator(".options-result .choice.right")
    expect(picked).to_contain_text("In the nucleus")
    expect(picked).to_have_class("choice wrong picked")
    expect(right).to_contain_text("On ribosomes")
    assert (background(picked), background(right)) == (RED, GREEN)
    expect(page.locator("#verdict")).to_contain_text("Wrong — the answer is On ribosomes.")
    expect(page.locator("#comes-back")).to_have_text(
        "It comes back later in this session, then tomorrow.")
    options_box = study.locator(".options-result").bounding_box()
    explanation_box = study.locator(".explanation").bounding_box()
    assert explanation_box["y"] >= options_box["y"] + options_box["height"]
    assert_no_sideways_scroll(page)
    if size == "phone":
        expect(page.locator("#next kbd")).to_be_hidden()
        expect(page.locator(".study-foot kbd")).to_be_hidden()
    else:
        expect(page.locator("#next kbd")).to_have_text("Space")
    shot(page, f"study-mcq-wrong{suffix(size)}.png")
    continue_after_feedback(page, size)

    # A right pick: green in place, nothing red.
    expect(study.locator("#prompt")).to_contain_text("holds the cell's DNA")
    touch_or_click(study.locator(".choice").filter(has_text="The nucleus"), size)
    expect(study.locator(".options-result .choice.right.picked")).to_contain_text("The nucleus")
    expect(study.locator(".options-result .choice.wrong")).to_have_count(0)
    expect(page.locator("#verdict")).to_contain_text("Right.")
    expect(page.locator("#comes-back")).to_have_text("Next review tomorrow.")
    shot(page, f"study-mcq-right{suffix(size)}.png")
    continue_after_feedback(page, size)

    # A forgiven typo: what was typed against the answer, the differences marked.
    expect(study.locator("#prompt")).to_contain_text("most of the cell's ATP")
    page.get_by_label("Type your answer").fill("mitochondira")
    touch_or_click(page.get_by_role("button", name="Check"), size)
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("Accepted with a small difference")
    expect(verdict.locator(".typed")).to_have_text("mitochondira")
    expect(verdict.locator(".expected")).to_have_text("mitochondria")
    expect(verdict.locator(".typed mark.diff")).to_have_text("r")
    expect(verdict.locator(".expected mark.diff")).to_have_text("r")
    assert_no_sideways_scroll(page)
    shot(page, f"study-typo{suffix(size)}.png")
    continue_after_feedback(page, size)

    # The missed card comes back before the session ends.
    expect(study.locator(".badge")).to_have_text("Again, until you know it")
    expect(study.locator("#prompt")).to_contain_text("Where are proteins assembled?")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_progress_charts_stay_readable(contexts, live, size):
    learner = make_user(f"charts-{size}@example.org", name="Cal")
    deck = make_deck([flashcard(f"c{i}", f"Capital {i}?", "City") for i in range(6)],
                     title="World capitals")
    for days_ago, grade in ((20, 5), (13, 4), (13, 2), (6, 5), (6, 3), (1, 5)):
        answer_in_the_past(learner, deck, grade, utcnow() - timedelta(days=days_ago))
    page = contexts(**SIZES[size])
    log_in(page, live.url, learner.email)
    page.goto(f"{live.url}/progress/")
    expect(page.locator("h1")).to_have_text("Your progress")
    assert_no_sideways_scroll(page)
    for chart in page.locator("svg.chart").all():
        # Drawn at least about 10 px per chart text unit: the figure scrolls instead.
        assert chart.bounding_box()["width"] >= 560
    if size == "phone":
        frame = page.locator(".chart-scroll").first
        assert frame.evaluate("node => node.scrollWidth > node.clientWidth")
    expect(page.locator(".table-fallback summary").first).to_be_visible()
    shot(page, f"progress-{size}.png")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_summary_offers_more_new_cards_today(contexts, live, size):
    learner = make_user(f"summary-{size}@example.org", name="Sue")
    deck = make_deck([flashcard(f"n{i}", f"Capital of country {i}?", "City") for i in range(5)],
                     title="World capitals", new_per_day=2)
    page = contexts(**SIZES[size])
    log_in(page, live.url, learner.email)
    page.goto(f"{live.url}/study/{deck.id}")
    for _ in range(2):
        touch_or_click(page.locator("#reveal-button"), size)
        touch_or_click(page.locator('#study .grade[value="5"]'), size)
    expect(page.locator("#study-heading")).to_have_text("Session complete")
    expect(page.locator("#held-back")).to_have_text("3 new cards wait: 2 new cards a day.")
    expect(page.locator("#summary-next")).to_have_text("tomorrow")
    assert_no_sideways_scroll(page)
    shot(page, f"study-summary-{size}.png")
    touch_or_click(page.get_by_role("button", name="Study 2 more new cards today"), size)
    expect(page.locator("#study .badge")).to_have_text("New card")
    expect(page.locator("#prompt")).to_have_text("Capital of country 2?")
