"""The study card page's parts that are built once and kept (``quizapp.templating``): each
deck's links and each scheduler's grade buttons stay right across decks, schedulers and
mount points."""

from __future__ import annotations

import re

from study_helpers import basic, make_deck

from quizapp.extensions import db
from quizapp.scheduling.fsrs_scheduler import FSRS_SCALE
from quizapp.scheduling.registry import SchedulerSettings
from quizapp.scheduling.sm2_scheduler import SM2_SCALE

BUTTON_RE = re.compile(
    r'<button type="submit" name="grade" value="(\d)" class="grade( passing)?"\s+'
    r'data-key="([^"]*)" data-keys="([^"]*)"( data-usual)? title="([^"]*)">\s+'
    r'<kbd>[^<]*</kbd> <span class="grade-label">([^<]*)</span>'
)


def _page(client, deck_id: int, root: str = "") -> str:
    response = client.get(f"/study/{deck_id}", base_url=f"http://localhost{root}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _expected(scale):
    return [
        (str(option.value), bool(option.passing), option.keys[0], "|".join(option.keys),
         " " in option.keys or "Enter" in option.keys, option.description,
         option.label if option.label != option.keys[0] else option.description)
        for option in scale
    ]


def _buttons(page: str):
    return [(value, bool(passing), key, keys.replace("&#39;", "'"), bool(usual), title, label)
            for value, passing, key, keys, usual, title, label in BUTTON_RE.findall(page)]


def test_each_scheduler_shows_its_own_grade_buttons(client, auth, learner):
    sm2_deck = make_deck([basic("s1")], title="SM-2 deck")
    fsrs_deck = make_deck([basic("f1")], title="FSRS deck")
    fsrs_deck.scheduler = SchedulerSettings(name="fsrs").to_json()
    db.session.commit()
    auth.login()
    for _ in range(2):  # the second time from what was kept
        assert _buttons(_page(client, sm2_deck.id)) == _expected(SM2_SCALE)
        assert _buttons(_page(client, fsrs_deck.id)) == _expected(FSRS_SCALE)


def test_each_decks_links_are_its_own_under_any_mount_point(client, auth, learner):
    decks = [make_deck([basic(f"d{i}")], title=f"Deck {i}") for i in range(2)]
    auth.login()
    for root in ("", "/quiz"):
        for deck in decks:
            page = _page(client, deck.id, root)
            assert f'action="{root}/study/{deck.id}/answer"' in page
            assert f'action="{root}/study/{deck.id}/undo"' in page
            assert f'href="{root}/decks/{deck.id}"' in page
