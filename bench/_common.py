"""Shared helpers for the benchmarks: throw-away databases, tables, timing statistics.

Every benchmark creates its own databases (SQLite files in a temporary directory, PostgreSQL
databases named ``bench_*_<pid>``) and drops them when it is done, so several people can run
benchmarks on one machine at the same time.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("BENCH_PG_ADMIN_DB", "test")

# Set by ``run_all.py``: a directory where the first benchmark that asks for a database
# migrates one SQLite file and one PostgreSQL database; every later database of that run is a
# copy of them (a file copy, ``CREATE DATABASE ... TEMPLATE``) instead of running every
# migration again. Same schema either way; without it (a script run on its own) each
# database is migrated by ``make_app`` as before.
SCHEMA_CACHE_ENV = "BENCH_SCHEMA_CACHE"
_COPIED_SCHEMA: set[str] = set()  # database URLs made from the cache: make_app skips upgrade

# A real password hash made once (werkzeug's default scrypt costs ~50 ms each): every bench
# user shares the password below, so thousands of accounts load in a single executemany.
BENCH_PASSWORD = "bench-password-1"


def pg_url(name: str, driver: str = "postgresql+psycopg") -> str:
    return f"{driver}://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(pg_url(PG_ADMIN_DB, "postgresql"), connect_timeout=3):
            return True
    except Exception:
        return False


def reachable_engines(spec: str) -> list[str] | None:
    """The engines an ``--engines`` option names; None, having said why, when PostgreSQL is
    named but not reachable (the caller reports the target as missed)."""
    engines = [name.strip() for name in spec.split(",") if name.strip()]
    if "postgresql" in engines and not pg_available():
        print("PostgreSQL is not reachable: cannot measure it (target missed).")
        return None
    return engines


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(pg_url(PG_ADMIN_DB, "postgresql"), autocommit=True) as conn:
        conn.execute(sql)


def create_pg_database(prefix: str, template: str = "") -> str:
    """A fresh database ``bench_<prefix>_<pid>`` (empty, or a copy of ``template``); returns
    its name."""
    name = f"bench_{prefix}_{os.getpid()}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not template:
        _pg_admin(f'CREATE DATABASE "{name}"')
        return name
    import psycopg

    for attempt in range(20):  # the template's last session may still be closing
        try:
            _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return name
        except psycopg.errors.ObjectInUse:
            if attempt == 19:
                raise
            time.sleep(0.1)
    return name


def drop_pg_database(name: str) -> None:
    with contextlib.suppress(Exception):
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"quizapp-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def database(engine: str, prefix: str, workdir: Path) -> Iterator[str]:
    """An empty database URL for ``engine`` ("sqlite" or "postgresql"), dropped afterwards
    (under ``run_all.py``, one already migrated: see ``SCHEMA_CACHE_ENV``)."""
    cache = os.environ.get(SCHEMA_CACHE_ENV, "")
    if engine == "sqlite":
        path = workdir / f"{prefix}.sqlite"
        url = "sqlite:///" + str(path)
        if cache:
            shutil.copyfile(_sqlite_schema(Path(cache)), path)
            _COPIED_SCHEMA.add(url)
        yield url
        return
    name = create_pg_database(prefix, _pg_schema(Path(cache)) if cache else "")
    url = pg_url(name)
    if cache:
        _COPIED_SCHEMA.add(url)
    try:
        yield url
    finally:
        _COPIED_SCHEMA.discard(url)
        drop_pg_database(name)


def _sqlite_schema(cache: Path) -> Path:
    """The cache's migrated SQLite file, migrated on first use (rollback journal, so the one
    file is the whole database)."""
    import sqlite3

    path = cache / "schema.sqlite"
    if not path.exists():
        building = cache / "building.sqlite"
        _migrate_and_close("sqlite:///" + str(building))
        with contextlib.closing(sqlite3.connect(building)) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
        building.rename(path)
    return path


def _pg_schema(cache: Path) -> str:
    """The name of the cache's migrated PostgreSQL database, created on first use (its name
    is kept in the cache directory, so ``run_all.py`` can drop it at the end)."""
    record = cache / "postgresql"
    if not record.exists():
        name = create_pg_database("schema")
        record.write_text(name)
        _migrate_and_close(pg_url(name))
    return record.read_text().strip()


def _migrate_and_close(url: str) -> None:
    from quizapp.extensions import db

    app = make_app(url)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def make_app(url: str, **extra):
    """The real app on ``url``, schema migrated with the project's Alembic migration."""
    from flask_migrate import upgrade

    from quizapp import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-secret-key",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
    }
    config.update(extra)
    app = create_app(config)
    if url in _COPIED_SCHEMA:  # a copy of a database migrated earlier in this run
        return app
    logging.disable(logging.INFO)  # Alembic's "Running upgrade" lines
    try:
        with app.app_context():
            upgrade()
    finally:
        logging.disable(logging.NOTSET)
    return app


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    if title:
        lines.append(title)
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines.append(sep)
    for index, row in enumerate(cells):
        lines.append(
            "| " + " | ".join(
                c.ljust(w) if i == 0 or not _numeric(c) else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ) + " |"
        )
        if index == 0:
            lines.append(sep)
    lines.append(sep)
    return "\n".join(lines)


def _numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or text[0] in "-.") and text[-1] not in ":"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, bool):
        return "met" if value else "MISSED"
    return str(value)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def machine_line() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return (
        f"machine: {platform.node()} {os.cpu_count()} CPU, Python {platform.python_version()},"
        f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f},"
        f" {time.strftime('%Y-%m-%d %H:%M:%S')}"
    )


@functools.cache  # one hash per process: every bench user shares the password
def password_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(BENCH_PASSWORD)


def sm2_state(interval: int, repetitions: int, due, lapses: int = 0) -> dict:
    """The ``card_state.state`` JSON of an SM-2 side at the starting ease."""
    return dict(_sm2_state(interval, repetitions, due, lapses))


@functools.cache  # bulk loads ask for the same few states thousands of times
def _sm2_state(interval: int, repetitions: int, due, lapses: int) -> dict:
    from decimal import Decimal

    from quizapp.scheduling.sm2 import Sm2State
    from quizapp.scheduling.sm2_scheduler import Sm2Scheduler

    state = Sm2State(Decimal("2.5"), interval, repetitions, due, lapses)
    return Sm2Scheduler().to_json(state)
