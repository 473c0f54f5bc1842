"""Generation and large imports as background jobs (run inside the request here: the queue
is "immediate" in tests; tests/test_jobs_worker.py runs real workers)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from conftest import csrf_token, make_user
from source_builders import blocks_of_markdown, build_docx, build_pdf, build_pptx, lecture_blocks
from test_sources import HOSTILE

from quizapp.extensions import db
from quizapp.models import Deck, Job, JobFile, PendingUpload, SourceDocument

FIXTURE = Path(__file__).parent / "fixtures" / "generation" / "hearing-loss.md"


def post_sources(client, files, title=""):
    token = csrf_token(client, "/decks/generate")
    return client.post("/decks/generate", data={
        "csrf_token": token, "title": title,
        "files": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data")


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: db.session.query(model).count()
            for model in (Deck, Job, JobFile, SourceDocument)}


@pytest.mark.parametrize(("name", "build", "where"), [
    ("notes.pdf", lambda: build_pdf(lecture_blocks(12), page_break_before_headings=1), "page"),
    ("deck.pptx", lambda: build_pptx(lecture_blocks(12)), "slide"),
    ("handout.docx", lambda: build_docx(blocks_of_markdown(FIXTURE.read_text())), "paragraph"),
])
def test_a_document_becomes_a_draft_whose_review_page_cites_locations(auth,
        client, instructor, name, build, where):
    auth.login(instructor.email)
    response = post_sources(client, [(name, build())])
    assert response.status_code == 303
    job_url = response.location
    assert re.fullmatch(r"/jobs/\d+", job_url)
    # The job is done (immediate queue): its page sends the instructor to the review page.
    done = client.get(job_url)
    assert done.status_code == 303 and done.location.endswith("/review")
    status = json.loads(client.get(job_url + "/status").get_data())
    assert status["status"] == "done" and status["percent"] == 100
    assert status["documents_read"] == status["documents_total"] == 1
    assert status["facts"] > 0 and status["cards"] > 0
    page = client.get(done.location).get_data(as_text=True)
    cited = re.findall(rf"\({re.escape(name)}\), {where} (\d+)", page)
    assert cited, page[:2000]
    if where != "paragraph":
        assert len(set(cited)) > 1, "facts from different pages/slides cite different ones"
    source = db.session.scalars(db.select(SourceDocument)).one()
    assert source.name == name and source.locations[0] == [0, f"{where} 1"]
    assert counts()["JobFile"] == 0, "a finished job keeps none of its uploads"


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_every_hostile_file_is_refused_in_the_request_and_writes_nothing(auth,
        client, instructor, case):
    name, build, reason = HOSTILE[case]
    auth.login(instructor.email)
    before = counts()
    response = post_sources(client, [(name, build())])
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    assert counts() == before


def test_a_user_has_at_most_a_few_active_jobs(auth, client, app, instructor):
    auth.login(instructor.email)
    for _ in range(app.config["QUIZAPP_MAX_ACTIVE_JOBS"]):
        db.session.add(Job(user_id=instructor.id, kind="generate", status="queued"))
    db.session.commit()
    before = counts()
    response = post_sources(client, [("notes.md", FIXTURE.read_bytes())])
    assert response.status_code == 400
    assert "already have 3 jobs waiting or running" in response.get_data(as_text=True)
    assert counts() == before


def test_stored_upload_bytes_are_capped_per_user(auth, client, app, instructor):
    auth.login(instructor.email)
    app.config["QUIZAPP_MAX_STORED_UPLOAD_BYTES"] = 5000
    try:
        db.session.add(PendingUpload(token="t1", user_id=instructor.id, filename="a.csv",
                                     data=b"x" * 4500))
        db.session.commit()
        response = post_sources(client, [("notes.md", FIXTURE.read_bytes())])
        assert response.status_code == 400
        assert "would take more than" in response.get_data(as_text=True)
        token = csrf_token(client, "/decks/upload")
        preview = client.post("/decks/upload", data={
            "csrf_token": token, "file": (io.BytesIO(b"front,back\n" + b"".join(
                b"Question %d,Answer %d\n" % (n, n) for n in range(100))), "d.csv")},
            content_type="multipart/form-data")
        assert preview.status_code == 400
        assert "would take more than" in preview.get_data(as_text=True)
        assert db.session.query(PendingUpload).count() == 1
        # Another user's allowance is their own.
        other = make_user("other-teacher@example.com", "instructor")
        other_client = app.test_client()
        auth.login(other.email, client=other_client)
        assert post_sources(other_client, [("notes.md", FIXTURE.read_bytes())]).status_code \
            == 303
    finally:
        app.config["QUIZAPP_MAX_STORED_UPLOAD_BYTES"] = 50 * 1024 * 1024


def test_a_large_import_is_confirmed_as_a_job(auth, client, app, instructor):
    auth.login(instructor.email)
    csv = b"front,back\n" + b"".join(b"Question %d,Answer %d\n" % (n, n) for n in range(300))
    token = csrf_token(client, "/decks/upload")
    preview = client.post("/decks/upload", data={
        "csrf_token": token, "file": (io.BytesIO(csv), "big.csv")},
        content_type="multipart/form-data")
    assert preview.status_code == 200
    upload_token = re.search(r'name="token" value="([^"]+)"', preview.get_data(as_text=True))[1]
    app.config["QUIZAPP_IMPORT_JOB_BYTES"] = 1000
    try:
        response = client.post("/decks/upload/confirm", data={
            "csrf_token": csrf_token(client, "/decks/upload"), "token": upload_token})
    finally:
        app.config["QUIZAPP_IMPORT_JOB_BYTES"] = 2 * 1024 * 1024
    assert response.status_code == 303 and response.location.startswith("/jobs/")
    done = client.get(response.location)
    assert done.status_code == 303
    deck = db.session.scalars(db.select(Deck)).one()
    assert done.location == f"/decks/{deck.id}" and len(deck.cards) == 300
    job = db.session.scalars(db.select(Job)).one()
    assert job.kind == "import" and job.cards == 300
    assert db.session.query(PendingUpload).count() == 0
    # Confirming again finds no upload: the job fails with a message, nothing is doubled.
    again = client.post("/decks/upload/confirm", data={
        "csrf_token": csrf_token(client, "/decks/upload"), "token": upload_token})
    assert again.status_code == 400
    assert db.session.query(Deck).count() == 1


def test_a_failed_job_page_shows_the_reason_without_javascript(auth, client, instructor):
    auth.login(instructor.email)
    job = Job(user_id=instructor.id, kind="generate", status="failed", stage="Failed",
              message="notes.pdf: this PDF has no text to read.")
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "this PDF has no text to read" in page
    assert "http-equiv" not in page and "job.js" not in page


def test_a_running_job_page_has_a_progress_bar_and_a_no_javascript_refresh(
    auth, client, instructor
):
    auth.login(instructor.email)
    job = Job(user_id=instructor.id, kind="generate", status="running", percent=40,
              stage="Reading notes.pdf: page 40 of 100", documents_total=1)
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert '<progress id="job-progress" max="100" value="40"' in page
    assert "Reading notes.pdf: page 40 of 100" in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert 'src="/static/job.js"' in page


def test_a_file_that_breaks_only_when_read_fails_its_job_with_the_reason(auth, client, instructor):
    from test_sources import docx_with_document_xml

    auth.login(instructor.email)
    response = post_sources(client, [("notes.docx", docx_with_document_xml(b"<w:document"))])
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "notes.docx: a damaged Office file" in page
    assert counts() == {"Deck": 0, "Job": 1, "JobFile": 0, "SourceDocument": 0}


def test_a_worker_that_lost_its_job_to_another_stores_nothing(app, instructor, monkeypatch):
    """The stale-job check gave the job to another worker while this one still ran it: this
    one's result is rolled back, the job and its files stay with the other worker."""
    from dataclasses import replace

    from sqlalchemy import update

    from quizapp.services import jobs as job_service
    from quizapp.services.job_kinds import KINDS

    job = Job(user_id=instructor.id, kind="generate", status="queued", documents_total=1,
              files=[JobFile(position=0, name="notes.md", size=len(FIXTURE.read_bytes()),
                             data=FIXTURE.read_bytes())])
    db.session.add(job)
    db.session.commit()
    generate = KINDS["generate"].run

    def taken_over_meanwhile(job, report):
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job.id).values(claim="other"))
        return generate(job, report)

    monkeypatch.setitem(KINDS, "generate", replace(KINDS["generate"], run=taken_over_meanwhile))
    job_service.run_job(job.id)
    db.session.expire_all()
    stored = db.session.get(Job, job.id)
    assert (stored.status, stored.claim, len(stored.files)) == ("running", "other", 1)
    assert counts()["Deck"] == 0 and counts()["SourceDocument"] == 0
    # Run again by hand: a job that is not queued is left alone.
    job_service.run_job(job.id)
    assert counts()["Deck"] == 0


