"""Anki packages: what our importer reads is compared with what the official ``anki``
library (a test-only dependency) reads from the very same file."""

import io
import json
import re
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path

import genanki
import pytest
import zstandard
from anki._backend import RustBackend
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.media import media_paths_from_col_path
from conftest import ANKI_SAMPLES

from quizapp.formats import ImportFailed
from quizapp.formats.anki import collection as anki_collection
from quizapp.formats.anki import package as anki_package
from quizapp.formats.detect import read_upload
from quizapp.formats.sanitize import sanitize_html

PACKAGES = sorted(ANKI_SAMPLES.glob("*.apkg")) + sorted(ANKI_SAMPLES.glob("*.colpkg"))
IMG_SRC_RE = re.compile(r'<img[^>]*\ssrc="([^"]+)"')
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
    b"\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


# --- what Anki sees --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnkiNote:
    guid: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    deck: str
    expected_kind: str


def _what_anki_sees(package: Path, workdir: Path) -> tuple[dict[str, AnkiNote], dict[str, bytes]]:
    workdir.mkdir(parents=True, exist_ok=True)
    collection_path = str(workdir / "collection.anki2")
    if package.suffix == ".colpkg":
        backend = RustBackend()
        media_folder, media_db = media_paths_from_col_path(collection_path)
        backend.import_collection_package(
            col_path=collection_path,
            backup_path=str(package),
            media_folder=media_folder,
            media_db=media_db,
        )
        col = Collection(collection_path, backend=backend)
    else:
        col = Collection(collection_path)
        col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(package),
                options=ImportAnkiPackageOptions(merge_notetypes=True, with_scheduling=False),
            )
        )
    try:
        notes = {}
        for note_id in col.find_notes(""):
            note = col.get_note(note_id)
            notetype = col.models.get(note.mid)
            cards = sorted(note.cards(), key=lambda card: card.ord)
            notes[note.guid] = AnkiNote(
                guid=note.guid,
                fields=tuple(note.fields),
                tags=tuple(note.tags),
                deck=col.decks.name(cards[0].did),
                expected_kind=_kind_from_anki(notetype, {card.ord for card in cards}),
            )
        media_dir = Path(col.media.dir())
        media = {path.name: path.read_bytes() for path in media_dir.iterdir() if path.is_file()}
        return notes, media
    finally:
        col.close()


def _kind_from_anki(notetype: dict, ordinals: set[int]) -> str:
    templates = notetype["tmpls"]
    fields = {field["name"].casefold() for field in notetype["flds"]}
    if notetype["type"] == 1:
        return "cloze"
    if {"question", "choices"} <= fields and fields & {"answer", "correct"}:
        return "mcq"
    if len(templates) == 1 and "{{type:" in templates[0]["qfmt"]:
        return "typein"
    if len(templates) == 2 and 1 in ordinals:
        return "reversed"
    return "basic"


def _assert_matches_anki(package: Path, workdir: Path, origin_kind: str = "apkg"):
    anki_notes, anki_media = _what_anki_sees(package, workdir)
    result = read_upload(package.name, package.read_bytes())
    assert result.kind == origin_kind
    ours = {card.guid: (deck, card) for deck in result.decks for card in deck.cards}
    assert set(ours) == set(anki_notes)
    assert len(result.decks) == len({note.deck for note in anki_notes.values()})
    for guid, (deck, card) in ours.items():
        expected = anki_notes[guid]
        assert deck.title == expected.deck
        assert deck.origin == "imported"
        assert card.tags == expected.tags
        assert card.kind == expected.expected_kind
        assert card.prompt == sanitize_html(expected.fields[0])
        if card.kind == "cloze":
            assert card.explanation == sanitize_html(expected.fields[1])
        elif card.kind == "mcq":
            assert card.answer == card.choices[card.correct]
        else:
            assert card.answer == sanitize_html(expected.fields[1])
    for deck in result.decks:
        referenced = {
            name
            for card in deck.cards
            for html in anki_notes[card.guid].fields
            for name in IMG_SRC_RE.findall(html)
            if name in anki_media
        }
        assert {media.name: media.data for media in deck.media} == {
            name: anki_media[name] for name in referenced
        }
    return result


# --- the real samples -------------------------------------------------------------------------


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: path.name)
def test_every_sample_matches_what_anki_reads(package, tmp_path):
    _assert_matches_anki(package, tmp_path)


def test_samples_are_present():
    names = {path.name for path in PACKAGES}
    assert {"sample_modern_sched.apkg", "sample_legacy_sched.apkg", "genanki_sample.apkg"} <= names


