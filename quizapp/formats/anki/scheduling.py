"""Reading a collection's scheduling: its clock, the cards' schedule columns and the revlog.

Pure Python, on the same hardened SQLite connection as :mod:`.collection` (read-only,
schema checked, bounded queries, rows one at a time with the same byte budget). Values are
returned as Anki stores them; judging whether they make sense is :mod:`.progress`'s job.

Anki's clock: ``col.crt`` is the instant the collection's day 0 began (the rollover hour of
the day it was created). Review cards are due on a day number counted from there; learning
cards in the intraday queue on an epoch second; new cards hold a queue position. Where the
rollover hour and the creation offset (minutes west of UTC, scheduler v2 and later) live
depends on the layout: the JSON ``col.conf`` (schema 11) or the ``config`` table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, cast

from quizapp.formats import ImportFailed
from quizapp.formats.anki.collection import (
    MAX_CARDS,
    _check_schema,
    _integer,
    _open_read_only,
    _Reader,
)

DEFAULT_ROLLOVER_HOUR = 4
MAX_OFFSET_MINUTES = 24 * 60
# Reviews of the matched cards read from one package; Anki's own limit-free revlog of a
# whole collection is read only for the cards that matched.
MAX_REVIEWS = 100_000
CARD_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class CollectionClock:
    crt: int  # epoch seconds: the start of the collection's day 0
    rollover_hour: int
    offset_minutes: int  # minutes west of UTC when the collection was created

    @cached_property
    def day_zero(self) -> date:
        """The calendar day (as the collection's owner counted days) Anki calls day 0."""
        local = datetime.fromtimestamp(self.crt, UTC) - timedelta(minutes=self.offset_minutes)
        return (local - timedelta(hours=self.rollover_hour)).date()


@dataclass(frozen=True)
class CardSchedule:
    """One Anki card's schedule columns, as stored (``due``/``odue``: see the module doc)."""

    card_id: int
    note_id: int
    ordinal: int
    card_type: int
    queue: int
    due: int
    interval: int
    factor: int
    reps: int
    lapses: int


@dataclass(frozen=True)
class RevlogRow:
    """One revlog row: id is the answer's epoch millisecond; ``interval``/``last_interval``
    are days when positive and seconds (negated) for learning steps; ``kind`` is Anki's
    type (0 learn, 1 review, 2 relearn, 3 filtered, 4 manual, 5 rescheduled)."""

    id: int
    card_id: int
    ease: int
    interval: int
    last_interval: int
    factor: int
    time_ms: int
    kind: int


class ScheduleReader:
    """Scheduling rows of the collection at ``path``; use as a context manager."""

    def __init__(self, path: str):
        self.connection = _open_read_only(path)
        try:
            _check_schema(self.connection)
        except BaseException:
            self.connection.close()
            raise
        self.reader = _Reader(self.connection)

    def __enter__(self) -> ScheduleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.close()

    def clock(self) -> CollectionClock:
        row = next(self.reader.rows("SELECT crt, conf FROM col", 1, "collections"), None)
        if row is None:
            raise ImportFailed("The collection inside the Anki package is empty.")
        crt, conf_text = _integer(row[0]), row[1]
        settings = _json_object(conf_text)
        if self._has_table("config"):
            for key, value in self.reader.rows(
                "SELECT key, val FROM config WHERE key IN ('rollover', 'creationOffset')",
                2, "settings",
            ):
                settings[str(key)] = _json_value(value)
        rollover = settings.get("rollover", DEFAULT_ROLLOVER_HOUR)
        if not _is_int(rollover) or not 0 <= rollover <= 23:
            rollover = DEFAULT_ROLLOVER_HOUR
        offset = settings.get("creationOffset", 0)
        if not _is_int(offset) or abs(offset) > MAX_OFFSET_MINUTES:
            offset = 0
        return CollectionClock(crt, rollover, offset)

    def schedules(self) -> dict[tuple[int, int], CardSchedule]:
        """Every card's schedule by (note id, ordinal); a filtered deck's card is read with
        its home-deck due (``odue``), which is what it returns to."""
        out = {}
        for row in self.reader.rows(
            "SELECT id, nid, ord, type, queue, due, ivl, factor, reps, lapses, odue, odid"
            " FROM cards", MAX_CARDS, "cards",
        ):
            card_id, note_id, ordinal, kind, queue, due, ivl, factor, reps, lapses, odue, odid = (
                _integers(row)
            )
            if odid and odue:
                due = odue
            out[(note_id, ordinal)] = CardSchedule(
                card_id, note_id, ordinal, kind, queue, due, ivl, factor, reps, lapses
            )
        return out

    def revlog(self, card_ids: Iterable[int]) -> dict[int, list[RevlogRow]]:
        """The review history of the given cards, oldest first, at most MAX_REVIEWS rows."""
        if not self._has_table("revlog"):
            return {}
        wanted = sorted(set(card_ids))
        out: dict[int, list[RevlogRow]] = {}
        count = 0
        for start in range(0, len(wanted), CARD_IDS_PER_QUERY):
            chunk = wanted[start:start + CARD_IDS_PER_QUERY]
            marks = ", ".join("?" * len(chunk))
            cursor = self.connection.execute(
                "SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog"
                f" WHERE cid IN ({marks}) LIMIT ?",
                (*chunk, MAX_REVIEWS - count + 1),
            )
            for row in cursor:
                count += 1
                if count > MAX_REVIEWS:
                    raise ImportFailed(
                        f"The Anki package holds more than {MAX_REVIEWS} reviews of this "
                        "deck's cards, so it was refused."
                    )
                entry = RevlogRow(*_integers(row))
                out.setdefault(entry.card_id, []).append(entry)
        for rows in out.values():
            rows.sort(key=lambda entry: entry.id)
        return out

    def _has_table(self, name: str) -> bool:
        return self.connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone() is not None


def _integers(row: tuple[object, ...]) -> tuple[int, ...]:
    # type() rather than isinstance: a bool is no column value, and this runs per revlog row.
    if all(type(value) is int for value in row):
        return cast(tuple[int, ...], row)
    raise ImportFailed("The collection inside the Anki package has damaged rows.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_value(value: object) -> object:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except (json.JSONDecodeError, RecursionError):
        return None


def _json_object(value: object) -> dict[str, Any]:
    parsed = _json_value(value)
    return parsed if isinstance(parsed, dict) else {}
