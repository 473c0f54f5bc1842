"""The task queue (Huey) that runs background jobs, and the workers that consume it.

Which queue: ``QUIZAPP_QUEUE_URL`` empty keeps it in ``instance/jobs.sqlite`` (nothing but
Python, one machine); ``redis://host:port/db`` shares it between hosts; ``immediate`` runs each
job inside the request that queues it. The queue carries only job ids: the job's files,
progress and result live in the database (:mod:`quizapp.services.jobs`), so a lost message is
recovered by the stale-job check and never loses data.
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
