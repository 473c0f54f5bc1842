"""The text of an uploaded file, in whichever encoding a person's tools saved it (pure Python).

The one decoder for every upload read as text: deck files and CSV (:mod:`quizapp.formats`),
source documents (:mod:`quizapp.sources`) and the source texts ``flask decks load --sources``
matches. Each caller adds its own checks (binary content, sizes) and its own message.
"""

from __future__ import annotations

import codecs

# A byte order mark says the encoding outright, so it is trusted even when the rest of the
# file then fails to decode: such a file is damaged, not Windows-1252.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def has_utf16_bom(data: bytes) -> bool:
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def decode_upload(data: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, or else Windows-1252 (what Excel
    and Notepad save on Western Windows); the BOM is dropped. Raises ``UnicodeDecodeError``
    when the bytes are none of these."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")
