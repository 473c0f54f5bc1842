"""The task queue (Huey) that runs background jobs, and the workers that consume it.

Which queue: ``QUIZAPP_QUEUE_URL`` empty keeps it in ``instance/jobs.sqlite`` (nothing but
Python, one machine); ``redis://host:port/db`` shares it between hosts; ``immediate`` runs each
job inside the request that queues it. The queue carries only job ids: the job's files,
progress and result live in the database (:mod:`quizapp.services.jobs`), so a lost message is
recovered by the stale-job check and never loses data.

One exception: the live counts of a job's last step (rows imported so far) are kept in the
queue's own storage, because that step runs inside the transaction that stores its result,
and on SQLite no other connection may write to the database until it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

EXTENSION = "quizapp_queue"


@dataclass(frozen=True)
class JobQueue:
    huey: Huey
    run_job: Any  # the Huey task: calling it with a job id enqueues that job


def make_queue(app: Flask, url: str | None = None, name: str | None = None) -> JobQueue:
    url = app.config.get("QUIZAPP_QUEUE_URL", "") if url is None else url
    # Installations (or test runs) sharing one Redis keep apart by the queue's name.
    name = name or app.config.get("QUIZAPP_QUEUE_NAME") or "quizapp"
    if url == "immediate":
        huey: Huey = MemoryHuey(name, immediate=True, results=False)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        huey = RedisHuey(name, url=url, results=False)
    else:
        path = url.removeprefix("sqlite:///") or str(Path(app.instance_path) / "jobs.sqlite")
        huey = SqliteHuey(name, filename=path, results=False)

    def run_job(job_id: int) -> None:
        from ..services.jobs import run_job as run

        with app.app_context():
            run(job_id)

    return JobQueue(huey=huey, run_job=huey.task(name="quizapp.run_job")(run_job))


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = make_queue(app)
    if app.config.get("QUIZAPP_WORKER") == "thread":
        from .worker import start_in_process

        start_in_process(app)


def job_queue() -> JobQueue:
    return current_app.extensions[EXTENSION]


def enqueue(job_id: int) -> None:
    """Hand the job to a worker (with the immediate queue: run it now)."""
    job_queue().run_job(job_id)


def _live_key(job_id: int) -> str:
    return f"quizapp.job-live.{job_id}"


def put_live(job_id: int, counts: dict) -> None:
    """Publish a running job's latest counts where its page can read them at once."""
    job_queue().huey.put(_live_key(job_id), counts)


def live_counts(job_id: int) -> dict:
    return job_queue().huey.get(_live_key(job_id), peek=True) or {}


def drop_live(job_id: int) -> None:
    job_queue().huey.delete(_live_key(job_id))
