"""Deck uploads that no database or page could hold are refused at preview, with a message.

Each input here once passed the preview and then failed on confirm (or on every answer, or
on the review page) with a 500: repeated media names and source ids, numbers past 32-bit
columns, NUL characters (PostgreSQL text cannot hold them), lone surrogates (not UTF-8),
a malformed ``knowledge`` object, and cloze gap numbers no card can have.
"""

from __future__ import annotations

import base64
import copy
import io
import json

import genanki
import pytest
from conftest import csrf_token
from security_payloads import PNG, World, log_in_as, snapshot

from quizapp import kinds
from quizapp.cloze import MAX_CLOZE_NUMBER, cloze_gaps, cloze_problem
from quizapp.formats import ImportFailed
from quizapp.formats.detect import read_upload
from quizapp.kinds.cloze import cloze_side

BASE = {
    "format": "quizapp.deck",
    "format_version": 1,
    "deck": {"title": "Valid deck", "description": "d", "version": 1,
             "settings": {"new_per_day": 20, "reviews_per_day": 200}},
    "sources": [{"id": "s1", "name": "one.txt"}],
    "cards": [{"guid": "g1", "kind": "basic", "prompt": "Q", "answer": "A",
               "sources": [{"source": "s1", "start": 0, "end": 1}]}],
    "media": [{"name": "a.png", "data": base64.b64encode(PNG).decode()}],
}


def deck_with(change) -> bytes:
    raw = copy.deepcopy(BASE)
    change(raw)
    # ensure_ascii keeps a lone surrogate as the escape "\ud800" that JSON allows.
    return json.dumps(raw).encode()


def _set(path: list, value):
    def change(raw):
        target = raw
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _append(path: list, item):
    def change(raw):
        target = raw
        for key in path:
            target = target[key]
        target.append(copy.deepcopy(target[0]) if item is None else item)
    return change


HOSTILE_JSON = {
    "two media with one name": (_append(["media"], None), "repeats the name"),
    "two sources with one id": (_append(["sources"], None), "same source id twice"),
    "version 10**20": (_set(["deck", "version"], 10**20), "'version' must be between"),
    # Each edit adds one: at the 32-bit limit the first edit would overflow.
    "version 2**31 - 1": (_set(["deck", "version"], 2**31 - 1), "'version' must be between"),
    "new cards a day 2**31": (
        _set(["deck", "settings", "new_per_day"], 2**31), "'new_per_day' must be between"),
    "reviews a day 2**40": (
        _set(["deck", "settings", "reviews_per_day"], 2**40), "'reviews_per_day' must be"),
    "NUL in the title": (_set(["deck", "title"], "Deck\x00"), "NUL character"),
    "NUL in the description": (_set(["deck", "description"], "a\x00b"), "NUL character"),
    "NUL in a source name": (_set(["sources", 0, "name"], "n\x00.txt"), "NUL character"),
    "NUL in a tag": (_set(["cards", 0, "tags"], ["a\x00b"]), "'tags'"),
    "lone surrogate in the title": (_set(["deck", "title"], "T\ud800"), "unpaired surrogate"),
    "lone surrogate in the description": (
        _set(["deck", "description"], "\udfff"), "unpaired surrogate"),
    "knowledge types a number": (_set(["knowledge"], {"types": 5}), "'knowledge.types'"),
    "knowledge type name a number": (
        _set(["knowledge"], {"types": [{"name": 3}]}), "'knowledge.types[0].name'"),
    "knowledge a list": (_set(["knowledge"], [1]), "'knowledge' must be an object"),
    "knowledge unknown key": (_set(["knowledge"], {"x": {}}), "unknown key"),
    "source offset past 32 bits": (
        _set(["cards", 0, "sources", 0, "start"], 2**40), "'sources.start'"),
    "cloze c99999999999999999999": (
        _set(["cards", 0], {"guid": "c", "kind": "cloze",
                            "prompt": "{{c99999999999999999999::x}}"}), "gaps are numbered"),
    "cloze with 5000 digits": (
        _set(["cards", 0], {"guid": "c", "kind": "cloze", "prompt": "{{c" + "9" * 5000 + "::x}}"}),
        "gaps are numbered"),
    "cloze c0": (_set(["cards", 0], {"guid": "c", "kind": "cloze", "prompt": "{{c0::x}}"}),
                 "gaps are numbered"),
}


def test_the_base_deck_is_accepted():
    assert read_upload("deck.json", deck_with(lambda raw: None)).decks[0].title == "Valid deck"


@pytest.mark.parametrize("case", sorted(HOSTILE_JSON))
def test_hostile_json_is_refused_with_a_message(case):
    change, message = HOSTILE_JSON[case]
    with pytest.raises(ImportFailed) as failure:
        read_upload("deck.json", deck_with(change))
    assert message in str(failure.value)


def test_the_shipped_generated_deck_keeps_its_knowledge():
    with open("decks/muscle-atrophy.json", "rb") as file:
        deck = read_upload("muscle-atrophy.json", file.read()).decks[0]
    assert deck.knowledge["types"] and deck.knowledge["causes"]


# --- cloze numbers ------------------------------------------------------------------------


