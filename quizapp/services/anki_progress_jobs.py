"""Importing a learner's Anki progress as two background jobs, since reading a large
collection takes seconds a web worker should not wait for.

Upload: the request runs only the cheap checks (a zip holding an Anki collection, the
learner's allowances) and queues a *preview* job with the file. The job reads the package,
works out the preview, and keeps the upload and the preview as :class:`PendingUpload` rows
named by the job's token (``<deck id>.<random>``, and that plus ``.preview``); the preview
page reads them. Confirm: the request checks the upload is still there and queues an
*import* job, which reads the package again (the deck or the learner's states may have
changed since the preview) and writes it with :func:`anki_progress.apply_plan`, claiming the
upload in that transaction. Any problem in the file fails the job with its message.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..formats.anki.package import open_package
from ..models import Deck, Job, PendingUpload, User, utcnow
from . import anki_progress
from .jobs import JobRefused, Outcome, queue_job
from .uploads import forget_stale_uploads

PREVIEW = "anki_preview"
IMPORT = "anki_progress"
PREVIEW_SUFFIX = ".preview"
SHOWN_OVERWRITES = 50  # the preview lists this many of the states it would replace
GONE = "This upload has expired or was already imported. Upload the file again."
CHANGED = "Your progress in this deck changed while importing. Confirm again."


@dataclass
class PreviewSummary:
    """What the preview page shows, kept as JSON between the preview job and the page."""

    filename: str
    matched_guid: int
    matched_content: int
    sides: int
    new_reviews: int
    known_reviews: int
    new_in_anki: int
    unmatched_notes: int
    ambiguous_notes: int
    overwrite_count: int
    overwrites: list[dict[str, Any]] = field(default_factory=list)  # the first few

    @classmethod
    def of(cls, filename: str, shown: anki_progress.ProgressPreview) -> PreviewSummary:
        plan = shown.plan
        return cls(
            filename=filename,
            matched_guid=plan.matched("guid"),
            matched_content=plan.matched("content"),
            sides=len(plan.sides),
            new_reviews=shown.new_reviews,
            known_reviews=shown.known_reviews,
            new_in_anki=plan.new_in_anki,
            unmatched_notes=plan.unmatched_notes,
            ambiguous_notes=plan.ambiguous_notes,
            overwrite_count=len(shown.overwrites),
            overwrites=[
                {
                    "prompt": item.prompt,
                    "ordinal": item.ordinal,
                    "due_now": item.due_now.isoformat(),
                    "interval_now": item.interval_now,
                    "due_after": item.due_after.isoformat() if item.due_after else None,
                    "interval_after": item.interval_after,
                    "studied_here_later": item.studied_here_later,
                }
                for item in shown.overwrites[:SHOWN_OVERWRITES]
            ],
        )

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> PreviewSummary:
        return cls(**json.loads(data))


# --- requests ----------------------------------------------------------------------------


def queue_preview(learner: User, deck: Deck, filename: str, data: bytes) -> Job:
    """Queue reading the upload for its preview. ImportFailed when the file is plainly no
    Anki package, JobRefused when it is over the learner's allowances."""
    open_package(data)[0].close()  # the zip's directory only: cheap
    forget_stale_uploads()
    token = f"{deck.id}.{secrets.token_urlsafe(24)}"
    return queue_job(learner, PREVIEW, files=[(filename, data)], upload_token=token,
                     deck_id=deck.id, title=deck.title[:200])


def preview_of(learner: User, deck: Deck, job: Job) -> tuple[PreviewSummary, str] | None:
    """The preview a done preview job left for the deck and the token to confirm it with;
    None once the upload has been imported or has expired."""
    if job.kind != PREVIEW or job.status != "done" or job.deck_id != deck.id:
        return None
    token = job.upload_token or ""
    if not _upload_waits(learner, deck, token):
        return None
    data = db.session.scalar(
        select(PendingUpload.data).where(
            PendingUpload.token == token + PREVIEW_SUFFIX, PendingUpload.user_id == learner.id
        )
    )
    return (PreviewSummary.from_bytes(data), token) if data is not None else None


