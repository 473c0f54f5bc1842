"""Background jobs in the database: queueing with per-user limits, claiming, progress,
finishing in one guarded transaction, and recovering jobs whose worker stopped."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import abort, current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..formats.detect import ImportFailed
from ..jobs import drop_live, enqueue, live_counts, put_live
from ..models import ACTIVE_JOB_STATUSES, Job, JobFile, PendingUpload, User, utcnow
from ..scheduling.fitting import FitFailed
from .deck_simulation import SimulationRefused
from .decks import MediaOverLimit
from .generation import GenerationFailed
from .personal_params import FitRefused

log = logging.getLogger(__name__)

ACTIVE = ACTIVE_JOB_STATUSES
# Progress is written at most this often (seconds), besides the heartbeat.
PROGRESS_INTERVAL = 0.5


class JobRefused(ValueError):
    """A job or upload over the user's allowance; the message says what to do."""


@dataclass(frozen=True)
class Outcome:
    """What a job kind's runner may return instead of the bare id of its deck."""

    deck_id: int
    message: str = ""  # said once with the result (a flash when the job page sends there)


# --- limits ------------------------------------------------------------------------------


def stored_upload_bytes(user_id: int) -> int:
    """Bytes the user's pending previews and unfinished jobs keep in the database."""
    pending = db.session.scalar(
        select(func.coalesce(func.sum(func.length(PendingUpload.data)), 0)).where(
            PendingUpload.user_id == user_id
        )
    )
    queued = db.session.scalar(
        select(func.coalesce(func.sum(JobFile.size), 0))
        .join(Job, Job.id == JobFile.job_id)
        .where(Job.user_id == user_id, Job.status.in_(ACTIVE))
    )
    return int(pending) + int(queued)


def check_storage_allowance(user: User, new_bytes: int) -> None:
    limit = current_app.config["QUIZAPP_MAX_STORED_UPLOAD_BYTES"]
    if stored_upload_bytes(user.id) + new_bytes > limit:
        raise JobRefused(
            f"Your uploads waiting for preview or processing would take more than "
            f"{limit / 1024 / 1024:.0f} MB. Confirm or let earlier ones finish first."
        )


def check_job_allowance(user: User) -> None:
    limit = current_app.config["QUIZAPP_MAX_ACTIVE_JOBS"]
    active = db.session.scalar(
        select(func.count(Job.id)).where(Job.user_id == user.id, Job.status.in_(ACTIVE))
    )
    if active >= limit:
        raise JobRefused(
            f"You already have {active} jobs waiting or running (at most {limit}). "
            "Wait for one to finish."
        )


# --- queueing and reading ----------------------------------------------------------------


def queue_job(
    user: User, kind: str, *, files: list[tuple[str, bytes]] = (), title: str | None = None,
    upload_token: str | None = None, deck_id: int | None = None,
) -> Job:
    """Store the job with its files, commit, and hand it to the queue. Confirming one upload
    twice finds the job already following it. ``deck_id`` names the deck a job works on
    (fitting, simulating); other jobs get theirs when they finish."""
    if upload_token is not None:
        existing = db.session.scalars(
            select(Job).where(Job.user_id == user.id, Job.upload_token == upload_token,
                              Job.status.in_(ACTIVE))
        ).first()
        if existing is not None:
            return existing
    check_job_allowance(user)
    check_storage_allowance(user, sum(len(data) for _, data in files))
    job = Job(
        user_id=user.id, kind=kind, title=title, upload_token=upload_token, deck_id=deck_id,
        documents_total=len(files),
        files=[
            JobFile(position=index, name=name, size=len(data), data=data)
            for index, (name, data) in enumerate(files)
        ],
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    try:
        enqueue(job_id)
    except Exception:
        log.exception("could not queue job %s", job_id)
        db.session.rollback()
        _fail(job_id, None, "The job queue could not be reached; try again in a moment.")
    db.session.expire_all()
    return db.session.get(Job, job_id)


def job_for(user: User, job_id: int) -> Job:
    """The user's own job; anyone else's is a 404 (admins included: jobs hold uploads)."""
    job = db.session.get(Job, job_id)
    if job is None or job.user_id != user.id:
        abort(404, "No such job.")
    return job


def job_status(job: Job) -> dict:
    live = _live(job.id) if job.status == "running" else {}
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "stage": live.get("stage", job.stage),
        "percent": 100 if job.status == "done" else max(job.percent, live.get("percent", 0)),
        "documents_read": job.documents_read,
        "documents_total": job.documents_total,
        "facts": job.facts,
        "cards": job.cards,
        "rows_done": live.get("rows_done", job.cards if job.status == "done" else 0),
        "rows_total": live.get("rows_total", job.cards),
        "message": job.message,
        "deck_id": job.deck_id,
    }


def _live(job_id: int) -> dict:
    try:
        return live_counts(job_id)
    except Exception:  # an unreachable queue costs the live counts, not the job's page
        log.exception("live counts of job %s could not be read", job_id)
        return {}


# --- running -----------------------------------------------------------------------------


def _write(job_id: int, holder: str | None, **values) -> bool:
    """One update in its own transaction (progress must not wait for the result), made only
    while the worker holding the claim ``holder`` still runs the job."""
    statement = update(Job).where(Job.id == job_id)
    if holder is not None:
        statement = statement.where(Job.claim == holder, Job.status == "running")
    with db.engine.begin() as connection:
        return connection.execute(statement.values(**values)).rowcount == 1


def _claim(job_id: int) -> str | None:
    claim = secrets.token_hex(16)
    with db.engine.begin() as connection:
        claimed = connection.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", claim=claim, attempts=Job.attempts + 1,
                    heartbeat_at=utcnow(), stage="Starting")
        ).rowcount
    return claim if claimed == 1 else None


