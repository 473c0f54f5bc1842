"""CSV export: columns, quoting, and spreadsheet formula injection."""

from __future__ import annotations

import csv
import io

import pytest

from quizapp.deckfile import CardData, DeckData
from quizapp.formats.csv_export import CSV_COLUMNS, build_csv, neutralize_formula
from quizapp.formats.csv_import import read_csv


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_every_kind_is_one_row_with_the_documented_columns():
    deck = DeckData(
        title="Mixed",
        cards=[
            CardData(
                guid="b1", kind="basic", prompt='Say "hi",\nthen <b>wave</b>', answer="ok",
                explanation="Greeting, politely.", tags=("social", "unit-2"),
            ),
            CardData(guid="r1", kind="reversed", prompt="chat", answer="cat"),
            CardData(guid="c1", kind="cloze", prompt="{{c1::Paris}} is in France",
                     explanation="Capital"),
            CardData(guid="m1", kind="mcq", prompt="2+2?", choices=("3", "4", "5"), correct=1,
                     answer="4"),
            CardData(guid="t1", kind="typein", prompt="H<sub>2</sub>O", answer="water"),
        ],
    )
    text = build_csv(deck)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert rows(text) == [
        {"kind": "basic", "front": 'Say "hi",\nthen <b>wave</b>', "back": "ok", "choices": "",
         "correct": "", "explanation": "Greeting, politely.", "tags": "social unit-2",
         "guid": "b1"},
        {"kind": "reversed", "front": "chat", "back": "cat", "choices": "", "correct": "",
         "explanation": "", "tags": "", "guid": "r1"},
        {"kind": "cloze", "front": "{{c1::Paris}} is in France", "back": "", "choices": "",
         "correct": "", "explanation": "Capital", "tags": "", "guid": "c1"},
        {"kind": "mcq", "front": "2+2?", "back": "4", "choices": "3|4|5", "correct": "4",
         "explanation": "", "tags": "", "guid": "m1"},
        {"kind": "typein", "front": "H<sub>2</sub>O", "back": "water", "choices": "",
         "correct": "", "explanation": "", "tags": "", "guid": "t1"},
    ]


def test_a_bar_inside_a_choice_cannot_split_it():
    deck = DeckData(
        title="Bars",
        cards=[CardData(guid="m", kind="mcq", prompt="Pick", choices=("a|b", "c"), correct=0,
                        answer="a|b")],
    )
    (row,) = rows(build_csv(deck))
    assert row["choices"].split("|") == ["a&#124;b", "c"]
    assert row["back"] == row["correct"] == "a|b"


@pytest.mark.parametrize("dangerous", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\r=x"])
def test_formula_cells_are_quoted_in_every_column(dangerous):
    deck = DeckData(
        title="Injection",
        cards=[CardData(guid="g", kind="basic", prompt=dangerous, answer=dangerous,
                        explanation=dangerous)],
    )
    (row,) = rows(build_csv(deck))
    assert row["front"] == "'" + dangerous
    assert row["back"] == "'" + dangerous
    assert row["explanation"] == "'" + dangerous


@pytest.mark.parametrize("harmless", ["1+1=2", "a=b", "'quoted", " =x", "x-y", ""])
def test_cells_not_starting_a_formula_are_left_alone(harmless):
    assert neutralize_formula(harmless) == harmless


def test_formula_choices_are_quoted_too():
    deck = DeckData(
        title="Injection",
        cards=[CardData(guid="g", kind="mcq", prompt="Sign?", choices=("-1", "+1"), correct=0,
                        answer="-1")],
    )
    (row,) = rows(build_csv(deck))
    assert row["choices"] == "'-1|+1"
    assert row["back"] == row["correct"] == "'-1"


def test_exported_csv_reads_back_through_the_csv_importer():
    deck = DeckData(
        title="Round trip",
        cards=[
            CardData(
                guid="b1", kind="basic", prompt='Say "hi",\nthen <b>wave</b>', answer="ok",
                explanation="Greeting, politely.", tags=("social", "unit-2"),
            ),
            CardData(guid="r1", kind="reversed", prompt="chat", answer="cat"),
            CardData(guid="t1", kind="typein", prompt="H<sub>2</sub>O", answer="water"),
            CardData(guid="c1", kind="cloze", prompt="{{c1::Paris}} is in France",
                     explanation="Capital"),
            CardData(guid="m1", kind="mcq", prompt="Pick one", choices=("3", "4", "a|b"),
                     correct=2, answer="a|b", explanation="Bars survive."),
            CardData(guid="m2", kind="mcq", prompt="Styled", choices=("<i>yes</i>", "no"),
                     correct=0, answer="<i>yes</i>"),
            # numbers as choices: the right one must not be confused with a choice number
            CardData(guid="m3", kind="mcq", prompt="1 + 1?", choices=("1", "2", "3"),
                     correct=1, answer="2"),
            # cells a spreadsheet would run as formulas come back without the guard quote
            CardData(guid="f1", kind="basic", prompt="=SUM(A1:A3)", answer="-5",
                     explanation="@mention"),
            CardData(guid="f2", kind="mcq", prompt="Sign?", choices=("-1", "+1"), correct=0,
                     answer="-1"),
        ],
    )
    imported, warnings = read_csv(build_csv(deck), "Round trip")
    assert warnings == []
    assert imported.cards == deck.cards
