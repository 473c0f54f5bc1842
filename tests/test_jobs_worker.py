"""Real workers: ``flask jobs worker`` processes beside the app, on the test database (SQLite
or PostgreSQL) with the queue in an SQLite file, as ``make run`` and production use them."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import REPO, SEEDS, csrf_token

from quizapp.extensions import db
from quizapp.jobs import EXTENSION, make_queue
from quizapp.models import Card, Deck, Job, JobFile, PendingUpload, SourceDocument

pytestmark = pytest.mark.slow


def seed_text(megabytes: float) -> bytes:
    """The seed documents repeated to the size asked: text the generator has facts in."""
    text = "\n\n".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    block = (text + "\n\n").encode("utf-8")
    return block * max(1, int(megabytes * 1024 * 1024 / len(block)))


class Workers:
    """Starts and kills ``flask jobs worker`` processes against the app's database and queue."""

    def __init__(self, app, queue_url: str, queue_name: str, log_dir: Path):
        self.app = app
        self.queue_url = queue_url
        self.queue_name = queue_name
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, **settings) -> subprocess.Popen:
        env = {
            **os.environ,
            "QUIZAPP_DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"],
            "QUIZAPP_QUEUE_URL": self.queue_url,
            "QUIZAPP_QUEUE_NAME": self.queue_name,
            "QUIZAPP_SECRET_KEY": "test-secret-key",
            # Killed workers are noticed within seconds (the default is a minute).
            "QUIZAPP_JOB_STALE_SECONDS": "5",
            **{key: str(value) for key, value in settings.items()},
        }
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")
                         for path in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture
def workers(app, tmp_path):
    yield from _workers_on(app, tmp_path, f"sqlite:///{tmp_path / 'queue.sqlite'}")