def test_cloze_numbers_are_bounded_by_ankis_own_maximum():
    assert cloze_problem(f"{{{{c{MAX_CLOZE_NUMBER}::x}}}}") is None
    assert "c1 to c500" in cloze_problem(f"{{{{c{MAX_CLOZE_NUMBER + 1}::x}}}}")
    ordinals = kinds.get("cloze").ordinals("{{c2::a}} {{c500::b}} {{c99999999999999999999::c}}")
    assert ordinals == (1, 499)
    # A gap with an impossible number reads as plain text, never as a side.
    assert cloze_side("{{c99999999999999999999::x}}", 0, reveal=False) == "x"


def test_the_scanner_reads_gaps_as_the_old_pattern_did():
    gaps = list(cloze_gaps("a {{c1::one::hint}} b {{c{{c2::two}} {{c3::x:: y::z}}}"))
    assert [(g.number, g.answer, g.hint) for g in gaps] == [
        (1, "one", "hint"), (2, "two", None), (3, "x", " y::z")]


def test_csv_cloze_numbers_are_refused():
    data = b"front,back\n\"{{c99999999999999999999::x}}\",\n"
    with pytest.raises(ImportFailed, match="gaps are numbered from c1 to c500"):
        read_upload("deck.csv", data)


def test_csv_nul_past_the_first_four_kilobytes_is_refused():
    data = b"front,back,tags\n" + b"q,a,t\n" * 1000 + b"q2,a2,bad\x00tag\n"
    with pytest.raises(ImportFailed):
        read_upload("deck.csv", data)


def _anki_package(tmp_path, deck_name: str, cloze_text: str = "{{c1::gap}}") -> bytes:
    deck = genanki.Deck(2_000_000_001, deck_name)
    deck.add_note(genanki.Note(model=genanki.CLOZE_MODEL, fields=[cloze_text, ""], guid="n1"))
    deck.add_note(genanki.Note(model=genanki.CLOZE_MODEL, fields=["{{c2::kept}}", ""], guid="n2"))
    path = tmp_path / "deck.apkg"
    genanki.Package(deck).write_to_file(str(path), timestamp=1.7e9)
    return path.read_bytes()


def test_anki_cloze_numbers_out_of_range_skip_the_note_with_a_warning(tmp_path):
    result = read_upload("deck.apkg", _anki_package(tmp_path, "D", "{{c99999999999::x}}"))
    assert [card.guid for card in result.decks[0].cards] == ["n2"]
    assert any("c1 to c500" in warning for warning in result.warnings)


@pytest.mark.parametrize("name", ["Deck\x00name", "Deck\ud800"])
def test_anki_deck_names_no_database_can_hold_are_refused(tmp_path, name):
    with pytest.raises(ImportFailed, match=r"NUL|surrogate"):
        read_upload("deck.apkg", _anki_package(tmp_path, name))


# --- through the app: refused at preview, nothing stored ------------------------------


@pytest.fixture
def owner(app):
    world = World()
    client = app.test_client()
    log_in_as(client, world.users["owner"])
    client.csrf = csrf_token(client, "/decks/upload")
    client.world = world
    return client


@pytest.mark.parametrize("case", ["knowledge types a number", "NUL in the title",
                                  "reviews a day 2**40", "two media with one name"])
def test_the_preview_refuses_with_a_400_and_stores_nothing(owner, case):
    before = snapshot()
    change, message = HOSTILE_JSON[case]
    response = owner.post("/decks/upload", data={
        "file": (io.BytesIO(deck_with(change)), "deck.json"), "csrf_token": owner.csrf},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert message.replace("'", "&#39;") in response.get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize("prompt", ["{{c99999999999999999999::x}}", "{{c" + "7" * 5000 + "::x}}"])
def test_the_card_form_refuses_impossible_cloze_numbers(owner, prompt):
    deck_id = owner.world.ids["draft"]
    before = snapshot()
    response = owner.post(f"/decks/{deck_id}/cards/new", data={
        "csrf_token": owner.csrf, "kind": "cloze", "prompt": prompt, "answer": ""})
    assert response.status_code == 400
    assert "gaps are numbered from c1 to c500" in response.get_data(as_text=True)
    assert snapshot() == before


# --- the file's name promised another format ----------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("notes.apkg", "an Anki package"),
    ("notes.colpkg", "an Anki package"),
    ("notes.json", "a quizapp deck file (JSON)"),
])
def test_a_text_file_renamed_is_told_what_it_is_and_what_was_expected(name, expected):
    with pytest.raises(ImportFailed) as failure:
        read_upload(name, b"Remember to buy milk\nand eggs\n")
    message = str(failure.value)
    assert message.startswith(
        f"The file is named {name!r}, so {expected} was expected, but it is plain text "
        "(its first line reads 'Remember to buy milk')."
    )


def test_a_zip_named_csv_is_told_it_is_a_zip():
    with pytest.raises(ImportFailed, match="so a CSV file with a header row was expected, "
                                           "but it is a zip archive"):
        read_upload("deck.csv", b"PK\x03\x04" + b"junk" * 10)


def test_the_upload_page_says_what_the_file_is(owner):
    response = owner.post("/decks/upload", data={
        "file": (io.BytesIO(b"just some words\n"), "deck.apkg"), "csrf_token": owner.csrf},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "so an Anki package was expected, but it is plain text" in response.get_data(
        as_text=True).replace("&#39;", "'")
