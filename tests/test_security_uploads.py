"""Hostile uploads over HTTP: too large, the wrong type, zip bombs, path traversal, and
imports that fail half-way leaving nothing behind."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from conftest import csrf_token
from security_payloads import PNG, World, assert_security_headers, log_in_as, snapshot

from quizapp.extensions import db
from quizapp.models import Card, Deck, Media, PendingUpload
from quizapp.services import decks as deck_service


@pytest.fixture
def owner(app):
    world = World()
    client = app.test_client()
    log_in_as(client, world.users["owner"])
    client.csrf = csrf_token(client, "/decks/upload")
    return client


def upload(client, name: str, data: bytes, url="/decks/upload", field="file"):
    return client.post(url, data={field: (io.BytesIO(data), name), "csrf_token": client.csrf},
                       content_type="multipart/form-data")


def errors_of(response) -> str:
    return response.get_data(as_text=True)


def test_an_upload_over_the_size_limit_gets_a_clear_413(owner, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    before = snapshot()
    for url, field in (("/decks/upload", "file"), ("/decks/generate", "files")):
        response = upload(owner, "big.csv" if field == "file" else "big.txt",
                          b"front,back\n" + b"q,a\n" * 400_000, url, field)
        assert response.status_code == 413, url
        page = response.get_data(as_text=True)
        assert "File too large" in page and "limited to 1 MB" in page
        assert_security_headers(response, "413")
    assert snapshot() == before


def test_a_source_document_over_its_own_limit_is_refused(owner, app, monkeypatch):
    # Text is capped in characters (QUIZAPP_SOURCE_MAX_CHARS), checked in the request.
    monkeypatch.setitem(app.config, "QUIZAPP_SOURCE_MAX_CHARS", 2_000_000)
    before = snapshot()
    response = upload(owner, "huge.txt", b"Muscle atrophy is wasting. " * 90_000,
                      "/decks/generate", "files")
    assert response.status_code == 400
    assert "more than 2,000,000 characters" in errors_of(response)
    assert snapshot() == before


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("deck.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "PDF"),
    ("deck.apkg", PNG, "encoding"),  # an image is neither a zip nor text
    ("deck.csv", b"SQLite format 3\x00" + bytes(200), "SQLite"),
    ("deck.json", b"\x1f\x8b\x08\x00" + bytes(40), "gzip"),
    ("deck.apkg", b"PK\x03\x04" + b"garbage" * 20, "zip"),
    ("deck.csv", b"", "empty"),
    ("deck.csv", b"   \n\n  ", "empty"),
    ("deck.json", b'{"format": "something-else"}', "not a quizapp deck"),
    ("deck.json", b"[" * 100_000, "JSON"),
])
def test_uploads_are_typed_by_content(owner, name, data, reason):
    before = snapshot()
    response = upload(owner, name, data)
    assert response.status_code == 400, (name, response.status_code)
    assert reason in errors_of(response), reason
    assert snapshot() == before


def test_a_plain_zip_named_apkg_is_refused(owner):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not anki")
    response = upload(owner, "deck.apkg", buffer.getvalue())
    assert response.status_code == 400
    assert "no Anki collection" in errors_of(response)


def test_json_named_csv_is_read_as_a_deck(owner):
    document = {"format": "quizapp.deck", "format_version": 1, "deck": {"title": "By content"},
                "cards": [{"guid": "a", "kind": "basic", "prompt": "Q", "answer": "A"}]}
    response = upload(owner, "deck.csv", json.dumps(document).encode())
    assert response.status_code == 200 and "By content" in errors_of(response)


def _bomb() -> bytes:
    """300 MB of zeros in a few hundred kilobytes, claiming to be Anki's collection."""
    buffer = io.BytesIO()
    with (zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
          archive.open("collection.anki2", "w", force_zip64=True) as member):
        chunk = bytes(8 * 1024 * 1024)
        for _ in range(300 // 8 + 1):
            member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused(owner):
    data = _bomb()
    assert len(data) < 2 * 1024 * 1024
    before = snapshot()
    response = upload(owner, "bomb.apkg", data)
    assert response.status_code == 400
    assert "zip bomb" in errors_of(response) or "too large" in errors_of(response).lower()
    assert snapshot() == before


def _anki_with_hostile_media() -> bytes:
    import tempfile
    from pathlib import Path

    import genanki

    model = genanki.BASIC_MODEL
    deck = genanki.Deck(1234567, "Traversal")
    deck.add_note(genanki.Note(model=model, fields=['<img src="../../evil.png"> Q', "A"]))
    deck.add_note(genanki.Note(model=model, fields=['<img src="ok.png"> Q2', "A2"]))
    with tempfile.TemporaryDirectory() as tmp:
        ok = Path(tmp) / "ok.png"
        ok.write_bytes(PNG)
        path = Path(tmp) / "t.apkg"
        package = genanki.Package(deck)
        package.media_files = [str(ok)]
        package.write_to_file(path)
        data = path.read_bytes()
    # Rewrite the package: a member escaping the archive and a media map naming it.
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "media":
                names = json.loads(content)
                names["9"] = "../../evil.png"
                names["10"] = "/etc/passwd"
                content = json.dumps(names).encode()
            target.writestr(info, content)
        target.writestr("9", PNG)
        target.writestr("10", b"root:x:0:0")
        target.writestr("../../escape.txt", b"outside")
    return out.getvalue()


def test_path_traversal_in_a_package_is_refused_or_neutralised(owner, tmp_path):
    response = upload(owner, "traversal.apkg", _anki_with_hostile_media())
    assert 200 <= response.status_code < 500
    if response.status_code == 200:
        token = PendingUpload.query.one().token
        confirm = owner.post("/decks/upload/confirm",
                             data={"token": token, "csrf_token": owner.csrf})
        assert confirm.status_code == 303
        names = [m.name for m in db.session.scalars(db.select(Media).join(Deck).where(
            Deck.title == "Traversal"))]
        assert names and all("/" not in n and "\\" not in n and ".." not in n for n in names)
    else:
        assert response.status_code == 400
    assert not (tmp_path.parent / "escape.txt").exists()


def _fifty_card_deck() -> bytes:
    document = {"format": "quizapp.deck", "format_version": 1, "deck": {"title": "Half"},
                "cards": [{"guid": f"c{i}", "kind": "basic", "prompt": f"Q{i}", "answer": "A"}
                          for i in range(50)]}
    return json.dumps(document).encode()


def test_an_import_failing_while_storing_leaves_no_deck(owner, monkeypatch):
    response = upload(owner, "half.json", _fifty_card_deck())
    assert response.status_code == 200
    token = db.session.scalars(db.select(PendingUpload.token).where(
        PendingUpload.filename == "half.json")).one()
    before_decks = db.session.query(Deck).count()
    before_cards = db.session.query(Card).count()
    real = deck_service.store_deck

    def store_then_fail(*args, **kwargs):
        real(*args, **kwargs)  # cards flushed to the database, not committed
        assert db.session.query(Card).count() == before_cards + 50
        raise RuntimeError("disk full")

    monkeypatch.setattr(deck_service, "store_deck", store_then_fail)
    failed = owner.post("/decks/upload/confirm", data={"token": token, "csrf_token": owner.csrf})
    assert failed.status_code == 500
    db.session.expire_all()
    assert db.session.query(Deck).count() == before_decks
    assert db.session.query(Card).count() == before_cards
    # The upload is still there, so the instructor can simply try again.
    monkeypatch.setattr(deck_service, "store_deck", real)
    retried = owner.post("/decks/upload/confirm", data={"token": token, "csrf_token": owner.csrf})
    assert retried.status_code == 303
    assert db.session.query(Card).count() == before_cards + 50
