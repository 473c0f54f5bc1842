"""Every format an upload may be in, in the order their readers are offered the bytes.

A new format is one module defining a :class:`~quizapp.formats.Reader` and one line here.
"""

from __future__ import annotations

from quizapp.formats import Reader
from quizapp.formats.anki import READER as ANKI_PACKAGE
from quizapp.formats.csv_import import READER as CSV
from quizapp.formats.deck_json import READER as DECK_FILE

# CSV claims whatever text the others leave, so it comes last.
READERS: tuple[Reader, ...] = (ANKI_PACKAGE, DECK_FILE, CSV)


def reader_for_suffix(suffix: str) -> Reader | None:
    """The reader whose format a file name ending (".apkg") promises, if any."""
    return next((reader for reader in READERS if suffix in reader.suffixes), None)
