"""What every table module shares: the aware-UTC column type, its default (utcnow) and the
largest id an integer column holds."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

# The largest id an integer column holds on every engine; larger ones name no row.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every engine (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    # On SQLite, one function instead of SQLAlchemy's two (ours above, then its DATETIME's
    # formatting through a dict): the text it stores, "YYYY-MM-DD HH:MM:SS.ffffff" in UTC.
    # The answer path binds several per answer.
    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return sqlite_text


# The last two values sqlite_text formatted and their texts, newest first: an answer binds
# the same instant three times (answered, last reviewed, memory reviewed) with its due instant
# between them (a day's start, the same object for the same day: day.day_start), and
# formatting an aware datetime costs ~11,000 instructions. Datetimes are immutable, and the
# references kept here keep the values' identities from being reused; the tuple is replaced in
# one step, so threads can share it.
_last_texts: tuple[tuple[datetime | None, str | None], ...] = ((None, None), (None, None))


def sqlite_text(value: datetime | None) -> str | None:
    """The text SQLite stores for ``value``: "YYYY-MM-DD HH:MM:SS.ffffff" in UTC."""
    global _last_texts
    if value is None:
        return None
    newest, older = _last_texts
    if value is newest[0]:
        return newest[1]
    if value is older[0]:
        return older[1]
    instant = value
    if instant.tzinfo is not None and instant.utcoffset():
        instant = instant.astimezone(UTC)
    # isoformat pads the year to four digits; an aware value's offset (+00:00) is cut off.
    text = instant.isoformat(" ", "microseconds")[:26]
    _last_texts = ((value, text), newest)
    return text
