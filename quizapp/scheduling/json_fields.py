"""Reading and writing the fields of stored scheduling states (JSON) strictly: a value of the
wrong type raises ValueError instead of being coerced, so a damaged row is refused, not
half-understood."""

from __future__ import annotations

from datetime import UTC, date, datetime


def iso_or_none(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def whole_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def number_or_none(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def date_or_none(value: object) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO date, got {value!r}")
    return date.fromisoformat(value)


def instant_or_none(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO instant, got {value!r}")
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(f"instant must carry its UTC offset, got {value!r}")
    return instant.astimezone(UTC)
