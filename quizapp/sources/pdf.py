"""PDF with pypdf: each page's lines become headings (by font size), list items and paragraphs.

pypdf bounds every stream it inflates (``zlib_maximum_output_length``); we set that bound from
the settings and count pages, characters and time ourselves.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from dataclasses import dataclass

from .limits import SourceLimits, SourceRefused
from .outline import Outline, SourceText, printable

NO_TEXT = (
    "this PDF has no text to read (it may be scanned pictures of pages); "
    "export it with text or paste the text"
)
_BULLET = re.compile(r"^\s*[•●▪■◦‣∙·\-–*]\s*")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+")
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?\s*$", re.I)
# The request's quick check looks for a text layer on the first pages, within a small budget
# of time and inflated bytes; past the budget the background read decides.
TEXT_PROBE_PAGES = 5
TEXT_PROBE_SECONDS = 3.0
TEXT_PROBE_BYTES = 8 * 1024 * 1024


def _pdf_errors() -> tuple[type[BaseException], ...]:
    """What pypdf raises on a damaged file: its own errors and the plain ones a malformed
    object graph provokes inside it."""
    import struct
    import zlib

    from pypdf.errors import PyPdfError

    return (PyPdfError, ValueError, LookupError, TypeError, AttributeError, ArithmeticError,
            RecursionError, NotImplementedError, OSError, struct.error, zlib.error)


@dataclass
class _Line:
    text: str
    y: float
    size: float


def _open(name: str, data: bytes, limits: SourceLimits):
    import pypdf

    try:
        with _bounded(limits):
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not _opens_without_password(reader):
                raise SourceRefused(
                    f"{name}: this PDF is protected by a password; save a copy without one."
                )
            count = len(reader.pages)
    except SourceRefused:
        raise
    except _pdf_errors() as error:
        raise SourceRefused(f"{name}: a damaged PDF that cannot be read ({_short(error)}).") \
            from None
    if count == 0:
        raise SourceRefused(f"{name}: this PDF has no pages.")
    if count > limits.max_pages:
        raise SourceRefused(
            f"{name}: {count} pages, more than the {limits.max_pages} allowed; split it."
        )
    return reader


def _opens_without_password(reader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # pypdf raises many kinds here, e.g. a missing AES dependency
        return False


def _bounded(limits: SourceLimits):
    from pypdf import apply_configuration

    cap = limits.max_unpacked_bytes
    return apply_configuration(
        zlib_maximum_output_length=cap,
        lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap,
        maximum_declared_stream_length=cap,
        array_based_stream_maximum_output_length=cap,
    )


def _short(error: Exception) -> str:
    return (str(error) or type(error).__name__)[:120]


def _unpacked_size(name: str, number: int, page, limits: SourceLimits) -> int:
    """Bytes the page's content inflates to (pypdf stops at the bound and so do we: its text
    extraction would skip an over-long stream silently)."""
    from pypdf.errors import LimitReachedError

    try:
        with _bounded(limits):
            contents = page.get_contents()
            return len(contents.get_data()) if contents is not None else 0
    except LimitReachedError:
        return limits.max_unpacked_bytes + 1
    except _pdf_errors() as error:
        raise SourceRefused(f"{name}: page {number} is damaged ({_short(error)}).") from None


def _too_big(name: str, limits: SourceLimits) -> SourceRefused:
    return SourceRefused(
        f"{name}: its pages unpack to more than "
        f"{limits.max_unpacked_bytes / 1024 / 1024:,.0f} MB, more than allowed."
    )


def _page_lines(name: str, page, limits: SourceLimits) -> list[_Line]:
    lines: list[_Line] = []
    current: list[str] = []
    state = {"y": 0.0, "size": 0.0}

    def visit(text, cm, tm, font, size):
        if not text:
            return
        # Some PDF writers draw a list bullet as DEL (reportlab does): keep it a bullet.
        text = text.replace("\x7f", "•")
        scale = abs(tm[3]) if tm and tm[3] else 1.0
        for index, part in enumerate(text.split("\n")):
            if index:
                lines.append(_Line("".join(current), state["y"], state["size"]))
                current.clear()
                state["size"] = 0.0
            if part.strip():
                if not "".join(current).strip():
                    state["y"] = (tm[5] * (cm[3] or 1) + cm[5]) if cm and tm else 0.0
                state["size"] = max(state["size"], round(size * scale, 1))
            current.append(part)

    try:
        with _bounded(limits):
            page.extract_text(visitor_text=visit)
    except (*_pdf_errors(), MemoryError) as error:
        raise SourceRefused(f"{name}: a damaged PDF page cannot be read ({_short(error)}).") \
            from None
    if current:
        lines.append(_Line("".join(current), state["y"], state["size"]))
    return [line for line in lines if printable(line.text).strip()]


def check_pdf(name: str, data: bytes, limits: SourceLimits) -> None:
    """Opens, counts pages and looks for text on the first pages (scans have none)."""
    reader = _open(name, data, limits)
    ends = time.monotonic() + TEXT_PROBE_SECONDS
    unpacked = 0
    for number, page in enumerate(list(reader.pages)[:TEXT_PROBE_PAGES], start=1):
        unpacked += _unpacked_size(name, number, page, limits)
        if unpacked > limits.max_unpacked_bytes:
            raise _too_big(name, limits)
        if unpacked > TEXT_PROBE_BYTES:
            return
        if _page_lines(name, page, limits):
            return
        if time.monotonic() > ends:
            return
    if len(reader.pages) <= TEXT_PROBE_PAGES:
        raise SourceRefused(f"{name}: {NO_TEXT}.")


def read_pdf(name: str, data: bytes, limits: SourceLimits, progress=None) -> SourceText:
    reader = _open(name, data, limits)
    deadline = limits.deadline()
    pages: list[list[_Line]] = []
    total = len(reader.pages)
    unpacked = 0
    for number, page in enumerate(reader.pages, start=1):
        unpacked += _unpacked_size(name, number, page, limits)
        if unpacked > limits.max_unpacked_bytes:
            raise _too_big(name, limits)
        pages.append(_page_lines(name, page, limits))
        deadline.check(name)
        if progress:
            progress(number, total)
    if not any(pages):
        raise SourceRefused(f"{name}: {NO_TEXT}.")
    return _outline(name, pages, limits).result("md")


def _outline(name: str, pages: list[list[_Line]], limits: SourceLimits) -> Outline:
    repeated = _running_heads(pages)
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text)
    body = sizes.most_common(1)[0][0]
    heading_sizes = sorted({s for s in sizes if s >= body * 1.15}, reverse=True)
    outline = Outline(name, limits)
    for number, lines in enumerate(pages, start=1):
        outline.at(f"page {number}")
        paragraph: list[str] = []
        kind = "para"
        previous: _Line | None = None

        def flush(kind: str, paragraph: list[str]) -> None:
            text = _join(paragraph)
            if kind == "item":
                outline.item(text)
            elif kind == "ordered":
                outline.item(_NUMBERED.sub("", text, count=1), ordered=True)
            else:
                outline.add(text)
            paragraph.clear()

        for line in lines:
            text = printable(line.text).strip()
            if text in repeated or _PAGE_NUMBER.match(text):
                continue
            bullet = _BULLET.match(text)
            if bullet and not text[bullet.end():]:
                # A bullet glyph drawn on its own (often larger than the text): the item's
                # text follows.
                if paragraph:
                    flush(kind, paragraph)
                kind = "item"
                previous = line
                continue
            if line.size in heading_sizes:
                if paragraph:
                    flush(kind, paragraph)
                level = heading_sizes.index(line.size) + 1
                if previous is not None and previous.size == line.size and not paragraph \
                        and abs(previous.y - line.y) <= 1.5 * line.size \
                        and outline.ends_with_heading():
                    # A heading that wraps onto a second line stays one heading.
                    outline.extend_heading(text)
                else:
                    outline.heading(text, level)
                kind = "para"
                previous = line
                continue
            starts_item = bool(bullet) or bool(_NUMBERED.match(text))
            gap = previous is not None and abs(previous.y - line.y) > 1.5 * max(line.size, 1)
            if paragraph and (starts_item or gap or (previous and previous.size != line.size)):
                flush(kind, paragraph)
            if not paragraph:
                if bullet:
                    kind, text = "item", text[bullet.end():]
                elif _NUMBERED.match(text):
                    kind = "ordered"
                elif kind != "item" or gap:
                    kind = "para"
            paragraph.append(text)
            previous = line
        if paragraph:
            flush(kind, paragraph)
    return outline


def _join(lines: list[str]) -> str:
    joined = ""
    for line in lines:
        if joined.endswith("-") and line[:1].islower():
            joined = joined[:-1] + line
        else:
            joined = f"{joined} {line}" if joined else line
    return " ".join(joined.split())


def _running_heads(pages: list[list[_Line]]) -> set[str]:
    """Lines printed on most pages (running heads and feet): not part of the text."""
    if len(pages) < 3:
        return set()
    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({printable(line.text).strip() for line in lines})
    return {text for text, count in seen.items() if count > len(pages) / 2}
