"""Reading decks from Anki packages (``.apkg``, and whole collections in ``.colpkg``).

Pure Python. Both package layouts are read: older (``collection.anki21`` or
``collection.anki2`` with a JSON media map) and newer (``collection.anki21b`` and its media
list and files compressed with zstd). The work is split by concern:

* :mod:`.package` unpacks the zip and zstd streams against byte budgets;
* :mod:`.collection` checks the SQLite schema and reads note types, decks, notes and cards;
* :mod:`.protobuf` reads the newer layout's protobuf blobs;
* :mod:`.media` finds and unpacks the images notes show, within the media limits;
* :mod:`.notetypes` and :mod:`.choices` decide how each note type's fields make a card;
* :mod:`.cards` turns notes into cards and decks, with warnings for what was left out;
* :mod:`.scheduling` and :mod:`.progress` read a learner's schedule and review history
  for the cards of one of the app's decks (see :func:`.progress.read_anki_progress`).

The upload is treated as hostile throughout; every failure is an
:class:`~quizapp.formats.ImportFailed`.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from quizapp.deckfile import DeckData
from quizapp.formats import ImportResult, MediaLimits, Reader
from quizapp.formats.anki.cards import DeckBuilder
from quizapp.formats.anki.collection import read_collection
from quizapp.formats.anki.errors import package_errors
from quizapp.formats.anki.media import MediaStore
from quizapp.formats.anki.package import (
    MAX_UNPACKED_BYTES,
    ZIP_MAGIC,
    Budget,
    extract_collection,
    open_package,
)
from quizapp.gcpause import cycle_collector_paused


def read_anki_package(
    data: bytes, limits: MediaLimits | None = None
) -> tuple[list[DeckData], list[str]]:
    """One deck per Anki deck holding cards, and warnings about what was left out."""
    with package_errors(), cycle_collector_paused():
        return _read_package(data, limits or MediaLimits())


def _read_package(data: bytes, limits: MediaLimits) -> tuple[list[DeckData], list[str]]:
    with extracted_collection(data) as (archive, members, budget, path):
        collection = read_collection(path)
        media = MediaStore(archive, members, budget, limits)
        return DeckBuilder(collection, media).build()


@contextmanager
def extracted_collection(
    data: bytes,
) -> Iterator[tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo], Budget, str]]:
    """The package's archive, members, unpacking budget and its collection on disk at
    ``path`` (removed afterwards)."""
    archive, members, collection_name = open_package(data)
    with archive, tempfile.TemporaryDirectory(prefix="quizapp-apkg-") as folder:
        budget = Budget(MAX_UNPACKED_BYTES)
        path = os.path.join(folder, "collection.sqlite")
        extract_collection(archive, members[collection_name], budget, path)
        yield archive, members, budget, path


def read_anki_upload(data: bytes, filename: str, limits: MediaLimits) -> ImportResult:
    decks, warnings = read_anki_package(data, limits)
    return ImportResult(decks=decks, warnings=warnings, kind="apkg")


READER = Reader(
    kind="apkg",
    description="an Anki package",
    suffixes=(".apkg", ".colpkg"),
    claims=lambda data: data.startswith(ZIP_MAGIC),
    read=read_anki_upload,
)
