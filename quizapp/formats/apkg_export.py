"""Anki package (``.apkg``) export, optionally carrying a learner's progress.

Pure Python: no Flask, no database. The package is written by genanki into an in-memory
SQLite collection (Anki's legacy schema 11, which every Anki version imports), then zipped
here together with the deck's media.

Re-importing a later export into Anki must update the notes it already has rather than add
copies, and must leave alone notes a student edited. Anki matches notes by guid and updates
one only when the incoming note's modification time is newer than its own, so:

* note guids are the app's card guids, and deck and note-type ids are stable;
* each note is stamped with the time its content last changed (``modified``), not with the
  export time, so an unchanged card never looks newer than the student's own edit.

Learner progress (interval, due day, ease, review count, lapses, review history) is written
into the collection's ``cards`` and ``revlog`` tables after genanki is done, because genanki
only writes new cards. Anki imports it when "import scheduling" is on, and only for cards the
target collection does not have yet.
"""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import json
import re
import sqlite3
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import genanki

from quizapp import kinds
from quizapp.citations import document_label
from quizapp.deckfile import CardData, DeckData
from quizapp.kinds import AnkiNoteType
from quizapp.scheduling.base import AnkiSchedule
from quizapp.scheduling.day import ROLLOVER_HOUR

CSS = """\
.card { font-family: sans-serif; font-size: 20px; text-align: left; color: black;
  background-color: white; }
.explanation { margin-top: 1em; }
.source { margin-top: 1em; font-size: 0.8em; color: #555; }
.correct { font-weight: bold; }
"""

def stable_id(key: str) -> int:
    """An Anki object id derived from ``key``: the same key always gives the same id.

    Kept within [2**30, 2**31), the range genanki recommends, clear of Anki's built-in ids
    (the default deck is 1) and of millisecond timestamps Anki uses for ids it makes itself.
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


def _model(note_type: AnkiNoteType) -> genanki.Model:
    # Built afresh for each export because genanki mutates the template and field dicts it
    # is given; fresh copies keep one export from leaking into the next.
    return genanki.Model(
        stable_id(f"quizapp.notetype.{note_type.key}.v1"),
        note_type.name,
        fields=[{"name": name} for name in note_type.fields],
        templates=[
            {"name": t.name, "qfmt": t.question, "afmt": t.answer} for t in note_type.templates
        ],
        css=CSS,
        model_type=genanki.Model.CLOZE if note_type.cloze else genanki.Model.FRONT_BACK,
    )


@dataclass(frozen=True)
class ReviewEntry:
    """One answer the learner gave, in Anki's terms (``Scheduler.anki_button``, ``to_anki``)."""

    answered_at: datetime  # timezone-aware; a naive value is taken as UTC
    button: int  # Anki's answer button: 1 Again, 2 Hard, 3 Good, 4 Easy
    interval: int  # days until the next review, as scheduled by this answer
    last_interval: int  # the interval before this answer; 0 for a card's first answer
    factor: int  # Anki's ease in permille after this answer, e.g. 2500
    duration_ms: int = 0


@dataclass(frozen=True)
class CardProgress:
    """A learner's state for one studied side of a card (an Anki card of the note), as its
    scheduler maps it onto Anki's (``Scheduler.to_anki``)."""

    schedule: AnkiSchedule
    reviews: tuple[ReviewEntry, ...] = ()
    # Answers given so far (Anki's "reps"), not SM-2's run of successes; None: len(reviews).
    review_count: int | None = None

    @property
    def anki_reps(self) -> int:
        return len(self.reviews) if self.review_count is None else self.review_count


ProgressKey = tuple[str, int]  # (card guid, ordinal: which Anki card of the note)

# Day 0 of the exported collection. Review cards' due days count from here; Anki's importer
# shifts them to the target collection's own day 0 by comparing both collections' "today",
# so a due date lands on the same calendar day whatever day the package is imported on.
# A date well in the past keeps every due day number positive.
COLLECTION_DAY_ZERO = date(2000, 1, 1)

ANKI_REVLOG_LEARN = 0
ANKI_REVLOG_REVIEW = 1


