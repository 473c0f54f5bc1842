"""Anki packages whose collection computes values at read time, or whose media is huge.

A 4 KB package whose ``notes.flds`` was ``GENERATED ALWAYS AS (hex(zeroblob(n)))`` grew a
worker by 2.3 GB before it was refused; a 207 KB package carrying a 200 MB zero-filled image
was stored whole. Both are refused (or the image left out) before the bytes exist.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import genanki
import pytest
from conftest import ANKI_SAMPLES
from security_payloads import PNG

from quizapp.formats import ImportFailed, MediaLimits
from quizapp.formats.anki import collection as anki_collection
from quizapp.formats.anki import read_anki_package
from quizapp.formats.detect import read_upload


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _sample_collection(tmp_path: Path) -> Path:
    with zipfile.ZipFile(ANKI_SAMPLES / "sample_legacy_nosched.apkg") as archive:
        path = tmp_path / "c.db"
        path.write_bytes(archive.read("collection.anki21"))
    return path


def _package_of(path: Path) -> bytes:
    return _zip({"collection.anki21": path.read_bytes(), "media": b"{}"})


def _rebuild_notes(path: Path, flds_column: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.executescript(f"""
            CREATE TABLE notes_new (id INTEGER PRIMARY KEY, guid TEXT, mid INTEGER,
                mod INTEGER, usn INTEGER, tags TEXT, {flds_column}, sfld TEXT,
                csum INTEGER, flags INTEGER, data TEXT);
            INSERT INTO notes_new (id, guid, mid, mod, usn, tags, sfld, csum, flags, data)
                SELECT id, guid, mid, mod, usn, tags, sfld, csum, flags, data FROM notes;
            DROP TABLE notes;
            ALTER TABLE notes_new RENAME TO notes;
        """)
    connection.close()


@pytest.mark.parametrize("kind", ["VIRTUAL", "STORED"])
def test_generated_columns_are_refused_before_any_row_is_read(tmp_path, kind):
    path = _sample_collection(tmp_path)
    # STORED computes once when written (here, small); VIRTUAL on every read (here, 200 MB).
    size = 10 if kind == "STORED" else 100_000_000
    _rebuild_notes(path, f"flds TEXT GENERATED ALWAYS AS (hex(zeroblob({size}))) {kind}")
    with pytest.raises(ImportFailed, match="generated columns"):
        read_anki_package(_package_of(path))


def test_a_view_in_place_of_the_notes_table_is_refused(tmp_path):
    path = _sample_collection(tmp_path)
    with sqlite3.connect(path) as connection:
        connection.executescript("""
            ALTER TABLE notes RENAME TO notes_real;
            CREATE VIEW notes AS SELECT id, guid, mid, tags,
                hex(zeroblob(100000000)) AS flds FROM notes_real;
        """)
    connection.close()
    with pytest.raises(ImportFailed, match=r"has a view \('notes'\)"):
        read_anki_package(_package_of(path))


def test_a_virtual_table_is_refused(tmp_path):
    path = _sample_collection(tmp_path)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE VIRTUAL TABLE search USING fts5(body)")
    connection.close()
    with pytest.raises(ImportFailed, match="virtual table"):
        read_anki_package(_package_of(path))


def test_rows_are_counted_against_a_total_budget(tmp_path, monkeypatch):
    path = _sample_collection(tmp_path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE notes SET flds = flds || ?", ("x" * 5000,))
    connection.close()
    read_anki_package(_package_of(path))  # fits the real budget
    monkeypatch.setattr(anki_collection, "MAX_COLLECTION_READ_BYTES", 20_000)
    with pytest.raises(ImportFailed, match="more than 0 MB of text"):
        read_anki_package(_package_of(path))


# --- media ------------------------------------------------------------------------------


def _package_with_image(tmp_path: Path, image: bytes, name: str = "big.png") -> bytes:
    (tmp_path / name).write_bytes(image)
    model = genanki.Model(1_600_000_001, "Basic", fields=[{"name": "Front"}, {"name": "Back"}],
                          templates=[{"name": "C", "qfmt": "{{Front}}", "afmt": "{{Back}}"}])
    deck = genanki.Deck(2_200_000_001, "Pictures")
    deck.add_note(genanki.Note(model=model, fields=[f'<img src="{name}">', "b"], guid="p1"))
    deck.add_note(genanki.Note(model=model, fields=["plain", "b"], guid="p2"))
    path = tmp_path / "pictures.apkg"
    genanki.Package(deck, media_files=[str(tmp_path / name)]).write_to_file(str(path))
    # genanki stores members uncompressed; Anki itself deflates them.
    with zipfile.ZipFile(path) as archive:
        return _zip({info.filename: archive.read(info) for info in archive.infolist()})


def test_a_compressed_huge_image_is_left_out_without_being_unpacked(tmp_path):
    # 64 MB of zeros behind a PNG signature compresses to about 64 KB.
    image = PNG[:8] + bytes(64 * 1024 * 1024)
    package = _package_with_image(tmp_path, image)
    assert len(package) < 200_000
    result = read_upload("pictures.apkg", package)
    [deck] = result.decks
    assert deck.media == [] and len(deck.cards) == 2
    assert any("larger than 4 MB: big.png" in warning for warning in result.warnings)


def test_the_decks_media_total_is_capped(tmp_path):
    package = _package_with_image(tmp_path, PNG + bytes(3000))
    limits = MediaLimits(file_bytes=10_000, deck_bytes=1_000)
    with pytest.raises(ImportFailed, match="more than 0 MB"):
        read_upload("pictures.apkg", package, media_limits=limits)


def test_json_media_over_the_limits_is_refused():
    import base64

    deck = {
        "format": "quizapp.deck", "format_version": 1, "deck": {"title": "T"},
        "cards": [{"guid": "g", "kind": "basic", "prompt": "p", "answer": "a"}],
        "media": [{"name": "a.png", "data": base64.b64encode(PNG * 100).decode()}],
    }
    data = json.dumps(deck).encode()
    assert read_upload("d.json", data).decks[0].media
    with pytest.raises(ImportFailed, match="each file may be at most"):
        read_upload("d.json", data, media_limits=MediaLimits(file_bytes=1000))
