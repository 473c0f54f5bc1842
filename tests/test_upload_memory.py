"""Peak memory of reading the worst uploads stays under 100 MB of growth.

Each upload is read by :func:`quizapp.formats.detect.read_upload` (what the preview and the
confirm both run) in a fresh Python process. The process reads the file first, then resets
the kernel's peak-RSS mark (``/proc/self/clear_refs``), reads the upload and reports its peak
resident memory (``VmHWM``) minus the resident memory just before: the growth caused by
reading it, Python objects, SQLite and zlib/zstd buffers included. What is not measured: the
request's own copy of the upload (held before reading starts, at most the 20 MB upload
limit) and storing the decks in the database afterwards.

The uploads: the audit's 207 KB package carrying a 200 MB zero-filled image; a collection
whose notes are a generated column of 100 MB values; a zip bomb whose collection unpacks
past the 256 MB budget; and the largest legitimate uploads, a 19 MB CSV of 20,000 rows and
an Anki collection just inside the 32 MB text budget.
"""

from __future__ import annotations

import io
import random
import sqlite3
import string
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import genanki
import pytest
from conftest import ANKI_SAMPLES

MAX_GROWTH_MB = 100

MEASURE = textwrap.dedent("""
    import sys
    from quizapp.formats import ImportFailed
    from quizapp.formats.detect import read_upload

    def status(key):
        with open("/proc/self/status") as lines:
            for line in lines:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024

    data = open(sys.argv[1], "rb").read()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM, the peak resident set, to the current one
    before = status("VmRSS")
    try:
        result = read_upload(sys.argv[2], data)
        outcome = "read %d cards" % sum(len(deck.cards) for deck in result.decks)
    except ImportFailed as failure:
        outcome = "refused: " + str(failure)
    print(status("VmHWM") - before)
    print(outcome)
""")


def peak_growth(path: Path) -> tuple[int, str]:
    """Bytes of peak resident memory added by reading the upload, and what came of it."""
    finished = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), path.name],
        capture_output=True, text=True, timeout=300, check=True,
    )
    growth, outcome = finished.stdout.strip().split("\n", 1)
    return int(growth), outcome


def _deflated(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def huge_image_package(folder: Path) -> Path:
    image = folder / "big.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200 * 1024 * 1024))
    model = genanki.Model(1_700_000_001, "Basic", fields=[{"name": "Front"}, {"name": "Back"}],
                          templates=[{"name": "C", "qfmt": "{{Front}}", "afmt": "{{Back}}"}])
    deck = genanki.Deck(2_300_000_001, "Pictures")
    deck.add_note(genanki.Note(model=model, fields=['<img src="big.png">', "b"], guid="p1"))
    stored = folder / "stored.apkg"
    genanki.Package(deck, media_files=[str(image)]).write_to_file(str(stored))
    image.unlink()
    path = folder / "image.apkg"
    with zipfile.ZipFile(stored) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            with source.open(info) as reading, out.open(info.filename, "w") as writing:
                while chunk := reading.read(1 << 20):
                    writing.write(chunk)
    stored.unlink()
    return path


def _sample_collection(folder: Path) -> Path:
    with zipfile.ZipFile(ANKI_SAMPLES / "sample_legacy_nosched.apkg") as archive:
        path = folder / "collection.db"
        path.write_bytes(archive.read("collection.anki21"))
    return path


def generated_column_package(folder: Path) -> Path:
    collection = _sample_collection(folder)
    with sqlite3.connect(collection) as connection:
        connection.executescript("""
            CREATE TABLE notes_new (id INTEGER PRIMARY KEY, guid TEXT, mid INTEGER,
                mod INTEGER, usn INTEGER, tags TEXT,
                flds TEXT GENERATED ALWAYS AS (hex(zeroblob(100000000))) VIRTUAL,
                sfld TEXT, csum INTEGER, flags INTEGER, data TEXT);
            INSERT INTO notes_new (id, guid, mid, mod, usn, tags, sfld, csum, flags, data)
                SELECT id, guid, mid, mod, usn, tags, sfld, csum, flags, data FROM notes;
            DROP TABLE notes;
            ALTER TABLE notes_new RENAME TO notes;
        """)
    connection.close()
    path = folder / "generated.apkg"
    path.write_bytes(_deflated({"collection.anki21": collection.read_bytes(), "media": b"{}"}))
    return path


def zip_bomb_package(folder: Path) -> Path:
    path = folder / "bomb.apkg"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(
        "collection.anki2", "w"
    ) as member:
        for _ in range(300):
            member.write(bytes(1 << 20))
    return path


def largest_csv(folder: Path) -> Path:
    chooser = random.Random(7)
    letters = string.ascii_letters + " "
    rows = ["front,back,explanation"]
    for number in range(20_000):
        front = "".join(chooser.choices(letters, k=400))
        back = "".join(chooser.choices(letters, k=400))
        rows.append(f"q{number} {front},{back},<b>why</b> {'y' * 150}")
    path = folder / "largest.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def largest_collection(folder: Path) -> Path:
    """26,000 notes of 1.2 KB: about 31 MB of text, just inside the 32 MB read budget."""
    collection = _sample_collection(folder)
    with sqlite3.connect(collection) as connection:
        note = connection.execute(
            "SELECT id, mid, mod, usn, tags, sfld, csum, flags, data FROM notes LIMIT 1"
        ).fetchone()
        card = connection.execute("SELECT * FROM cards WHERE nid = ?", (note[0],)).fetchone()
        connection.execute("DELETE FROM cards")
        connection.execute("DELETE FROM notes")
        for number in range(26_000):
            note_id = 10**12 + number
            connection.execute(
                "INSERT INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, "
                "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (note_id, f"big{number}", *note[1:5],
                 f"q{number} " + "x" * 600 + "\x1f" + "y" * 600, *note[5:]),
            )
            connection.execute(
                f"INSERT INTO cards VALUES ({', '.join('?' * len(card))})",
                (10**12 + number, note_id, *card[2:]),
            )
    connection.close()
    path = folder / "largest.apkg"
    path.write_bytes(_deflated({"collection.anki21": collection.read_bytes(), "media": b"{}"}))
    return path


UPLOADS = {
    "200 MB zero image in a 207 KB package": (huge_image_package, "read 1 cards"),
    "generated column of 100 MB values": (generated_column_package, "refused: "),
    "collection unpacking past the budget": (zip_bomb_package, "refused: "),
    "19 MB CSV of 20,000 rows": (largest_csv, "read 20000 cards"),
    "Anki collection of 31 MB of text": (largest_collection, "read 26000 cards"),
}


@pytest.mark.parametrize("upload", sorted(UPLOADS))
def test_reading_the_worst_uploads_grows_memory_by_less_than_100_mb(tmp_path, upload):
    build, expected = UPLOADS[upload]
    path = build(tmp_path)
    assert path.stat().st_size <= 20 * 1024 * 1024
    growth, outcome = peak_growth(path)
    assert outcome.startswith(expected), outcome
    assert growth < MAX_GROWTH_MB * 1024 * 1024, f"{growth / 2**20:.0f} MB for {upload}"
