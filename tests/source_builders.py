"""Build PDF, DOCX and PPTX files inside the test run (reportlab, python-docx, python-pptx)
from one list of blocks, so each format carries exactly the facts of a Markdown text."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "para" or "item"
    text: str
    level: int = 1


def blocks_of_markdown(text: str) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("para", " ".join(paragraph)))
            paragraph.clear()

    for line in text.splitlines():
        stripped = line.strip()
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if not stripped:
            flush()
        elif heading:
            flush()
            blocks.append(Block("heading", heading.group(2), len(heading.group(1))))
        elif stripped.startswith("- "):
            flush()
            blocks.append(Block("item", stripped[2:]))
        else:
            paragraph.append(stripped)
    flush()
    return blocks


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_pdf(blocks: list[Block], *, page_break_before_headings: int | None = None) -> bytes:
    """One flowable per block; with ``page_break_before_headings`` = n, every heading of level
    n starts a new page (so a test knows which page a fact is on)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, ListItem, PageBreak, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    story: list = []
    items: list = []

    def close_list() -> None:
        if items:
            story.append(ListFlowable(list(items), bulletType="bullet"))
            items.clear()

    for block in blocks:
        if block.kind == "item":
            items.append(ListItem(Paragraph(_escape(block.text), styles["BodyText"])))
            continue
        close_list()
        if block.kind == "heading":
            if page_break_before_headings == block.level and story:
                story.append(PageBreak())
            story.append(Paragraph(_escape(block.text), styles[f"Heading{block.level}"]))
        else:
            story.append(Paragraph(_escape(block.text), styles["BodyText"]))
    close_list()
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def build_docx(blocks: list[Block]) -> bytes:
    import docx

    document = docx.Document()
    for block in blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=block.level)
        elif block.kind == "item":
            document.add_paragraph(block.text, style="List Bullet")
        else:
            document.add_paragraph(block.text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_pptx(blocks: list[Block]) -> bytes:
    """A slide per heading: the heading is the slide title, paragraphs sit in a text box at
    level 0 and list items at level 1."""
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    layout = presentation.slide_layouts[5]  # "Title Only"
    frame = None
    for block in blocks:
        if block.kind == "heading":
            slide = presentation.slides.add_slide(layout)
            slide.shapes.title.text = block.text
            box = slide.shapes.add_textbox(Inches(0.5), Inches(1.8), Inches(9), Inches(5))
            frame = box.text_frame
            frame.word_wrap = True
            first = True
            continue
        paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
        first = False
        paragraph.text = block.text
        paragraph.level = 1 if block.kind == "item" else 0
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def lecture_blocks(pages: int) -> list[Block]:
    """Lecture notes of ``pages`` sections (one per PDF page or slide) around the hearing-loss
    facts, so the generator finds a condition, its types and their causes."""
    facts = [
        ("Conductive hearing loss", "Conductive hearing loss is caused by a blockage in the "
         "outer or middle ear. This type of hearing loss can often be reversed with medical "
         "treatment."),
        ("Sensorineural hearing loss", "Sensorineural hearing loss is caused by damage to the "
         "inner ear. Sensorineural hearing loss is usually not reversible."),
        ("Mixed hearing loss", "Mixed hearing loss is caused by problems in both the outer and "
         "inner ear."),
    ]
    blocks = [
        Block("heading", "Hearing loss"),
        Block("para", "Hearing loss is a reduced ability to pick up sounds. There are three "
              "main types of hearing loss: conductive, sensorineural, and mixed."),
    ]
    for number in range(1, pages):
        title, text = facts[number % len(facts)]
        blocks.append(Block("heading", f"{title}: lecture {number}"))
        blocks.append(Block("para", text))
        blocks.append(Block("item", f"Review question {number} for the seminar"))
    return blocks