@pytest.fixture
def redis_workers(app, tmp_path):
    """The server mode: the queue in Redis, shared by every web host and worker."""
    url = os.environ.get("QUIZAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    yield from _workers_on(app, tmp_path, url)


def _workers_on(app, tmp_path, queue_url: str):
    # A queue of this test's own: other runs may share the Redis server.
    queue_name = f"quizapp-test-{uuid.uuid4().hex}"
    saved = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = make_queue(app, queue_url, queue_name)
    pool = Workers(app, queue_url, queue_name, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
        app.extensions[EXTENSION] = saved


def post_sources(client, files, title="Worker draft"):
    token = csrf_token(client, "/decks/generate")
    return client.post("/decks/generate", data={
        "csrf_token": token, "title": title,
        "files": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data")


def job_row(job_id: int) -> Job:
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    db.session.rollback()
    return job


def wait_for(job_id: int, predicate, seconds: float, workers: Workers) -> Job:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        job = job_row(job_id)
        if predicate(job):
            return job
        time.sleep(0.1)
    job = job_row(job_id)
    raise AssertionError(
        f"job {job_id} never got there: {job.status} {job.stage!r} {job.percent} % "
        f"attempt {job.attempts} {job.message!r}\n{workers.logs()[-3000:]}"
    )


def test_a_15_mb_upload_answers_at_once_and_the_worker_makes_the_draft(
        auth, client, instructor, workers):
    auth.login(instructor.email)
    data = seed_text(15)
    assert len(data) >= 14.5 * 1024 * 1024
    started = time.monotonic()
    response = post_sources(client, [("lecture-notes.txt", data)])
    elapsed = time.monotonic() - started
    assert response.status_code == 303 and response.location.startswith("/jobs/")
    # Answered at once: no worker runs yet, so the request cannot have read or generated
    # anything; the job waits untouched in the queue (the time is printed, not bounded).
    print(f"15 MB upload answered in {elapsed:.2f} s")
    job_id = int(response.location.rsplit("/", 1)[1])
    waiting = job_row(job_id)
    assert (waiting.status, waiting.percent, waiting.attempts) == ("queued", 0, 0)
    page = client.get(response.location)
    assert page.status_code == 200 and b'id="job-progress"' in page.data
    # The default heartbeat allowance: storing 15 MB of evidence may hold SQLite's write
    # lock (and so the heartbeat) for longer than the short one the other tests use.
    workers.start(QUIZAPP_JOB_STALE_SECONDS=60)
    job = wait_for(job_id, lambda job: job.finished, 1200, workers)
    assert job.status == "done", job.message
    print(f"job finished {(job.finished_at - job.created_at).total_seconds():.0f} s after "
          "the upload")
    deck = db.session.get(Deck, job.deck_id)
    assert deck.title == "Worker draft" and not deck.published and len(deck.cards) > 20
    assert client.get(response.location).location == f"/decks/{deck.id}/review"
    assert db.session.query(JobFile).count() == 0


def test_the_redis_queue_carries_jobs_to_a_worker(auth, client, instructor, redis_workers):
    from source_builders import build_docx, lecture_blocks

    auth.login(instructor.email)
    redis_workers.start()
    response = post_sources(client, [("handout.docx", build_docx(lecture_blocks(6)))])
    job_id = int(response.location.rsplit("/", 1)[1])
    job = wait_for(job_id, lambda job: job.finished, 120, redis_workers)
    assert job.status == "done", job.message
    assert client.get(response.location).location.endswith("/review")


def kill_mid_job_then_restart(auth, client, instructor, workers, **restart_settings) -> Job:
    auth.login(instructor.email)
    response = post_sources(client, [("lecture-notes.txt", seed_text(1.5))])
    job_id = int(response.location.rsplit("/", 1)[1])
    first = workers.start()
    wait_for(job_id, lambda job: job.status == "running" and job.percent >= 60, 120, workers)
    workers.kill(first)
    # Killed mid-job: nothing of the draft exists, the job still says "running".
    job = job_row(job_id)
    assert job.status == "running" and job.attempts == 1
    assert (db.session.query(Deck).count(), db.session.query(Card).count(),
            db.session.query(SourceDocument).count()) == (0, 0, 0)
    workers.start(**restart_settings)
    return wait_for(job_id, lambda job: job.finished, 300, workers)


def test_a_job_whose_worker_is_killed_is_retried_by_the_next_worker(
        auth, client, instructor, workers):
    job = kill_mid_job_then_restart(auth, client, instructor, workers, QUIZAPP_JOB_ATTEMPTS=2)
    assert job.status == "done" and job.attempts == 2, job.message
    assert db.session.query(Deck).count() == 1
    deck = db.session.get(Deck, job.deck_id)
    assert len(deck.cards) > 20 and len(deck.sources) == 1


def test_a_job_out_of_attempts_is_failed_with_a_message(auth, client, instructor, workers):
    job = kill_mid_job_then_restart(auth, client, instructor, workers, QUIZAPP_JOB_ATTEMPTS=1)
    assert job.status == "failed"
    assert "The worker stopped while working on this job" in job.message
    assert db.session.query(Deck).count() == 0 and db.session.query(JobFile).count() == 0
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "The worker stopped while working on this job" in page


def queue_csv_import(client, app, rows: int) -> int:
    """Preview a CSV of ``rows`` cards, then confirm it as a background job."""
    csv = b"front,back\n" + b"".join(b"Question %d,Answer %d\n" % (n, n) for n in range(rows))
    preview = client.post("/decks/upload", data={
        "csrf_token": csrf_token(client, "/decks/upload"), "file": (io.BytesIO(csv), "big.csv")},
        content_type="multipart/form-data")
    assert preview.status_code == 200, preview.get_data(as_text=True)[:500]
    token = re.search(r'name="token" value="([^"]+)"', preview.get_data(as_text=True))[1]
    saved = app.config["QUIZAPP_IMPORT_JOB_BYTES"]
    app.config["QUIZAPP_IMPORT_JOB_BYTES"] = 1000
    try:
        response = client.post("/decks/upload/confirm", data={
            "csrf_token": csrf_token(client, "/decks/upload"), "token": token})
    finally:
        app.config["QUIZAPP_IMPORT_JOB_BYTES"] = saved
    assert response.status_code == 303 and response.location.startswith("/jobs/")
    return int(response.location.rsplit("/", 1)[1])


def rows_while_running(client, job_id: int, seconds: float, stop) -> tuple[dict, list[int]]:
    """Poll the job's status as its page does; the partial row counts seen, and the last
    status (when ``stop(status)`` held, or the time ran out)."""
    seen = []
    ends = time.monotonic() + seconds
    while True:
        status = client.get(f"/jobs/{job_id}/status").get_json()
        if status["status"] == "running" and 0 < status["rows_done"] < status["rows_total"]:
            seen.append(status["rows_done"])
        if stop(status) or time.monotonic() > ends:
            return status, seen
        time.sleep(0.05)


def test_a_large_import_shows_the_rows_imported_while_it_runs(client, app, instructor, auth,
                                                              workers):
    auth.login(instructor.email)
    job_id = queue_csv_import(client, app, 20_000)
    assert "Rows imported" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    workers.start(QUIZAPP_JOB_STALE_SECONDS=60)
    status, seen = rows_while_running(
        client, job_id, 300, lambda status: status["status"] in ("done", "failed"))
    assert status["status"] == "done", (status, workers.logs()[-3000:])
    assert status["rows_done"] == status["rows_total"] == 20_000
    assert seen and seen == sorted(seen), f"no live count between 0 and 20,000: {seen}"
    deck = db.session.get(Deck, status["deck_id"])
    assert len(deck.cards) == 20_000


def test_an_import_whose_worker_is_killed_while_storing_leaves_nothing_and_is_retried(
        client, app, instructor, auth, workers):
    auth.login(instructor.email)
    job_id = queue_csv_import(client, app, 20_000)
    first = workers.start()
    status, seen = rows_while_running(
        client, job_id, 300,
        lambda status: status["rows_done"] > 0 or status["status"] in ("done", "failed"))
    assert seen, (status, workers.logs()[-3000:])
    workers.kill(first)
    job = job_row(job_id)
    assert job.status == "running" and job.attempts == 1
    assert (db.session.query(Deck).count(), db.session.query(Card).count()) == (0, 0)
    assert db.session.query(PendingUpload).count() == 1
    workers.start(QUIZAPP_JOB_ATTEMPTS=2)
    job = wait_for(job_id, lambda job: job.finished, 300, workers)
    assert job.status == "done" and job.attempts == 2, job.message
    assert db.session.query(Deck).count() == 1
    assert len(db.session.get(Deck, job.deck_id).cards) == 20_000
    assert db.session.query(PendingUpload).count() == 0


def test_anki_progress_is_read_and_imported_by_the_worker_not_the_request(
        app, auth, client, workers, tmp_path):
    from anki_progress_helpers import studied_package
    from conftest import make_user

    from quizapp.formats.detect import read_upload
    from quizapp.models import CardState
    from quizapp.services.decks import store_deck

    package = studied_package(tmp_path / "anki")
    owner = make_user("teacher@example.org", "instructor")
    deck = store_deck(read_upload("mine.apkg", package).decks[0], owner=owner, publish=True).deck
    db.session.commit()
    learner = make_user("learner@example.org")
    auth.login(learner.email)
    url = f"/decks/{deck.id}/anki-progress"
    response = client.post(url, data={"file": (io.BytesIO(package), "mine.apkg"),
                                      "csrf_token": csrf_token(client, url)},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and response.location.startswith("/jobs/")
    job_id = int(response.location.rsplit("/", 1)[1])
    # No worker yet: the request stored the file with the job and read nothing of it.
    job = job_row(job_id)
    assert (job.status, job.kind) == ("queued", "anki_preview")
    assert db.session.query(JobFile).count() == 1 and db.session.query(PendingUpload).count() == 0
    page = client.get(response.location).get_data(as_text=True)
    assert "<title>Reading my Anki progress" in page and 'id="job-progress"' in page
    workers.start()
    job = wait_for(job_id, lambda job: job.finished, 120, workers)
    assert job.status == "done", job.message
    preview = client.get(response.location)
    assert preview.location == f"/decks/{deck.id}/anki-progress/preview/{job_id}"
    shown = client.get(preview.location).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', shown).group(1)
    confirmed = client.post(f"/decks/{deck.id}/anki-progress/confirm", data={
        "token": token, "csrf_token": csrf_token(client, f"/decks/{deck.id}")})
    assert confirmed.status_code == 303
    job = wait_for(int(confirmed.location.rsplit("/", 1)[1]), lambda job: job.finished, 120,
                   workers)
    assert (job.kind, job.status) == ("anki_progress", "done"), job.message
    assert client.get(confirmed.location).location == f"/progress/decks/{deck.id}"
    assert db.session.query(CardState).filter_by(user_id=learner.id).count() == 4
    assert db.session.query(PendingUpload).count() == 0
