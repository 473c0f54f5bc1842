"""The answer path's quick readers give what the stock code gives: presentation tokens as
itsdangerous checks them, JSON text as json.loads reads it, and the text SQLite stores for a
UTC datetime as SQLAlchemy writes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from quizapp import jsontext
from quizapp.models import UTCDateTime
from quizapp.services.presentation import (
    Presentation,
    StudyError,
    _serializer,
    decode_presentation,
    encode_presentation,
)

SECRET = "token-secret"
PRESENTATIONS = [
    Presentation(1, 0, "review", 1, "a" * 32, 1700000000.25),
    Presentation(2**31 - 1, 3, "cram", 0, "é-nonce", 0.0, (2, 0, 1)),
    Presentation(7, 1, "learn", 12, "n", 1.5, tuple(range(40))),
]


def _stock_accepts(token: str) -> bool:
    try:
        _serializer(SECRET).loads(token)
    except Exception:
        return False
    return True


def _quick_accepts(token: str) -> bool:
    try:
        decode_presentation(token, 5, SECRET)
    except StudyError:
        return False
    return True


@pytest.mark.parametrize("shown", PRESENTATIONS)
def test_a_genuine_token_reads_back_as_itsdangerous_reads_it(shown):
    token = encode_presentation(shown, 5, SECRET)
    assert decode_presentation(token, 5, SECRET) == shown
    assert _serializer(SECRET).loads(token)[1:6] == [
        shown.card_id, shown.ordinal, shown.mode, shown.state_version, shown.nonce]
    with pytest.raises(StudyError):
        decode_presentation(token, 6, SECRET)  # another learner's
    with pytest.raises(StudyError):
        decode_presentation(token, 5, "another-secret")


@pytest.mark.parametrize("shown", PRESENTATIONS)
def test_an_altered_token_is_accepted_only_where_itsdangerous_accepts_it(shown):
    token = encode_presentation(shown, 5, SECRET)
    altered = {token[:-1], token + "A", token[1:], "." + token, token.replace(".", "", 1),
               "", ".", "abc", "é" + token}
    for position in range(len(token)):
        for replacement in "A_-.0=":
            altered.add(token[:position] + replacement + token[position + 1:])
    altered.discard(token)
    accepted = [candidate for candidate in altered if _quick_accepts(candidate)]
    # A changed last character can spell the same signature bytes: both accept those.
    assert all(_stock_accepts(candidate) for candidate in accepted)
    assert not any(_quick_accepts(candidate) for candidate in altered
                   if not _stock_accepts(candidate))


@pytest.mark.parametrize("text", [
    "[1,2]", '{"a": 1.5, "b": [null, true]}', '"x"', "null", "2.5", " [1]", "[1] ", "\n{}\n",
    "[1]x", "", "1 2", "NaN", b"[1]", '["\\u00e9"]',
])
def test_jsontext_reads_what_json_loads_reads(text):
    try:
        expected = json.loads(text)
    except ValueError as error:
        with pytest.raises(type(error)):
            jsontext.loads(text)
        return
    got = jsontext.loads(text)
    assert got == expected or (got != got and expected != expected)  # NaN


@pytest.mark.parametrize("value", [
    None, datetime(2026, 11, 27, 5, 1, 2, tzinfo=UTC), datetime(2026, 11, 27, 5, 1, 2, 5),
    datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 1, 21, 2, 3, 999999, tzinfo=timezone(timedelta(hours=-5))),
])
def test_a_utc_datetime_is_stored_on_sqlite_as_sqlalchemy_stores_it(value):
    dialect = sqlite.dialect()
    column_type = UTCDateTime().dialect_impl(dialect)
    stock = TypeDecorator.bind_processor(column_type, dialect)
    assert column_type.bind_processor(dialect)(value) == stock(value)
