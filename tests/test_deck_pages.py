"""Instructors' deck pages: upload with preview, re-upload, edit, publish; exports via Anki."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from anki_helpers import import_into_fresh_collection
from conftest import ANKI_SAMPLES, csrf_token, login
from study_helpers import basic, make_deck, sm2_of, sm2_row

from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import Card, CardState, Deck, PendingUpload, ReviewLog
from quizapp.scheduling.day import learner_day
from quizapp.services import study

CSV = "front,back,tags\nCapital of France?,Paris,geo\nCapital of Peru?,Lima,geo\n"


def upload(client, data: bytes, name: str):
    token = csrf_token(client, "/decks/upload")
    return client.post("/decks/upload", data={
        "csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def confirm(client, preview_page: str):
    token = re.search(r'name="token" value="([^"]+)"', preview_page).group(1)
    return client.post("/decks/upload/confirm", data={
        "token": token, "csrf_token": csrf_token(client, "/decks/upload")})


def test_upload_shows_a_preview_and_saves_nothing_until_confirmed(client, instructor):
    login(client, instructor.email)
    preview = upload(client, CSV.encode(), "capitals.csv")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Preview: capitals.csv" in page and "Capital of Peru?" in page and "new deck" in page
    assert db.session.query(Deck).count() == 0
    response = confirm(client, page)
    assert response.status_code == 303
    deck = db.session.scalars(db.select(Deck)).one()
    assert deck.owner_id == instructor.id and not deck.published
    assert sorted(c.answer for c in deck.cards) == ["Lima", "Paris"]
    assert db.session.query(PendingUpload).count() == 0
    # The same confirmation again: expired, nothing doubled.
    assert confirm(client, page).status_code == 400
    assert db.session.query(Card).count() == 2


def test_reupload_updates_by_guid_and_keeps_progress(client, instructor, learner):
    login(client, instructor.email)
    confirm(client, upload(client, CSV.encode(), "capitals.csv").get_data(as_text=True))
    card = db.session.scalars(db.select(Card).where(Card.answer == "Paris")).one()
    db.session.add(sm2_row(learner, card, interval=6, repetitions=2, due=date(2031, 1, 1)))
    db.session.commit()
    changed = "front,back,tags\nCapital of France?,Paris (Île-de-France),geo\n"
    page = upload(client, changed.encode(), "capitals.csv").get_data(as_text=True)
    assert "updates your existing deck" in page
    confirm(client, page)
    db.session.expire_all()
    assert db.session.query(Deck).count() == 1
    cards = {c.prompt: c for c in db.session.scalars(db.select(Card))}
    assert cards["Capital of France?"].id == card.id
    assert cards["Capital of France?"].answer == "Paris (Île-de-France)"
    assert cards["Capital of Peru?"].retired
    assert sm2_of(db.session.scalars(db.select(CardState)).one()).interval == 6


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"PK\x03\x04 not really a zip", "deck.apkg", "zip"),
        (b"front\n", "empty.csv", "must be a header"),
        (b"\x00\x01\x02binary", "x.bin", "cannot be imported"),
        (b"question;answer\nonly one cell\n", "ragged.csv", "row 2"),
    ],
)
def test_malformed_uploads_get_a_clear_400_and_change_nothing(client, instructor, data, name,
                                                              message):
    login(client, instructor.email)
    response = upload(client, data, name)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error"' in page
    assert message.lower() in page.lower()
    assert db.session.query(Deck).count() == 0
    assert db.session.query(PendingUpload).count() == 0


def test_oversized_upload_is_refused_with_413(app, instructor, tmp_path):
    small = create_app({**app.config, "MAX_CONTENT_LENGTH": 1024})
    client = small.test_client()
    login(client, instructor.email)
    response = upload(client, b"front,back\n" + b"x,y\n" * 2000, "big.csv")
    assert response.status_code == 413
    assert db.session.query(Deck).count() == 0


def test_every_anki_sample_imports_through_the_browser_flow(client, instructor):
    login(client, instructor.email)
    for path in sorted(ANKI_SAMPLES.glob("*.apkg")):
        page = upload(client, path.read_bytes(), path.name)
        assert page.status_code == 200, (path.name, page.get_data(as_text=True)[:300])
        assert confirm(client, page.get_data(as_text=True)).status_code == 303
    titles = set(db.session.scalars(db.select(Deck.title)))
    assert {"Quiz Sample::Basics", "Quiz Sample::Cloze", "Quiz Sample::Reversed"} <= titles


def test_instructor_adds_edits_and_deletes_cards(client, instructor, learner):
    deck = make_deck([basic("a")], owner=instructor, published=False)
    login(client, instructor.email)
    token = csrf_token(client, f"/decks/{deck.id}/cards/new")
    response = client.post(f"/decks/{deck.id}/cards/new", data={
        "csrf_token": token, "kind": "mcq", "prompt": "Largest planet?",
        "choices": "Mars\nJupiter\nVenus", "correct": "2", "explanation": "By mass.",
        "tags": "space planets"})
    assert response.status_code == 303
    added = db.session.scalars(db.select(Card).where(Card.kind == "mcq")).one()
    assert (added.choices, added.correct_index, added.answer) == (
        ["Mars", "Jupiter", "Venus"], 1, "Jupiter")
    bad = client.post(f"/decks/{deck.id}/cards/new", data={
        "csrf_token": token, "kind": "mcq", "prompt": "Broken", "choices": "one only",
        "correct": "1"})
    assert bad.status_code == 400 and "choices" in bad.get_data(as_text=True)
    original = db.session.scalars(db.select(Card).where(Card.guid == "a")).one()
    client.post(f"/decks/{deck.id}/cards/{original.id}/edit", data={
        "csrf_token": token, "kind": "basic", "prompt": "Edited <script>x</script>",
        "answer": "New answer"})
    db.session.expire_all()
    edited = db.session.get(Card, original.id)
    assert edited.prompt == "Edited " and edited.answer == "New answer"
    # Deleting retires a card (its history kept), so the deletion can be undone.
    db.session.add(ReviewLog(user_id=learner.id, card_id=edited.id, deck_id=deck.id,
                             ordinal=0, phase="learn", grade=4, presentation="p1"))
    db.session.commit()
    edited_id, added_id = edited.id, added.id
    client.post(f"/decks/{deck.id}/cards/{edited_id}/delete", data={"csrf_token": token})
    client.post(f"/decks/{deck.id}/cards/{added_id}/delete", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Card, edited_id).retired
    assert db.session.get(Card, added_id).retired
    client.post(f"/decks/{deck.id}/cards/{added_id}/restore", data={"csrf_token": token})
    db.session.expire_all()
    assert not db.session.get(Card, added_id).retired


def test_publishing_controls_what_learners_see(client, app, instructor, learner):
    deck = make_deck([basic("a")], owner=instructor, published=False, title="Draft deck")
    learner_client = app.test_client()
    login(learner_client, learner.email)
    assert "Draft deck" not in learner_client.get("/").get_data(as_text=True)
    login(client, instructor.email)
    client.post(f"/decks/{deck.id}/publish", data={
        "published": "1", "csrf_token": csrf_token(client, "/")})
    assert "Draft deck" in learner_client.get("/").get_data(as_text=True)
    assert learner_client.get(f"/study/{deck.id}").status_code == 200


def test_progress_export_carries_the_learners_schedule_into_anki(client, learner, tmp_path):
    deck = make_deck([basic("a"), basic("b")], title="Capitals")
    queue = study.SessionQueue()
    day_one = datetime.now(UTC) - timedelta(days=3)
    p = study.choose_next(learner, deck, queue, cram=False, now=day_one)
    token = study.encode_presentation(p, learner.id, "test-secret-key")
    study.record_answer(learner, token, "test-secret-key", grade=5, now=day_one)
    login(client, learner.email)
    package = client.get(f"/decks/{deck.id}/export.apkg?progress=1").data
    collection = import_into_fresh_collection(package, tmp_path, with_scheduling=True)
    try:
        cards = collection.cards()
        studied = cards[("a", 0)]
        state = db.session.scalars(db.select(CardState)).one()
        assert (studied.type, studied.ivl, studied.factor, studied.reps) == (2, 1, 2600, 1)
        # Due one day after the answer, counted in Anki's days.
        expected_due = state.due - learner_day(datetime.now(UTC), learner.timezone)
        assert studied.due - collection.today == expected_due.days
        assert len(studied.revlog) == 1
        assert cards[("b", 0)].type == 0  # never studied: still new in Anki
        assert collection.deck_names() >= {"Capitals"}
    finally:
        collection.close()


def test_anki_images_are_served_with_the_cards(client, instructor):
    login(client, instructor.email)
    page = upload(client, (ANKI_SAMPLES / "sample_modern_sched.apkg").read_bytes(), "s.apkg")
    confirm(client, page.get_data(as_text=True))
    with_image = [c for c in db.session.scalars(db.select(Card)) if "<img" in c.prompt + c.answer]
    assert with_image
    card = with_image[0]
    name = re.search(r'<img[^>]*src="([^"]+)"', card.prompt + card.answer).group(1)
    shown = client.get(f"/decks/{card.deck_id}").get_data(as_text=True)
    assert f'src="/decks/{card.deck_id}/media/{name}"' in shown
    image = client.get(f"/decks/{card.deck_id}/media/{name}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG")
    assert client.get(f"/decks/{card.deck_id}/media/missing.png").status_code == 404
