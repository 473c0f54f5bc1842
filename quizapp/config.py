"""Settings, read from the environment with safe defaults (every one is listed in the README)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from . import jsontext
from .formats import DEFAULT_MAX_DECK_MEDIA_BYTES, DEFAULT_MAX_MEDIA_FILE_BYTES

SECRET_KEY_FILE = "secret_key"


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def load_secret_key(instance_path: str) -> str:
    """A random key generated once and kept in the instance folder.

    Keeping it on disk means sessions survive restarts and every gunicorn worker on the
    machine signs cookies with the same key.
    """
    path = Path(instance_path) / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: when several workers start at once, exactly one key wins and all read it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def from_environment(instance_path: str) -> dict:
    database_url = os.environ.get("QUIZAPP_DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "quizapp.sqlite")
    )
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAX_CONTENT_LENGTH": _int_env("QUIZAPP_MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
        "QUIZAPP_MAX_MEDIA_FILE_BYTES": _int_env(
            "QUIZAPP_MAX_MEDIA_FILE_BYTES", DEFAULT_MAX_MEDIA_FILE_BYTES
        ),
        "QUIZAPP_MAX_DECK_MEDIA_BYTES": _int_env(
            "QUIZAPP_MAX_DECK_MEDIA_BYTES", DEFAULT_MAX_DECK_MEDIA_BYTES
        ),
        # Counted in the app's database unless told otherwise, so that every worker and host
        # shares one count (memory:// would give each worker a limit of its own).
        "RATELIMIT_STORAGE_URI": os.environ.get("QUIZAPP_RATELIMIT_STORAGE_URL")
        or "database://",
        "QUIZAPP_LOGIN_RATE_LIMIT": os.environ.get(
            "QUIZAPP_LOGIN_RATE_LIMIT", "10 per minute;100 per hour"
        ),
        # Background jobs: "" keeps the queue in instance/jobs.sqlite (one machine),
        # redis://... shares it between hosts, "immediate" runs each job inside the request.
        "QUIZAPP_QUEUE_URL": os.environ.get("QUIZAPP_QUEUE_URL", ""),
        "QUIZAPP_QUEUE_NAME": os.environ.get("QUIZAPP_QUEUE_NAME", "quizapp"),
        # "thread": this process also runs the jobs (make run); otherwise run
        # `flask jobs worker` beside the web server.
        "QUIZAPP_WORKER": os.environ.get("QUIZAPP_WORKER", ""),
        "QUIZAPP_JOB_STALE_SECONDS": _int_env("QUIZAPP_JOB_STALE_SECONDS", 60),
        "QUIZAPP_JOB_ATTEMPTS": _int_env("QUIZAPP_JOB_ATTEMPTS", 2),
        "QUIZAPP_MAX_ACTIVE_JOBS": _int_env("QUIZAPP_MAX_ACTIVE_JOBS", 3),
        "QUIZAPP_MAX_STORED_UPLOAD_BYTES": _int_env(
            "QUIZAPP_MAX_STORED_UPLOAD_BYTES", 50 * 1024 * 1024
        ),
        "QUIZAPP_IMPORT_JOB_BYTES": _int_env("QUIZAPP_IMPORT_JOB_BYTES", 2 * 1024 * 1024),
        "QUIZAPP_SOURCE_MAX_PAGES": _int_env("QUIZAPP_SOURCE_MAX_PAGES", 500),
        "QUIZAPP_SOURCE_MAX_SLIDES": _int_env("QUIZAPP_SOURCE_MAX_SLIDES", 500),
        "QUIZAPP_SOURCE_MAX_UNPACKED_BYTES": _int_env(
            "QUIZAPP_SOURCE_MAX_UNPACKED_BYTES", 100 * 1024 * 1024
        ),
        "QUIZAPP_SOURCE_MAX_CHARS": _int_env("QUIZAPP_SOURCE_MAX_CHARS", 20 * 1024 * 1024),
        "QUIZAPP_SOURCE_SECONDS": _int_env("QUIZAPP_SOURCE_SECONDS", 120),
        # Reviews a learner needs in a deck before FSRS parameters are fitted to them (Anki's
        # threshold).
        "QUIZAPP_FSRS_FIT_MIN_REVIEWS": _int_env("QUIZAPP_FSRS_FIT_MIN_REVIEWS", 1000),
        # The learner simulator on a deck's settings page: students, days, and the most cards
        # one run introduces (bounds a job's time on a very large deck).
        "QUIZAPP_SIMULATION_STUDENTS": _int_env("QUIZAPP_SIMULATION_STUDENTS", 10),
        "QUIZAPP_SIMULATION_DAYS": _int_env("QUIZAPP_SIMULATION_DAYS", 365),
        "QUIZAPP_SIMULATION_MAX_CARDS": _int_env("QUIZAPP_SIMULATION_MAX_CARDS", 1000),
        "SESSION_COOKIE_SECURE": os.environ.get("QUIZAPP_SECURE_COOKIES", "") == "1",
        "REMEMBER_COOKIE_SECURE": os.environ.get("QUIZAPP_SECURE_COOKIES", "") == "1",
    }
    if os.environ.get("QUIZAPP_SECRET_KEY"):
        settings["SECRET_KEY"] = os.environ["QUIZAPP_SECRET_KEY"]
    return settings


DEFAULTS = {
    # JSON columns are read with jsontext.loads: the same values, less CPU per value.
    # LIFO: a worker takes back the connection it returned last. First in, first out, it
    # rotated through every connection it had opened (logging in opens a second beside the
    # request's, for the rate limiter), waking another PostgreSQL backend each request:
    # 13 % more backend CPU per study request measured (SQLite the same either way).
    "SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_pre_ping": True, "pool_use_lifo": True, "json_deserializer": jsontext.loads,
    },
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "RATELIMIT_HEADERS_ENABLED": True,
}
