"""One translation of everything a damaged Anki package can raise into :class:`ImportFailed`.

Pure Python. Every reader of packages (decks, a learner's progress) runs inside
:func:`package_errors`, so the same damage gives the same message whichever page read it.
"""

from __future__ import annotations

import lzma
import sqlite3
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import zstandard

from quizapp.formats import ImportFailed

UNREADABLE = "The Anki package is damaged or not an Anki package, so it cannot be imported."


@contextmanager
def package_errors() -> Iterator[None]:
    try:
        yield
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
        raise ImportFailed(UNREADABLE) from None
