"""Import packages with the official Anki library and report what Anki sees.

The ``anki`` package (AGPL) is a test dependency only: the app never imports it. Each
:class:`AnkiCollection` is a fresh, throw-away collection in a directory the caller owns
(pytest's ``tmp_path``), so packages can be imported into it one after another to see how
Anki merges a re-export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from anki.collection import (
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)

# Anki's ImportAnkiPackageUpdateCondition: update an existing note only if the incoming
# one is newer (the default of Anki's import dialog).
UPDATE_IF_NEWER = 0


@dataclass(frozen=True)
class AnkiNote:
    guid: str
    notetype: str
    fields: dict[str, str]
    tags: tuple[str, ...]
    mod: int  # epoch seconds; Anki updates a note on re-import only if the incoming is newer


@dataclass(frozen=True)
class AnkiCard:
    guid: str
    ord: int
    deck: str
    type: int
    queue: int
    due: int
    ivl: int
    factor: int
    reps: int
    lapses: int
    revlog: tuple[tuple[int, int, int, int, int, int, int], ...]  # ease..type columns


@dataclass(frozen=True)
class ImportCounts:
    new: int
    updated: int
    duplicate: int
    conflicting: int


class AnkiCollection:
    """A fresh Anki collection under ``directory``; close it when done."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.col = Collection(str(directory / "collection.anki2"))
        self._remove_stock_notetypes()

    def _remove_stock_notetypes(self) -> None:
        # A fresh collection has Basic, Cloze, ... A package's note type that shares a
        # name would arrive renamed ("Basic+"), hiding what the package really holds.
        # Anki insists on keeping one note type, so the first is renamed out of the way.
        ids = [entry.id for entry in self.col.models.all_names_and_ids()]
        for notetype_id in ids[1:]:
            self.col.models.remove(notetype_id)
        kept = self.col.models.get(ids[0])
        kept["name"] = "__stock__"
        self.col.models.update_dict(kept)

    def import_package(self, package: Path, *, with_scheduling: bool = False) -> ImportCounts:
        """Import as Anki's import dialog does by default (scheduling is a learner's choice)."""
        response = self.col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(package),
                options=ImportAnkiPackageOptions(
                    merge_notetypes=False,
                    with_scheduling=with_scheduling,
                    with_deck_configs=with_scheduling,
                    update_notes=UPDATE_IF_NEWER,
                    update_notetypes=UPDATE_IF_NEWER,
                ),
            )
        )
        log = response.log
        return ImportCounts(
            new=len(log.new),
            updated=len(log.updated),
            duplicate=len(log.duplicate),
            conflicting=len(log.conflicting),
        )

    def notes(self) -> dict[str, AnkiNote]:
        """Every note, by guid."""
        out = {}
        for note_id in self.col.find_notes(""):
            note = self.col.get_note(note_id)
            notetype = note.note_type()
            out[note.guid] = AnkiNote(
                guid=note.guid,
                notetype=notetype["name"],
                fields=dict(zip(self.col.models.field_names(notetype), note.fields, strict=True)),
                tags=tuple(note.tags),
                mod=note.mod,
            )
        return out

    def cards(self) -> dict[tuple[str, int], AnkiCard]:
        """Every card, by (note guid, ordinal)."""
        deck_names = {entry.id: entry.name for entry in self.col.decks.all_names_and_ids()}
        out = {}
        for card_id in self.col.find_cards(""):
            card = self.col.get_card(card_id)
            guid = self.col.get_note(card.nid).guid
            revlog = self.col.db.all(
                "select ease, ivl, lastIvl, factor, time, type, id from revlog"
                " where cid = ? order by id",
                card_id,
            )
            out[(guid, card.ord)] = AnkiCard(
                guid=guid,
                ord=card.ord,
                deck=deck_names[card.did],
                type=card.type,
                queue=card.queue,
                due=card.due,
                ivl=card.ivl,
                factor=card.factor,
                reps=card.reps,
                lapses=card.lapses,
                revlog=tuple(tuple(row) for row in revlog),
            )
        return out

    def render(self, guid: str, ordinal: int) -> tuple[str, str]:
        """The question and answer HTML Anki shows for one card."""
        card_id = self.col.db.scalar(
            "select cards.id from cards join notes on notes.id = cards.nid"
            " where notes.guid = ? and cards.ord = ?",
            guid,
            ordinal,
        )
        card = self.col.get_card(card_id)
        return _without_style(card.question()), _without_style(card.answer())

    def edit_field(self, guid: str, field_name: str, value: str) -> None:
        """Change a note as a student would in Anki's editor."""
        note_id = self.col.db.scalar("select id from notes where guid = ?", guid)
        note = self.col.get_note(note_id)
        note[field_name] = value
        self.col.update_note(note)

    def deck_description(self, name: str) -> str:
        return self.col.decks.by_name(name)["desc"]

    def deck_names(self) -> set[str]:
        return {entry.name for entry in self.col.decks.all_names_and_ids()}

    def media_files(self) -> dict[str, bytes]:
        folder = Path(self.col.media.dir())
        return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}

    @property
    def today(self) -> int:
        return self.col.sched.today

    def close(self) -> None:
        self.col.close()


def _without_style(rendered: str) -> str:
    return re.sub(r"<style>.*?</style>", "", rendered, flags=re.DOTALL)


def import_into_fresh_collection(
    package: bytes, directory: Path, *, with_scheduling: bool = False
) -> AnkiCollection:
    """Write ``package`` to ``directory`` and import it into a new collection there."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "package.apkg"
    path.write_bytes(package)
    collection = AnkiCollection(directory / "anki")
    collection.import_package(path, with_scheduling=with_scheduling)
    return collection
