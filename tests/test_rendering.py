"""Card sides as learners see them (pure: no app needed)."""

from __future__ import annotations

from quizapp.kinds.cloze import cloze_side
from quizapp.rendering import card_side


def media(name: str) -> str:
    return f"/decks/1/media/{name}"


def test_cloze_hides_only_the_gap_being_asked():
    text = "{{c1::Paris}} is the capital of {{c2::France::a country}}"
    assert cloze_side(text, 1, reveal=False) == "Paris is the capital of <mark>[a country]</mark>"
    assert cloze_side(text, 0, reveal=False) == "<mark>[…]</mark> is the capital of France"
    assert cloze_side(text, 1, reveal=True) == "Paris is the capital of <mark>France</mark>"


def test_reversed_side_swaps_front_and_back():
    side = card_side("reversed", "H2O", "water", 1, media)
    assert (side.front, side.back) == ("water", "H2O")


def test_images_point_at_the_deck_media_and_scripts_never_survive():
    side = card_side("basic", '<img src="heart.png" onerror="x()"><script>bad()</script>',
                     '<a href="javascript:bad()">x</a>', 0, media)
    assert side.front == '<img src="/decks/1/media/heart.png">'
    assert "javascript" not in side.back and "bad()" not in side.front


def test_absolute_and_remote_image_sources_are_left_alone():
    side = card_side("basic", '<img src="/static/x.png"><img src="https://e.org/y.png">', "a",
                     0, media)
    assert 'src="/static/x.png"' in side.front and 'src="https://e.org/y.png"' in side.front