def test_an_import_job_of_a_deck_without_cards_finishes(client, app, instructor, auth):
    auth.login(instructor.email)
    document = {"format": "quizapp.deck", "format_version": 1, "deck": {"title": "Empty"},
                "cards": []}
    preview = client.post("/decks/upload", data={
        "csrf_token": csrf_token(client, "/decks/upload"),
        "file": (io.BytesIO(json.dumps(document).encode()), "empty.json")},
        content_type="multipart/form-data")
    assert preview.status_code == 200, preview.get_data(as_text=True)[:300]
    upload_token = re.search(r'name="token" value="([^"]+)"', preview.get_data(as_text=True))[1]
    app.config["QUIZAPP_IMPORT_JOB_BYTES"] = 10
    try:
        response = client.post("/decks/upload/confirm", data={
            "csrf_token": csrf_token(client, "/decks/upload"), "token": upload_token})
    finally:
        app.config["QUIZAPP_IMPORT_JOB_BYTES"] = 2 * 1024 * 1024
    job = db.session.scalars(db.select(Job)).one()
    assert job.status == "done", job.message
    assert response.location == f"/jobs/{job.id}"
    status = client.get(f"/jobs/{job.id}/status").get_json()
    assert (status["rows_done"], status["rows_total"]) == (0, 0)
    assert db.session.get(Deck, job.deck_id).title == "Empty"