def test_modern_and_legacy_layouts_give_the_same_decks():
    modern = read_upload("m.apkg", (ANKI_SAMPLES / "sample_modern_sched.apkg").read_bytes())
    legacy = read_upload("l.apkg", (ANKI_SAMPLES / "sample_legacy_sched.apkg").read_bytes())
    assert modern.decks == legacy.decks
    assert [deck.title for deck in modern.decks] == [
        "Quiz Sample::Basics",
        "Quiz Sample::Cloze",
        "Quiz Sample::Reversed",
    ]
    assert {card.kind for deck in modern.decks for card in deck.cards} == {
        "basic",
        "cloze",
        "reversed",
    }


def test_sample_image_is_returned_once_with_its_bare_name():
    result = read_upload("m.apkg", (ANKI_SAMPLES / "sample_modern_sched.apkg").read_bytes())
    [basics] = [deck for deck in result.decks if deck.title.endswith("Basics")]
    assert [media.name for media in basics.media] == ["quiz_dot.png"]
    assert basics.media[0].data.startswith(b"\x89PNG")
    assert any('<img src="quiz_dot.png">' in card.prompt for card in basics.cards)


def test_missing_media_is_a_warning_not_a_failure():
    result = read_upload("n.apkg", (ANKI_SAMPLES / "sample_modern_nomedia.apkg").read_bytes())
    assert all(not deck.media for deck in result.decks)
    assert any("quiz_dot.png" in warning for warning in result.warnings)


def test_the_samples_multiple_choice_note_type_keeps_its_answer_and_explanation():
    # Question / Choices (an HTML list) / Answer ("A") / Explanation / QuizAppId: once read
    # as a basic card whose back listed the choices, losing the answer and explanation.
    result = read_upload("g.apkg", (ANKI_SAMPLES / "genanki_sample.apkg").read_bytes())
    [mcq] = [card for deck in result.decks for card in deck.cards if "mcq" in card.tags]
    assert (mcq.kind, mcq.choices, mcq.correct) == (
        "mcq", ("Blue", "Red", "Green <i>&amp;</i> yellow"), 0)
    assert mcq.explanation == "&lt;script&gt; tags are escaped by the exporter<br>103"
    assert result.warnings == []


# --- packages built for the test ----------------------------------------------------------------


def _model(model_id: int, name: str, fields: list[str], templates: list[tuple[str, str]], **kw):
    return genanki.Model(
        model_id,
        name,
        fields=[{"name": field} for field in fields],
        templates=[
            {"name": f"Card {n + 1}", "qfmt": q, "afmt": a} for n, (q, a) in enumerate(templates)
        ],
        **kw,
    )


def _write_package(path: Path, decks, media_files=()) -> Path:
    genanki.Package(decks, media_files=list(media_files)).write_to_file(str(path), timestamp=1.7e9)
    return path


def test_type_in_optional_reversed_and_odd_note_types(tmp_path):
    type_in = _model(
        1001, "Typing", ["Q", "A"], [("{{Q}}<br>{{type:A}}", "{{Q}}<hr id=answer>{{type:A}}")]
    )
    optional = _model(
        1002,
        "Either way maybe",
        ["Word", "Meaning", "Both"],
        [
            ("{{Word}}", "{{FrontSide}}<hr id=answer>{{Meaning}}"),
            ("{{#Both}}{{Meaning}}{{/Both}}", "{{FrontSide}}<hr id=answer>{{Word}}"),
        ],
    )
    three_sides = _model(
        1003,
        "Three sides",
        ["One", "Two", "Three"],
        [("{{One}}", "{{Two}}"), ("{{Two}}", "{{Three}}"), ("{{Three}}", "{{One}}")],
    )
    deck = genanki.Deck(2001, "Languages::French::Verbs")
    deck.add_note(genanki.Note(type_in, ["être", "to be"], guid="typein1", tags=["verb"]))
    deck.add_note(genanki.Note(optional, ["avoir", "to have", "y"], guid="both1"))
    deck.add_note(genanki.Note(optional, ["aller", "to go", ""], guid="oneway1"))
    other = genanki.Deck(2002, "Odd")
    other.add_note(genanki.Note(three_sides, ["un", "deux", "trois"], guid="odd1"))
    package = _write_package(tmp_path / "made.apkg", [deck, other])

    result = _assert_matches_anki(package, tmp_path / "anki")
    kinds = {card.guid: card.kind for deck in result.decks for card in deck.cards}
    assert kinds == {"typein1": "typein", "both1": "reversed", "oneway1": "basic", "odd1": "basic"}
    assert [deck.title for deck in result.decks] == ["Languages::French::Verbs", "Odd"]
    assert any("'Three sides'" in warning for warning in result.warnings)


