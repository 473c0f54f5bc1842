"""One slug rule: deck slugs (which re-uploads match on) and generation's fact ids share it."""

from __future__ import annotations

from quizapp.generation.text import slug
from quizapp.services.decks import deck_slug
from quizapp.textutil import slugify


def test_slugify_joins_ascii_words_with_single_hyphens():
    assert slugify("  Heart failure: causes & TESTS!! ") == "heart-failure-causes-tests"
    assert slugify("***") == ""


def test_fact_ids_fold_accents_first_but_deck_slugs_keep_their_old_form():
    assert slug("Guillain–Barré syndrome") == "guillain-barre-syndrome"
    # Stored decks were slugged without folding; a re-upload must still find them.
    assert deck_slug("Café anatomy") == "caf-anatomy"
    assert deck_slug("???") == "deck"
    assert len(deck_slug("x" * 500)) == 200
