"""Confirms that race each other, media served only as what it safely is, and media never
read where it is not needed.

* Parallel confirms of one upload token: one imports, the others get the answer a repeat
  confirm gets (a 400 saying the upload was already imported), never a 500.
* Parallel confirms of two previews of the same new deck race on the unique (owner, slug)
  key: the loser updates the winner's deck, as a confirm a moment later would.
* Media is served from an allow-list of picture, sound and video types, with ``nosniff``
  and a sandboxing CSP; ``.svg``, ``.html`` and ``.js`` only ever download as bytes.
* The media route and the ``.apkg`` export read blobs a piece at a time, and the CSV export
  does not read them at all (checked on the SQL the database is sent).
"""

from __future__ import annotations

import base64
import io
import json
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from security_payloads import PNG, SVG, World, log_in_as
from sqlalchemy import event, func, select

from quizapp.deckfile import CardData, DeckData, MediaFile
from quizapp.extensions import db
from quizapp.models import Card, Deck, Media, PendingUpload
from quizapp.services import decks as deck_service
from quizapp.services.decks import store_deck

THREADS = 6


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    return World()


def _client(app, user):
    client = app.test_client()
    log_in_as(client, user)
    return client


def _deck_file(title: str = "Raced deck", cards: int = 30) -> bytes:
    return json.dumps({
        "format": "quizapp.deck", "format_version": 1, "deck": {"title": title},
        "cards": [{"guid": f"g{n}", "kind": "basic", "prompt": f"Q{n}", "answer": "A"}
                  for n in range(cards)],
        "media": [{"name": "pic.png", "data": base64.b64encode(PNG).decode()}],
    }).encode()


def _preview(client, data: bytes) -> str:
    response = client.post("/decks/upload", data={"file": (io.BytesIO(data), "deck.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return db.session.scalars(
        select(PendingUpload.token).order_by(PendingUpload.id.desc())
    ).first()


def _race(app, user, tokens: list[str]) -> list[tuple[int, str]]:
    barrier = threading.Barrier(len(tokens))

    def confirm(token):
        client = _client(app, user)
        barrier.wait()
        response = client.post("/decks/upload/confirm", data={"token": token})
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        results = list(pool.map(confirm, tokens))
    db.session.expire_all()
    return results


def test_parallel_confirms_of_one_token_import_once(app, world):
    owner = world.users["owner"]
    token = _preview(_client(app, owner), _deck_file())
    results = _race(app, owner, [token] * THREADS)
    statuses = sorted(status for status, _ in results)
    assert statuses == [303] + [400] * (THREADS - 1)
    repeat = _client(app, owner).post("/decks/upload/confirm", data={"token": token})
    for status, page in results:
        if status == 400:
            assert "already imported" in page
    assert repeat.status_code == 400 and "already imported" in repeat.get_data(as_text=True)
    deck = db.session.scalars(select(Deck).where(Deck.title == "Raced deck")).one()
    assert db.session.scalar(select(func.count(Card.id)).where(Card.deck_id == deck.id)) == 30
    assert db.session.scalar(select(func.count(PendingUpload.id)).where(
        PendingUpload.token == token)) == 0


def test_parallel_confirms_of_previews_of_one_new_deck(app, world):
    owner = world.users["owner"]
    client = _client(app, owner)
    tokens = [_preview(client, _deck_file("Same new deck")) for _ in range(THREADS)]
    results = _race(app, owner, tokens)
    assert [status for status, _ in results] == [303] * THREADS
    [deck] = db.session.scalars(select(Deck).where(Deck.title == "Same new deck")).all()
    assert len(deck.cards) == 30
    assert db.session.scalar(select(func.count(PendingUpload.id)).where(
        PendingUpload.token.in_(tokens))) == 0


# --- serving media ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "served_as", "disposition"), [
    ("pic.png", PNG, "image/png", "inline"),
    ("tune.mp3", b"ID3" + bytes(40), "audio/mpeg", "inline"),
    ("clip.webm", b"\x1aE\xdf\xa3" + bytes(40), "video/webm", "inline"),
    ("evil.svg", SVG, "application/octet-stream", "attachment"),
    ("page.html", b"<script>alert(1)</script>", "application/octet-stream", "attachment"),
    ("code.js", b"alert(document.cookie)", "application/octet-stream", "attachment"),
    ("noext", b"<html><script>alert(1)</script>", "application/octet-stream", "attachment"),
])
def test_media_is_served_only_as_a_safe_type(app, world, name, data, served_as, disposition):
    owner = world.users["owner"]
    deck = store_deck(DeckData(title="Media deck", cards=[CardData("m1", "basic", "q", "a")],
                               media=[MediaFile(name, data)]), owner=owner, publish=True).deck
    db.session.commit()
    # A row stored before the allow-list existed, with a type a browser would run.
    db.session.execute(Media.__table__.update().values(mime="text/html"))
    db.session.commit()
    response = _client(app, world.users["learner"]).get(f"/decks/{deck.id}/media/{name}")
    assert response.status_code == 200
    assert response.mimetype == served_as
    assert response.headers["Content-Disposition"] == disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert response.get_data() == data