def test_fields_shown_only_when_filled_in_are_the_explanation(tmp_path):
    extras = (
        "{{#Notes}}<div>{{Notes}}</div>{{/Notes}}"
        "{{#Source}}<small>Source: {{Source}}</small>{{/Source}}"
    )
    with_notes = _model(
        1006,
        "Basic with notes",
        ["Front", "Back", "Notes", "Source"],
        [("{{Front}}", "{{FrontSide}}<hr id=answer>{{Back}}" + extras)],
    )
    both_ways = _model(
        1007,
        "Both ways with notes",
        ["Front", "Back", "Notes", "Source"],
        [
            ("{{Front}}", "{{FrontSide}}<hr id=answer>{{Back}}" + extras),
            ("{{Back}}", "{{FrontSide}}<hr id=answer>{{Front}}" + extras),
        ],
    )
    cloze = _model(
        1008,
        "Cloze with source",
        ["Text", "Extra", "Source"],
        [("{{cloze:Text}}", "{{cloze:Text}}<br>{{Extra}}" + extras)],
        model_type=genanki.Model.CLOZE,
    )
    deck = genanki.Deck(2005, "Extras")
    deck.add_note(genanki.Note(with_notes, ["sun", "star", "<b>G-type</b>", "Atlas"], guid="n1"))
    deck.add_note(genanki.Note(with_notes, ["moon", "satellite", "", "Atlas"], guid="n2"))
    deck.add_note(genanki.Note(both_ways, ["Mars", "4th planet", "red", "Atlas"], guid="n3"))
    deck.add_note(
        genanki.Note(cloze, ["{{c1::Venus}} is hot", "CO<sub>2</sub>", "Atlas"], guid="n4")
    )
    package = _write_package(tmp_path / "extras.apkg", [deck])

    result = _assert_matches_anki(package, tmp_path / "anki")
    cards = {card.guid: card for card in result.decks[0].cards}
    assert {guid: (card.kind, card.explanation) for guid, card in cards.items()} == {
        "n1": ("basic", "<b>G-type</b>"),
        "n2": ("basic", ""),
        "n3": ("reversed", "red"),
        "n4": ("cloze", "CO<sub>2</sub>"),
    }
    assert not any("Atlas" in card.answer + card.explanation for card in cards.values())
    assert result.warnings == [
        f"Note type {name!r}: field(s) 'Source' will not be imported (a source's name cannot "
        "be linked to a document)."
        for name in ("Basic with notes", "Both ways with notes", "Cloze with source")
    ]


def _multiple_choice_model(model_id: int, fields: list[str]):
    question, choices, correct, answer = fields
    return _model(
        model_id,
        "Choose one",
        fields,
        [
            (
                f"{{{{{question}}}}}<ol type=A>{{{{{choices}}}}}</ol>",
                f"{{{{FrontSide}}}}<hr id=answer>{{{{{correct}}}}}: {{{{{answer}}}}}",
            )
        ],
    )


def test_multiple_choice_notes_are_read_from_their_fields(tmp_path):
    model = _multiple_choice_model(1009, ["QUESTION", "choices", "Correct", "Answer"])
    deck = genanki.Deck(2006, "Choices")
    deck.add_note(
        genanki.Note(
            model,
            [
                "Which are primes?",
                "<li>4, 6</li>\n<li>2, 3<ul><li>both odd?</li><li>no</li></ul></li><li>9</li>",
                "2",
                "",
            ],
            guid="mc1",
        )
    )
    package = _write_package(tmp_path / "choices.apkg", [deck])

    [card] = read_upload("choices.apkg", package.read_bytes()).decks[0].cards
    assert card.kind == "mcq"
    assert card.prompt == "Which are primes?"
    assert card.choices == ("4, 6", "2, 3<ul><li>both odd?</li><li>no</li></ul>", "9")
    assert card.correct == 1
    assert card.answer == card.choices[1]


