"""The kinds of background job: what each one runs, what its page is called, what it counts
and where its result and a retry are found. ``Job.kind`` names one of :data:`KINDS`.

A runner takes the job and its progress reporter and returns the id of the deck it worked
on, or an :class:`Outcome` when the job also has a sentence to say when it is done. It
flushes; :func:`quizapp.services.jobs.run_job` commits its work with the job's "done".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select

from ..extensions import db
from ..formats.detect import read_upload
from ..models import Job, PendingUpload, User
from . import anki_progress_jobs
from .deck_simulation import run_simulation_job
from .decks import media_limits, store_deck
from .generation import generate_draft
from .jobs import JobRefused, Outcome
from .personal_params import run_fit_job


@dataclass(frozen=True)
class JobKind:
    name: str
    title: str  # the job page's title
    heading: str  # the job page's heading
    run: Callable[..., int | Outcome]
    result_url: Callable[[Job], str]  # where a done job sends its owner
    retry_url: Callable[[Job], str]  # where a failed job's owner starts again
    counts: str = ""  # what the page counts while it runs: "documents", "rows" or nothing
    rows_label: str = "Rows imported"


def _run_generation(job: Job, report) -> int:
    uploads = [(item.name, item.data) for item in job.files]
    owner = db.session.get(User, job.user_id)
    return generate_draft(uploads, title=job.title, owner=owner, report=report).id


def _run_import(job: Job, report) -> int:
    pending = db.session.scalars(
        select(PendingUpload).where(
            PendingUpload.token == job.upload_token, PendingUpload.user_id == job.user_id
        )
    ).first()
    if pending is None:
        raise JobRefused("This upload has expired or was already imported. Upload it again.")
    report(stage=f"Reading {pending.filename}", percent=10)
    limits = media_limits()
    result = read_upload(pending.filename, pending.data, media_limits=limits)
    owner = db.session.get(User, job.user_id)
    total = sum(len(deck.cards) for deck in result.decks)
    # The last report before the transaction that stores the decks begins: on SQLite a
    # report from another connection would wait for that transaction to end.
    report(stage=f"Saving {total:,} cards", cards=total, percent=50)
    first = None
    before = 0
    for deck in result.decks:
        def rows(done: int, _: int, before=before) -> None:
            stored = before + done
            report.rows(stored, total, percent=50 + 45 * stored // max(total, 1))

        stored = store_deck(deck, owner=owner, max_media_bytes=limits.deck_bytes,
                            progress=rows).deck
        first = first or stored
        before += len(deck.cards)
    db.session.delete(pending)
    db.session.flush()
    return first.id


def _deck_page(job: Job) -> str:
    return url_for("decks.show", deck_id=job.deck_id)


def _deck_section(endpoint: str, anchor: str) -> Callable[[Job], str]:
    """A page of the job's deck, scrolled to the section the job fills."""
    return lambda job: url_for(endpoint, deck_id=job.deck_id, _anchor=anchor)


def _anki_progress_upload(job: Job) -> str:
    if job.deck_id is None:
        return url_for("main.index")
    return url_for("anki_progress.upload", deck_id=job.deck_id)


def _anki_progress_preview(job: Job) -> str:
    """Back to the preview to confirm again while the upload waits, else a new upload."""
    preview = anki_progress_jobs.preview_job_id(job)
    if preview is None:
        return _anki_progress_upload(job)
    return url_for("anki_progress.preview", deck_id=job.deck_id, job_id=preview)


_KINDS = [
    JobKind(
        "generate", "Generating a deck", "Generating a draft deck", _run_generation,
        result_url=lambda job: url_for("decks.review", deck_id=job.deck_id),
        retry_url=lambda job: url_for("decks.generate"), counts="documents",
    ),
    JobKind(
        "import", "Importing a deck", "Importing a deck", _run_import,
        result_url=_deck_page, retry_url=lambda job: url_for("decks.upload"), counts="rows",
    ),
    JobKind(
        "fit", "Fitting your parameters", "Fitting your FSRS parameters", run_fit_job,
        result_url=_deck_section("progress.deck", "parameters"),
        retry_url=_deck_section("progress.deck", "parameters"),
    ),
    JobKind(
        "simulate", "Simulating a deck", "Simulating the deck's reviews", run_simulation_job,
        result_url=_deck_section("decks.settings", "simulation"),
        retry_url=_deck_section("decks.settings", "simulation"),
    ),
    JobKind(
        anki_progress_jobs.PREVIEW, "Reading my Anki progress", "Reading your Anki progress",
        anki_progress_jobs.run_preview,
        result_url=lambda job: url_for("anki_progress.preview", deck_id=job.deck_id,
                                       job_id=job.id),
        retry_url=_anki_progress_upload,
    ),
    JobKind(
        anki_progress_jobs.IMPORT, "Importing my Anki progress",
        "Importing your Anki progress", anki_progress_jobs.run_import,
        result_url=lambda job: url_for("progress.deck", deck_id=job.deck_id),
        retry_url=_anki_progress_preview, counts="rows", rows_label="Card sides imported",
    ),
]

KINDS: dict[str, JobKind] = {kind.name: kind for kind in _KINDS}
