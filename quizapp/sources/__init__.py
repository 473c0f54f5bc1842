"""Source documents by format → Markdown-structured text with a location map (pure Python).

``read_source(name, data)`` recognises the format by content (never by the file name alone),
reads it with a well-kept library and returns a :class:`SourceText`: the text the generator
reads (``fmt`` "md" for PDF, DOCX and PPTX, whose structure becomes ATX headings, list items
and table rows), plus ``locations``, the character offsets where each page, slide or
paragraph begins, so any span maps back to a place a person can find ("page 3").
``check_source`` runs only the cheap checks (type, encryption, sizes, counts, a text layer)
so a request can refuse a bad file at once and leave the full read to a background job.
"""

from __future__ import annotations

from collections.abc import Callable

from .detect import sniff
from .limits import SourceLimits, SourceRefused
from .outline import SourceText, location_at
from .text import decode_text

Progress = Callable[[int, int], None]

__all__ = [
    "SourceLimits",
    "SourceRefused",
    "SourceText",
    "check_source",
    "decode_text",
    "location_at",
    "read_source",
    "sniff",
]


def check_source(name: str, data: bytes, limits: SourceLimits) -> str:
    """The document's kind after the checks that cost little; raises :class:`SourceRefused`."""
    kind = sniff(name, data)
    if kind == "pdf":
        from .pdf import check_pdf

        check_pdf(name, data, limits)
    elif kind in ("docx", "pptx"):
        from .office import check_office

        check_office(name, data, kind, limits)
    else:
        decode_text(name, data, limits)
    return kind


def read_source(
    name: str, data: bytes, limits: SourceLimits, progress: Progress | None = None
) -> SourceText:
    """The document's text, format and locations; raises :class:`SourceRefused` with a reason
    a person can act on."""
    kind = check_source(name, data, limits)
    if kind == "pdf":
        from .pdf import read_pdf

        return read_pdf(name, data, limits, progress)
    if kind == "docx":
        from .office import read_docx

        return read_docx(name, data, limits, progress)
    if kind == "pptx":
        from .office import read_pptx

        return read_pptx(name, data, limits, progress)
    text = decode_text(name, data, limits)
    fmt = "html" if kind == "html" else "md" if kind == "md" else "text"
    if progress:
        progress(1, 1)
    return SourceText(name=name, text=text, fmt=fmt, locations=())
