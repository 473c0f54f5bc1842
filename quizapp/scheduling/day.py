"""A learner's "today": their own calendar day, rolling over at 4 a.m. local time as Anki does.

Studying at 1 a.m. still counts for the evening before, so a late session neither breaks a
streak nor makes the next day's cards due early.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROLLOVER_HOUR = 4
_ROLLOVER = timedelta(hours=ROLLOVER_HOUR)  # made once: every answer and page asks for a day


def zone(tz_name: str | None) -> ZoneInfo:
    """The named IANA zone, or UTC for an unknown or empty name."""
    try:
        return ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_known_zone(tz_name: str) -> bool:
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a name longer than the file system allows is looked up as a path too.
        return False
    return True


def learner_day(moment: datetime, tz_name: str | None, rollover_hour: int = ROLLOVER_HOUR) -> date:
    """The learner's day that ``moment`` (aware, or naive meaning UTC) falls in."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone(tz_name))
    shift = _ROLLOVER if rollover_hour == ROLLOVER_HOUR else timedelta(hours=rollover_hour)
    return (local - shift).date()


@lru_cache(maxsize=1024)
def day_start(day: date, tz_name: str | None, rollover_hour: int = ROLLOVER_HOUR) -> datetime:
    """The UTC instant at which the learner's ``day`` begins. Kept per (day, zone): every
    answer and each grade button asks for one, learners share a few days, and the same
    object each time lets the SQLite bind keep its text (``models.columns.sqlite_text``)."""
    local = datetime(day.year, day.month, day.day, rollover_hour, tzinfo=zone(tz_name))
    return local.astimezone(UTC)


def due_in_words(due: date, today: date) -> str:
    """When a card due on ``due`` comes back, said as a person would: "today", "tomorrow",
    "in 6 days", "in about 3 months", "in about 2 years"."""
    days = (due - today).days
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 60:
        return f"in {days} days"
    if days < 730:
        return f"in about {round(days / 30.44)} months"
    return f"in about {round(days / 365.25)} years"