def test_each_kind_of_job_has_a_page_of_its_own_title(client, instructor, auth):
    """Titles, headings and the way back after a failure come from the job's kind."""
    from markupsafe import escape

    from quizapp.deckfile import from_dict
    from quizapp.services.decks import store_deck
    from quizapp.services.job_kinds import KINDS

    deck = store_deck(from_dict({"format": "quizapp.deck", "format_version": 1,
                                 "deck": {"title": "Kinds"},
                                 "cards": [{"guid": "kinds-1", "kind": "basic", "prompt": "Q",
                                            "answer": "A"}]}),
                      owner=instructor, publish=True).deck
    db.session.commit()
    auth.login(instructor.email)
    assert len({kind.title for kind in KINDS.values()}) == len(KINDS)
    assert {"generate", "import", "fit", "simulate", "anki_preview",
            "anki_progress"} <= set(KINDS)
    for name, kind in KINDS.items():
        queued = Job(user_id=instructor.id, kind=name, deck_id=deck.id, stage="Queued")
        failed = Job(user_id=instructor.id, kind=name, deck_id=deck.id, status="failed",
                     message=f"The {name} job failed.")
        db.session.add_all([queued, failed])
        db.session.commit()
        page = client.get(f"/jobs/{queued.id}").get_data(as_text=True)
        assert f"<title>{escape(kind.title)} · quizapp</title>" in page
        assert f"<h1>{escape(kind.heading)}</h1>" in page
        assert ('id="job-documents"' in page) == (kind.counts == "documents")
        assert ('id="job-rows"' in page) == (kind.counts == "rows")
        failed_page = client.get(f"/jobs/{failed.id}").get_data(as_text=True)
        assert f"The {name} job failed." in failed_page
        with client.application.test_request_context():
            retry = kind.retry_url(failed)
        assert f'href="{retry}"' in failed_page.replace("&amp;", "&")
        if name != "import":
            assert "Importing a deck" not in page
