"""``dialect_function``: one SQL function spelled per engine, run on the test database's."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, Text, column, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from quizapp.extensions import db
from quizapp.services.dialect_function import dialect_function

_larger = dialect_function("larger", BigInteger(), "greatest", sqlite="max")
_joined = dialect_function("joined", Text(), "string_agg", sqlite="group_concat")


def test_each_engine_gets_its_own_spelling_with_the_arguments_as_given():
    call = _larger(column("a", Integer), column("b", Integer))
    assert str(call.compile(dialect=sqlite.dialect())) == "max(a, b)"
    assert str(call.compile(dialect=postgresql.dialect())) == "greatest(a, b)"
    assert call.type.__class__ is BigInteger
    assert call.name == "larger"


def test_two_functions_on_the_same_arguments_are_not_one_cached_statement():
    """Each is its own class, so SQLAlchemy's statement cache tells them apart."""
    a = column("a", Integer)
    assert (select(_larger(a, a))._generate_cache_key()
            != select(_joined(a, a))._generate_cache_key())


def test_they_run_on_the_test_database(app):
    values = union_all(select(literal("b", String).label("v")),
                       select(literal("a", String).label("v"))).subquery()
    joined = db.session.scalar(select(_joined(values.c.v, literal(","))))
    assert sorted(joined.split(",")) == ["a", "b"]
    assert db.session.scalar(select(_larger(literal(3), literal(7)))) == 7
    assert db.session.scalar(select(_larger(literal(-3), literal(-7)))) == -3
