"""Which kind of document a file is, judged by its content (the name only tells Markdown
from plain text, which no content test can)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import PurePath

from ..decoding import has_utf16_bom
from .limits import SourceRefused

KINDS = ("pdf", "docx", "pptx", "html", "md", "text")
# What zipfile raises on a damaged or unusual archive (unknown versions and methods,
# encrypted members, cut-off data).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
              NotImplementedError, RuntimeError, LookupError, struct.error, zlib.error)

_BINARY_SIGNATURES = {
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": (
        "an old binary Office file (.doc/.ppt) or a password-protected one; save it as "
        ".docx/.pptx without a password, or as PDF"
    ),
    b"\x89PNG": "an image (PNG); quizapp reads text, not pictures",
    b"\xff\xd8\xff": "an image (JPEG); quizapp reads text, not pictures",
    b"GIF8": "an image (GIF); quizapp reads text, not pictures",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"{\\rtf": "an RTF document; save it as .docx or PDF",
    b"SQLite format 3": "a database file",
    b"\x7fELF": "a program",
    b"MZ": "a program",
}

_HTML_START = re.compile(
    # A comment's body never runs past its own "-->", so comments split one way only.
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--(?:[^-]|-(?!->))*-->\s*)*"
    rb"<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)


def sniff(name: str, data: bytes) -> str:
    """One of :data:`KINDS`, or :class:`SourceRefused` saying what the file seems to be."""
    if not data.strip():
        raise SourceRefused(f"{name}: the file is empty.")
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(name, data)
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise SourceRefused(f"{name}: this is {what}, not a document quizapp can read.")
    if _HTML_START.match(data[:4096]) or _HTML_START.match(_utf16_head(data)):
        return "html"
    if PurePath(name).suffix.lower() in (".md", ".markdown"):
        return "md"
    return "text"


def _utf16_head(data: bytes) -> bytes:
    if has_utf16_bom(data):
        return data[:8192].decode("utf-16", "ignore").encode("utf-8", "ignore")
    return b""


def _office_kind(name: str, data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except ZIP_ERRORS as error:
        raise SourceRefused(f"{name}: a damaged ZIP/Office file ({error}).") from None
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "xl/workbook.xml" in names:
        raise SourceRefused(f"{name}: spreadsheets cannot be used; save the text as PDF or .docx.")
    raise SourceRefused(
        f"{name}: a ZIP archive that is not a Word (.docx) or PowerPoint (.pptx) document."
    )
