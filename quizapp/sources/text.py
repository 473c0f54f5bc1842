"""Plain text, Markdown and HTML files: decoded, never parsed here (the generator reads them)."""

from __future__ import annotations

from ..decoding import decode_upload, has_utf16_bom
from .limits import SourceLimits, SourceRefused, check_chars
from .outline import printable


def decode_text(name: str, data: bytes, limits: SourceLimits) -> str:
    utf16 = has_utf16_bom(data)
    if b"\x00" in data[:4096] and not utf16:
        raise SourceRefused(f"{name}: this looks like a binary file, not text.")
    try:
        text = decode_upload(data)
    except UnicodeDecodeError:
        raise SourceRefused(f"{name}: the text encoding could not be read.") from None
    check_chars(name, len(text), limits)
    return printable(text) if "\x00" in text else text
