"""Anki note types become the right kind of card, and no field is lost without a word.

Multiple-choice note types are recognised by their fields: a question, choices (one field
of lines or a list, or one field per choice) and the right one (letter, number or text).
Every other field goes to the explanation; fields that cannot be kept (a Source name) are
listed in the preview by note type. Packages are built with genanki and, where it matters,
read by the real ``anki`` library too.
"""

from __future__ import annotations

from pathlib import Path

import genanki
import pytest
from anki_helpers import AnkiCollection

from quizapp.formats.anki.choices import list_items
from quizapp.formats.detect import read_upload


def _model(model_id: int, name: str, fields: list[str], front: str, back: str, **kw):
    return genanki.Model(
        model_id, name, fields=[{"name": field} for field in fields],
        templates=[{"name": "Card 1", "qfmt": front, "afmt": back}], **kw,
    )


def _package(tmp_path: Path, model, notes: list[list[str]], name="deck.apkg") -> Path:
    deck = genanki.Deck(2_100_000_001, "Quiz")
    for number, fields in enumerate(notes):
        deck.add_note(genanki.Note(model=model, fields=fields, guid=f"n{number}"))
    path = tmp_path / name
    genanki.Package(deck).write_to_file(str(path), timestamp=1.7e9)
    return path


def _cards(path: Path):
    result = read_upload(path.name, path.read_bytes())
    return {card.guid: card for card in result.decks[0].cards}, result.warnings


LINES_MODEL = _model(
    1_500_000_001, "Quiz lines", ["Question", "Options", "Answer", "Extra"],
    "{{Question}}<br>{{Options}}", "{{FrontSide}}<hr id=answer>{{Answer}}<br>{{Extra}}",
)


@pytest.mark.parametrize(
    ("options", "answer", "choices", "correct"),
    [
        ("Paris<br>Lyon<br>Nice", "A", ("Paris", "Lyon", "Nice"), 0),
        ("<div>Paris</div><div>Lyon</div><div>Nice</div>", "2", ("Paris", "Lyon", "Nice"), 1),
        ("A) Paris<br>B) Lyon<br>C) Nice", "c", ("Paris", "Lyon", "Nice"), 2),
        ("<ul><li>Paris</li><li>Lyon</li></ul>", "lyon", ("Paris", "Lyon"), 1),
        ("1. Paris\n2. Lyon", "Paris", ("Paris", "Lyon"), 0),
    ],
)
def test_choices_as_lines_or_a_list_with_the_answer_as_letter_number_or_text(
    tmp_path, options, answer, choices, correct
):
    cards, warnings = _cards(
        _package(tmp_path, LINES_MODEL, [["Capital of France?", options, answer, "Since 987."]])
    )
    card = cards["n0"]
    assert (card.kind, card.prompt, card.choices, card.correct) == (
        "mcq", "Capital of France?", choices, correct)
    assert card.answer == choices[correct]
    assert card.explanation == "Since 987."
    assert warnings == []


def test_one_field_per_choice(tmp_path):
    model = _model(
        1_500_000_002, "Quiz fields",
        ["Question", "Option A", "Option B", "Option C", "Option D", "Correct", "Explanation"],
        "{{Question}}<ol><li>{{Option A}}<li>{{Option B}}<li>{{Option C}}<li>{{Option D}}</ol>",
        "{{FrontSide}}<hr id=answer>{{Correct}}<br>{{Explanation}}",
    )
    cards, warnings = _cards(_package(tmp_path, model, [
        ["2 + 2?", "3", "4", "5", "", "B", "Arithmetic."],
        ["Pick one", "x", "y", "", "", "Q", ""],
    ]))
    assert (cards["n0"].kind, cards["n0"].choices, cards["n0"].correct) == (
        "mcq", ("3", "4", "5"), 1)
    assert cards["n0"].explanation == "Arithmetic."
    # An answer naming no choice: kept as a basic card, everything visible, with a warning.
    assert (cards["n1"].kind, cards["n1"].answer) == ("basic", "Q")
    assert "<li>x</li><li>y</li>" in cards["n1"].prompt
    assert any("1 multiple-choice note(s)" in warning for warning in warnings)


def test_anki_reads_the_same_fields_we_turn_into_choices(tmp_path):
    path = _package(tmp_path, LINES_MODEL, [["Q?", "Red<br>Blue", "B", "Why"]])
    collection = AnkiCollection(tmp_path / "anki")
    try:
        collection.import_package(path)
        [note] = collection.notes().values()
    finally:
        collection.close()
    cards, _ = _cards(path)
    assert note.fields == {"Question": "Q?", "Options": "Red<br>Blue", "Answer": "B",
                           "Extra": "Why"}
    assert (cards["n0"].choices, cards["n0"].correct, cards["n0"].explanation) == (
        ("Red", "Blue"), 1, "Why")


def test_a_cloze_notes_back_extra_and_hidden_fields_reach_the_explanation(tmp_path):
    model = _model(
        1_500_000_003, "Cloze hiding a field", ["Text", "Back Extra", "Mnemonic", "Source"],
        "{{cloze:Text}}", "{{cloze:Text}}", model_type=genanki.Model.CLOZE,
    )
    cards, warnings = _cards(_package(tmp_path, model, [
        ["{{c1::Venus}} is hot", "CO<sub>2</sub>", "V for very hot", "Atlas p. 3"],
    ]))
    assert cards["n0"].explanation == "CO<sub>2</sub><br>V for very hot"
    assert warnings == [
        "Note type 'Cloze hiding a field': field(s) 'Source' will not be imported (a "
        "source's name cannot be linked to a document)."
    ]


def test_fields_no_template_shows_are_kept_in_the_explanation(tmp_path):
    model = _model(1_500_000_004, "Basic plus", ["Front", "Back", "Hint", "Page"],
                   "{{Front}}", "{{FrontSide}}<hr id=answer>{{Back}}")
    cards, warnings = _cards(_package(tmp_path, model, [["sun", "star", "warm", "12"]]))
    assert (cards["n0"].kind, cards["n0"].answer, cards["n0"].explanation) == (
        "basic", "star", "warm<br>12")
    assert warnings == []


@pytest.mark.parametrize(
    ("markup", "items"),
    [
        # Items side by side: split at once.
        ("<ol><li>a</li><li> <b>b</b> </li><li></li></ol>", ["a", "<b>b</b>", ""]),
        ("<li>x</li><li>y</li>", ["x", "y"]),
        # Anything else is walked tag by tag, with the same answers as before.
        ("<ol><li>a<ol><li>x</li><li>y</li></ol></li><li>b</li></ol>",
         ["a<ol><li>x</li><li>y</li></ol>", "b"]),
        ("<ul>\n<li>a</li>\n<li>b</li>\n</ul>", ["a", "b"]),
        ("<ol><li>a</li><LI>b</LI></ol>", ["a", "b"]),
        ("<ol><li>a</li>stray<li>b</li></ol>", None),
        ("<ol><li>a</li><li>b</ol>", None),
        ("<ol><li>a</li></ul>", None),
    ],
)
def test_choice_lists_are_read_item_by_item(markup, items):
    assert list_items(markup) == items
