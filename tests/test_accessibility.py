"""axe-core on every page a learner or an instructor can reach, at desktop and phone sizes.

The axe-core engine comes inside the axe-playwright-python package (nothing is fetched when
the tests run). Each page must have no serious or critical violation, and at 390 px no page
may be wider than the screen, even with a 120-character unbroken class name and deck title.
Every page is also saved as a screenshot (screenshots/a11y-<page>-<size>.png) to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_support import Problems, log_in, page_widths, shot
from conftest import SEEDS, make_user
from playwright.sync_api import Page, expect
from study_helpers import make_deck

from quizapp.deckfile import CardData
from quizapp.extensions import db
from quizapp.services import classes
from quizapp.services.generation import generate_draft

pytestmark = pytest.mark.browser

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
}
BLOCKING = ("serious", "critical")
# 120 characters without a space: the worst case for wrapping a title.
LONG_NAME = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2 + "X" * 30


class Audit:
    """Runs axe and the width check on each page, and collects what is wrong."""

    def __init__(self, size: str):
        self.size = size
        self.axe = Axe()
        self.failures: list[str] = []
        self.pages: list[str] = []

    def check(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        self.pages.append(name)
        shot(page, f"a11y-{name}-{self.size}.png")
        results = self.axe.run(page, options={"resultTypes": ["violations"]})
        for violation in results.response["violations"]:
            if violation["impact"] in BLOCKING:
                targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
                self.failures.append(
                    f"{name} ({self.size}): {violation['impact']} {violation['id']}: "
                    f"{violation['help']} at {targets[:4]}"
                )
        if self.size == "phone":
            scroll_width, inner_width = page_widths(page)
            # A phone zooms out to show a page wider than the screen: that is overflow too.
            if inner_width != SIZES["phone"]["viewport"]["width"] or scroll_width > inner_width:
                self.failures.append(
                    f"{name} (phone): {scroll_width}px wide on a {inner_width}px screen"
                )


def card(guid: str, kind: str, prompt: str, answer: str = "", **extra) -> CardData:
    return CardData(guid=guid, kind=kind, prompt=prompt, answer=answer, tags=("anatomy",),
                    **extra)


def build_world():
    learner = make_user("lee@example.org", name="Lee")
    teacher = make_user("ada@example.org", role="instructor", name="Ms Ada")
    decks = {
        "basic": make_deck([card("b", "basic", "Which muscle flexes the elbow?", "Biceps")],
                           title="Muscles: flashcards", owner=teacher),
        "reversed": make_deck([card("r", "reversed", "Quadriceps", "Front of the thigh")],
                              title="Muscles: both ways", owner=teacher),
        "cloze": make_deck([card("c", "cloze", "The {{c1::heart}} pumps blood.")],
                           title="Circulation: fill the gap", owner=teacher),
        "mcq": make_deck([card("m", "mcq", "Largest muscle?", "Gluteus maximus",
                               choices=("Gluteus maximus", "Biceps", "Deltoid"), correct=0,
                               explanation="By volume.")], title="Muscles: multiple choice",
                         owner=teacher),
        "typein": make_deck([card("t", "typein", "Muscle of the calf?", "Gastrocnemius")],
                            title="Muscles: spell it", owner=teacher),
    }
    long_deck = make_deck(
        [card(f"l{i}", "basic", f"Question {i} about {LONG_NAME}", f"Answer {i}")
         for i in range(60)], title=LONG_NAME, owner=teacher)
    decks["long"] = long_deck
    seeds = sorted(Path(SEEDS).glob("*.txt"))[:3]
    draft = generate_draft([(p.name, p.read_bytes()) for p in seeds], title="Atrophy draft",
                               owner=teacher)
    db.session.commit()
    classroom = classes.create_class(LONG_NAME, teacher)
    for deck in (long_deck, decks["mcq"]):
        classes.assign_deck(classroom, deck)
    classes.join_class(classroom, learner)
    # A class as a teacher would have it, for the README's screenshots.
    usual = classes.create_class("Anatomy 7B", teacher)
    for deck in (decks["mcq"], decks["basic"], decks["typein"]):
        classes.assign_deck(usual, deck)
    for student in (learner, make_user("noor@example.org", name="Noor"),
                    make_user("sam@example.org", name="Sam")):
        classes.join_class(usual, student)
    db.session.commit()
    return learner, teacher, decks, draft, (classroom, usual)


@pytest.mark.parametrize("size", SIZES)
def test_every_page_passes_axe_and_fits(app, live, browser, size):
    learner, teacher, decks, draft, classrooms = build_world()
    audit = Audit(size)
    problems = Problems(live.url)
    opened = []

    def new_page() -> Page:
        context = browser.new_context(**SIZES[size])
        context.set_default_timeout(30_000)
        problems.watch(context)
        opened.append(context)
        return context.new_page()

    try:
        visit_as_visitor(new_page(), live.url, audit)
        visit_as_learner(new_page(), live.url, audit, learner, decks)
        visit_as_instructor(new_page(), live.url, audit, teacher, decks, draft, classrooms)
    finally:
        for context in opened:
            context.close()
    # The error page and the refused card are visited on purpose.
    expected = ("404: GET " + live.url + "/decks/999999", "/decks/999999",
                "400: POST " + live.url + f"/decks/{decks['long'].id}/cards/new",
                f"/decks/{decks['long'].id}/cards/new', 'line'")
    problems.items = [item for item in problems.items if not any(e in item for e in expected)]
    problems.assert_none()
    assert len(audit.pages) >= 30
    assert not audit.failures, "\n".join(audit.failures)


def visit_as_visitor(page: Page, base: str, audit: Audit) -> None:
    for name, path in (("home", "/"), ("login", "/auth/login"), ("register", "/auth/register")):
        page.goto(base + path)
        audit.check(page, name)


def visit_as_learner(page, base, audit, learner, decks) -> None:
    log_in(page, base, learner.email)
    long_deck = decks["long"].id
    # One answer first, so the progress pages and the dashboard have figures to draw.
    page.goto(f"{base}/study/{long_deck}")
    page.locator("#reveal-button").click()
    page.locator('#study .grade[value="4"]').click()
    expect(page.locator("#prompt")).to_contain_text("Question 1 ")
    for name, path in (
        ("decks", "/"),
        ("account", "/auth/account"),
        ("password", "/auth/password"),
        ("deck", f"/decks/{long_deck}"),
        ("deck-cards", f"/decks/{long_deck}?cards=1&page=2"),
        ("anki-progress", f"/decks/{long_deck}/anki-progress"),
        ("progress", "/progress/"),
        ("progress-deck", f"/progress/decks/{long_deck}"),
        ("classes-learner", "/classes/"),
        ("error", "/decks/999999"),
    ):
        page.goto(base + path)
        audit.check(page, name)

    for kind in ("basic", "reversed", "cloze", "typein", "mcq"):
        page.goto(f"{base}/study/{decks[kind].id}")
        expect(page.locator("#prompt")).to_be_visible()
        audit.check(page, f"study-{kind}")
    page.goto(f"{base}/study/{decks['basic'].id}")
    page.locator("#reveal-button").click()
    expect(page.locator("#answer")).to_be_visible()
    audit.check(page, "study-basic-answer")

    page.goto(f"{base}/study/{decks['typein'].id}")
    page.locator("#typed").fill("Gastrocnemus")
    page.locator("#typed").press("Enter")
    expect(page.locator("#next")).to_be_visible()
    audit.check(page, "feedback-typein")

    page.goto(f"{base}/study/{decks['mcq'].id}")
    page.locator("#study .choice").filter(has_text="Biceps").click()
    expect(page.locator("#next")).to_be_visible()
    audit.check(page, "feedback-mcq-wrong")
    page.goto(f"{base}/study/{decks['mcq'].id}?mode=cram&restart=1")
    page.locator("#study .choice").filter(has_text="Gluteus").click()
    expect(page.locator("#next")).to_be_visible()
    audit.check(page, "feedback-mcq-right")
    page.locator("#next").click()
    expect(page.locator("#study-heading")).to_have_text("Session complete")
    audit.check(page, "summary")


def visit_as_instructor(page, base, audit, teacher, decks, draft, classrooms) -> None:
    long_class, usual_class = classrooms
    log_in(page, base, teacher.email)
    long_deck = decks["long"]
    for name, path in (
        ("my-decks", "/decks/mine"),
        ("deck-owner", f"/decks/{long_deck.id}"),
        ("upload", "/decks/upload"),
        ("generate", "/decks/generate"),
        ("review", f"/decks/{draft.id}/review"),
        ("card-new", f"/decks/{long_deck.id}/cards/new"),
        ("card-edit", f"/decks/{decks['mcq'].id}/cards/{decks['mcq'].cards[0].id}/edit"),
        ("deck-settings", f"/decks/{long_deck.id}/settings"),
        ("classes", "/classes/"),
        ("class-dashboard-long", f"/classes/{long_class.id}"),
        ("class-dashboard", f"/classes/{usual_class.id}"),
    ):
        page.goto(base + path)
        audit.check(page, name)

    # The card editor after a refused save: messages under their fields.
    page.goto(f"{base}/decks/{long_deck.id}/cards/new")
    page.get_by_label("Kind").select_option("mcq")
    page.get_by_label("Prompt").fill("Which one?")
    page.get_by_role("button", name="Save card").click()
    expect(page.locator("#choices-error")).to_be_visible()
    audit.check(page, "card-errors")

    page.goto(f"{base}/decks/upload")
    page.get_by_label("Deck file").set_input_files(files=[{
        "name": "muscles.csv", "mimeType": "text/csv",
        "buffer": b"front,back,tags\nBiceps?,Arm,arm\nQuadriceps?,Thigh,leg\n"}])
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("h1")).to_be_visible()
    audit.check(page, "upload-preview")


@pytest.mark.parametrize("javascript", [True, False])
def test_card_editor_shows_the_fields_of_the_chosen_kind(app, live, browser, javascript):
    teacher = make_user("ada@example.org", role="instructor", name="Ms Ada")
    deck = make_deck([card("b", "basic", "Q", "A")], title="Muscles", owner=teacher)
    context = browser.new_context(java_script_enabled=javascript, **SIZES["desktop"])
    problems = Problems(live.url)
    problems.watch(context, javascript=javascript)
    try:
        page = context.new_page()
        log_in(page, live.url, teacher.email)
        page.goto(f"{live.url}/decks/{deck.id}/cards/new")
        answer, choices, correct = (page.get_by_label(name) for name in (
            "Answer", "Choices, one per line", "Number of the right choice"))
        if javascript:
            check_fields_follow_the_kind(page, live.url, deck, answer, choices, correct)
        else:
            # Every field shows, each saying which kinds it is for.
            for field in (answer, choices, correct):
                expect(field).to_be_visible()
            expect(page.locator("#choices-hint")).to_have_text(
                "Multiple choice only: 2 to 8 choices, one per line.")
    finally:
        context.close()
    problems.items = [i for i in problems.items if f"/decks/{deck.id}/cards/new" not in i]
    problems.assert_none()


def check_fields_follow_the_kind(page, base, deck, answer, choices, correct) -> None:
    expect(answer).to_be_visible()
    expect(choices).to_be_hidden()
    expect(correct).to_be_hidden()
    page.get_by_label("Kind").select_option("mcq")
    expect(answer).to_be_hidden()
    expect(choices).to_be_visible()
    expect(correct).to_be_visible()
    page.get_by_label("Prompt").fill("Largest muscle?")
    choices.fill("Gluteus maximus\nBiceps")
    correct.fill("3")
    page.get_by_role("button", name="Save card").click()
    # Refused: the kind stays chosen, its fields stay shown, the message is under its field.
    expect(page.locator("#correct-error")).to_have_text(
        "Give a number from 1 to 2: the right choice's line.")
    expect(answer).to_be_hidden()
    correct.fill("1")
    page.get_by_role("button", name="Save card").click()
    expect(page.locator("h1")).to_contain_text("Muscles")
    page.goto(f"{base}/decks/{deck.id}/cards/new")
    page.get_by_label("Kind").select_option("cloze")
    expect(answer).to_be_visible()
    expect(choices).to_be_hidden()
