"""SQLite writers queue on the database's write flock (quizapp.sqlitelock): every write
lands from many processes and threads, and the lock is let go on every way out of a
transaction."""

from __future__ import annotations

import fcntl
import gc
import multiprocessing
import os
import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

import quizapp.extensions  # noqa: F401 - registers the factory on every SQLAlchemy engine
from quizapp.sqlitelock import WriteLockedConnection

WRITERS = 4
ANSWERS = 60


def engine_for(path):
    return create_engine(f"sqlite:///{path}")


def make_table(path) -> None:
    engine = engine_for(path)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE log (writer INTEGER, n INTEGER, UNIQUE (writer, n))"))
        conn.execute(text("CREATE TABLE tally (id INTEGER PRIMARY KEY, total INTEGER)"))
        conn.execute(text("INSERT INTO tally VALUES (1, 0)"))
    engine.dispose()


def answer_many(path, writer: int) -> None:
    """An answer's shape: a read outside the transaction, then an update and an insert."""
    engine = engine_for(path)
    for n in range(ANSWERS):
        with engine.begin() as conn:
            conn.execute(text("SELECT total FROM tally WHERE id = 1")).scalar_one()
            conn.execute(text("UPDATE tally SET total = total + 1 WHERE id = 1"))
            conn.execute(text("INSERT INTO log VALUES (:w, :n)"), {"w": writer, "n": n})
    engine.dispose()


def held_elsewhere(path) -> bool:
    """Whether some connection holds the database's write flock (tried from a new file)."""
    with open(f"{path}-writelock", "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def assert_all_landed(path, writers: int) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT total FROM tally").fetchone() == (writers * ANSWERS,)
        rows = set(conn.execute("SELECT writer, n FROM log"))
    assert rows == {(w, n) for w in range(writers) for n in range(ANSWERS)}


def test_writers_in_several_processes_all_land(tmp_path):
    path = tmp_path / "db.sqlite"
    make_table(path)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=answer_many, args=(path, w)) for w in range(WRITERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * WRITERS  # no "database is locked"
    assert_all_landed(path, WRITERS)
    assert not held_elsewhere(path)


def test_writers_in_several_threads_all_land(tmp_path):
    path = tmp_path / "db.sqlite"
    make_table(path)
    errors = []

    def run(writer):
        try:
            answer_many(path, writer)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert_all_landed(path, WRITERS)


def test_held_from_first_write_to_commit_only(tmp_path):
    path = tmp_path / "db.sqlite"
    make_table(path)
    engine = engine_for(path)
    with engine.begin() as conn:
        conn.execute(text("SELECT total FROM tally")).all()
        assert not held_elsewhere(path)  # reads take nothing
        conn.execute(text("UPDATE tally SET total = 5"))
        assert held_elsewhere(path)
        conn.execute(text("INSERT INTO log VALUES (1, 1)"))
        assert held_elsewhere(path)
    assert not held_elsewhere(path)


@pytest.mark.parametrize("how", ["exception", "failed first write", "failed later write",
                                 "invalidated", "returned open", "sql rollback"])
def test_released_on_every_way_out(tmp_path, how):
    path = tmp_path / "db.sqlite"
    make_table(path)
    engine = engine_for(path)
    if how == "exception":
        with pytest.raises(RuntimeError), engine.begin() as conn:
            conn.execute(text("UPDATE tally SET total = 5"))
            raise RuntimeError("the view failed")
    elif how == "failed first write":
        with pytest.raises(OperationalError), engine.begin() as conn:
            conn.execute(text("INSERT INTO nowhere VALUES (1)"))
    elif how == "failed later write":
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO log VALUES (1, 1)"))
            conn.execute(text("INSERT INTO log VALUES (1, 1)"))
    elif how == "invalidated":
        with engine.connect() as conn:
            conn.execute(text("UPDATE tally SET total = 5"))
            assert held_elsewhere(path)
            conn.invalidate()
    elif how == "returned open":  # the pool's reset on return rolls back
        conn = engine.connect()
        conn.execute(text("UPDATE tally SET total = 5"))
        conn.close()
    else:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            raw.execute("UPDATE tally SET total = 5")
            raw.execute("ROLLBACK")
            assert not held_elsewhere(path)
            conn.rollback()
    assert not held_elsewhere(path)
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT total FROM tally").fetchone() == (0,)


def test_a_second_connection_in_the_same_thread_does_not_wait_on_itself(tmp_path):
    """It meets SQLite's busy timeout, as without the lock, instead of hanging for good."""
    path = tmp_path / "db.sqlite"
    make_table(path)
    first = sqlite3.connect(path, factory=WriteLockedConnection)
    second = sqlite3.connect(path, factory=WriteLockedConnection, timeout=0.05)
    first.execute("UPDATE tally SET total = 1")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("UPDATE tally SET total = 2")
    first.commit()
    second.execute("UPDATE tally SET total = 2")
    second.commit()
    assert not held_elsewhere(path)
    first.close()
    second.close()


def test_a_forked_child_leaves_its_parents_lock_alone(tmp_path):
    path = tmp_path / "db.sqlite"
    make_table(path)
    conn = sqlite3.connect(path, factory=WriteLockedConnection)
    conn.execute("UPDATE tally SET total = 1")
    pid = os.fork()
    if pid == 0:  # the child drops what it inherited, as a worker forked mid-transaction
        conn._release()
        os._exit(0)
    os.waitpid(pid, 0)
    assert held_elsewhere(path)
    conn.commit()
    assert not held_elsewhere(path)
    conn.close()


def test_databases_without_a_file_take_no_lock(tmp_path):
    for name in (":memory:", ""):
        conn = sqlite3.connect(name, factory=WriteLockedConnection)
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        assert conn._lockfile is None
        conn.close()
    assert list(tmp_path.iterdir()) == []


def test_a_connection_dropped_mid_transaction_lets_go(tmp_path):
    path = tmp_path / "db.sqlite"
    make_table(path)
    conn = sqlite3.connect(path, factory=WriteLockedConnection)
    conn.execute("UPDATE tally SET total = 1")
    assert held_elsewhere(path)
    del conn
    gc.collect()
    assert not held_elsewhere(path)
    again = sqlite3.connect(path, factory=WriteLockedConnection)
    again.execute("UPDATE tally SET total = 2")
    assert held_elsewhere(path)  # this thread's entry went with the dropped connection
    again.commit()
    again.close()
