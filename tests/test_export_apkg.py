"""Anki export, checked by importing the packages with the official Anki library."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from anki_helpers import AnkiCollection, import_into_fresh_collection

from quizapp.deckfile import CardData, DeckData, MediaFile, SourceDoc, SourceRef
from quizapp.formats.apkg_export import (
    CardProgress,
    ReviewEntry,
    build_apkg,
    stable_id,
)
from quizapp.formats.detect import read_upload
from quizapp.formats.sanitize import sanitize_html
from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler, anki_factor

SM2 = Sm2Scheduler()

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
CONTENT_CHANGED = 1_700_000_000


def every_kind_deck() -> DeckData:
    return DeckData(
        title="Biology::Cells",
        description="Cells & <organelles>",
        sources=[SourceDoc(id="ch1", name="Chapter 1 & 2.pdf")],
        media=[MediaFile(name="cell.png", data=PNG)],
        cards=[
            CardData(
                guid="card-basic",
                kind="basic",
                prompt='What does <b>this</b> show?<br><img src="cell.png">',
                answer="A <i>cell</i>",
                explanation="Cells are the unit of life.",
                tags=("biology", "unit-1"),
                sources=(SourceRef(source="ch1", sentence=3),),
            ),
            CardData(guid="card-reversed", kind="reversed", prompt="la cellule", answer="the cell"),
            CardData(
                guid="card-cloze",
                kind="cloze",
                prompt="{{c1::Mitochondria}} are the {{c2::powerhouse}} of the cell.",
                explanation="They make ATP.",
                tags=("biology",),
            ),
            CardData(
                guid="card-mcq",
                kind="mcq",
                prompt="Which organelle holds DNA?",
                choices=("Ribosome", "Nucleus", "Vacuole"),
                correct=1,
                answer="Nucleus",
                explanation="The nucleus stores the genome.",
                sources=(SourceRef(source="ch1"),),
            ),
            CardData(
                guid="card-typein", kind="typein", prompt="H<sub>2</sub>O is?", answer="water"
            ),
        ],
    )


def export(deck: DeckData, **options) -> bytes:
    options.setdefault("deck_key", "deck-42")
    options.setdefault("modified", {card.guid: CONTENT_CHANGED for card in deck.cards})
    return build_apkg(deck, **options)


@pytest.fixture
def anki(tmp_path: Path):
    collection = AnkiCollection(tmp_path / "anki")
    yield collection
    collection.close()


def import_bytes(collection: AnkiCollection, package: bytes, path: Path, **options):
    path.write_bytes(package)
    return collection.import_package(path, **options)


def test_every_card_kind_arrives_in_anki_with_its_note_type_and_fields(tmp_path):
    collection = import_into_fresh_collection(export(every_kind_deck()), tmp_path)
    try:
        notes = collection.notes()
        cards = collection.cards()
        assert len(notes) == 5
        # reversed and the two-gap cloze give two cards each
        assert sorted(cards) == [
            ("card-basic", 0),
            ("card-cloze", 0),
            ("card-cloze", 1),
            ("card-mcq", 0),
            ("card-reversed", 0),
            ("card-reversed", 1),
            ("card-typein", 0),
        ]
        assert {card.deck for card in cards.values()} == {"Biology::Cells"}
        assert {"Biology", "Biology::Cells"} <= collection.deck_names()
        assert collection.deck_description("Biology::Cells") == "Cells &amp; &lt;organelles&gt;"

        basic = notes["card-basic"]
        assert basic.notetype == "QuizApp Basic"
        assert basic.fields == {
            "Front": 'What does <b>this</b> show?<br><img src="cell.png">',
            "Back": "A <i>cell</i>",
            "Explanation": "Cells are the unit of life.",
            "Source": "Chapter 1 &amp; 2",
        }
        assert basic.tags == ("biology", "unit-1")

        assert notes["card-reversed"].notetype == "QuizApp Basic (and reversed card)"
        assert notes["card-reversed"].fields["Front"] == "la cellule"
        assert notes["card-reversed"].fields["Back"] == "the cell"

        cloze = notes["card-cloze"]
        assert cloze.notetype == "QuizApp Cloze"
        assert cloze.fields["Text"] == (
            "{{c1::Mitochondria}} are the {{c2::powerhouse}} of the cell."
        )
        assert cloze.fields["Back Extra"] == "They make ATP."
        assert cloze.tags == ("biology",)

        mcq = notes["card-mcq"]
        assert mcq.notetype == "QuizApp Multiple choice"
        assert mcq.fields["Question"] == "Which organelle holds DNA?"
        assert mcq.fields["Choices"] == "<ol><li>Ribosome</li><li>Nucleus</li><li>Vacuole</li></ol>"
        assert mcq.fields["Correct"] == "2"
        assert mcq.fields["Answer"] == "Nucleus"

        typein = notes["card-typein"]
        assert typein.notetype == "QuizApp Type in the answer"
        assert typein.fields["Front"] == "H<sub>2</sub>O is?"
        assert typein.fields["Back"] == "water"

        assert collection.media_files() == {"cell.png": PNG}
    finally:
        collection.close()


def test_anki_shows_each_kind_as_intended(tmp_path):
    collection = import_into_fresh_collection(export(every_kind_deck()), tmp_path)
    try:
        question, answer = collection.render("card-basic", 0)
        assert "A <i>cell</i>" not in question
        assert "A <i>cell</i>" in answer
        assert "Cells are the unit of life." in answer
        assert "Source: Chapter 1 &amp; 2" in answer

        question, answer = collection.render("card-reversed", 1)
        assert question == "the cell"
        assert "la cellule" in answer

        question, answer = collection.render("card-cloze", 1)
        # Anki keeps the hidden text in a data attribute for its scripts; the learner sees [...]
        assert ">powerhouse<" not in question
        assert ">[...]<" in question
        assert ">powerhouse<" in answer
        assert "They make ATP." in answer

        question, answer = collection.render("card-mcq", 0)
        assert "<ol><li>Ribosome</li><li>Nucleus</li><li>Vacuole</li></ol>" in question
        assert "The nucleus" not in question
        assert "2. Nucleus" in answer
        assert "The nucleus stores the genome." in answer
        assert "Source: Chapter 1 &amp; 2" in answer

        question, answer = collection.render("card-typein", 0)
        assert "[[type:Back]]" in question
        assert "Source:" not in answer
    finally:
        collection.close()


def test_notes_carry_their_content_change_time_not_the_export_time(tmp_path):
    deck = every_kind_deck()
    modified = {"card-basic": 1_600_000_000}
    package = build_apkg(deck, deck_key="k", modified=modified, exported_at=1_750_000_000)
    collection = import_into_fresh_collection(package, tmp_path)
    try:
        notes = collection.notes()
        assert notes["card-basic"].mod == 1_600_000_000
        assert notes["card-mcq"].mod == 1_750_000_000
    finally:
        collection.close()


def test_ids_are_stable_across_exports_and_distinct_per_deck_key():
    def ids(package: bytes) -> tuple[set[str], set[str]]:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            collection = archive.read("collection.anki2")
        connection = sqlite3.connect(":memory:")
        connection.deserialize(collection)
        decks, models = connection.execute("select decks, models from col").fetchone()
        connection.close()
        return set(json.loads(decks)), set(json.loads(models))

    deck = every_kind_deck()
    first = ids(build_apkg(deck, deck_key="deck-42", exported_at=1_000))
    second = ids(build_apkg(deck, deck_key="deck-42", exported_at=2_000))
    other = ids(build_apkg(deck, deck_key="deck-43", exported_at=1_000))
    assert first == second
    assert str(stable_id("quizapp.deck:deck-42")) in first[0]
    assert first[0] != other[0]
    assert first[1] == other[1]


def test_second_export_of_a_changed_deck_updates_the_note_instead_of_adding_one(anki, tmp_path):
    deck = every_kind_deck()
    first = import_bytes(anki, export(deck), tmp_path / "v1.apkg")
    assert first.new == 5

    changed = CardData(
        guid="card-typein", kind="typein", prompt="H<sub>2</sub>O is called?", answer="water"
    )
    deck.cards[-1] = changed
    modified = {card.guid: CONTENT_CHANGED for card in deck.cards}
    modified["card-typein"] = CONTENT_CHANGED + 3600
    second = import_bytes(anki, export(deck, modified=modified), tmp_path / "v2.apkg")

    assert second.new == 0
    assert second.updated == 1
    notes = anki.notes()
    assert len(notes) == 5
    assert len(anki.cards()) == 7
    assert notes["card-typein"].fields["Front"] == "H<sub>2</sub>O is called?"


def test_unchanged_reexport_leaves_a_students_own_edit_alone(anki, tmp_path):
    deck = every_kind_deck()
    import_bytes(anki, export(deck, exported_at=1_750_000_000), tmp_path / "v1.apkg")
    anki.edit_field("card-basic", "Back", "A <i>cell</i> (my own mnemonic)")
    edited_at = anki.notes()["card-basic"].mod

    later = export(deck, exported_at=edited_at + 60)
    log = import_bytes(anki, later, tmp_path / "v2.apkg")

    assert log.updated == 0
    assert log.new == 0
    notes = anki.notes()
    assert len(notes) == 5
    assert notes["card-basic"].fields["Back"] == "A <i>cell</i> (my own mnemonic)"


def test_tags_with_spaces_become_anki_tags(tmp_path):
    deck = DeckData(
        title="Tags",
        cards=[
            CardData(guid="t1", kind="basic", prompt="Q", answer="A", tags=("cell biology",))
        ],
    )
    collection = import_into_fresh_collection(export(deck), tmp_path)
    try:
        assert collection.notes()["t1"].tags == ("cell_biology",)
    finally:
        collection.close()


def test_sources_are_cited_by_title_not_by_machine_made_file_name(tmp_path):
    deck = DeckData(
        title="Sources",
        sources=[SourceDoc(id="s1", name="002_849026bb6cd079b3.txt", title="What is gout?"),
                 SourceDoc(id="s2", name="003_a91878de4a91a83a.txt",
                           title="003_a91878de4a91a83a.txt")],
        cards=[CardData(guid="c1", kind="basic", prompt="Q", answer="A",
                        sources=(SourceRef(source="s1"), SourceRef(source="s2")))],
    )
    collection = import_into_fresh_collection(export(deck), tmp_path)
    try:
        assert collection.notes()["c1"].fields["Source"] == "What is gout?; Untitled document"
    finally:
        collection.close()


def anki_today() -> date:
    """The calendar day Anki on this machine counts as today (it rolls over at 4 a.m.)."""
    return (datetime.now() - timedelta(hours=4)).date()


def sm2_progress(interval, due, easiness, *, lapses=0, reviews=(), review_count=None):
    """A studied side's progress as the app exports an SM-2 state."""
    state = Sm2State(Decimal(easiness), interval, 2, due, lapses)
    return CardProgress(SM2.to_anki(state), reviews=reviews, review_count=review_count)