@pytest.mark.parametrize(
    ("choices", "correct"),
    [
        ("<ol><li>Blue</li><li>Red</li></ol>", "3"),
        ("<ol><li>Blue</li><li>Red</li></ol>", "Purple"),
        ("Blue or red", "1"),
        ("<ol><li>Blue</li></ol>", "1"),
        ("<ol><li>Blue</li><li>Blue</li></ol>", "1"),
        ("<ol><li>Blue</li><li> </li></ol>", "1"),
        ("<ol><li>Blue</li></ol><ol><li>Red</li></ol>", "1"),
        ("<ol><li>Blue</li></ol> or <li>Red</li>", "1"),
    ],
)
def test_unreadable_multiple_choice_notes_become_basic_cards(tmp_path, choices, correct):
    model = _multiple_choice_model(1010, ["Question", "Choices", "Correct", "Answer"])
    deck = genanki.Deck(2007, "Broken choices")
    deck.add_note(genanki.Note(model, ["Sky colour?", choices, correct, "Blue"], guid="mc2"))
    package = _write_package(tmp_path / "broken.apkg", [deck])

    result = read_upload("broken.apkg", package.read_bytes())
    [card] = result.decks[0].cards
    assert (card.kind, card.answer, card.choices, card.correct) == ("basic", "Blue", (), None)
    assert card.prompt == "Sky colour?" + sanitize_html(choices)
    assert result.warnings == [
        "1 multiple-choice note(s) did not hold 2 to 8 different choices and the letter, "
        "number or text of the right one, so they became basic cards with the choices in the "
        "question."
    ]


def test_hostile_fields_are_sanitized_and_media_names_made_safe(tmp_path):
    basic = _model(1004, "Plain", ["Front", "Back"], [("{{Front}}", "{{Back}}")])
    odd_image = tmp_path / "my picture (1).png"
    odd_image.write_bytes(PNG)
    vector = tmp_path / "drawing.svg"
    vector.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    unused = tmp_path / "unused.png"
    unused.write_bytes(PNG)
    deck = genanki.Deck(2003, "Hostile")
    deck.add_note(
        genanki.Note(
            basic,
            [
                'Look <img src="my picture (1).png" onerror="alert(1)"><script>alert(2)</script>',
                '<a href="javascript:alert(3)">back</a><img src="drawing.svg">',
            ],
            guid="has spaces in guid",
        )
    )
    package = _write_package(tmp_path / "hostile.apkg", [deck], [odd_image, vector, unused])

    result = read_upload("hostile.apkg", package.read_bytes())
    [card] = result.decks[0].cards
    [image] = result.decks[0].media
    assert re.fullmatch(r"media-[0-9a-f]{16}\.png", image.name)
    assert image.data == PNG
    assert card.prompt == f'Look <img src="{image.name}">'
    assert "javascript" not in card.answer and 'src="drawing.svg"' in card.answer
    assert re.fullmatch(r"anki-[0-9a-f]{24}", card.guid)
    assert any("drawing.svg" in warning for warning in result.warnings)


def test_notes_with_an_empty_side_are_skipped_with_a_warning(tmp_path):
    basic = _model(1005, "Plain", ["Front", "Back"], [("{{Front}}", "{{Back}}")])
    deck = genanki.Deck(2004, "Gaps")
    deck.add_note(genanki.Note(basic, ["question", "answer"], guid="ok1"))
    deck.add_note(genanki.Note(basic, ["question without answer", "<br>"], guid="empty1"))
    package = _write_package(tmp_path / "gaps.apkg", [deck])
    result = read_upload("gaps.apkg", package.read_bytes())
    assert [card.guid for card in result.decks[0].cards] == ["ok1"]
    assert result.warnings == ["1 note(s) were skipped because their answer side is empty."]


# --- hostile and broken packages ----------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _sample_members(name: str) -> dict[str, bytes]:
    with zipfile.ZipFile(ANKI_SAMPLES / name) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _protobuf_media_list(names: list[str]) -> bytes:
    def length_delimited(number: int, payload: bytes) -> bytes:
        assert len(payload) < 128
        return bytes([number << 3 | 2, len(payload)]) + payload

    entries = b"".join(length_delimited(1, length_delimited(1, n.encode())) for n in names)
    return zstandard.ZstdCompressor().compress(entries)


def _expect_failure(data: bytes, pattern: str) -> str:
    with pytest.raises(ImportFailed, match=pattern) as caught:
        read_upload("upload.apkg", data)
    message = str(caught.value)
    assert "Traceback" not in message and "Error" not in message
    return message


def test_zip_magic_without_a_zip_is_refused():
    _expect_failure(b"PK\x03\x04" + b"\x00" * 100, "not a readable zip archive")


def test_zip_without_a_collection_is_refused():
    _expect_failure(_zip({"readme.txt": b"hello"}), "holds no Anki collection")


def test_corrupt_sqlite_is_refused():
    _expect_failure(_zip({"collection.anki2": b"SQLite format 3\x00" + b"\xff" * 4000}), "damaged")
    _expect_failure(_zip({"collection.anki21": b"plainly not a database" * 50}), "damaged")


