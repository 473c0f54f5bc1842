"""Word (.docx, python-docx) and PowerPoint (.pptx, python-pptx) documents.

Both are ZIP archives: before a library opens one, the archive's declared sizes are checked
against the budget (Python's zipfile never inflates a member past its declared size, so the
declared total bounds memory) and a presentation's slides are counted from its listing.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from contextlib import contextmanager

from .detect import ZIP_ERRORS
from .limits import SourceLimits, SourceRefused
from .outline import Outline, SourceText

MAX_ARCHIVE_MEMBERS = 10_000
_SLIDE_PART = re.compile(r"^ppt/slides/slide\d+\.xml$")
_HEADING_STYLE = re.compile(r"^(?:heading\s*(\d)|title)$", re.IGNORECASE)


def check_office(name: str, data: bytes, kind: str, limits: SourceLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except ZIP_ERRORS as error:
        raise SourceRefused(f"{name}: a damaged Office file ({error}).") from None
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise SourceRefused(f"{name}: the file holds {len(members):,} parts; too many to read.")
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked_bytes:
        raise SourceRefused(
            f"{name}: unpacks to {unpacked / 1024 / 1024:,.0f} MB, more than the "
            f"{limits.max_unpacked_bytes / 1024 / 1024:,.0f} MB allowed."
        )
    if kind == "pptx":
        slides = sum(1 for member in members if _SLIDE_PART.match(member.filename))
        if slides > limits.max_slides:
            raise SourceRefused(
                f"{name}: {slides:,} slides, more than the {limits.max_slides} allowed; split it."
            )


@contextmanager
def _damage_is_a_reason(name: str):
    """python-docx and python-pptx read parts lazily and raise many kinds of error for a
    broken one (missing relationships, bad XML, odd values), while opening or later."""
    try:
        yield
    except SourceRefused:
        raise
    except Exception as error:
        raise SourceRefused(
            f"{name}: a damaged Office file that cannot be read "
            f"({(str(error) or type(error).__name__)[:120]})."
        ) from None


def read_docx(name: str, data: bytes, limits: SourceLimits, progress=None) -> SourceText:
    with _damage_is_a_reason(name):
        return _read_docx(name, data, limits, progress)


def _read_docx(name: str, data: bytes, limits: SourceLimits, progress) -> SourceText:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    numbers = itertools.count(1)

    def read_block(element, outline: Outline) -> None:
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, document)
            text = paragraph.text
            if not text.strip():
                return
            outline.at(f"paragraph {next(numbers)}")
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            heading = _HEADING_STYLE.match(style.strip())
            if heading:
                outline.heading(text, int(heading.group(1) or 1))
            elif _is_list(paragraph, style):
                outline.item(text, ordered="number" in style.lower())
            else:
                outline.add(text)
        elif tag == "tbl":
            outline.at(f"paragraph {next(numbers)}")
            table = Table(element, document)
            outline.table([[cell.text for cell in row.cells] for row in table.rows])

    blocks = list(document.element.body.iterchildren())
    return _outline_of(name, limits, progress, blocks, read_block, "document")


def _outline_of(
    name: str, limits: SourceLimits, progress, parts: list, read_part, what: str
) -> SourceText:
    """One outline of the parts (paragraphs, slides) read in order, within the time limit."""
    deadline = limits.deadline()
    outline = Outline(name, limits)
    for index, part in enumerate(parts, start=1):
        read_part(part, outline)
        deadline.check(name)
        if progress:
            progress(index, len(parts))
    result = outline.result("md")
    if not result.text:
        raise SourceRefused(f"{name}: the {what} has no text.")
    return result


def _is_list(paragraph, style: str) -> bool:
    if style.lower().startswith("list"):
        return True
    properties = paragraph._p.pPr
    return properties is not None and properties.numPr is not None


def read_pptx(name: str, data: bytes, limits: SourceLimits, progress=None) -> SourceText:
    with _damage_is_a_reason(name):
        return _read_pptx(name, data, limits, progress)


def _read_pptx(name: str, data: bytes, limits: SourceLimits, progress) -> SourceText:
    import pptx

    presentation = pptx.Presentation(io.BytesIO(data))
    slides = list(enumerate(presentation.slides, start=1))
    return _outline_of(name, limits, progress, slides, _read_slide, "presentation")


def _read_slide(numbered_slide, outline: Outline) -> None:
    number, slide = numbered_slide
    outline.at(f"slide {number}")
    title_shape = slide.shapes.title
    if title_shape is not None and title_shape.has_text_frame:
        outline.heading(title_shape.text_frame.text, 1)
    for shape in _reading_order(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        _read_shape(shape, outline)


def _reading_order(shapes):
    """Top to bottom, then left to right: the order a person reads a slide."""
    return sorted(shapes, key=lambda shape: (shape.top or 0, shape.left or 0))


def _read_shape(shape, outline: Outline) -> None:
    if shape.shape_type is not None and int(shape.shape_type) == 6:  # a group
        for inner in _reading_order(shape.shapes):
            _read_shape(inner, outline)
        return
    if getattr(shape, "has_table", False) and shape.has_table:
        outline.table([[cell.text for cell in row.cells] for row in shape.table.rows])
        return
    if not getattr(shape, "has_text_frame", False) or not shape.has_text_frame:
        return
    body = _is_body_placeholder(shape)
    for paragraph in shape.text_frame.paragraphs:
        text = "".join(run.text for run in paragraph.runs) or paragraph.text
        if not text.strip():
            continue
        # Body placeholders are bulleted by the slide layout; text boxes only when indented.
        if body or paragraph.level > 0:
            outline.item(text)
        else:
            outline.add(text)


def _is_body_placeholder(shape) -> bool:
    if not shape.is_placeholder:
        return False
    try:
        kind = shape.placeholder_format.type
    except ValueError:
        return False
    return kind is not None and int(kind) in (2, 7)  # BODY, OBJECT