def anki_due_day(due: date) -> int:
    """The due day number of a review card in an exported collection."""
    return (due - COLLECTION_DAY_ZERO).days


def build_apkg(
    deck: DeckData,
    *,
    deck_key: str,
    modified: Mapping[str, int] | None = None,
    progress: Mapping[ProgressKey, CardProgress] | None = None,
    exported_at: int | None = None,
    media: Iterable[tuple[str, Iterable[bytes]]] | None = None,
) -> bytes:
    """The deck as an Anki package.

    ``media`` gives each file as a name and its bytes in pieces, so a caller can read one
    piece at a time from storage; without it the deck's own ``media`` is packed.

    ``deck_key`` names the deck for good (e.g. its database id or slug): the Anki deck id is
    derived from it, so exports of the same deck land in the same Anki deck. ``modified``
    maps card guid to the epoch second its content last changed; cards missing from it are
    stamped with ``exported_at`` (default: now). ``progress`` maps (card guid, ordinal) to the
    learner's state for that side; sides missing from it, and keys naming no card of the
    deck, leave the card new.
    """
    stamp = int(time.time()) if exported_at is None else exported_at
    modified = modified or {}
    anki_deck = genanki.Deck(
        # Anki shows a deck description as HTML; the app's is plain text.
        stable_id(f"quizapp.deck:{deck_key}"), deck.title, html.escape(deck.description)
    )
    models = note_models()
    labels = source_labels(deck)
    for position, card in enumerate(deck.cards, start=1):
        anki_deck.add_note(
            _StampedNote(
                model=models[card.kind],
                fields=note_fields(card, labels),
                tags=[anki_tag(tag) for tag in card.tags],
                guid=card.guid,
                due=position,
                modified=modified.get(card.guid, stamp),
            )
        )
    connection = sqlite3.connect(":memory:")
    try:
        cursor = connection.cursor()
        # Ids count up from the export time in milliseconds, as Anki's own ids do.
        genanki.Package(anki_deck).write_to_db(cursor, stamp, itertools.count(stamp * 1000))
        if progress:
            _write_progress(cursor, progress, stamp)
        connection.commit()
        collection = connection.serialize()
    finally:
        connection.close()
    if media is None:
        media = ((item.name, (item.data,)) for item in deck.media)
    return _zip_package(collection, media)


