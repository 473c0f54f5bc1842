"""``flask decks generate`` from every source format, and the progress bars of the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from source_builders import blocks_of_markdown, build_docx, build_pdf, build_pptx
from test_sources import HOSTILE

from quizapp.extensions import db
from quizapp.models import Deck

FIXTURE = Path(__file__).parent / "fixtures" / "generation" / "hearing-loss.md"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_generate_reads_pdf_docx_pptx_and_markdown(runner, tmp_path):
    blocks = blocks_of_markdown(FIXTURE.read_text(encoding="utf-8"))
    paths = []
    for name, build in (("notes.pdf", build_pdf), ("handout.docx", build_docx),
                        ("slides.pptx", build_pptx)):
        path = tmp_path / name
        path.write_bytes(build(blocks))
        paths.append(path)
    paths.append(FIXTURE)
    output = tmp_path / "deck.json"
    result = runner.invoke(args=["decks", "generate", *map(str, paths), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and "from 4 documents" in result.output
    assert "Reading" in result.stderr, "the progress bar's label is shown"
    deck = json.loads(output.read_text())
    assert sorted(source["name"] for source in deck["sources"]) == [
        "handout.docx", "hearing-loss.md", "notes.pdf", "slides.pptx"]
    # All four say the same: every type is backed by all four sources.
    for kind in deck["knowledge"]["types"]:
        assert len(set(kind["sources"])) == 4, kind


@pytest.mark.parametrize("case", ["encrypted PDF", "scanned PDF", "PNG named .pdf",
                                  "PPTX with thousands of slides"])
def test_generate_refuses_a_hostile_file_in_one_line(runner, tmp_path, case):
    name, build, reason = HOSTILE[case]
    path = tmp_path / name
    path.write_bytes(build())
    output = tmp_path / "deck.json"
    result = runner.invoke(args=["decks", "generate", str(path), "-o", str(output)])
    assert result.exit_code == 1
    assert reason in result.output and not output.exists()


def test_import_shows_progress_and_stores_the_deck(runner, tmp_path):
    path = tmp_path / "cards.csv"
    path.write_text("front,back\n" + "".join(f"Q{n},A{n}\n" for n in range(50)))
    result = runner.invoke(args=["decks", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Importing" in result.stderr
    assert db.session.scalars(db.select(Deck)).one().title
