"""Source documents by format (pure: no app). Files are built in the test run."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from source_builders import (
    blocks_of_markdown,
    build_docx,
    build_pdf,
    build_pptx,
    lecture_blocks,
)

from quizapp.generation import generate_deck
from quizapp.sources import SourceLimits, SourceRefused, location_at, read_source, sniff

FIXTURE = Path(__file__).parent / "fixtures" / "generation" / "hearing-loss.md"
BUILDERS = {"pdf": build_pdf, "docx": build_docx, "pptx": build_pptx}
LIMITS = SourceLimits()


def without_offsets(value):
    """The knowledge base minus character offsets and sentence numbers, which differ with
    the layout of the text (the facts, causes, types and sources must not)."""
    if isinstance(value, dict):
        return {k: without_offsets(v) for k, v in value.items()
                if k not in ("start", "end", "sentence")}
    if isinstance(value, list):
        return [without_offsets(v) for v in value]
    return value


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_knowledge_from_a_built_file_equals_the_one_from_the_text(kind):
    text = FIXTURE.read_text(encoding="utf-8")
    data = BUILDERS[kind](blocks_of_markdown(text))
    source = read_source(f"hearing-loss.{kind}", data, LIMITS)
    assert source.fmt == "md" and source.name == f"hearing-loss.{kind}"
    from_file = generate_deck([source.document()])
    from_text = generate_deck([("hearing-loss.md", text)])
    assert from_text.knowledge["types"], "the text fixture must yield a knowledge base"
    assert without_offsets(from_file.knowledge) == without_offsets(from_text.knowledge)
    assert [c.prompt for c in from_file.cards] == [c.prompt for c in from_text.cards]


def test_structure_becomes_markdown_headings_lists_and_tables():
    import docx

    document = docx.Document()
    document.add_heading("Hearing loss", level=1)
    document.add_paragraph("Intro sentence.")
    document.add_paragraph("Ear wax", style="List Bullet")
    document.add_paragraph("First step", style="List Number")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Type", "Cause"), ("conductive", "blockage")],
                          strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    source = read_source("handout.docx", buffer.getvalue(), LIMITS)
    assert source.text == (
        "# Hearing loss\n\nIntro sentence.\n\n- Ear wax\n1. First step\n\n"
        "| Type | Cause |\n| conductive | blockage |"
    )
    assert location_at(source.locations, source.text.index("Intro")) == "paragraph 2"
    assert location_at(source.locations, source.text.index("| conductive")) == "paragraph 5"


def test_every_sentence_of_a_long_pdf_maps_to_its_page():
    blocks = lecture_blocks(100)
    data = build_pdf(blocks, page_break_before_headings=1)
    source = read_source("notes.pdf", data, LIMITS)
    assert [label for _, label in source.locations] == [f"page {n}" for n in range(1, 101)]
    # The heading of lecture n is on page n + 1 (page 1 holds the introduction).
    for number in (1, 36, 99):
        offset = source.text.index(f"lecture {number}\n")
        assert location_at(source.locations, offset) == f"page {number + 1}"


def test_slides_keep_their_numbers_and_titles():
    data = build_pptx(lecture_blocks(40))
    source = read_source("deck.pptx", data, LIMITS)
    assert [label for _, label in source.locations] == [f"slide {n}" for n in range(1, 41)]
    offset = source.text.index("# Mixed hearing loss: lecture 5")
    assert location_at(source.locations, offset) == "slide 6"


def test_progress_is_reported_page_by_page():
    seen = []
    read_source("notes.pdf", build_pdf(lecture_blocks(5), page_break_before_headings=1),
                LIMITS, lambda done, total: seen.append((done, total)))
    assert seen == [(n, 5) for n in range(1, 6)]


# --- hostile and broken files ----------------------------------------------------------


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(build_pdf(lecture_blocks(2)))))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """Pages that are only pictures, as a scanner makes them."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    picture = Image.new("L", (200, 100), color=200)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for _ in range(3):
        page.drawImage(ImageReader(picture), 50, 500, width=400, height=200)
        page.showPage()
    page.save()
    return buffer.getvalue()


def pdf_bomb(unpacked: int) -> bytes:
    """A one-page PDF whose content stream inflates to ``unpacked`` bytes."""
    import zlib

    content = zlib.compress(b"0 0 m " * (unpacked // 6), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content
        + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def docx_bomb(unpacked: int) -> bytes:
    """A real DOCX with one more part that inflates to ``unpacked`` bytes of zeros."""
    source = zipfile.ZipFile(io.BytesIO(build_docx(blocks_of_markdown("Some text."))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item))
        with archive.open("word/media/zeros.bin", "w", force_zip64=True) as part:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked // len(chunk)):
                part.write(chunk)
    return buffer.getvalue()


def pptx_with_slides(count: int) -> bytes:
    """A real presentation whose archive lists ``count`` slide parts (what a library would
    have to read), built by copying one slide: far cheaper than drawing thousands."""
    source = zipfile.ZipFile(io.BytesIO(build_pptx(lecture_blocks(2))))
    slide = source.read("ppt/slides/slide1.xml")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item))
        for number in range(3, count + 1):
            archive.writestr(f"ppt/slides/slide{number}.xml", slide)
    return buffer.getvalue()


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