# --- media read a piece at a time, or not at all -------------------------------------------


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.lower().split()))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def _reads_whole_blobs(statements: list[str]) -> list[str]:
    return [
        s for s in statements
        if "media.data" in s.replace("substr(media.data", "").replace("length(media.data", "")
    ]


def test_csv_export_and_media_route_and_apkg_export_never_load_whole_blobs(
    app, world, statements, monkeypatch
):
    monkeypatch.setattr(deck_service, "MEDIA_CHUNK_BYTES", 1000)
    owner = world.users["owner"]
    big = PNG + bytes(5000)
    deck = store_deck(DeckData(title="Blobs", cards=[CardData("b1", "basic", "q", "a")],
                               media=[MediaFile("big.png", big), MediaFile("b.png", PNG)]),
                      owner=owner, publish=True).deck
    db.session.commit()
    learner = _client(app, world.users["learner"])
    statements.clear()
    csv = learner.get(f"/decks/{deck.id}/export.csv")
    assert csv.status_code == 200
    assert not any("from media" in s for s in statements)

    statements.clear()
    image = learner.get(f"/decks/{deck.id}/media/big.png")
    assert image.get_data() == big
    assert _reads_whole_blobs(statements) == []
    assert sum("substr(media.data" in s for s in statements) == 6  # 5,070 bytes / 1,000

    statements.clear()
    package = learner.get(f"/decks/{deck.id}/export.apkg")
    assert package.status_code == 200
    assert _reads_whole_blobs(statements) == []
    with zipfile.ZipFile(io.BytesIO(package.get_data())) as archive:
        names = json.loads(archive.read("media"))
        assert {name: archive.read(member) for member, name in names.items()} == {
            "big.png": big, "b.png": PNG}


def test_re_uploads_cannot_grow_a_decks_media_past_the_limit(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "QUIZAPP_MAX_DECK_MEDIA_BYTES", 2 * len(PNG) + 10)
    owner = world.users["owner"]
    client = _client(app, owner)

    def upload_with(name: str):
        deck = json.loads(_deck_file("Growing deck"))
        deck["media"] = [{"name": name, "data": base64.b64encode(PNG).decode()}]
        token = _preview(client, json.dumps(deck).encode())
        return client.post("/decks/upload/confirm", data={"token": token})

    assert upload_with("one.png").status_code == 303
    assert upload_with("two.png").status_code == 303
    refused = upload_with("three.png")
    assert refused.status_code == 400
    assert "would carry" in refused.get_data(as_text=True)
    deck = db.session.scalars(select(Deck).where(Deck.title == "Growing deck")).one()
    assert sorted(db.session.scalars(select(Media.name).where(Media.deck_id == deck.id))) == [
        "one.png", "two.png"]
    # The refused upload is still pending: nothing of it was stored or consumed.
    assert db.session.scalar(select(func.count(PendingUpload.id)).where(
        PendingUpload.filename == "deck.json")) == 1
