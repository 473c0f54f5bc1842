"""Citations read as a person would write them: the document's title and a tidy sentence."""

from __future__ import annotations

import pytest

from quizapp.citations import MAX_SENTENCE_CHARS, clean_sentence, document_label


@pytest.mark.parametrize(
    ("span", "clean"),
    [
        ("Disuse atrophy is caused by  not using the muscles enough .",
         "Disuse atrophy is caused by not using the muscles enough."),
        ("Have a genetic disorder such as\nmuscular dystrophy\nor\nCharcot-Marie-Tooth disease\n.",
         "Have a genetic disorder such as muscular dystrophy or Charcot-Marie-Tooth disease."),
        ("Muscle atrophy can occur due to\nmalnutrition\n, age , or genetics ; rarely !",
         "Muscle atrophy can occur due to malnutrition, age, or genetics; rarely!"),
        ("Amyotrophic lateral sclerosis ( ALS, or Lou Gehrig disease )",
         "Amyotrophic lateral sclerosis (ALS, or Lou Gehrig disease)"),
        ("  •  Polio\u00a0\n.", "Polio."),
        ("A dose of .5 mg is given . Then wait ...", "A dose of .5 mg is given. Then wait..."),
    ],
)
def test_sentences_lose_stray_spaces_and_line_breaks(span, clean):
    assert clean_sentence(span) == clean


def test_html_sentences_are_shown_as_text():
    span = "Atrophy <b>can</b> be\n <a href='/x'>reversed</a> &amp; treated ."
    assert clean_sentence(span, html=True) == "Atrophy can be reversed & treated."


def test_a_run_on_span_is_cut_at_a_word():
    shown = clean_sentence("word " * 1000)
    assert len(shown) <= MAX_SENTENCE_CHARS + 1 and shown.endswith("word…")


def test_a_document_is_called_by_its_title():
    assert document_label("Muscle Atrophy:  Causes", "003_a9.txt", "x") == "Muscle Atrophy: Causes"


@pytest.mark.parametrize(
    "title", ["", "002_849026bb6cd079b3.txt", "  "],
)
def test_a_machine_made_file_name_is_never_shown(title):
    text = "\n\nMuscle atrophy occurs when muscle mass decreases, causing limbs to shrink."
    label = document_label(title, "002_849026bb6cd079b3.txt", text)
    assert "849026" not in label and ".txt" not in label
    assert label == ("Untitled document beginning "
                     "“Muscle atrophy occurs when muscle mass decreases, causing…”")


def test_a_file_name_made_of_words_stands_in_for_a_missing_title():
    assert document_label("heart_failure-notes.txt", "heart_failure-notes.txt", "x") == (
        "Heart failure notes")


def test_an_html_document_without_title_opens_with_its_visible_words():
    html = ("<html><head><title></title><style>p{}</style></head>"
            "<body><p>Gout is a form of arthritis.</p>")
    assert document_label("", "4f2a91.html", html) == (
        "Untitled document beginning “Gout is a form of arthritis”")
    assert document_label("", "4f2a91.html", None) == "Untitled document"
