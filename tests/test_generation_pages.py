"""Instructors generate a draft deck from uploaded documents and review it with evidence."""

from __future__ import annotations

import io
import re

import pytest
from conftest import SEEDS, csrf_token

from quizapp.citations import clean_sentence
from quizapp.extensions import db
from quizapp.models import Card, Deck, Job, SourceDocument


def post_sources(client, files, title="Atrophy draft"):
    token = csrf_token(client, "/decks/generate")
    return client.post("/decks/generate", data={
        "csrf_token": token, "title": title,
        "files": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data")


def seed_files():
    return [(path.name, path.read_bytes()) for path in sorted(SEEDS.glob("*.txt"))]


def test_generating_a_draft_keeps_sources_and_shows_evidence(auth, client, instructor):
    auth.login(instructor.email)
    response = post_sources(client, seed_files())
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    deck = db.session.scalars(db.select(Deck)).one()
    assert not deck.published and deck.origin == "generated" and deck.title == "Atrophy draft"
    assert deck.knowledge["types"] and len(deck.cards) > 20
    stored = {doc.name: doc.text for doc in db.session.scalars(db.select(SourceDocument))}
    assert stored == {name: data.decode("utf-8") for name, data in seed_files()}
    page = client.get(f"/decks/{deck.id}/review").get_data(as_text=True)
    assert "Knowledge base" in page and "Draft cards" in page
    assert "Where the sources disagree" in page and "taught as disagreement" in page
    assert "reversible: <strong>yes</strong>" in page
    # Evidence: a card's cited span, taken from the stored source, is shown beside it.
    card = next(c for c in deck.cards if c.sources)
    ref = card.sources[0]
    doc = db.session.scalars(db.select(SourceDocument).where(
        SourceDocument.key == ref["source"])).one()
    evidence = clean_sentence(doc.text[ref["start"]:ref["end"]])
    assert evidence and _escaped(evidence) in page


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&#34;").replace("'", "&#39;")


def test_regenerating_updates_the_same_draft(auth, client, instructor):
    auth.login(instructor.email)
    post_sources(client, seed_files())
    first = {c.guid: c.id for c in db.session.scalars(db.select(Card))}
    post_sources(client, seed_files())
    db.session.expire_all()
    assert db.session.query(Deck).count() == 1
    assert {c.guid: c.id for c in db.session.scalars(db.select(Card))} == first


def test_learner_sees_the_source_after_answering(auth, client, app, instructor, learner):
    auth.login(instructor.email)
    post_sources(client, seed_files())
    deck = db.session.scalars(db.select(Deck)).one()
    client.post(f"/decks/{deck.id}/publish", data={
        "published": "1", "csrf_token": csrf_token(client, "/")})
    learner_client = app.test_client()
    auth.login(learner.email, client=learner_client)
    for _ in range(len(deck.cards)):
        page = learner_client.get(f"/study/{deck.id}").get_data(as_text=True)
        if 'name="choice"' in page:
            break
        token = re.search(r'name="token" value="([^"]+)"', page).group(1)
        learner_client.post(f"/study/{deck.id}/answer", data={
            "token": token, "grade": "5", "typed": "x",
            "csrf_token": csrf_token(learner_client, "/")})
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    feedback = learner_client.post(f"/study/{deck.id}/answer", data={
        "token": token, "choice": "0", "csrf_token": csrf_token(learner_client, "/")})
    text = feedback.get_data(as_text=True)
    assert "<h2>Source</h2>" in text
    # Cited by the documents' titles, never by their machine-made file names.
    titles = {doc.title for doc in deck.sources if doc.title != doc.name}
    assert any(_escaped(title) in text for title in titles)
    assert not any(name in text for name, _ in seed_files())


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "at least one"),
        ([("virus.exe", b"MZ\x90\x00")], "this is a program, not a document"),
        ([("notes.txt", b"GIF89a" + b"\x00" * 20)], "an image (GIF)"),
        ([("blob.txt", b"\x00\x01\x02\x03" * 10)], "binary"),
    ],
)
def test_unusable_documents_get_a_clear_400(auth, client, instructor, files, message):
    auth.login(instructor.email)
    response = post_sources(client, files)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.query(Deck).count() == 0
    assert db.session.query(Job).count() == 0


def test_text_over_the_character_cap_is_refused_in_the_request(auth, client, app, instructor):
    auth.login(instructor.email)
    app.config["QUIZAPP_SOURCE_MAX_CHARS"] = 1000
    try:
        response = post_sources(client, [("huge.txt", b"a " * 600)])
    finally:
        app.config["QUIZAPP_SOURCE_MAX_CHARS"] = 20 * 1024 * 1024
    assert response.status_code == 400
    assert "more than 1,000 characters" in response.get_data(as_text=True)
    assert db.session.query(Job).count() == 0


def test_documents_without_facts_end_in_a_failed_job_with_the_reason(auth, client, instructor):
    auth.login(instructor.email)
    response = post_sources(client, [("notes.txt", b"Nothing here about any condition.")])
    assert response.status_code == 303 and "/jobs/" in response.location
    page = client.get(response.location)
    assert page.status_code == 200
    assert "No facts could be extracted" in page.get_data(as_text=True)
    job = db.session.scalars(db.select(Job)).one()
    assert job.status == "failed" and not job.files
    assert db.session.query(Deck).count() == 0


def test_learners_cannot_generate(auth, client, learner):
    auth.login(learner.email)
    assert post_sources(client, seed_files()).status_code == 403
