"""Prebuilt Core statements compiled once per dialect and run on the DBAPI cursor of the
session's connection: for the answer path, the hottest write of the app, and the reads of
every study page.

``Connection.execute`` of a prebuilt statement still builds a cache key of it, looks up its
compiled form, sets up an execution context and a result object: about 0.1 ms of CPU per
statement on SQLite, more than SQLite takes to run it. A :class:`Prepared` statement does the
rest of what ``execute`` does, once: it is compiled for the connection's dialect on first use,
each run converts its parameters with the bind processors SQLAlchemy would apply (JSON, dates,
the app's UTC datetimes) and each row read with the result processors. The engine's
``before_cursor_execute`` and ``after_cursor_execute`` listeners still see every statement (the
statement counts of ``tests/test_study_queries.py``; there is no execution context, so their
``context`` is None), and a driver error is raised as
SQLAlchemy's (``IntegrityError`` for a duplicate key), with a lost connection invalidated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass
class _Compiled:
    """One statement as one dialect runs it."""

    sql: str
    names: tuple[str, ...]  # the bind parameters, in the driver's order when positional
    keys: tuple[str, ...] | None  # their names in the SQL for a named paramstyle
    binds: tuple[Processor, ...]
    defaults: Mapping[str, Any]  # values fixed in the statement (a literal)
    columns: tuple[Any, ...]  # the SQL types of the columns it returns
    # Made from the first result's column type codes (PostgreSQL's depend on them).
    results: tuple[Processor, ...] | None = None

    def __post_init__(self) -> None:
        # Only the parameters that have a processor are converted, by their place.
        self._converted = tuple(
            (index, processor) for index, processor in enumerate(self.binds)
            if processor is not None
        )
        self._read: tuple[tuple[int, Callable[[Any], Any]], ...] = ()

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        if self.defaults:
            given = {**self.defaults, **given}
        values = [given[name] for name in self.names]
        for index, processor in self._converted:
            values[index] = processor(values[index])
        return values if self.keys is None else dict(zip(self.keys, values, strict=True))

    def row(self, raw: Sequence[Any], cursor: Any, dialect: Dialect) -> tuple[Any, ...]:
        if self.results is None:
            self.results = tuple(
                sql_type.result_processor(dialect, described[1])
                for sql_type, described in zip(self.columns, cursor.description, strict=True)
            )
            self._read = tuple(
                (index, processor) for index, processor in enumerate(self.results)
                if processor is not None
            )
        if len(raw) != len(self.results):
            raise ValueError("the row does not have the statement's columns")
        values = list(raw)
        for index, processor in self._read:
            value = values[index]
            if value is not None:
                values[index] = processor(value)
        return tuple(values)


class Prepared:
    """A Core statement with no per-run parts (no expanding ``IN``, no Python-side defaults
    left to fill: an insert names every column it writes)."""

    def __init__(self, statement: ClauseElement):
        self.statement = statement
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        # The dialect last asked for and its form: a process almost always has one, and an
        # answer runs about five statements.
        self._last: tuple[Dialect, _Compiled] | None = None

    def _for(self, dialect: Dialect) -> _Compiled:
        last = self._last
        if last is not None and last[0] is dialect:
            return last[1]
        key = (dialect.name, dialect.driver)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = _compile(self.statement, dialect)
        self._last = (dialect, found)
        return found

    def _run(self, connection: Connection, parameters: Mapping[str, Any]) -> Any:
        compiled = self._for(connection.dialect)
        sql, values = compiled.sql, compiled.parameters(parameters)
        cursor = connection.connection.cursor()
        # SQLAlchemy's own test before dispatching: an event name looked up on a
        # connection's dispatcher costs a few microseconds even with no listener.
        events = connection._has_events or connection.engine._has_events
        if events:
            for listener in connection.dispatch.before_cursor_execute:
                sql, values = listener(connection, cursor, sql, values, None, False)
        try:
            cursor.execute(sql, values)
        except connection.dialect.loaded_dbapi.Error as error:
            if connection.dialect.is_disconnect(error, connection.connection, cursor):
                connection.invalidate(error)
            raise DBAPIError.instance(
                sql, values, error, connection.dialect.loaded_dbapi.Error,
                dialect=connection.dialect,
            ) from error
        if events:
            connection.dispatch.after_cursor_execute(connection, cursor, sql, values, None, False)
        return cursor

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> tuple | None:
        """Run in the connection's transaction: the first row, converted as
        ``execute(...).first()`` would, or None."""
        cursor = self._run(connection, parameters)
        raw = cursor.fetchone()
        row = None if raw is None else self._for(connection.dialect).row(
            raw, cursor, connection.dialect)
        cursor.close()
        return row

    def all(self, connection: Connection, parameters: Mapping[str, Any]) -> list[tuple]:
        """Run in the connection's transaction: every row, converted as
        ``execute(...).all()`` would (tuples, not named rows)."""
        cursor = self._run(connection, parameters)
        raw = cursor.fetchall()
        compiled, dialect = self._for(connection.dialect), connection.dialect
        rows = [compiled.row(values, cursor, dialect) for values in raw]
        cursor.close()
        return rows

    def write(self, connection: Connection, parameters: Mapping[str, Any]) -> int:
        """Run in the connection's transaction; the number of rows it changed."""
        cursor = self._run(connection, parameters)
        changed: int = cursor.rowcount
        cursor.close()
        return changed


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("a prepared statement cannot have parameters rendered per run")
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
        raise ValueError("a prepared statement must set every column that has a default")
    binds = {name: bind for bind, name in compiled.bind_names.items()}
    if compiled.positional:
        names, keys = tuple(compiled.positiontup), None
    else:
        names = tuple(dict.fromkeys(binds))
        keys = tuple(compiled.escaped_bind_names.get(name, name) for name in names)
    return _Compiled(
        sql=compiled.string,
        names=names,
        keys=keys,
        binds=tuple(
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ),
        defaults={name: binds[name].effective_value for name in names
                  if not binds[name].required},
        columns=tuple(column.type.dialect_impl(dialect) for column in statement.exported_columns),
    )
