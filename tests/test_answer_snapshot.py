"""The answer path's review-log snapshot, put together from the state row's stored text
(``schedules.snapshot_text``), is ``json.dumps(schedules.snapshot(row))`` byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from quizapp.models.columns import sqlite_text
from quizapp.services import schedules

instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                               timezone(-timedelta(hours=8))]),
) | st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1)).map(
    lambda naive: naive.replace(microsecond=0, tzinfo=UTC))
maybe = st.none() | instants
states = st.fixed_dictionaries({
    "scheduler": st.just("sm2"), "v": st.just(1),
    "easiness": st.sampled_from(["2.50", "1.30", "2.36"]),
    "interval": st.integers(0, 40_000), "due": st.none() | st.just("2026-11-27"),
})


def _as_read(value: datetime | None) -> datetime | None:
    """What UTCDateTime gives back for a stored value: aware UTC."""
    return None if value is None else value.astimezone(UTC)


@given(states, maybe, maybe)
def test_text_from_sqlite_columns_is_the_snapshots_json(state, last, due_at):
    row = SimpleNamespace(state=state, last_review_at=_as_read(last), due_at=_as_read(due_at))
    stored = (json.dumps(state), *(None if v is None else sqlite_text(v) for v in (last, due_at)))
    assert schedules.snapshot_text(*stored) == json.dumps(schedules.snapshot(row))


@given(states, maybe, maybe)
def test_text_from_parsed_columns_is_the_snapshots_json(state, last, due_at):
    """PostgreSQL's driver hands back parsed values, in the session's time zone."""
    row = SimpleNamespace(state=state, last_review_at=_as_read(last), due_at=_as_read(due_at))
    assert (schedules.snapshot_text(state, last, due_at)
            == json.dumps(schedules.snapshot(row)))


def test_stored_text_of_another_shape_is_parsed():
    row = SimpleNamespace(state={}, last_review_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                          due_at=None)
    assert (schedules.snapshot_text("{}", "2026-01-02 03:04:05", None)
            == json.dumps(schedules.snapshot(row)))


@given(instants)
def test_an_instant_in_utc_from_its_stored_text_is_its_isoformat(instant):
    """The answer's state_after takes now's ISO text from the text SQLite stores for it."""
    now = instant.astimezone(UTC)
    assert schedules.iso_json(sqlite_text(now)) == json.dumps(now.isoformat())