def test_learner_progress_continues_in_anki(tmp_path):
    deck = every_kind_deck()
    today = anki_today()
    first_answer = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    basic_reviews = (
        ReviewEntry(first_answer, button=SM2.anki_button(5),
                    interval=1, last_interval=0, factor=2600, duration_ms=4200),
        ReviewEntry(first_answer + timedelta(days=1), button=SM2.anki_button(4),
                    interval=6, last_interval=1, factor=2600, duration_ms=3100),
        ReviewEntry(first_answer + timedelta(days=7), button=SM2.anki_button(1),
                    interval=1, last_interval=6, factor=2600, duration_ms=9000),
        ReviewEntry(first_answer + timedelta(days=8), button=SM2.anki_button(3),
                    interval=1, last_interval=1, factor=2460, duration_ms=5000),
    )
    progress = {
        ("card-basic", 0): sm2_progress(
            1, today + timedelta(days=1), "2.46", lapses=1, reviews=basic_reviews,
        ),
        # only the backward side of the reversed card was studied
        ("card-reversed", 1): sm2_progress(
            15, today - timedelta(days=2), "2.5", review_count=3,
        ),
        ("card-cloze", 1): sm2_progress(
            40, today + timedelta(days=30), "1.3", review_count=7, lapses=2,
        ),
        ("no-such-card", 0): sm2_progress(3, today, "2.5"),
    }
    collection = import_into_fresh_collection(
        export(deck, progress=progress), tmp_path, with_scheduling=True
    )
    try:
        cards = collection.cards()
        basic = cards[("card-basic", 0)]
        assert (basic.type, basic.queue) == (2, 2)
        assert basic.ivl == 1
        assert basic.due - collection.today == 1
        assert basic.factor == 2460
        assert (basic.reps, basic.lapses) == (4, 1)
        assert [row[:6] for row in basic.revlog] == [
            # ease button, ivl, lastIvl, factor, time ms, type (0 learn, 1 review)
            (4, 1, 0, 2600, 4200, 0),
            (3, 6, 1, 2600, 3100, 1),
            (1, 1, 6, 2600, 9000, 1),
            (2, 1, 1, 2460, 5000, 1),
        ]
        assert basic.revlog[0][6] == int(first_answer.timestamp() * 1000)

        backward = cards[("card-reversed", 1)]
        assert (backward.type, backward.ivl, backward.factor, backward.reps) == (2, 15, 2500, 3)
        assert backward.due - collection.today == -2
        assert backward.revlog == ()

        cloze = cards[("card-cloze", 1)]
        assert cloze.due - collection.today == 30
        assert (cloze.ivl, cloze.factor, cloze.reps, cloze.lapses) == (40, 1300, 7, 2)

        never_studied = [key for key, card in cards.items() if card.type == 0]
        assert sorted(never_studied) == [
            ("card-cloze", 0),
            ("card-mcq", 0),
            ("card-reversed", 0),
            ("card-typein", 0),
        ]
    finally:
        collection.close()