class _StampedNote(genanki.Note):  # type: ignore[misc]  # genanki ships no type hints
    """A note stamped with the time its content last changed instead of the export time."""

    def __init__(self, *, modified: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.modified = modified

    def write_to_db(
        self, cursor: sqlite3.Cursor, timestamp: float, deck_id: int, id_gen: Iterator[int]
    ) -> None:
        super().write_to_db(cursor, self.modified, deck_id, id_gen)


def note_models() -> dict[str, genanki.Model]:
    """Each registered kind's note type as a genanki model, by kind name."""
    return {kind.name: _model(kind.note_type) for kind in kinds.all_kinds()}


def source_labels(deck: DeckData) -> dict[str, str]:
    """Each source's citation in a note's Source field, as HTML, by source id: cited as on
    the study page, by the document's title, never by a machine-made file name."""
    return {
        doc.id: html.escape(document_label(doc.title, doc.name, None)) for doc in deck.sources
    }


def note_fields(card: CardData, labels: Mapping[str, str]) -> list[str]:
    """The note's fields; ``labels`` from :func:`source_labels` (a source missing from them
    is cited by its id)."""
    cited = [
        labels[ref.source] if ref.source in labels else html.escape(ref.source)
        for ref in card.sources
    ]
    # html.escape maps different names to different text, so each source is still cited once.
    return kinds.get(card.kind).anki_fields(card, "; ".join(dict.fromkeys(cited)))


_WHITESPACE_RUN = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def anki_tag(tag: str) -> str:
    """The tag as one Anki tag (white space runs become "_"); a deck's cards share a few
    tags, so each is spelt once."""
    return _WHITESPACE_RUN.sub("_", tag.strip())


def _write_progress(
    cursor: sqlite3.Cursor,
    progress: Mapping[ProgressKey, CardProgress],
    stamp: int,
) -> None:
    crt = int(
        datetime(
            COLLECTION_DAY_ZERO.year, COLLECTION_DAY_ZERO.month, COLLECTION_DAY_ZERO.day,
            ROLLOVER_HOUR, tzinfo=UTC,
        ).timestamp()
    )
    (conf_json,) = cursor.execute("SELECT conf FROM col").fetchone()
    conf = json.loads(conf_json)
    # Scheduler v2 with a fixed creation offset (minutes west of UTC) makes Anki count days
    # from COLLECTION_DAY_ZERO by calendar date, which is what anki_due_day assumes; without
    # them Anki would treat the package as v1 and convert the cards on import.
    conf.update({"schedVer": 2, "creationOffset": 0, "rollover": ROLLOVER_HOUR})
    cursor.execute("UPDATE col SET crt = ?, conf = ?", (crt, json.dumps(conf)))

    card_ids = {
        (guid, ordinal): card_id
        for card_id, guid, ordinal in cursor.execute(
            "SELECT cards.id, notes.guid, cards.ord FROM cards JOIN notes ON notes.id = cards.nid"
        )
    }
    used_revlog_ids: set[int] = set()
    for key, state in progress.items():
        card_id = card_ids.get(key)
        if card_id is None:
            continue
        schedule = state.schedule
        cursor.execute(
            "UPDATE cards SET type = ?, queue = ?, ivl = ?, due = ?, factor = ?, reps = ?,"
            " lapses = ?, mod = ?, data = ? WHERE id = ?",
            (
                schedule.card_type,
                schedule.queue,
                schedule.interval,
                _anki_due(schedule),
                schedule.factor,
                state.anki_reps,
                schedule.lapses,
                stamp,
                _memory_data(schedule),
                card_id,
            ),
        )
        for review in state.reviews:
            answered_at = review.answered_at
            if answered_at.tzinfo is None:
                answered_at = answered_at.replace(tzinfo=UTC)
            revlog_id = int(answered_at.timestamp() * 1000)
            # revlog ids are primary keys; two answers in the same millisecond must differ.
            while revlog_id in used_revlog_ids:
                revlog_id += 1
            used_revlog_ids.add(revlog_id)
            cursor.execute(
                "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
                " VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)",
                (
                    revlog_id,
                    card_id,
                    review.button,
                    review.interval,
                    review.last_interval,
                    review.factor,
                    review.duration_ms,
                    ANKI_REVLOG_LEARN if review.last_interval == 0 else ANKI_REVLOG_REVIEW,
                ),
            )


def _anki_due(schedule: AnkiSchedule) -> int:
    """Anki's due: a day number for day queues, epoch seconds for the intraday learning one."""
    if schedule.due_at is not None:
        return int(schedule.due_at.timestamp())
    return anki_due_day(schedule.due_day) if schedule.due_day is not None else 0


def _memory_data(schedule: AnkiSchedule) -> str:
    """The card's ``data``: where Anki keeps an FSRS memory state (empty without one)."""
    if schedule.stability is None:
        return ""
    return json.dumps(
        {"s": schedule.stability, "d": schedule.difficulty, "dr": schedule.desired_retention}
    )


# Measured on a 10,000-card collection (4.2 MB): level 1 zips it to 0.85 MB in a third of
# the default level 6's time (0.76 MB), level 9 to 0.75 MB in seven times. The server's CPU
# is scarcer than the 0.09 MB (README, "Performance").
ZIP_COMPRESSION_LEVEL = 1


def _zip_package(collection: bytes, media: Iterable[tuple[str, Iterable[bytes]]]) -> bytes:
    buffer = io.BytesIO()
    names = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED,
                         compresslevel=ZIP_COMPRESSION_LEVEL) as archive:
        archive.writestr("collection.anki2", collection)
        for index, (name, pieces) in enumerate(media):
            names[str(index)] = name
            with archive.open(str(index), "w") as member:
                for piece in pieces:
                    member.write(piece)
        # Anki reads the media map by name, wherever it sits in the zip.
        archive.writestr("media", json.dumps(names))
    return buffer.getvalue()
