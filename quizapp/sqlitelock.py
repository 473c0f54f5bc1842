"""SQLite write transactions queue on a file lock that wakes its waiter the moment it frees.

SQLite's busy handler polls: a writer that finds another process holding the write lock
sleeps 1 ms, then 2, 5, 10 ... 100 ms between tries, even when the lock frees 0.3 ms later
(strace of the HTTP bench under load: 1,281 such sleeps over 2,841 commits). So a connection
to a database file takes an exclusive ``flock`` on ``<database>-writelock`` just before the
statement that opens its write transaction and drops it as soon as the transaction ends
(commit, rollback, a COMMIT or ROLLBACK statement, an error SQLite rolled back, close); the
kernel hands the lock to the next waiter at once, which then finds SQLite's lock free.

Why it cannot deadlock: a connection waits for the flock only before its first write of a
transaction, so never while holding SQLite's write lock; whoever holds the flock waits on
nothing but SQLite's own locks, and those waits stay bounded by ``busy_timeout``. A thread
already holding the flock through one connection does not wait for it on a second one (it
would wait on itself): that second writer is left to SQLite's busy timeout, as before. Each
connection opens the lock file itself, so threads queue as processes do; a forked child
reopens it rather than share (and unlock) its parent's.

Only file databases on the standard ``sqlite3`` driver are locked (``quizapp.extensions``
makes ``WriteLockedConnection`` its connection factory); ``:memory:`` and temporary
databases have nothing to share. Writers that do not use this factory (the ``sqlite3``
shell, another program) are not queued but still meet SQLite's own busy handling. The wait
for the flock has no timeout: a writer waits as long as the write transaction ahead of it
lasts, where SQLite's busy timeout would have failed it after 10 s.
"""

from __future__ import annotations

import fcntl
import io
import os
import sqlite3
import threading
import weakref

# Statements that take SQLite's write lock when they run: the DML that Python's sqlite3
# opens its implicit transaction for, schema changes, and explicit write-first BEGINs.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC", "CREATE", "DROP", "ALTER")
_WRITE_BEGINS = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")

# (lock path, thread id) -> a weak reference to the connection holding it, for every lock
# held in this process, to see a thread's own. Weak: a connection dropped mid-transaction is
# closed by the garbage collector (SQLite rolls back, the lock file's descriptor closes and so
# lets go of the lock), and its dead entry counts for nothing.
_held: dict[tuple[str, int], weakref.ref] = {}
_generation = 0  # bumped in a forked child: locks opened before the fork are the parent's


def _forked() -> None:
    global _generation
    _generation += 1
    _held.clear()


os.register_at_fork(after_in_child=_forked)


def _opens_write(sql: str) -> bool:
    head = sql[:40].lstrip().upper()
    return head.startswith(_WRITES) or head.startswith(_WRITE_BEGINS)


# Every statement passes through here, so the common case (a read, or a write inside a
# transaction already holding the lock) is kept to attribute checks: the base methods are
# called directly rather than through super().
_execute, _executemany = sqlite3.Cursor.execute, sqlite3.Cursor.executemany
_executescript, _cursor = sqlite3.Cursor.executescript, sqlite3.Connection.cursor
_commit, _rollback = sqlite3.Connection.commit, sqlite3.Connection.rollback


class _Cursor(sqlite3.Cursor):
    __slots__ = ()

    def execute(self, sql, parameters=(), /):
        connection = self.connection
        if connection._key is None and connection._lockfile is not None and _opens_write(sql):
            connection._acquire()
        try:
            return _execute(self, sql, parameters)
        finally:
            if connection._key is not None and not connection.in_transaction:
                connection._release()

    def executemany(self, sql, seq_of_parameters, /):
        connection = self.connection
        if connection._key is None and connection._lockfile is not None and _opens_write(sql):
            connection._acquire()
        try:
            return _executemany(self, sql, seq_of_parameters)
        finally:
            if connection._key is not None and not connection.in_transaction:
                connection._release()

    def executescript(self, sql_script, /):
        # A script may write anywhere in it (and commits what was pending first).
        connection = self.connection
        if connection._key is None and connection._lockfile is not None:
            connection._acquire()
        try:
            return _executescript(self, sql_script)
        finally:
            if connection._key is not None and not connection.in_transaction:
                connection._release()


class WriteLockedConnection(sqlite3.Connection):
    """``sqlite3.Connection`` whose write transactions hold the database's write flock."""

    def __init__(self, *args, **kwargs):
        self._lockfile: io.FileIO | None = None
        self._key: tuple[str, int] | None = None  # set while this connection holds the lock
        super().__init__(*args, **kwargs)
        # The main database's file, "" for :memory: and temporary databases.
        path = sqlite3.Connection.execute(self, "PRAGMA database_list").fetchone()[2]
        if path:
            self._lock_path = path + "-writelock"
            self._open_lockfile()

    def _open_lockfile(self) -> None:
        try:
            self._lockfile = io.FileIO(self._lock_path, "a")
        except OSError:  # a read-only directory: no queue, SQLite's busy handling as before
            self._lockfile = None
        self._generation = _generation

    def _acquire(self) -> None:
        key = (self._lock_path, threading.get_ident())
        holder = _held.get(key)
        if holder is not None and holder() is not None:
            return
        if self._generation != _generation:
            self._lockfile = None  # the parent's: closing our copy leaves its lock alone
            self._open_lockfile()
            if self._lockfile is None:
                return
        fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_EX)  # releases the GIL while waiting
        _held[key] = weakref.ref(self)
        self._key = key

    def _release(self) -> None:
        key, self._key = self._key, None
        if key is None:
            return
        _held.pop(key, None)
        if self._lockfile is not None and self._generation == _generation:
            fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_UN)

    def cursor(self, factory=_Cursor):
        return _cursor(self, factory)

    # The C shortcuts would run their statement past the cursor's overrides.
    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script, /):
        return self.cursor().executescript(sql_script)

    # Released once the transaction has ended, even where the driver opens the next one at
    # once (autocommit=False): a new transaction takes no SQLite lock before its first write.
    def commit(self):
        try:
            _commit(self)
        except BaseException:
            if not self.in_transaction:  # a failed COMMIT may leave it open, and the lock held
                self._release()
            raise
        if self._key is not None:
            self._release()

    def rollback(self):
        try:
            _rollback(self)
        except BaseException:
            if not self.in_transaction:
                self._release()
            raise
        if self._key is not None:
            self._release()

    def close(self):
        try:
            super().close()
        finally:
            self._release()
            if self._lockfile is not None:
                self._lockfile.close()
                self._lockfile = None
