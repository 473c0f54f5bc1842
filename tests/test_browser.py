"""The study session, progress page and class dashboard driven in headless Chromium.

The real app is served on a local port against the test database; users and decks are made
through the app's models and services, then everything a person does goes through the
browser: the login form, the keyboard (or the mouse, or no JavaScript at all), the class
forms. Each test ends by checking that no page logged a console error, a page error, a
failed request or a Content-Security-Policy violation. Screenshots go to screenshots/
(or QUIZAPP_SCREENSHOT_DIR).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from browser_support import (
    DESKTOP,
    PASSWORD,
    PHONE,
    Problems,
    log_in,
    page_widths,
    shot,
)
from conftest import make_user
from flask import current_app
from playwright.sync_api import expect
from sqlalchemy import select
from study_helpers import SM2, make_deck, sm2_of

from quizapp.deckfile import CardData
from quizapp.extensions import db
from quizapp.models import Card, CardState, Deck, ReviewLog, User, utcnow
from quizapp.scheduling import sm2
from quizapp.scheduling.base import Stage
from quizapp.scheduling.day import due_in_words, learner_day
from quizapp.services import study

pytestmark = pytest.mark.browser



@pytest.fixture
def contexts(app, live, browser):
    """Opens browser contexts watched for problems; closes them before the tables are emptied."""
    opened = []
    problems = Problems(live.url)

    def open_context(*, javascript: bool = True, **options):
        context = browser.new_context(java_script_enabled=javascript,
                                      **({"viewport": DESKTOP} | options))
        context.set_default_timeout(10_000)
        problems.watch(context, javascript=javascript)
        opened.append(context)
        return context.new_page()

    open_context.problems = problems
    yield open_context
    for context in opened:
        context.close()
    problems.assert_none()


# --- cards and decks ---------------------------------------------------------------------


def flashcard(guid: str, prompt: str, answer: str) -> CardData:
    return CardData(guid=guid, kind="basic", prompt=prompt, answer=answer)


def choice_card(guid: str, prompt: str, choices: tuple[str, ...], correct: int) -> CardData:
    return CardData(guid=guid, kind="mcq", prompt=prompt, choices=choices, correct=correct,
                    answer=choices[correct])


def cell_biology_deck(**options) -> Deck:
    deck = make_deck(
        [
            flashcard("a", "Which organelle is the powerhouse of the cell?",
                      "The <b>mitochondrion</b>, which makes most of the cell's ATP."),
            choice_card("m", "Where are proteins assembled?",
                        ("In the nucleus", "On ribosomes", "In the Golgi apparatus"), 1),
            flashcard("b", "What does the cell membrane mainly consist of?",
                      "A phospholipid bilayer with embedded proteins."),
        ],
        title="Cell biology",
        **options,
    )
    deck.description = "Organelles, membranes and protein synthesis: the basics of the cell."
    db.session.commit()
    return deck


def guid_of(card_id: int) -> str:
    return db.session.get(Card, card_id).guid


def fresh_view() -> None:
    """Forget what this thread's session cached: the server thread wrote since."""
    db.session.rollback()
    db.session.expire_all()


def answer_log(user: User) -> list[tuple[str, str, int, bool]]:
    """(card guid, phase, grade, undone) for each of the learner's answers, oldest first."""
    logs = db.session.scalars(
        select(ReviewLog).where(ReviewLog.user_id == user.id).order_by(ReviewLog.id)
    ).all()
    return [(guid_of(log.card_id), log.phase, log.grade, log.undone_at is not None)
            for log in logs]


def states_by_guid(user: User) -> dict[str, CardState]:
    rows = db.session.scalars(select(CardState).where(CardState.user_id == user.id)).all()
    return {guid_of(row.card_id): row for row in rows}


def assert_first_reviews_scheduled(user: User, grades: dict[str, int]) -> None:
    """Each card's stored state is SM-2's answer for one review of a new card on the
    learner's today, and no other card has a state."""
    today = learner_day(utcnow(), user.timezone)
    states = states_by_guid(user)
    assert set(states) == set(grades)
    for guid, grade in grades.items():
        expected = sm2.review(sm2.Sm2State.new(), grade, today)
        row = states[guid]
        assert (row.due, sm2_of(row)) == (expected.due, expected), (guid, grade, today)


