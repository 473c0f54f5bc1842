"""Learner days as whole numbers, so a database can group instants by learner day.

Pure. A learner day (see :mod:`quizapp.scheduling.day`) is the local date four hours before
the local time, so for an instant ``t`` seconds after the epoch it is day number
``(t + offset - rollover) // 86400`` after 1970-01-01, where ``offset`` is the zone's UTC
offset at ``t``. The offset changes only at a zone's transitions (daylight saving time), a
couple of times a year, so over any span of history it is a short list of
(until, shift) pieces that SQL can test in a CASE expression.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from quizapp.scheduling.day import ROLLOVER_HOUR, zone

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = EPOCH.date()
SECONDS_PER_DAY = 86_400
_PROBE = timedelta(hours=6)  # shorter than any gap between two transitions of a zone


def day_shifts(
    tz_name: str | None, first: datetime, last: datetime, rollover_hour: int = ROLLOVER_HOUR
) -> list[tuple[int | None, int]]:
    """(until, shift) pieces covering ``first`` to ``last``: an instant ``t`` (epoch seconds)
    takes the shift of the first piece whose ``until`` is None or greater than ``t``."""
    local = zone(tz_name)
    rollover = rollover_hour * 3600

    def shift_at(moment: datetime) -> int:
        offset = moment.astimezone(local).utcoffset() or timedelta(0)
        return int(offset.total_seconds()) - rollover

    pieces: list[tuple[int | None, int]] = []
    moment = first
    shift = shift_at(moment)
    while moment < last:
        step = min(moment + _PROBE, last)
        if shift_at(step) != shift:
            change = _first_second_with_new_shift(moment, step, shift, shift_at)
            pieces.append((_epoch_seconds(change), shift))
            shift = shift_at(change)
        moment = step
    pieces.append((None, shift))
    return pieces


def _first_second_with_new_shift(low: datetime, high: datetime, shift: int, shift_at) -> datetime:
    low_s, high_s = _epoch_seconds(low), _epoch_seconds(high)
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if shift_at(EPOCH + timedelta(seconds=middle)) == shift:
            low_s = middle
        else:
            high_s = middle
    return EPOCH + timedelta(seconds=high_s)


def _epoch_seconds(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 1)


def day_of_number(number: int) -> date:
    return EPOCH_DAY + timedelta(days=number)