def preview_job_id(job: Job) -> int | None:
    """The preview job whose upload ``job`` (an import) works on, while that upload waits
    to be confirmed (again, after an import that failed)."""
    if not job.upload_token or job.deck_id is None:
        return None
    learner = db.session.get(User, job.user_id)
    deck = db.session.get(Deck, job.deck_id)
    if learner is None or deck is None or not _upload_waits(learner, deck, job.upload_token):
        return None
    return db.session.scalar(
        select(Job.id).where(Job.user_id == job.user_id, Job.kind == PREVIEW,
                             Job.upload_token == job.upload_token, Job.status == "done")
    )


def queue_import(learner: User, deck: Deck, token: str) -> Job | None:
    """Queue importing the previewed upload; None when it is gone (or not this deck's)."""
    if not _upload_waits(learner, deck, token):
        return None
    return queue_job(learner, IMPORT, upload_token=token, deck_id=deck.id,
                     title=deck.title[:200])


def _upload_waits(learner: User, deck: Deck, token: str) -> bool:
    if not token.startswith(f"{deck.id}."):
        return False
    return db.session.scalar(
        select(PendingUpload.id).where(
            PendingUpload.token == token, PendingUpload.user_id == learner.id
        )
    ) is not None


# --- the jobs ----------------------------------------------------------------------------


def _subjects(job: Job) -> tuple[User, Deck]:
    learner = db.session.get(User, job.user_id)
    deck = db.session.get(Deck, job.deck_id) if job.deck_id is not None else None
    if learner is None or deck is None:
        raise JobRefused("This deck no longer exists.")
    return learner, deck


def run_preview(job: Job, report) -> int:
    learner, deck = _subjects(job)
    upload = job.files[0]
    report(stage=f"Reading {upload.name}", percent=10)
    plan = anki_progress.read_plan(learner, deck, upload.data, utcnow())
    report(stage="Comparing it with your progress here", percent=60)
    shown = PreviewSummary.of(upload.name, anki_progress.preview(learner, deck, plan))
    token = job.upload_token or ""
    db.session.add_all([
        PendingUpload(token=token, user_id=learner.id, filename=upload.name, data=upload.data),
        PendingUpload(token=token + PREVIEW_SUFFIX, user_id=learner.id,
                      filename=upload.name, data=shown.to_bytes()),
    ])
    db.session.flush()
    return deck.id


def run_import(job: Job, report) -> Outcome:
    learner, deck = _subjects(job)
    token = job.upload_token or ""
    data = anki_progress.pending_data(learner, deck, token)
    if data is None:
        raise JobRefused(GONE)
    report(stage="Reading your Anki package", percent=10)
    plan = anki_progress.read_plan(learner, deck, data, utcnow())
    total = len(plan.sides)
    # The last report through the database: the import's transaction begins with the claim,
    # and on SQLite another connection's write would wait for it (see quizapp.jobs).
    report(stage=f"Saving {total:,} card sides", cards=total, percent=50)

    def sides(done: int) -> None:
        report.rows(done, total, percent=50 + 45 * done // max(total, 1), unit="card sides")

    try:
        added = anki_progress.apply_plan(learner, deck, plan, token, progress=sides)
        db.session.execute(
            delete(PendingUpload).where(PendingUpload.token == token + PREVIEW_SUFFIX,
                                        PendingUpload.user_id == learner.id)
        )
        db.session.flush()
    except IntegrityError:
        # A card was studied for the first time in another tab meanwhile; the job's
        # rollback puts the upload back, so confirming again imports on top of that answer.
        raise JobRefused(CHANGED) from None
    if added is None:
        raise JobRefused(GONE)
    return Outcome(
        deck.id,
        f"Imported your Anki progress for {total} card side(s) and {added} review(s).",
    )
