"""The app's own Anki export, uploaded back: every kind of card must come out as it went in.

Sources are the one thing that cannot come back: the export shows a source's name, while a
card refers to a location in a stored document.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from quizapp.deckfile import CardData, DeckData, MediaFile, SourceDoc, SourceRef
from quizapp.extensions import db
from quizapp.formats.apkg_export import build_apkg
from quizapp.formats.detect import read_upload
from quizapp.models import Card
from quizapp.services.decks import deck_data_of, store_deck

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
    b"\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)
SOURCE_NAME = "Cell biology notes.pdf"


def every_kind_deck() -> DeckData:
    cited = (SourceRef(source="notes", start=10, end=42, sentence=1),)
    return DeckData(
        title="Biology::Cells",
        sources=[SourceDoc(id="notes", name=SOURCE_NAME)],
        media=[MediaFile(name="cell.png", data=PNG)],
        cards=[
            CardData(
                guid="rt-basic",
                kind="basic",
                prompt='Name the part marked in <img src="cell.png" alt="a cell">',
                answer="The <b>nucleus</b>",
                explanation="It holds the cell's <i>DNA</i> &amp; controls growth.",
                tags=("biology", "cells::parts"),
                sources=cited,
            ),
            CardData(
                guid="rt-reversed",
                kind="reversed",
                prompt="mitochondrion",
                answer="the cell's <em>power plant</em>",
                explanation="Makes ATP.",
                tags=("vocabulary",),
                sources=cited,
            ),
            CardData(
                guid="rt-typein",
                kind="typein",
                prompt="How many chromosomes does a human body cell have?",
                answer="46",
                explanation="23 pairs: one set from each parent.",
                sources=cited,
            ),
            CardData(
                guid="rt-cloze",
                kind="cloze",
                prompt="The {{c1::cell membrane}} surrounds the {{c2::cytoplasm::fluid}}.",
                explanation="Both are found in <u>every</u> cell.",
                tags=("cloze",),
                sources=cited,
            ),
            CardData(
                guid="rt-mcq",
                kind="mcq",
                prompt="Which organelle makes proteins?",
                choices=(
                    "<code>Golgi</code> apparatus",
                    "Ribosome",
                    "Lysosome &lt;acidic&gt;",
                    'Vacuole <img src="cell.png">',
                ),
                correct=1,
                answer="Ribosome",
                explanation="Ribosomes read <b>mRNA</b>.",
                tags=("biology", "mcq"),
                sources=cited,
            ),
            CardData(
                guid="rt-mcq-no-extras",
                kind="mcq",
                prompt="Plants store starch in…",
                choices=("amyloplasts", "chloroplasts"),
                correct=0,
                answer="amyloplasts",
            ),
        ],
    )


def uploaded_again(deck: DeckData, deck_key: str = "biology-cells") -> DeckData:
    result = read_upload("export.apkg", build_apkg(deck, deck_key=deck_key))
    assert result.kind == "apkg"
    # The preview says that source names (which cannot be linked back) stay out; nothing else.
    assert all("field(s) 'Source' will not be imported" in w for w in result.warnings)
    [imported] = result.decks
    return imported


def test_every_kind_of_card_comes_back_field_by_field():
    original = every_kind_deck()
    imported = uploaded_again(original)

    assert imported.title == original.title
    assert [card.guid for card in imported.cards] == [card.guid for card in original.cards]
    for sent, received in zip(original.cards, imported.cards, strict=True):
        for field in ("kind", "prompt", "answer", "choices", "correct", "explanation", "tags"):
            assert getattr(received, field) == getattr(sent, field), (sent.guid, field)
        assert received.sources == ()
    assert imported.media == original.media


def test_the_source_field_stays_out_of_every_card_field():
    imported = uploaded_again(every_kind_deck())
    for card in imported.cards:
        texts = (card.prompt, card.answer, card.explanation, *card.choices)
        assert not any(SOURCE_NAME in text for text in texts), card.guid


def test_reuploading_an_export_updates_the_stored_deck_instead_of_duplicating_it(instructor):
    # Stored without source references: those cannot come back, and their loss would
    # count as a change to every cited card.
    deck_file = every_kind_deck()
    deck_file.cards = [replace(card, sources=()) for card in deck_file.cards]
    stored = store_deck(deck_file, owner=instructor).deck
    db.session.commit()
    exported = deck_data_of(stored)

    unchanged = store_deck(uploaded_again(exported, str(stored.id)), owner=instructor)
    db.session.commit()
    assert unchanged.deck.id == stored.id
    assert (unchanged.added, unchanged.updated, unchanged.retired) == (0, 0, 0)
    assert unchanged.unchanged == len(deck_file.cards)

    # As if the card had been corrected in the app (or in Anki) before the next export.
    exported.cards = [
        replace(card, explanation="Ribosomes translate <b>mRNA</b> into protein.")
        if card.guid == "rt-mcq"
        else card
        for card in exported.cards
    ]
    edited = store_deck(uploaded_again(exported, str(stored.id)), owner=instructor)
    db.session.commit()
    assert edited.deck.id == stored.id
    assert (edited.added, edited.updated, edited.retired) == (0, 1, 0)
    card_count = db.session.scalar(
        select(func.count()).select_from(Card).where(Card.deck_id == stored.id)
    )
    assert card_count == len(deck_file.cards)
    stored_mcq = db.session.scalar(
        select(Card).where(Card.deck_id == stored.id, Card.guid == "rt-mcq")
    )
    assert stored_mcq.explanation == "Ribosomes translate <b>mRNA</b> into protein."
    [sent_mcq] = [card for card in deck_file.cards if card.guid == "rt-mcq"]
    assert (stored_mcq.choices, stored_mcq.correct_index) == (list(sent_mcq.choices), 1)