def test_truncated_sample_collection_is_refused():
    members = _sample_members("sample_legacy_nosched.apkg")
    members["collection.anki21"] = members["collection.anki21"][:20_000]
    _expect_failure(_zip(members), "damaged|not an Anki")


def test_sqlite_without_anki_tables_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER)")
        connection.execute("CREATE VIEW cards AS SELECT 1 AS nid")
        connection.execute("CREATE TABLE col (id INTEGER)")
    connection.close()
    _expect_failure(_zip({"collection.anki2": path.read_bytes()}), "has a view .'cards'.")


def test_sqlite_values_beyond_the_length_limit_are_refused(tmp_path):
    members = _sample_members("sample_legacy_nosched.apkg")
    path = tmp_path / "c.db"
    path.write_bytes(members["collection.anki21"])
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE notes SET flds = ? WHERE rowid = (SELECT min(rowid) FROM notes)",
            ("x" * (anki_collection.MAX_SQLITE_VALUE_BYTES + 1),),
        )
    connection.close()
    members["collection.anki21"] = path.read_bytes()
    _expect_failure(_zip(members), "damaged")


def test_runaway_queries_are_stopped(monkeypatch):
    monkeypatch.setattr(anki_collection, "SQLITE_MAX_CHECKS", 0)
    monkeypatch.setattr(anki_collection, "SQLITE_STEPS_PER_CHECK", 1)
    _expect_failure((ANKI_SAMPLES / "sample_legacy_nosched.apkg").read_bytes(), "damaged")


def test_a_zip_bomb_is_refused():
    buffer = io.BytesIO()
    block = b"\x00" * (1 << 20)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("collection.anki2", "w", force_zip64=True) as member,
    ):
        for _ in range(anki_package.MAX_UNPACKED_BYTES // len(block) + 8):
            member.write(block)
    data = buffer.getvalue()
    assert len(data) < 2 * 1024 * 1024
    _expect_failure(data, "zip bomb")


def test_a_zstd_bomb_inside_the_package_is_refused():
    members = _sample_members("sample_modern_nosched.apkg")
    compressor = zstandard.ZstdCompressor(level=3)
    stream = io.BytesIO()
    with compressor.stream_writer(stream, closefd=False) as writer:
        block = b"\x00" * (1 << 20)
        for _ in range(anki_package.MAX_UNPACKED_BYTES // len(block) + 8):
            writer.write(block)
    members["collection.anki21b"] = stream.getvalue()
    _expect_failure(_zip(members), "zip bomb")


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/passwd", "media/../../x", "C:/x"])
def test_member_names_that_escape_are_refused(member):
    members = _sample_members("sample_legacy_nosched.apkg")
    members[member] = b"x"
    _expect_failure(_zip(members), "unsafe path")


@pytest.mark.parametrize("name", ["../evil.png", "sub/dir.png", "..", "a\\b.png"])
def test_legacy_media_names_with_paths_are_refused(name):
    members = _sample_members("sample_legacy_nosched.apkg")
    members["media"] = json.dumps({"0": name}).encode()
    _expect_failure(_zip(members), "unsafe name")


def test_modern_media_names_with_paths_are_refused():
    members = _sample_members("sample_modern_nosched.apkg")
    members["media"] = _protobuf_media_list(["../../evil.png"])
    _expect_failure(_zip(members), "unsafe name")


def test_modern_media_list_parsed_by_hand_matches_what_anki_wrote():
    members = _sample_members("sample_modern_nosched.apkg")
    members["media"] = _protobuf_media_list(["quiz_dot.png"])
    result = read_upload("m.apkg", _zip(members))
    assert [m.name for deck in result.decks for m in deck.media] == ["quiz_dot.png"]


@pytest.mark.parametrize(
    ("member", "data"),
    [
        ("media", b"\x28\xb5\x2f\xfd" + b"\xff" * 40),
        ("media", zstandard.ZstdCompressor().compress(b"\x0a\xff\xff\xff\xff\x0f")),
        ("media", b"{not json"),
        ("collection.anki21b", b"not zstd at all"),
        ("collection.anki21b", b"\x28\xb5\x2f\xfd" + b"\x00" * 40),
    ],
)
def test_damaged_members_of_a_modern_package_are_refused(member, data):
    members = _sample_members("sample_modern_nosched.apkg")
    members[member] = data
    _expect_failure(_zip(members), "damaged|not an Anki collection")


def test_encrypted_or_unsupported_zip_members_are_refused():
    data = bytearray(_zip({"collection.anki2": b"x" * 100}))
    flags_offset = 6  # general-purpose flag in the first local header: mark it encrypted
    data[flags_offset] |= 1
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 1
    _expect_failure(bytes(data), "damaged|not a readable zip")
