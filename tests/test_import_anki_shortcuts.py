"""The Anki import's shortcuts change nothing it reads (issue 17): a note's fields judged at
once (``all_kept_as_written``) instead of each sanitized on its own, cards made by
``new_card`` instead of the dataclass's ``__init__``, an mcq card built with its right choice
as its answer instead of checking filling it in. Each package is read with the shortcuts and
with them replaced by the reference, and the decks and warnings must be the same."""

from __future__ import annotations

import random
from pathlib import Path

import genanki
import pytest
from conftest import ANKI_SAMPLES
from test_sanitize import XSS_PAYLOADS

from quizapp.deckfile import CardData
from quizapp.formats import ImportFailed
from quizapp.formats.anki import cards as anki_cards
from quizapp.formats.detect import read_upload

# The hostile packages are built with genanki on purpose, which warns about their markup.
pytestmark = pytest.mark.filterwarnings("ignore:Field contained the following invalid HTML")

_PIECES = [
    "a", " ", "text", "<b>", "</b>", "<i>", "</i>", "<br>", "<div>", "</div>", "<p>", "</p>",
    "<ol>", "</ol>", "<ul>", "</ul>", "<li>", "</li>", "&amp;", "&lt;", "&nbsp;", "&", "<", ">",
    "\r", "\n", "\xa0", "é", "<B>", "<span style='x'>", "</span>", '<img src="pic.png">',
    "{{c1::gap}}", "{{c2::g::hint}}", "{{c0::bad}}", "<hr>", "<h1>", "</h1>", "A) ", "1. ",
    "<li>x</li>", "<ol><li>A</li><li>B</li></ol>", "<em><p>x</p></em>", "Paris", "Lyon",
    *XSS_PAYLOADS,
]


def _model(model_id, name, fields, question, answer, **kw):
    return genanki.Model(model_id, name, fields=[{"name": field} for field in fields],
                         templates=[{"name": "1", "qfmt": question, "afmt": answer}], **kw)


_MODELS = [
    (_model(1_700_000_001, "Basic", ["Front", "Back", "Extra"], "{{Front}}",
            "{{Back}}<br>{{Extra}}"), 3),
    (_model(1_700_000_002, "Type", ["Front", "Back"], "{{Front}}{{type:Back}}", "{{Back}}"), 2),
    (_model(1_700_000_003, "MCQ", ["Question", "Choices", "Correct", "Answer", "Source"],
            "{{Question}}{{Choices}}", "{{Correct}}"), 5),
    (_model(1_700_000_004, "Per field", ["Question", "Option A", "Option B", "Answer"],
            "{{Question}}", "{{Answer}}"), 4),
    (genanki.Model(1_700_000_005, "Cloze", fields=[{"name": "Text"}, {"name": "Extra"}],
                   templates=[{"name": "C", "qfmt": "{{cloze:Text}}",
                               "afmt": "{{cloze:Text}}{{Extra}}"}],
                   model_type=genanki.Model.CLOZE), 2),
]


def _generated_package(tmp_path: Path, seed: int) -> Path:
    """Notes of every kind with fields of random simple, odd and hostile markup."""
    rng = random.Random(seed)
    deck = genanki.Deck(2_100_000_000 + seed, "Generated")
    for number in range(150):
        model, count = rng.choice(_MODELS)
        fields = ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6)))
                  for _ in range(count)]
        if model.name == "MCQ" and rng.random() < 0.7:
            fields[1] = "<ol>" + "".join(f"<li>{rng.choice(_PIECES)}</li>" for _ in range(3)) \
                + "</ol>"
            fields[2] = rng.choice(["1", "2", "b", "x"])
        if rng.random() < 0.3:
            fields[0] = rng.choice(["What?", "<b>Bold</b> question", "", "x & y"])
        deck.add_note(genanki.Note(model=model, fields=fields, guid=f"g{number % 140}",
                                   tags=rng.sample(["t", "u", "x" * 120, "\u00fc"], 2)))
    path = tmp_path / f"generated{seed}.apkg"
    genanki.Package(deck).write_to_file(str(path), timestamp=1.7e9)
    return path


def _read(path: Path):
    try:
        result = read_upload(path.name, path.read_bytes())
    except ImportFailed as failure:
        return str(failure)
    return result.decks, result.warnings


def _read_without_shortcuts(path: Path, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(anki_cards, "all_kept_as_written", lambda fields: False)
        patch.setattr(anki_cards, "new_card", lambda guid, kind, prompt, answer, choices,
                      correct, explanation, tags: CardData(
                          guid=guid, kind=kind, prompt=prompt,
                          answer="" if choices else answer, choices=choices,
                          correct=correct, explanation=explanation, tags=tags))
        return _read(path)


@pytest.mark.parametrize("name", sorted(path.name for path in ANKI_SAMPLES.iterdir()
                                        if path.suffix in (".apkg", ".colpkg")))
def test_anki_samples_read_the_same(name, monkeypatch):
    path = ANKI_SAMPLES / name
    read = _read(path)
    assert not isinstance(read, str), read
    assert read == _read_without_shortcuts(path, monkeypatch)


@pytest.mark.parametrize("seed", range(4))
def test_generated_hostile_packages_read_the_same(seed, tmp_path, monkeypatch):
    path = _generated_package(tmp_path, seed)
    read = _read(path)
    assert read == _read_without_shortcuts(path, monkeypatch)
    decks, warnings = read
    assert sum(len(deck.cards) for deck in decks) > 50 and warnings
    # The hostile payloads left nothing that runs.
    for deck in decks:
        for card in deck.cards:
            for text in (card.prompt, card.answer, card.explanation, *card.choices):
                assert "<script" not in text and "onerror" not in text.lower(), text
