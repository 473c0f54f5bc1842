"""Rate-limit counts kept in the app's own database (the ``database://`` storage).

Flask-Limiter's default store is one process's memory, so every gunicorn worker would allow
the full limit on its own. This storage, the default, counts in the ``rate_limit_counter``
table instead: every worker and host that shares the database shares the count, with no
extra service to run. Each hit is one atomic upsert, so racing workers never lose a count.
"""

from __future__ import annotations

import hashlib
import time
from typing import ClassVar

from limits.storage import Storage
from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import RateLimitCounter

counters = RateLimitCounter.__table__
KEY_LENGTH = counters.c.key.type.length


def _stored_key(key: str) -> str:
    """The limiter's key, or its digest when it would not fit the column (long addresses)."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """Fixed-window counters (the strategy the app uses) in the SQLAlchemy database."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["database"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with db.engine.begin() as connection:
            insert = (postgresql.insert if connection.dialect.name == "postgresql"
                      else sqlite.insert)(counters)
            expired = counters.c.expires_at <= now
            upsert = insert.values(
                key=_stored_key(key), hits=amount, expires_at=now + expiry
            ).on_conflict_do_update(
                index_elements=[counters.c.key],
                set_={
                    "hits": case((expired, amount), else_=counters.c.hits + amount),
                    "expires_at": case((expired, now + expiry), else_=counters.c.expires_at),
                },
            ).returning(counters.c.hits)
            hits = connection.execute(upsert).scalar_one()
            if hits == amount:
                # A window just opened: a good moment to forget windows that have closed.
                connection.execute(delete(counters).where(expired))
        return hits

    def get(self, key: str) -> int:
        with db.engine.connect() as connection:
            hits = connection.execute(
                select(counters.c.hits).where(
                    counters.c.key == _stored_key(key), counters.c.expires_at > time.time()
                )
            ).scalar()
        return hits or 0

    def get_expiry(self, key: str) -> float:
        with db.engine.connect() as connection:
            expires_at = connection.execute(
                select(counters.c.expires_at).where(counters.c.key == _stored_key(key))
            ).scalar()
        now = time.time()
        return expires_at if expires_at is not None and expires_at > now else now

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(select(func.count()).select_from(counters))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(delete(counters)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(counters).where(counters.c.key == _stored_key(key)))
