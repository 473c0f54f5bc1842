"""Row-level helpers that operations share."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from sqlalchemy import Connection, Pool, bindparam, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from ..extensions import db
from .prepared import Prepared


def insert_once(model, **values) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on the primary or a unique key, in the caller's
    transaction.

    One statement, so a concurrent insert of the same row neither fails nor needs a retry or
    a rollback; both engines the app runs on spell it the same way in SQLAlchemy.
    """
    db.session.execute(upsert(model).values(**values).on_conflict_do_nothing())


def upsert(target):
    """An INSERT on ``target`` (a model or table) that takes ON CONFLICT clauses, spelled
    for the engine the session is bound to."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(target)


def core_connection() -> Connection:
    """The session's connection, for a prebuilt Core statement that needs no ORM objects
    back: about 90 us less per statement than ``Session.execute`` on SQLite. Pending ORM
    changes are flushed first, as ``Session.execute`` would (autoflush)."""
    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection()


def commit_core(connection: Connection) -> None:
    """Commit the session's transaction on ``connection`` (``core_connection()``'s) the way
    the connection itself commits (``Connection._commit_impl``: its ``commit`` event, the
    dialect's commit of the DBAPI connection, a driver error raised as SQLAlchemy's), not
    through ``Session.commit``: for a path that made no ORM change (the answer path).

    The session's own transaction bookkeeping, the pool's check-in and a second checkout
    for any statement after the commit (the feedback page's) are left out: the session keeps
    the connection, and what runs on it next begins a new database transaction there, ended
    by the next commit or by the request's teardown (whose rollback then has nothing to undo).
    Objects are expired when the session expires on commit, as ``Session.commit`` does. With
    ORM changes pending or session commit listeners, this is ``Session.commit``."""
    session = db.session()
    if (session.new or session.dirty or session.deleted or session.dispatch.before_commit
            or session.dispatch.after_commit or _flushed_or_nested(session)):
        session.commit()
        return
    connection._commit_impl()
    if session.expire_on_commit:
        session.expire_all()


def _flushed_or_nested(session) -> bool:
    """The session's own record of its transaction matters: a savepoint is open (a commit
    underneath it would leave the session releasing one that is gone), or objects were
    flushed in it (a later rollback would turn those committed rows' objects transient)."""
    if session.in_nested_transaction():
        return True
    transaction = session.get_transaction()
    return transaction is not None and bool(
        transaction._new or transaction._deleted or transaction._dirty)


def read_outside_transaction() -> None:
    """Run the request's statements on PostgreSQL without a transaction (autocommit), until
    :func:`begin_writes`: for a request that mostly only reads (the study page's GET), or
    whose usual write is one statement (the answer POST: ``study_answer``).

    psycopg sends BEGIN as a round trip of its own before a transaction's first statement,
    and the COMMIT of a transaction that only read is another: two of a study GET's six. Under
    PostgreSQL's READ COMMITTED each statement takes its own snapshot either way, so reads see
    the same rows with or without the transaction, and a lone UPDATE is as atomic on its own.
    SQLite sends nothing for either (pysqlite begins only before a write) and is left as it
    is. Only before the session's first statement (a session that has begun keeps its
    transaction).

    The DBAPI connection is switched itself, and marked in its pool record's ``info`` (cleared
    with the connection if it is invalidated); the pool's ``checkin`` hook switches it back
    when the connection is returned (:func:`_back_in_transaction_mode`). SQLAlchemy's
    ``isolation_level`` execution option did the same through its connection characteristics,
    set and reset on every checkout: ~30 us of CPU per request against ~3 us."""
    session = db.session()
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    fairy = session.connection().connection
    fairy.dbapi_connection.autocommit = True
    fairy.info[_OUTSIDE] = True


def begin_writes(session: Session | None = None) -> None:
    """Before writes that must commit or fail together: after :func:`read_outside_transaction`,
    the rest of the request runs in a transaction (opened by the next statement, ended by the
    request's commit or rollback as usual); otherwise nothing to do. SQLAlchemy commits and
    rolls back through the DBAPI connection in either mode. ``session``: the request's
    (``db.session``) unless given."""
    session = session or db.session()
    if not session.in_transaction():
        return
    connection = session.connection()
    if not outside_transaction(connection):
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.autocommit:  # psycopg refuses the change inside a transaction
        dbapi_connection.autocommit = False


def outside_transaction(connection: Connection) -> bool:
    """``connection`` (the session's) was set to run outside a transaction by
    :func:`read_outside_transaction`: writes that must go together need :func:`begin_writes`
    (it may have been called already). A dictionary lookup: cheap enough for a hot path to
    ask before calling ``begin_writes``."""
    return connection.connection.info.get(_OUTSIDE, False)


_OUTSIDE = "quizapp.rows.outside_transaction"


@event.listens_for(Pool, "checkin")
def _back_in_transaction_mode(dbapi_connection, record) -> None:
    """A connection returned to the pool after :func:`read_outside_transaction` leaves
    autocommit, after the pool's own rollback (no transaction is open; after ``begin_writes``
    the switch has been made already). None: the connection was invalidated."""
    if (record.info.pop(_OUTSIDE, False) and dbapi_connection is not None
            and dbapi_connection.autocommit):
        dbapi_connection.autocommit = False


@event.listens_for(Session, "before_flush")
def _flush_in_transaction(session, flush_context, instances) -> None:
    """An ORM flush may be several statements: never flushed outside a transaction."""
    begin_writes(session)


def get_by_id(model, ident):
    """``Session.get`` for the lookups every request makes (its user, its deck, the learner's
    own scheduler settings): the object the session holds unexpired, else one select built
    once per model (which also refreshes an expired one, or finds it deleted, as
    ``Session.get`` would). ``Session.get`` builds its select on every call: about 150 us
    more per lookup on SQLite. ``ident`` is the primary key, a tuple for several columns."""
    key = ident if isinstance(ident, tuple) else (ident,)
    session = db.session()
    held = session.identity_map.get(model.__mapper__.identity_key_from_primary_key(key))
    if held is not None and not inspect(held).expired:
        return held
    values = {str(index): value for index, value in enumerate(key)}
    return session.scalars(_by_id(model), values).first()


def get_with(model, ident: int, other, other_ident: int):
    """``get_by_id(model, ident)``, and ``get_by_id(other, other_ident)`` read in the same
    statement (a left join on nothing but the second key: None when that row is missing). Both
    single-column keys. One statement where there were two: what a request needs at once (its
    user and the deck in its URL), a round trip less on PostgreSQL and ~0.1 ms of CPU less on
    SQLite. The second object lands in the session like any loaded one, so a later
    ``get_by_id(other, other_ident)`` finds it without a statement (the session keeps a
    reference to it: its identity map alone holds objects weakly).

    When neither object is in the session yet (the start of a request), the statement is a
    :class:`Prepared` one and the objects are made from its row as the ORM's loader makes
    loaded ones (see :func:`_persistent`): their columns set and committed, their deferred
    columns left to load on access, persistent in the session, so changes flush as updates
    and expiry reloads them. ``Session.execute`` of the ORM select costs ~30 us of CPU more on
    SQLite (its execution context, result and entity loading)."""
    session = db.session()
    key = model.__mapper__.identity_key_from_primary_key((ident,))
    held = session.identity_map.get(key)
    if held is not None and not inspect(held).expired:
        return held
    if held is not None or other.__mapper__.identity_key_from_primary_key(
            (other_ident,)) in session.identity_map:
        # Refreshing what the session holds is the ORM's work.
        row = session.execute(_with_other(model, other), {"0": ident, "other": other_ident}
                              ).first()
        found, found_other = (None, None) if row is None else row
    else:
        pair = _pair(model, other)
        values = pair.statement.first(core_connection(), {"0": ident, "other": other_ident})
        if values is None:
            return None
        split = len(pair.names)
        found = _persistent(session, key, pair.names, pair.unloaded, values[:split])
        # The second model's key comes first among its columns: None when it has no row.
        found_other = (None if values[split] is None else _persistent(
            session, other.__mapper__.identity_key_from_primary_key((values[split],)),
            pair.other_names, pair.other_unloaded, values[split:]))
    if found_other is not None:
        session.info.setdefault(_KEPT, []).append(found_other)
    return found


_KEPT = "quizapp.rows.kept"


@dataclasses.dataclass(frozen=True)
class Loaded:
    """What loading ``model`` reads (its key first, deferred columns left out), for a statement
    that reads it with more: the attributes its columns set and those left unloaded."""

    model: Any
    columns: tuple[Any, ...]
    names: tuple[str, ...]
    unloaded: frozenset[str]


@functools.cache
def loaded(model) -> Loaded:
    pairs = _loaded_columns(model)
    names = tuple(name for name, _ in pairs)
    return Loaded(model, tuple(column for _, column in pairs), names, _unloaded(model, names))


def get_with_rows(first: Loaded, ident: int, other: Loaded, other_ident: int,
                  statement: Prepared, params: dict[str, Any]):
    """``get_with`` with more read in the same statement: ``statement`` selects
    ``first.columns``, then ``other.columns`` (a left join: NULL when missing), then columns of
    its own, in rows for the row of ``first`` whose key is ``ident``. (object, rows of the
    remaining columns), the second object attached as ``get_with`` attaches it; (None, [])
    when there is no such row; None when the session holds either object already (then
    ``get_with`` is the call: refreshing what the session holds is the ORM's work)."""
    session = db.session()
    identity_map = session.identity_map
    key = first.model.__mapper__.identity_key_from_primary_key((ident,))
    if key in identity_map or other.model.__mapper__.identity_key_from_primary_key(
            (other_ident,)) in identity_map:
        return None
    rows = statement.all(core_connection(), params)
    if not rows:
        return None, []
    split, end = len(first.names), len(first.names) + len(other.names)
    values = rows[0]
    found = _persistent(session, key, first.names, first.unloaded, values[:split])
    if values[split] is not None:
        found_other = _persistent(
            session, other.model.__mapper__.identity_key_from_primary_key((values[split],)),
            other.names, other.unloaded, values[split:end])
        session.info.setdefault(_KEPT, []).append(found_other)
    return found, [row[end:] for row in rows]


@dataclasses.dataclass(frozen=True)
class _Pair:
    statement: Prepared
    names: tuple[str, ...]  # the attributes its first columns set on the first model
    other_names: tuple[str, ...]  # and the rest on the second
    unloaded: frozenset[str]  # each model's attributes the row leaves unloaded
    other_unloaded: frozenset[str]


@functools.cache
def _pair(model, other) -> _Pair:
    loaded, other_loaded = _loaded_columns(model), _loaded_columns(other)
    (key,) = model.__mapper__.primary_key
    (other_key,) = other.__mapper__.primary_key
    statement = (select(*(column for _, column in loaded + other_loaded))
                 .select_from(model.__table__.outerjoin(
                     other.__table__, other_key == bindparam("other")))
                 .where(key == bindparam("0")))
    names = tuple(name for name, _ in loaded)
    other_names = tuple(name for name, _ in other_loaded)
    return _Pair(Prepared(statement), names, other_names, _unloaded(model, names),
                 _unloaded(other, other_names))


def _unloaded(model, names: tuple[str, ...]) -> frozenset[str]:
    """What ``make_transient_to_detached`` expires on a new object holding only ``names``:
    every other attribute (deferred columns, relationships)."""
    return frozenset(model.__mapper__.class_manager).difference(names)


def _loaded_columns(model) -> list[tuple[str, Any]]:
    """(attribute, column) of what loading ``model`` reads, its key first."""
    mapper = model.__mapper__
    if mapper.inherits or mapper.polymorphic_on is not None or mapper.version_id_col is not None:
        raise ValueError(f"{model.__name__}: loaded by the ORM only (inheritance, versions)")
    (key,) = mapper.primary_key
    columns = [(prop.key, prop.columns[0]) for prop in mapper.column_attrs
               if not prop.deferred and prop.columns[0] is not key]
    return [(mapper.get_property_by_column(key).key, key), *columns]


def _persistent(session, key, names: tuple[str, ...], unloaded: frozenset[str],
                values: tuple):
    """An object of the row's values with identity ``key``, persistent in ``session`` as the
    ORM's loader makes a loaded one (``loading._instance``: a new instance given its key and
    session, put straight into the identity map), with the deferred columns and relationships
    expired as ``make_transient_to_detached`` expires them. ``make_transient_to_detached`` and
    ``Session.add`` did the same through checks that cannot fail here (the caller found the key
    in neither the identity map nor any session) and attach events the app does not listen
    for: ~10 us of CPU per object, two per study request. The session has begun (its
    connection ran the statement), as ``Session.add`` would have made sure."""
    found = key[0].__mapper__.class_manager.new_instance()
    state = instance_state(found)
    state.dict.update(zip(names, values, strict=True))
    state.key = key
    state.identity_token = key[2]
    if unloaded:
        state._expire_attributes(state.dict, unloaded)
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)
    return found


@functools.cache
def _with_other(model, other):
    (key,) = model.__mapper__.primary_key
    (other_key,) = other.__mapper__.primary_key
    return (select(model, other)
            .join_from(model, other, other_key == bindparam("other"), isouter=True)
            .where(key == bindparam("0")))


@functools.cache
def _by_id(model):
    columns = model.__mapper__.primary_key
    return select(model).where(*(column == bindparam(str(index))
                                 for index, column in enumerate(columns)))
