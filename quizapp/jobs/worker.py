"""Workers: ``flask jobs worker`` (a process of its own, beside gunicorn) or a thread inside the
web process (``QUIZAPP_WORKER=thread``, what ``make run`` uses so it needs nothing else).

Beside Huey's consumer each worker runs the stale-job check: a job whose heartbeat stopped
(its worker was killed or its host died) is queued again or, after its last attempt, failed
with a message. Several workers may run the check at once; each change is guarded.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from huey.consumer import Consumer

from . import EXTENSION

log = logging.getLogger(__name__)


class _EmbeddedConsumer(Consumer):
    """Huey's consumer without signal handlers: in a web process they belong to the server
    (and Python allows them only on the main thread)."""

    def _set_signal_handlers(self):
        pass


def _recover_forever(app: Flask, stop: threading.Event) -> None:
    from ..services.jobs import recover_stale_jobs

    interval = max(1.0, app.config["QUIZAPP_JOB_STALE_SECONDS"] / 3)
    while not stop.wait(interval):
        try:
            with app.app_context():
                recover_stale_jobs()
        except Exception:  # a database blip must not end the check for good
            log.exception("stale-job check failed")


def start_recovery(app: Flask) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=_recover_forever, args=(app, stop), name="quizapp-job-recovery", daemon=True
    )
    thread.start()
    return stop


def start_in_process(app: Flask):
    """Run one worker thread inside this (web) process; jobs stop when the process does and
    are taken up again by the stale-job check when it restarts. Returns a function that
    stops the worker (after the job it is running)."""
    consumer = _EmbeddedConsumer(app.extensions[EXTENSION].huey, workers=1, periodic=False)
    consumer.start()
    recovery = start_recovery(app)

    def stop() -> None:
        recovery.set()
        consumer.stop(graceful=True)

    return stop


def run_worker(app: Flask, threads: int) -> None:
    """The ``flask jobs worker`` loop: until SIGINT (graceful) or SIGTERM."""
    from ..services.jobs import recover_stale_jobs

    with app.app_context():
        recover_stale_jobs()
    stop = start_recovery(app)
    consumer = Consumer(app.extensions[EXTENSION].huey, workers=threads, periodic=False)
    try:
        consumer.run()
    finally:
        stop.set()