def _fail(job_id: int, claim: str | None, message: str) -> None:
    """Mark the job failed (unless another worker has taken it over) and drop its files."""
    if _write(job_id, claim, status="failed", message=message, stage="Failed",
              finished_at=utcnow(), claim=None):
        db.session.execute(JobFile.__table__.delete().where(JobFile.job_id == job_id))
        db.session.commit()


class _Heartbeat:
    """Marks the job alive from a thread of its own while the work runs."""

    def __init__(self, app, job_id: int, claim: str):
        self.app, self.job_id, self.claim = app, job_id, claim
        self.stop = threading.Event()
        self.interval = max(0.5, app.config["QUIZAPP_JOB_STALE_SECONDS"] / 4)
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"job-{job_id}")

    def _beat(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                with self.app.app_context():
                    if not _write(self.job_id, self.claim, heartbeat_at=utcnow()):
                        return
            except Exception:
                log.exception("heartbeat of job %s failed", self.job_id)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)


class _Progress:
    """Page-by-page progress is written at most every PROGRESS_INTERVAL; milestones always."""

    MILESTONES = frozenset({"documents_read", "facts", "cards"})

    def __init__(self, job_id: int, claim: str):
        self.job_id, self.claim = job_id, claim
        self.last = self.last_rows = 0.0

    def __call__(self, **values) -> None:
        now = time.monotonic()
        if not self.MILESTONES & values.keys() and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        _write(self.job_id, self.claim, heartbeat_at=utcnow(), **values)

    def rows(self, done: int, total: int, *, percent: int, unit: str = "rows") -> None:
        """Rows stored so far, told from inside the transaction that stores them: through
        the queue's storage, which that transaction does not lock (:mod:`quizapp.jobs`)."""
        now = time.monotonic()
        if done < total and now - self.last_rows < PROGRESS_INTERVAL:
            return
        self.last_rows = now
        try:
            put_live(self.job_id, {"rows_done": done, "rows_total": total, "percent": percent,
                                   "stage": f"Imported {done:,} of {total:,} {unit}"})
        except Exception:  # the bar may stall; the import itself must go on
            log.exception("live counts of job %s could not be written", self.job_id)


def run_job(job_id: int) -> None:
    """Run one job if it is still queued. Everything it produces is committed together with
    its "done", guarded by this worker's claim; any failure leaves only a message."""
    claim = _claim(job_id)
    if claim is None:
        return  # done, failed, or being run by another worker
    _forget_live(job_id)  # an earlier attempt's counts, if its worker died
    job = db.session.get(Job, job_id)
    report = _Progress(job_id, claim)
    app = current_app._get_current_object()
    from .job_kinds import KINDS  # the kinds' runners use this module

    try:
        with _Heartbeat(app, job_id, claim):
            outcome = KINDS[job.kind].run(job, report)
            if not isinstance(outcome, Outcome):
                outcome = Outcome(outcome)
            finished = db.session.execute(
                update(Job)
                .where(Job.id == job_id, Job.claim == claim, Job.status == "running")
                .values(status="done", deck_id=outcome.deck_id, message=outcome.message,
                        percent=100, stage="Done", finished_at=utcnow(),
                        heartbeat_at=utcnow(), claim=None)
            ).rowcount
            if finished != 1:
                db.session.rollback()  # another worker took the job over: its result counts
                return
            db.session.execute(JobFile.__table__.delete().where(JobFile.job_id == job_id))
            db.session.commit()
    except (GenerationFailed, ImportFailed, JobRefused, MediaOverLimit, FitRefused, FitFailed,
            SimulationRefused) as error:
        db.session.rollback()
        _fail(job_id, claim, str(error))
    except Exception:
        log.exception("job %s failed", job_id)
        db.session.rollback()
        _fail(job_id, claim, "Something went wrong while working on this job; it has been "
              "logged. Nothing was saved.")
    finally:
        _forget_live(job_id)


def _forget_live(job_id: int) -> None:
    try:
        drop_live(job_id)
    except Exception:  # left behind, the counts are only read while the job runs
        log.exception("live counts of job %s could not be dropped", job_id)


# --- recovery ----------------------------------------------------------------------------


def recover_stale_jobs() -> int:
    """Requeue (or, after the last attempt, fail) running jobs whose heartbeat stopped."""
    config = current_app.config
    cutoff = utcnow() - timedelta(seconds=config["QUIZAPP_JOB_STALE_SECONDS"])
    stale = db.session.execute(
        select(Job.id, Job.claim, Job.attempts).where(
            Job.status == "running", Job.heartbeat_at < cutoff
        )
    ).all()
    db.session.rollback()
    recovered = 0
    for job_id, claim, attempts in stale:
        guard = (Job.id == job_id, Job.claim == claim, Job.status == "running",
                 Job.heartbeat_at < cutoff)
        with db.engine.begin() as connection:
            if attempts < config["QUIZAPP_JOB_ATTEMPTS"]:
                changed = connection.execute(
                    update(Job).where(*guard).values(
                        status="queued", claim=None, percent=0,
                        stage="Queued again: the worker running it stopped",
                    )
                ).rowcount
            else:
                changed = connection.execute(
                    update(Job).where(*guard).values(
                        status="failed", claim=None, stage="Failed", finished_at=utcnow(),
                        message=f"The worker stopped while working on this job "
                        f"({attempts} attempts). Nothing was saved; upload the files again.",
                    )
                ).rowcount
                if changed:
                    connection.execute(
                        JobFile.__table__.delete().where(JobFile.job_id == job_id)
                    )
                    changed = 0
        if changed:
            enqueue(job_id)
            recovered += 1
    return recovered
