"""In Chromium: a learner brings their Anki progress into a deck from the deck page."""

from __future__ import annotations

import re

import pytest
from anki_progress_helpers import studied_package
from browser_support import DESKTOP, PHONE, Problems, log_in, page_widths
from conftest import make_user
from playwright.sync_api import expect

from quizapp.extensions import db
from quizapp.formats.detect import read_upload
from quizapp.services.decks import store_deck

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_learner_imports_anki_progress_from_the_deck_page(app, live, browser, tmp_path,
                                                          viewport):
    package = studied_package(tmp_path / "anki")
    path = tmp_path / "my-anki.apkg"
    path.write_bytes(package)
    owner = make_user("teacher@example.org", "instructor")
    deck = store_deck(read_upload(path.name, package).decks[0], owner=owner, publish=True).deck
    db.session.commit()
    make_user("learner@example.org")

    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(15_000)
    problems = Problems(live.url)
    problems.watch(context)
    try:
        page = context.new_page()
        log_in(page, live.url, "learner@example.org")
        page.goto(f"{live.url}/decks/{deck.id}")
        page.get_by_role("link", name="Import my Anki progress").click()
        page.get_by_label("Your Anki package").set_input_files(str(path))
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#matched-guid")).to_have_text("4")
        expect(page.locator("#reviews-new")).to_have_text("5")
        width, inner = page_widths(page)
        assert width <= inner, "the preview fits the screen"
        page.get_by_role("button", name=re.compile("Import progress for 4 card sides")).click()
        expect(page).to_have_url(re.compile(rf"/progress/decks/{deck.id}$"))
        expect(page.get_by_text("Imported your Anki progress for 4 card side(s)")).to_be_visible()
        page.goto(f"{live.url}/decks/{deck.id}")
        expect(page.locator("#count-learning")).to_have_text("2")
    finally:
        context.close()
    problems.assert_none()