HOSTILE = {
    "encrypted PDF": ("notes.pdf", encrypted_pdf, "protected by a password"),
    "corrupt PDF": ("notes.pdf", lambda: truncated(build_pdf(lecture_blocks(3))), "damaged"),
    "PDF decompression bomb": ("notes.pdf", lambda: pdf_bomb(120 * 1024 * 1024), "unpack"),
    "DOCX decompression bomb": ("notes.docx", lambda: docx_bomb(300 * 1024 * 1024), "unpacks"),
    "corrupt DOCX": ("notes.docx", lambda: truncated(build_docx(lecture_blocks(3))),
                     "damaged"),
    "PPTX with thousands of slides": ("deck.pptx", lambda: pptx_with_slides(3000),
                                      "3,000 slides"),
    "scanned PDF": ("scan.pdf", scanned_pdf, "this PDF has no text to read"),
    "PNG named .pdf": ("notes.pdf", lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "an image"),
    "ZIP named .docx": ("notes.docx", lambda: _zip({"a.txt": b"hello"}), "not a Word"),
    "spreadsheet": ("notes.docx", lambda: _zip({"xl/workbook.xml": b"<x/>"}), "spreadsheets"),
    "old Word file": ("notes.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
                      "old binary Office"),
    "program named .txt": ("notes.txt", lambda: b"\x7fELF" + b"\0" * 64, "a program"),
    "empty file": ("notes.txt", lambda: b"", "empty"),
}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_with_a_reason(case):
    name, build, reason = HOSTILE[case]
    with pytest.raises(SourceRefused) as refused:
        read_source(name, build(), LIMITS)
    assert reason in str(refused.value)
    assert str(refused.value).startswith(name)


def test_type_is_judged_by_content_not_by_name():
    pdf = build_pdf(lecture_blocks(2))
    assert sniff("notes.txt", pdf) == "pdf"
    assert sniff("slides.pdf", build_pptx(lecture_blocks(2))) == "pptx"
    assert sniff("page.txt", b"<!DOCTYPE html><html><body><p>x</p></body></html>") == "html"
    assert sniff("notes.md", b"# Title\n\ntext") == "md"
    assert read_source("notes.txt", pdf, LIMITS).locations[0] == (0, "page 1")


def test_limits_on_pages_characters_and_time_are_settings():
    data = build_pdf(lecture_blocks(6), page_break_before_headings=1)
    with pytest.raises(SourceRefused, match="6 pages, more than the 5 allowed"):
        read_source("notes.pdf", data, SourceLimits(max_pages=5))
    with pytest.raises(SourceRefused, match="more than 100 characters"):
        read_source("notes.pdf", data, SourceLimits(max_chars=100))
    with pytest.raises(SourceRefused, match="took longer than 0 seconds"):
        read_source("notes.pdf", data, SourceLimits(max_seconds=0))
    with pytest.raises(SourceRefused, match="41 slides, more than the 40 allowed"):
        read_source("deck.pptx", build_pptx(lecture_blocks(41)), SourceLimits(max_slides=40))


def docx_with_document_xml(xml: bytes) -> bytes:
    """A real DOCX whose main part is replaced by ``xml``."""
    source = zipfile.ZipFile(io.BytesIO(build_docx(blocks_of_markdown("Some text."))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = xml if item.filename == "word/document.xml" else source.read(item)
            archive.writestr(item, data)
    return buffer.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lolololololololololol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""


def test_xml_entities_in_office_files_are_never_expanded():
    try:
        source = read_source("laughs.docx", docx_with_document_xml(BILLION_LAUGHS), LIMITS)
    except SourceRefused as refused:
        assert str(refused).startswith("laughs.docx")
    else:
        assert len(source.text) < 1000


def test_broken_xml_inside_an_office_file_is_a_reason_not_a_crash():
    with pytest.raises(SourceRefused, match="damaged Office file"):
        read_source("notes.docx", docx_with_document_xml(b"<w:document><unclosed"), LIMITS)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_damaged_copies_are_read_or_refused_never_crash(kind):
    """Bytes flipped and runs cut at random (seeded) in a valid file: each copy is read or
    refused with a reason, whatever breaks inside the library."""
    import random

    original = BUILDERS[kind](lecture_blocks(3))
    rng = random.Random(13)
    for _ in range(40):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            if rng.random() < 0.7:
                data[position] = rng.randrange(256)
            else:
                del data[position:position + rng.randint(1, 64)]
        try:
            read_source(f"copy.{kind}", bytes(data), SourceLimits(max_seconds=20))
        except SourceRefused as refused:
            assert str(refused).startswith("copy.")
