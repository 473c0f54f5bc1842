"""Plain text, Markdown and HTML files: decoded, never parsed here (the generator reads them)."""

from __future__ import annotations

from .limits import SourceLimits, SourceRefused, check_chars
from .outline import printable


def decode_text(name: str, data: bytes, limits: SourceLimits) -> str:
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in data[:4096] and not utf16:
        raise SourceRefused(f"{name}: this looks like a binary file, not text.")
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        check_chars(name, len(text), limits)
        return printable(text) if "\x00" in text else text
    raise SourceRefused(f"{name}: the text encoding could not be read.")
