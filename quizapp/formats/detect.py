"""Choosing the reader for an upload by what its bytes are, not by its file name.

Pure Python. The readers in :mod:`quizapp.formats.registry` are offered the bytes in turn: a
zip is an Anki package, a JSON object is a quizapp deck file, other text is CSV/TSV.
Whatever goes wrong comes out as :class:`~quizapp.formats.ImportFailed`; when the file's name
promised another format than its bytes are, the message says both (a text file renamed
``.apkg`` is told it is text, not an Anki package, rather than read as a bad CSV).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from quizapp.formats import ImportFailed, ImportResult, MediaLimits, media_problem, megabytes
from quizapp.formats.anki.package import ZIP_MAGIC
from quizapp.formats.csv_import import decode_text
from quizapp.formats.deck_json import looks_like_json
from quizapp.formats.registry import READERS, reader_for_suffix

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024

BINARY_MAGIC = {
    b"SQLite format 3\x00": "a bare SQLite database (export an .apkg from Anki instead)",
    b"\x28\xb5\x2f\xfd": "zstd-compressed data",
    b"\x1f\x8b": "gzip-compressed data",
    b"%PDF": "a PDF document",
}


def read_upload(
    filename: str,
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    media_limits: MediaLimits | None = None,
) -> ImportResult:
    """The decks in an uploaded file; raise :class:`ImportFailed` with a user-facing reason."""
    if len(data) > max_bytes:
        raise ImportFailed(
            f"The file is {megabytes(len(data))} MB; uploads are limited to "
            f"{megabytes(max_bytes)} MB."
        )
    if not data.strip():
        raise ImportFailed("The file is empty.")
    limits = media_limits or MediaLimits()
    try:
        result = _read_by_content(filename, data, limits)
    except ImportFailed as failure:
        raise _with_expected_format(failure, filename, data) from None
    for deck in result.decks:
        if problem := media_problem(deck, limits):
            raise ImportFailed(problem)
    return result


def _read_by_content(filename: str, data: bytes, limits: MediaLimits) -> ImportResult:
    for magic, description in BINARY_MAGIC.items():
        if data.startswith(magic):
            raise ImportFailed(f"This file is {description}, which cannot be imported.")
    reader = next(reader for reader in READERS if reader.claims(data))
    return reader.read(data, filename, limits)


def _what_it_is(data: bytes) -> tuple[str, str]:
    """The kind of upload the bytes are, and how to say so."""
    if data.startswith(ZIP_MAGIC):
        return "apkg", "a zip archive"
    for magic, description in BINARY_MAGIC.items():
        if data.startswith(magic):
            return "binary", description
    try:
        text = decode_text(data[:4096])
    except ImportFailed:
        return "binary", "binary data, not text"
    if looks_like_json(data):
        return "quizapp-json", "JSON text"
    first_line = text.lstrip("\ufeff").split("\n", 1)[0].strip()[:60]
    return "csv", f"plain text (its first line reads {first_line!r})"


def _with_expected_format(failure: ImportFailed, filename: str, data: bytes) -> ImportFailed:
    expected = reader_for_suffix(PurePosixPath(filename.lower()).suffix)
    if expected is None:
        return failure
    actual_kind, actual = _what_it_is(data)
    if actual_kind == expected.kind:
        return failure
    return ImportFailed(
        f"The file is named {PurePosixPath(filename).name[:80]!r}, so {expected.description} "
        f"was expected, but it is {actual}. {failure}"
    )