def mcq_key(page, text: str) -> str:
    """The digit key of the (shuffled) option that reads ``text``."""
    labels = page.locator("#study .choice").all_inner_texts()
    matches = [i for i, label in enumerate(labels) if text in label]
    assert len(matches) == 1, labels
    return str(matches[0] + 1)


def recorded_grade(user: User) -> int:
    """The grade of the learner's latest answer, as stored."""
    fresh_view()
    return db.session.scalars(
        select(ReviewLog.grade).where(ReviewLog.user_id == user.id)
        .order_by(ReviewLog.id.desc()).limit(1)
    ).one()


# --- test 1: keyboard only ---------------------------------------------------------------


def test_keyboard_only_session_with_undo_stores_sm2_schedule(contexts, live):
    learner = make_user("kim@example.org", timezone="Asia/Tokyo", name="Kim")
    deck = cell_biology_deck()
    page = contexts()

    # The login form, from the keyboard: the email field has the focus on arrival.
    page.goto(f"{live.url}/auth/login")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(learner.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(f"{live.url}/study/{deck.id}")
    # Set once: if any later step reloaded the page instead of swapping the panel, it is gone.
    page.evaluate("() => { window.studyPageMarker = 'kept'; }")
    panel = page.locator("#study")
    expect(panel.locator("#prompt")).to_contain_text("powerhouse of the cell")
    expect(panel.locator(".badge")).to_have_text("New card")
    expect(page.locator("#answer")).to_be_hidden()
    shot(page, "study-card.png")

    # Flashcard: Space reveals the answer (announced politely), focus moves to the grades.
    page.keyboard.press("Space")
    answer = page.locator("#answer")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("mitochondrion")
    expect(answer).to_have_attribute("aria-live", "polite")
    expect(page.locator("#study .grade[data-key=\"4\"]")).to_be_focused()
    shot(page, "study-answer.png")
    page.keyboard.press("4")

    # Multiple choice: the panel is swapped in and the heading takes the focus.
    expect(panel.locator("#prompt")).to_contain_text("Where are proteins assembled?")
    expect(page.locator("#study-heading")).to_be_focused()
    expect(panel.locator(".choice")).to_have_count(3)
    page.keyboard.press(mcq_key(page, "On ribosomes"))
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("Right.")
    expect(verdict).to_have_attribute("role", "alert")
    expect(verdict).to_have_attribute("aria-live", "assertive")
    # Also spoken through the live region that stays on the page across swaps.
    expect(page.locator("#announcer")).to_contain_text("Right.")
    expect(page.locator("#next")).to_be_focused()
    expect(page.locator("#comes-back")).to_have_text("Next review tomorrow.")
    mcq_grade = recorded_grade(learner)
    assert mcq_grade in (4, 5), "a right answer within 20 s is graded 4 or 5"
    shot(page, "study-feedback.png")
    # Space continues after feedback, as in Anki.
    page.keyboard.press("Space")

    # Second flashcard: graded 2, so it comes back in the session; U takes that back.
    expect(panel.locator("#prompt")).to_contain_text("cell membrane")
    expect(page.locator("#reveal-button")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#answer")).to_be_visible()
    page.keyboard.press("2")
    expect(panel.locator(".badge")).to_have_text("Again, until you know it")
    expect(panel.locator("#prompt")).to_contain_text("cell membrane")
    page.keyboard.press("u")
    expect(panel.locator(".flash")).to_have_text("Your last answer was undone.")
    expect(panel.locator(".flash")).to_have_attribute("role", "status")
    expect(panel.locator(".badge")).to_have_text("New card")
    expect(panel.locator("#prompt")).to_contain_text("cell membrane")

    fresh_view()
    assert "b" not in states_by_guid(learner), "the undone first answer leaves no state"

    page.keyboard.press("Space")
    page.keyboard.press("5")
    expect(page.locator("#study-heading")).to_have_text("Session complete")
    expect(page.locator("#study-heading")).to_be_focused()
    expect(page.locator("#summary-studied")).to_have_text("3")
    expect(page.locator("#summary-correct")).to_have_text("3")
    expect(panel.locator(".stats")).to_have_attribute("aria-live", "polite")
    shot(page, "study-summary.png")
    assert page.evaluate("() => window.studyPageMarker") == "kept", "the page was reloaded"
    assert page.url == f"{live.url}/study/{deck.id}"

    fresh_view()
    assert answer_log(learner) == [
        ("a", "learn", 4, False),
        ("m", "learn", mcq_grade, False),
        ("b", "learn", 2, True),
        ("b", "learn", 5, False),
    ]
    assert_first_reviews_scheduled(learner, {"a": 4, "m": mcq_grade, "b": 5})
    today = learner_day(utcnow(), learner.timezone)
    next_due = min(row.due for row in states_by_guid(learner).values())
    assert next_due > today
    expect(page.locator("#summary-next")).to_have_text(due_in_words(next_due, today))


# --- test 2: progress page and class dashboard -------------------------------------------


def answer_in_the_past(user: User, deck: Deck, grade: int, when) -> None:
    presentation = study.choose_next(user, deck, study.SessionQueue(), cram=False, now=when)
    secret = current_app.config["SECRET_KEY"]
    token = study.encode_presentation(presentation, user.id, secret)
    study.record_answer(user, token, secret, grade=grade, now=when)


def cell_text(row, column: int) -> str:
    return row.locator("td").nth(column).inner_text().strip()


def test_progress_and_class_dashboard_show_the_database_figures(contexts, live):
    teacher = make_user("ada@example.org", role="instructor", name="Ms Ada")
    learner = make_user("sam@example.org", timezone="America/Los_Angeles", name="Sam")
    deck = make_deck(
        [
            flashcard("b1", "Capital of France?", "Paris"),
            flashcard("b2", "Capital of Italy?", "Rome"),
            flashcard("b3", "Capital of Spain?", "Madrid"),
            choice_card("m1", "Capital of Australia?", ("Sydney", "Canberra", "Melbourne"), 1),
            flashcard("b4", "Capital of Japan?", "Tokyo"),
        ],
        title="European and world capitals",
        reviews_per_day=1,
    )
    # Three cards learnt three days ago: all overdue today, but only one review a day.
    three_days_ago = utcnow() - timedelta(days=3)
    for _ in range(3):
        answer_in_the_past(learner, deck, 4, three_days_ago)

    # The instructor creates a class and assigns the deck through the forms.
    teacher_page = contexts()
    log_in(teacher_page, live.url, teacher.email)
    teacher_page.goto(f"{live.url}/classes/")
    teacher_page.get_by_label("Class name").fill("Geography 7B")
    teacher_page.get_by_role("button", name="Create class").click()
    expect(teacher_page.locator("h1")).to_have_text("Geography 7B")
    class_url = teacher_page.url
    assert re.fullmatch(rf"{re.escape(live.url)}/classes/\d+", class_url)
    code = teacher_page.locator("#join-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    teacher_page.locator("#deck_id").select_option(label=deck.title)
    teacher_page.get_by_role("button", name="Assign").click()
    expect(teacher_page.get_by_role("link", name=deck.title)).to_be_visible()
    expect(teacher_page.locator(".flash")).to_have_text(f"Assigned {deck.title}.")
    # Nothing left to assign: no empty drop-down whose button could only fail.
    expect(teacher_page.locator("#deck_id")).to_have_count(0)
    expect(teacher_page.locator("main")).to_contain_text("Every published deck is assigned.")

    # The learner joins with the code and studies with the mouse.
    page = contexts()
    log_in(page, live.url, learner.email)
    page.goto(f"{live.url}/classes/")
    page.get_by_label("Join code").fill(code.lower())
    page.get_by_role("button", name="Join").click()
    expect(page.locator(".flash")).to_have_text("You joined Geography 7B.")

    page.goto(f"{live.url}/study/{deck.id}")
    panel = page.locator("#study")
    expect(panel.locator(".badge")).to_have_text("Review")
    expect(panel.locator("#prompt")).to_have_text("Capital of France?")
    page.locator("#reveal-button").click()
    page.locator('#study .grade[value="5"]').click()
    expect(panel.locator("#prompt")).to_have_text("Capital of Australia?")
    panel.get_by_role("button", name="Sydney").click()
    expect(page.locator("#verdict")).to_contain_text("Wrong — the answer is Canberra.")
    page.locator("#next").click()
    expect(panel.locator("#prompt")).to_have_text("Capital of Japan?")
    page.locator("#reveal-button").click()
    page.locator('#study .grade[value="4"]').click()
    expect(panel.locator(".badge")).to_have_text("Again, until you know it")
    expect(panel.locator("#prompt")).to_have_text("Capital of Australia?")
    panel.get_by_role("button", name="Canberra").click()
    expect(page.locator("#verdict")).to_contain_text("Right.")
    page.locator("#next").click()
    expect(page.locator("#study-heading")).to_have_text("Session complete")

    # What the database holds now.
    fresh_view()
    today = learner_day(utcnow(), learner.timezone)
    states = states_by_guid(learner)
    due_today = sum(1 for row in states.values() if row.due <= today)
    stages = [SM2.stage(sm2_of(row)) for row in states.values()]
    learning, young = stages.count(Stage.LEARNING), stages.count(Stage.YOUNG)
    answers = sum(1 for *_, undone in answer_log(learner) if not undone)
    # b2 and b3 stay overdue (one review a day); m1 failed; b1, b2, b3 and b4 are young.
    assert (due_today, learning, young, len(states), answers) == (2, 1, 4, 5, 7)

    page.goto(f"{live.url}/progress/")
    expect(page.locator("h1")).to_have_text("Your progress")
    expect(page.locator("#due-today")).to_have_text(str(due_today))
    expect(page.locator("#count-new")).to_have_text("0")
    expect(page.locator("#count-learning")).to_have_text(str(learning))
    expect(page.locator("#count-young")).to_have_text(str(young))
    expect(page.locator("#count-mature")).to_have_text("0")
    # The one review of a learnt card (b1, graded 5) is the only one that counts.
    expect(page.locator("#retention")).to_have_text("100%")
    expect(page.locator("#streak-current")).to_have_text("1 day")
    row = page.locator("table tbody tr").filter(has_text=deck.title)
    expect(row).to_have_count(1)
    assert cell_text(row, 1) == str(due_today)
    assert page.locator("main").inner_text().count(today.isoformat()) >= 1
    shot(page, "progress.png")

    teacher_page.goto(class_url)
    student = teacher_page.locator("#students tbody tr")
    expect(student).to_have_count(1)
    assert cell_text(student, 0) == "Sam"
    assert cell_text(student, 1) == f"{len(states)} / 5"
    assert cell_text(student, 2) == "0"
    assert cell_text(student, 3) == str(answers)
    assert cell_text(student, 4) == "100%"
    hard = teacher_page.locator("#hard-cards tbody tr").first
    assert cell_text(hard, 0) == "Capital of Australia?"
    assert [cell_text(hard, i) for i in (1, 2, 3)] == ["2", "50%", "Sydney (1×)"]
    expect(teacher_page.locator("main > p").first).to_contain_text("· 1 student ·")
    shot(teacher_page, "class-dashboard.png")


# --- test 3: without JavaScript -----------------------------------------------------------


def test_the_same_session_works_without_javascript(contexts, live):
    learner = make_user("noscript@example.org", timezone="Europe/Paris", name="Noa")
    deck = cell_biology_deck()
    page = contexts(javascript=False)
    log_in(page, live.url, learner.email)

    page.goto(f"{live.url}/study/{deck.id}")
    expect(page.locator("#answer")).to_be_hidden()
    page.locator("#reveal-button").click()  # <details> opens natively
    expect(page.locator("#answer")).to_be_visible()
    page.locator('#study .grade[value="3"]').click()

    expect(page.locator("#prompt")).to_contain_text("Where are proteins assembled?")
    page.get_by_role("button", name="On ribosomes").click()
    # A real form post: the browser is now on the answer URL (study.js would have stayed).
    expect(page).to_have_url(f"{live.url}/study/{deck.id}/answer")
    expect(page.locator("#verdict")).to_contain_text("Right.")
    expect(page.locator(".options-result .choice.right.picked")).to_contain_text("On ribosomes")
    mcq_grade = recorded_grade(learner)
    page.get_by_role("link", name="Next card").click()

    # Graded 3 first: "a" comes back later in the session; "b" is next.
    expect(page.locator("#prompt")).to_contain_text("cell membrane")
    page.locator("#reveal-button").click()
    page.locator('#study .grade[value="1"]').click()
    expect(page.locator(".badge")).to_have_text("Again, until you know it")
    page.get_by_role("button", name="Undo last answer").click()
    expect(page.locator(".flashes")).to_contain_text("Your last answer was undone.")
    expect(page.locator("#prompt")).to_contain_text("cell membrane")
    expect(page.locator(".badge")).to_have_text("New card")
    page.locator("#reveal-button").click()
    page.locator('#study .grade[value="5"]').click()

    # Same-session repeat of "a" (graded 3): answering it does not change its schedule.
    expect(page.locator(".badge")).to_have_text("Again, until you know it")
    expect(page.locator("#prompt")).to_contain_text("powerhouse of the cell")
    page.locator("#reveal-button").click()
    page.locator('#study .grade[value="4"]').click()
    expect(page.locator("#study-heading")).to_have_text("Session complete")
    expect(page.locator("#summary-studied")).to_have_text("3")

    fresh_view()
    assert answer_log(learner) == [
        ("a", "learn", 3, False),
        ("m", "learn", mcq_grade, False),
        ("b", "learn", 1, True),
        ("b", "learn", 5, False),
        ("a", "repeat", 4, False),
    ]
    assert_first_reviews_scheduled(learner, {"a": 3, "m": mcq_grade, "b": 5})


# --- test 4: a phone-sized screen ---------------------------------------------------------


LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis"


def assert_fits(page, what: str) -> None:
    scroll_width, inner_width = page_widths(page)
    assert inner_width == PHONE["width"], f"{what}: the page was zoomed out to {inner_width}px"
    assert scroll_width <= inner_width, f"{what}: {scroll_width}px wide on a {inner_width}px screen"


def test_phone_layout_has_no_horizontal_overflow(contexts, live):
    learner = make_user("phone@example.org", name="Pat")
    deck = make_deck(
        [
            flashcard("long", f"Which lung disease has the longest English name, {LONG_WORD}?",
                      f"{LONG_WORD}: see https://en.wikipedia.org/wiki/{LONG_WORD}_(disease)"),
            choice_card("pick", "Which of these is an inert (noble) gas at room temperature?",
                        ("Nitrogen, which makes up most of the air we breathe",
                         f"Argon (not {LONG_WORD})", "Oxygen"), 1),
        ],
        title="Respiratory system: anatomy, physiology and diseases of the lungs",
    )
    page = contexts(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    log_in(page, live.url, learner.email)
    assert_fits(page, "home")

    page.goto(f"{live.url}/study/{deck.id}")
    expect(page.locator("#prompt")).to_contain_text("longest English name")
    assert_fits(page, "flashcard")
    shot(page, "study-phone.png")
    page.locator("#reveal-button").click()
    expect(page.locator("#answer")).to_be_visible()
    assert_fits(page, "revealed answer")
    page.locator('#study .grade[value="5"]').click()
    expect(page.locator(".choices")).to_be_visible()
    assert_fits(page, "multiple choice")
    page.locator("#study .choice").filter(has_text="Argon").click()
    expect(page.locator("#verdict")).to_contain_text("Right.")
    assert_fits(page, "feedback")
    page.locator("#next").click()
    expect(page.locator("#study-heading")).to_have_text("Session complete")
    assert_fits(page, "summary")
    page.goto(f"{live.url}/progress/")
    assert_fits(page, "progress")


# --- the README's home page ---------------------------------------------------------------


def test_home_page_lists_decks(contexts, live):
    learner = make_user("reader@example.org", name="Robin")
    cell_biology_deck()
    capitals = make_deck([flashcard(f"c{i}", f"Capital {i}?", "City") for i in range(12)],
                         title="World capitals")
    capitals.description = "Twelve capitals from five continents, from Canberra to Ottawa."
    db.session.commit()
    make_deck([flashcard("draft", "Not yet", "Hidden")], title="Unpublished draft",
              published=False)

    page = contexts()
    log_in(page, live.url, learner.email)
    page.goto(f"{live.url}/")
    cards = page.locator(".deck-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("Cell biology")
    expect(cards.nth(0)).to_contain_text("3 cards")
    expect(cards.nth(1)).to_contain_text("World capitals")
    expect(cards.nth(1)).to_contain_text("12 cards")
    expect(page.get_by_text("Unpublished draft")).to_have_count(0)
    shot(page, "home.png")
    cards.nth(0).get_by_role("link", name="Study").click()
    expect(page.locator("#prompt")).to_contain_text("powerhouse of the cell")
