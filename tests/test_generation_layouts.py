"""Reading behaviours of the rebuilt extraction layer, on short documents written for these
tests (issue 12): lists by layout, term-gloss entries, label lines, format override."""

from __future__ import annotations

from quizapp.generation import generate_deck
from quizapp.generation.gate import fragment_reason
from quizapp.generation.reader import read_document

GLOSS = """Glaucoma

There are two main types of glaucoma:

Open-angle glaucoma. The drainage angle stays open. It can be caused by steroid eye drops.
Angle-closure glaucoma. The iris blocks drainage. This type can be caused by a dilated pupil.
"""


def test_term_gloss_entries_split_into_a_term_and_its_sentences():
    document = read_document("notes.txt", GLOSS)
    items = [u for u in document.units if u.kind == "item"]
    assert [u.text for u in items] == ["Open-angle glaucoma", "Angle-closure glaucoma"]
    glosses = [u for u in document.units if u.gloss_of == items[0].index]
    assert glosses[0].text == "The drainage angle stays open."


def test_type_context_of_a_gloss_files_its_causes_under_the_term():
    causes = {
        row["name"]: row["types"] for row in generate_deck([("g.txt", GLOSS)]).knowledge["causes"]
    }
    assert causes == {
        "steroid eye drops": ["open-angle"],
        "dilated pupil": ["angle-closure"],
    }


def test_a_label_line_and_pronoun_attach_to_the_labelled_type_in_markdown_given_as_md():
    handout = (
        "# Gout\n\nGout is classified as acute gout or chronic gout.\n\n"
        "Acute: It is caused by a sudden rise in uric acid.\n"
    )
    deck = generate_deck([("handout.pdf", handout, "md")])
    assert deck.sources[0].name == "handout.pdf"
    assert read_document("handout.pdf", handout, "md").format == "md"
    assert read_document("handout.pdf", handout).format == "text"
    causes = {row["name"]: row["types"] for row in deck.knowledge["causes"]}
    assert causes == {"sudden rise in uric acid": ["acute"]}
    assert {row["id"] for row in deck.knowledge["types"]} == {"acute", "chronic"}


def test_the_quality_gate_rejects_sentence_fragments_and_keeps_names():
    assert fragment_reason("following conditions") is not None
    assert fragment_reason("management depends on finding the") is not None
    assert fragment_reason("that lower the pressure in the veins") is not None
    assert fragment_reason("health problems that limit movement") is None
    assert fragment_reason("hepatic vein blockage") is None


def test_an_unmarked_list_under_a_heading_is_read_and_a_title_case_menu_is_not():
    text = (
        "Home Page\nHealth Topics\nBlood Conditions\n\nRisk factors\nSmoking\n"
        "Being older than 65\nA weakened immune system\n\nTreatment\n"
        "Rest and fluids help most people recover.\n"
    )
    document = read_document("page.txt", text)
    items = [u.text for u in document.units if u.kind == "item"]
    assert items == ["Smoking", "Being older than 65", "A weakened immune system"]
    assert not any("Health Topics" in u.text for u in document.units)


def test_a_markdown_table_of_types_files_each_cause_under_its_row():
    handout = (
        "# Rosacea handout\n\nThere are two main types of rosacea: vascular and ocular.\n\n"
        "| Type | Causes | Treatment |\n|------|--------|-----------|\n"
        "| Vascular rosacea | sun exposure, hot drinks | gentle skin care |\n"
        "| Ocular rosacea | blocked eyelid glands | warm compresses |\n"
    )
    deck = generate_deck([("handout.docx", handout, "md")])
    causes = {row["name"]: row["types"] for row in deck.knowledge["causes"]}
    assert causes == {
        "sun exposure": ["vascular"],
        "hot drinks": ["vascular"],
        "blocked eyelid glands": ["ocular"],
    }
    unit = next(u for u in read_document("h.md", handout).units if "sun exposure" in u.text)
    assert "Vascular rosacea" in handout[unit.start : unit.end]
