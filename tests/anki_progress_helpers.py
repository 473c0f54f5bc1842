"""Packages with a learner's progress, written by the official Anki library in the test run.

A fresh Anki collection gets Basic and reversed notes, some of them studied with Anki's own
scheduler (graduated, still learning, lapsed and relearning), and is exported as an ``.apkg``
(legacy or modern layout) or a whole ``.colpkg``, scheduling included.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from anki.collection import (
    Collection,
    DeckIdLimit,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)

DECK_NAME = "Progress"
NOTES = [
    ("Basic", "What is the powerhouse of the <b>cell</b>?", "Mitochondria"),
    ("Basic", "Capital of France?", "Paris"),
    ("Basic", "2 + 2?", "4"),
    ("Basic (and reversed card)", "la cellule", "the cell"),
    ("Basic", "Never studied", "still new"),
]


@dataclass(frozen=True)
class AnkiCardView:
    """What Anki holds for one card: its schedule and its revlog rows."""

    guid: str
    ordinal: int
    type: int
    queue: int
    due: int
    ivl: int
    factor: int
    lapses: int
    revlog: int  # answers in the revlog


class StudiedCollection:
    """A fresh collection under ``directory`` holding :data:`NOTES` in :data:`DECK_NAME`."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.col = Collection(str(directory / "collection.anki2"))
        self.deck_id = self.col.decks.id(DECK_NAME)

    def import_with_scheduling(self, package: bytes, deck_name: str) -> None:
        """Import ``package`` as a learner who keeps their schedule, and work in its deck."""
        path = self.directory / "incoming.apkg"
        path.write_bytes(package)
        self.col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(path),
            options=ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=True),
        ))
        self.deck_id = self.col.decks.id(deck_name)

    def add_notes(self) -> None:
        for notetype, front, back in NOTES:
            note = self.col.new_note(self.col.models.by_name(notetype))
            note["Front"], note["Back"] = front, back
            self.col.add_note(note, self.deck_id)

    def study(self) -> None:
        """Graduate two cards, leave one learning, lapse one (now relearning)."""
        self.col.decks.select(self.deck_id)
        for ease in (4, 4, 3, 4):  # Easy graduates at once; Good leaves a learning step
            self.col.sched.answerCard(self.col.sched.getCard(), ease)
        lapsed = self.card_id(NOTES[1][1], 0)
        self.col.sched.set_due_date([lapsed], "0")
        self.answer(lapsed, 1)

    def card_id(self, front: str, ordinal: int) -> int:
        return self.col.db.scalar(
            "select cards.id from cards join notes on notes.id = cards.nid"
            " where notes.flds like ? and cards.ord = ?", front + "\x1f%", ordinal,
        )

    def answer(self, card_id: int, ease: int) -> None:
        card = self.col.get_card(card_id)
        card.start_timer()
        self.col.sched.answerCard(card, ease)

    def cards(self) -> dict[tuple[str, int], AnkiCardView]:
        out = {}
        for card_id in self.col.find_cards(""):
            card = self.col.get_card(card_id)
            guid = self.col.get_note(card.nid).guid
            out[(guid, card.ord)] = AnkiCardView(
                guid, card.ord, card.type, card.queue, card.due, card.ivl, card.factor,
                card.lapses,
                # answers only: set_due_date's rescheduling rows (type 4, 5) are not answers
                self.col.db.scalar("select count() from revlog where cid = ? and type < 4",
                                   card_id),
            )
        return out

    def today(self) -> int:
        return self.col.sched.today

    def export(self, kind: str) -> bytes:
        """``legacy`` or ``modern`` .apkg of the deck, or ``colpkg``; scheduling included."""
        path = self.directory / f"export-{kind}.pkg"
        if kind == "colpkg":
            self.col.export_collection_package(str(path), include_media=False, legacy=False)
            self.col = Collection(str(self.directory / "collection.anki2"))
        else:
            self.col.export_anki_package(
                out_path=str(path),
                options=ExportAnkiPackageOptions(
                    with_scheduling=True, with_deck_configs=True, with_media=False,
                    legacy=kind == "legacy",
                ),
                limit=DeckIdLimit(self.deck_id),
            )
        return path.read_bytes()

    def close(self) -> None:
        self.col.close()


def anki_date(day_number: int, today_number: int) -> date:
    """The calendar day Anki's day ``day_number`` is (Anki on this machine rolls over at 4)."""
    return (datetime.now() - timedelta(hours=4)).date() + timedelta(
        days=day_number - today_number
    )


def epoch_day(seconds: int) -> date:
    return (datetime.fromtimestamp(seconds, UTC) - timedelta(hours=4)).date()


def with_collection_changed(package: bytes, *statements: str) -> bytes:
    """A legacy package whose collection had ``statements`` run on it."""
    source = zipfile.ZipFile(io.BytesIO(package))
    name = "collection.anki21" if "collection.anki21" in source.namelist() else "collection.anki2"
    connection = sqlite3.connect(":memory:")
    connection.deserialize(source.read(name))
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    changed = connection.serialize()
    connection.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, changed if info.filename == name else source.read(info))
    return out.getvalue()


def studied_package(folder: Path, kind: str = "modern") -> bytes:
    """A package exported (``kind``) from a fresh collection of the notes, studied."""
    anki = StudiedCollection(folder)
    try:
        anki.add_notes()
        anki.study()
        return anki.export(kind)
    finally:
        anki.close()