def test_deck_without_progress_has_only_new_cards(tmp_path):
    collection = import_into_fresh_collection(
        export(every_kind_deck()), tmp_path, with_scheduling=True
    )
    try:
        assert {(card.type, card.queue) for card in collection.cards().values()} == {(0, 0)}
        # new cards keep the deck's order
        cards = collection.cards()
        assert cards[("card-basic", 0)].due < cards[("card-typein", 0)].due
    finally:
        collection.close()


@pytest.mark.parametrize(("grade", "button"), [(0, 1), (1, 1), (2, 1), (3, 2), (4, 3), (5, 4)])
def test_sm2_grades_map_to_anki_buttons(grade, button):
    assert SM2.anki_button(grade) == button


@pytest.mark.parametrize("grade", [-1, 6])
def test_grades_outside_sm2_are_refused(grade):
    with pytest.raises(ValueError):
        SM2.anki_button(grade)


def test_ease_is_stored_in_permille_without_float_error():
    assert anki_factor(Decimal("2.36")) == 2360
    assert anki_factor(Decimal("1.3")) == 1300


SAMPLE = Path("/work/shared/anki/samples/sample_modern_sched.apkg")
# Which field of the app's note types holds each field of Anki's stock note types.
STOCK_FIELD_HOMES = {
    "Basic": {"Front": "Front", "Back": "Back"},
    "Basic (and reversed card)": {"Front": "Front", "Back": "Back"},
    "Cloze": {"Text": "Text", "Back Extra": "Back Extra"},
}


