"""Reading decks from Anki packages (``.apkg``, and whole collections in ``.colpkg``).

Pure Python. Both package layouts are read: older (``collection.anki21`` or
``collection.anki2`` with a JSON media map) and newer (``collection.anki21b`` and its media
list and files compressed with zstd). The work is split by concern:

* :mod:`.package` unpacks the zip and zstd streams against byte budgets;
* :mod:`.collection` checks the SQLite schema and reads note types, decks, notes and cards;
* :mod:`.protobuf` reads the newer layout's protobuf blobs;
* :mod:`.media` finds and unpacks the images notes show, within the media limits;
* :mod:`.notetypes` and :mod:`.choices` decide how each note type's fields make a card;
* :mod:`.cards` turns notes into cards and decks, with warnings for what was left out.

The upload is treated as hostile throughout; every failure is an
:class:`~quizapp.formats.ImportFailed`.
"""

from __future__ import annotations

import lzma
import os
import sqlite3
import tempfile
import zipfile
import zlib

import zstandard

from quizapp.deckfile import DeckData
from quizapp.formats import ImportFailed, ImportResult, MediaLimits, Reader
from quizapp.formats.anki.cards import DeckBuilder
from quizapp.formats.anki.collection import read_collection
from quizapp.formats.anki.media import MediaStore
from quizapp.formats.anki.package import (
    MAX_UNPACKED_BYTES,
    ZIP_MAGIC,
    Budget,
    extract_collection,
    open_package,
)

_UNREADABLE = "The Anki package is damaged or not an Anki package, so it cannot be imported."


def read_anki_package(
    data: bytes, limits: MediaLimits | None = None
) -> tuple[list[DeckData], list[str]]:
    """One deck per Anki deck holding cards, and warnings about what was left out."""
    try:
        return _read_package(data, limits or MediaLimits())
    except ImportFailed:
        raise
    except sqlite3.DatabaseError:
        raise ImportFailed(
            "The collection inside the Anki package is damaged or not an Anki database."
        ) from None
    except zstandard.ZstdError:
        raise ImportFailed("Compressed data inside the Anki package is damaged.") from None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        OSError,
        ValueError,
        KeyError,
        TypeError,
        OverflowError,
    ):
        raise ImportFailed(_UNREADABLE) from None


def _read_package(data: bytes, limits: MediaLimits) -> tuple[list[DeckData], list[str]]:
    archive, members, collection_name = open_package(data)
    with archive, tempfile.TemporaryDirectory(prefix="quizapp-apkg-") as folder:
        budget = Budget(MAX_UNPACKED_BYTES)
        path = os.path.join(folder, "collection.sqlite")
        extract_collection(archive, members[collection_name], budget, path)
        collection = read_collection(path)
        media = MediaStore(archive, members, budget, limits)
        return DeckBuilder(collection, media).build()


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