def test_anki_made_package_survives_app_import_and_export(tmp_path):
    original = AnkiCollection(tmp_path / "original")
    try:
        original.import_package(SAMPLE)
        original_notes = original.notes()
        original_cards = original.cards()
        original_media = original.media_files()
    finally:
        original.close()

    decks = read_upload(SAMPLE.name, SAMPLE.read_bytes()).decks
    exported_notes = {}
    exported_cards = {}
    exported_media = {}
    for number, deck in enumerate(decks):
        collection = import_into_fresh_collection(
            build_apkg(deck, deck_key=f"sample-{number}"), tmp_path / f"export-{number}"
        )
        try:
            exported_notes.update(collection.notes())
            exported_cards.update(collection.cards())
            exported_media.update(collection.media_files())
        finally:
            collection.close()

    assert exported_notes.keys() == original_notes.keys()
    assert {key: card.deck for key, card in exported_cards.items()} == {
        key: card.deck for key, card in original_cards.items()
    }
    for guid, note in original_notes.items():
        exported = exported_notes[guid]
        for stock_field, app_field in STOCK_FIELD_HOMES[note.notetype].items():
            assert exported.fields[app_field] == sanitize_html(note.fields[stock_field]), (
                guid,
                stock_field,
            )
        assert exported.tags == note.tags
    assert exported_media == original_media
