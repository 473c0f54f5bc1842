"""Next card at scale: ``choose_next`` with 1,000 and with 1,000,000 card_state rows.

Two databases per engine, built side by side in one run and measured in interleaved rounds
(so a noisy neighbour slows both alike):

* small: 1,000 scheduling rows (a handful of learners and decks);
* large: 1,000,000 scheduling rows (thousands of learners, a hundred decks) plus 100,000
  review-log rows.

Both hold the same two measured learners in the same 200-card deck:

* "due": 200 studied sides, 60 of them due today (the due-review path);
* "new": 120 studied sides, none due (falls through to the first unstudied card).

Rows are bulk-loaded (``executemany`` on SQLite, ``COPY`` on PostgreSQL), then ANALYZEd as
autovacuum / ``PRAGMA optimize`` would. Each timed call starts from an empty session, as a
request does. The query plan of every statement ``choose_next`` runs is printed for the
large database and checked for a full scan of card_state or review_log.

Target: median time on the large database within 1.5x of the small one, on both engines.

    .venv/bin/python bench/bench_next_card.py [--rows 1000000] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from sqlalchemy import event

from quizapp.extensions import db
from quizapp.models import Deck, User
from quizapp.scheduling.registry import stage_of_stored
from quizapp.services import study

CARDS_PER_DECK = 200
TARGET_RATIO = 1.5
TODAY = datetime.now(UTC).date()
NOW = datetime.now(UTC)
MEASURED = {"due": (1, 200, 60), "new": (2, 120, 0)}  # case: (user id, studied, due today)
MEASURED_DECK = 1
FULL_SCAN_MARKERS = {
    "sqlite": ("SCAN card_state", "SCAN review_log"),
    "postgresql": ("Seq Scan on card_state", "Seq Scan on review_log"),
}


# --------------------------------------------------------------------------- data set


def plan_dataset(rows: int, seed: int = 8) -> dict:
    """Users, decks, cards, scheduling rows and review-log rows as plain tuples."""
    rng = random.Random(seed)
    decks = max(5, min(100, rows // 10_000))
    states: list[tuple] = []
    logs: list[tuple] = []
    # The two measured learners, identical in every data set.
    for case, (user_id, studied, due_today) in MEASURED.items():
        for position in range(studied):
            card_id = (MEASURED_DECK - 1) * CARDS_PER_DECK + position + 1
            if position < due_today:
                due = TODAY - timedelta(days=1 + position % 30)
            else:
                due = TODAY + timedelta(days=1 + position % 40)
            states.append((user_id, card_id, MEASURED_DECK, due))
        for index in range(5):  # some answers already given today in both phases
            for phase in ("review", "learn"):
                logs.append((user_id, (MEASURED_DECK - 1) * CARDS_PER_DECK + index + 1,
                             MEASURED_DECK, phase, NOW - timedelta(minutes=index + 1),
                             f"m-{case}-{phase}-{index}"))
    user_id = 2
    while len(states) < rows:
        user_id += 1
        for deck_id in rng.sample(range(1, decks + 1), k=min(decks, rng.randint(1, 4))):
            studied = rng.randint(20, CARDS_PER_DECK)
            base = (deck_id - 1) * CARDS_PER_DECK
            for position in range(studied):
                if len(states) >= rows:
                    break
                due = TODAY + timedelta(days=rng.randint(-60, 60))
                states.append((user_id, base + position + 1, deck_id, due))
    users = user_id
    log_target = rows // 10
    for index in range(log_target - len(logs)):
        state = states[rng.randrange(len(states))]
        logs.append((state[0], state[1], state[2], "review",
                     NOW - timedelta(days=rng.randint(1, 365), seconds=index % 86400),
                     f"f-{index}"))
    return {"users": users, "decks": decks, "states": states, "logs": logs}


def load_dataset(app, plan: dict) -> float:
    """Bulk-load ``plan`` into the app's (migrated, empty) database; returns seconds."""
    started = time.perf_counter()
    pw = common.password_hash()
    created = NOW
    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
        users = [
            (i, f"learner{i}@bench.example", pw, f"Learner {i}", "learner", "UTC", created, 1)
            for i in range(1, plan["users"] + 1)
        ]
        decks = [
            (i, f"deck-{i}", f"Deck {i}", "", None, True, "uploaded", 1, 10_000, 10_000, None,
             created, created)
            for i in range(1, plan["decks"] + 1)
        ]
        cards = [
            ((d - 1) * CARDS_PER_DECK + p + 1, d, f"g{d}-{p}", p, "basic",
             f"Question {p} of deck {d}", f"Answer {p}", None, None, "", "[]", "[]", "[0]", 1,
             False, created)
            for d in range(1, plan["decks"] + 1) for p in range(CARDS_PER_DECK)
        ]
        # A state's JSON and stage depend on its due date alone: made once per date.
        stored = {}
        for due in {due for *_, due in plan["states"]}:
            state = common.sm2_state(6, 2, due)
            stored[due] = (json.dumps(state), stage_of_stored(state))
        states = [
            (i, u, c, d, 0, "sm2", *stored[due], due, 0, created, 1)
            for i, (u, c, d, due) in enumerate(plan["states"], start=1)
        ]
        logs = [
            (i, u, c, d, 0, phase, 4, "sm2", True, None, at, 1500, "young", 1, None, None,
             nonce, None)
            for i, (u, c, d, phase, at, nonce) in enumerate(plan["logs"], start=1)
        ]
        tables = {
            "user": ("id, email, password_hash, display_name, role, timezone, created_at, "
                     "session_version", users),
            "deck": ("id, slug, title, description, owner_id, published, origin, version, "
                     "new_per_day, reviews_per_day, knowledge, created_at, updated_at", decks),
            "card": ("id, deck_id, guid, position, kind, prompt, answer, choices, "
                     "correct_index, explanation, tags, sources, ordinals, side_count, "
                     "retired, content_changed_at", cards),
            "card_state": ("id, user_id, card_id, deck_id, ordinal, scheduler, state, stage, "
                           "due, lapses, last_review_at, version", states),
            "review_log": ("id, user_id, card_id, deck_id, ordinal, phase, grade, scheduler, "
                           "passed, response, answered_at, duration_ms, stage_before, "
                           "interval_before, "
                           "state_before, state_after, presentation, undone_at", logs),
        }
        if dialect == "sqlite":
            _load_sqlite(engine, tables)
        else:
            _load_postgresql(engine, tables)
    return time.perf_counter() - started


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _encoded(rows: list[tuple], encode) -> Iterator[tuple]:
    """``rows`` with ``encode`` applied to the columns holding a date or a time (told by the
    first row: a column holds one type in every row here), each distinct value once:
    checking and encoding every value was most of a large load's time."""
    if not rows:
        return iter(())
    timed = [i for i, v in enumerate(rows[0]) if isinstance(v, date)]
    if not timed:
        return iter(rows)
    once = functools.lru_cache(maxsize=4096)(encode)

    def row_of(row):
        row = list(row)
        for i in timed:
            row[i] = once(row[i])
        return row

    return map(row_of, rows)


def _load_sqlite(engine, tables: dict) -> None:
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.execute("PRAGMA synchronous = OFF")
        # A page cache that holds the indexes being built, for the load only: the same
        # b-trees, without rereading their pages from the WAL. Reset below, as the pool
        # hands this connection to the measured calls.
        cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute("PRAGMA cache_size = -200000")
        conn.execute("BEGIN")
        for name, (columns, rows) in tables.items():
            marks = ", ".join("?" for _ in columns.split(","))
            conn.executemany(
                f'INSERT INTO "{name}" ({columns}) VALUES ({marks})',
                _encoded(rows, _sqlite_value),
            )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(f"PRAGMA cache_size = {int(cache_size)}")
    finally:
        raw.close()


def _pg_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _pg_rows(rows: list[tuple]) -> Iterator[list[str]]:
    """``rows`` as COPY text fields: integers written directly, every other value through
    ``_pg_text`` once per distinct value of its column (most repeat: dates, states, flags)."""
    if not rows:
        return iter(())
    texts = [_pg_int if type(v) is int else functools.lru_cache(maxsize=4096)(_pg_text)
             for v in rows[0]]
    return ([text(v) for text, v in zip(texts, row, strict=True)] for row in rows)


def _pg_int(value) -> str:
    return "\\N" if value is None else str(value)


def _load_postgresql(engine, tables: dict) -> None:
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cursor:
            # The rows are consistent by construction: skip the per-row foreign-key triggers,
            # as pg_restore does (the indexes are still maintained).
            cursor.execute("SET session_replication_role = replica")
            for name, (columns, rows) in tables.items():
                with cursor.copy(f'COPY "{name}" ({columns}) FROM STDIN') as copy:
                    buffer = io.StringIO()
                    for count, row in enumerate(_pg_rows(rows), start=1):
                        buffer.write("\t".join(row))
                        buffer.write("\n")
                        if count % 50_000 == 0:
                            copy.write(buffer.getvalue())
                            buffer = io.StringIO()
                    copy.write(buffer.getvalue())
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f"(SELECT max(id) FROM \"{name}\"))"
                )
            cursor.execute("SET session_replication_role = DEFAULT")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        conn.autocommit = False
    finally:
        raw.close()


# --------------------------------------------------------------------------- measuring


def one_call(app, case: str, listener=None) -> tuple[float, study.Presentation | None]:
    """One timed ``choose_next`` from an empty session (``listener`` sees its statements)."""
    user_id = MEASURED[case][0]
    with app.app_context():
        user = db.session.get(User, user_id)
        deck = db.session.get(Deck, MEASURED_DECK)
        if listener is not None:
            event.listen(db.engine, "before_cursor_execute", listener)
        try:
            started = time.perf_counter()
            presentation = study.choose_next(user, deck, study.SessionQueue(), cram=False)
            elapsed = time.perf_counter() - started
        finally:
            if listener is not None:
                event.remove(db.engine, "before_cursor_execute", listener)
        db.session.remove()
    return elapsed, presentation


def check_answers(apps: dict) -> list[str]:
    """Both databases must pick the same card: the most overdue, then the first new one."""
    problems = []
    for case, expected_mode in (("due", "review"), ("new", "learn")):
        picks = {}
        for size, app in apps.items():
            _, presentation = one_call(app, case)
            picks[size] = (presentation.card_id, presentation.mode) if presentation else None
        if len(set(picks.values())) != 1 or next(iter(picks.values()))[1] != expected_mode:
            problems.append(f"{case}: picks differ or wrong mode: {picks}")
    return problems


def query_plans(app, case: str) -> list[tuple[str, str]]:
    """(statement, plan) for every statement ``choose_next`` runs for ``case``."""
    seen: list[tuple[str, object]] = []
    with app.app_context():
        engine = db.engine

        def capture(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, parameters))

        one_call(app, case, capture)
        plans = []
        with engine.connect() as conn:
            prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            for statement, parameters in seen:
                # Prepared statements bind a list on the DBAPI cursor; the driver-level
                # execute takes a tuple or a mapping.
                if isinstance(parameters, list):
                    parameters = tuple(parameters)
                result = conn.exec_driver_sql(prefix + statement, parameters)
                if engine.dialect.name == "sqlite":
                    plan = "\n".join(f"  {row[3]}" for row in result)
                else:
                    plan = "\n".join(f"  {row[0]}" for row in result)
                plans.append((" ".join(statement.split()), plan))
    return plans


def measure_engine(engine_name: str, rows: int, rounds: int, calls: int, workdir: Path,
                   warmup: int = 20) -> dict:
    plans = {"small": plan_dataset(1_000), "large": plan_dataset(rows)}
    result: dict = {"engine": engine_name, "load": {}, "times": {}, "plans": [], "problems": []}
    with common.database(engine_name, "nc_small", workdir) as small_url, \
            common.database(engine_name, "nc_large", workdir) as large_url:
        apps = {}
        for size, url in (("small", small_url), ("large", large_url)):
            app = common.make_app(url)
            seconds = load_dataset(app, plans[size])
            result["load"][size] = (len(plans[size]["states"]), len(plans[size]["logs"]),
                                    seconds)
            apps[size] = app
        result["problems"] = check_answers(apps)
        for size in apps:
            for case in MEASURED:
                for _ in range(warmup):  # warm caches and SQLAlchemy's statement cache
                    one_call(apps[size], case)
        times = {(size, case): [] for size in apps for case in MEASURED}
        for round_index in range(rounds):
            order = list(apps) if round_index % 2 == 0 else list(reversed(apps))
            for size in order:
                for case in MEASURED:
                    for _ in range(calls):
                        times[(size, case)].append(one_call(apps[size], case)[0])
        result["times"] = times
        for case in MEASURED:
            for statement, plan in query_plans(apps["large"], case):
                if statement not in [s for s, _ in result["plans"]]:
                    result["plans"].append((statement, plan))
        for app in apps.values():
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls per cell first")
    parser.add_argument("--quiet-plans", action="store_true")
    args = parser.parse_args(argv)

    print("Next card at scale: quizapp.services.study.choose_next")
    print(common.machine_line())
    engines = common.reachable_engines(args.engines)
    if engines is None:
        return 1
    ok = True
    rows_out = []
    load_rows = []
    with common.temp_dir("next-card") as workdir:
        for engine_name in engines:
            result = measure_engine(engine_name, args.rows, args.rounds, args.calls, workdir,
                                    args.warmup)
            for size, (states, logs, seconds) in result["load"].items():
                load_rows.append((engine_name, size, states, logs, seconds,
                                  states / seconds if seconds else 0.0))
            for problem in result["problems"]:
                print(f"PROBLEM ({engine_name}): {problem}")
                ok = False
            full_scans = []
            if not args.quiet_plans:
                print(f"\nQuery plans on {engine_name}, large database "
                      f"({result['load']['large'][0]:,} card_state rows):")
            for statement, plan in result["plans"]:
                if not args.quiet_plans:
                    print(f"- {statement[:400]}")
                    print(plan)
                full_scans += [m for m in FULL_SCAN_MARKERS[engine_name] if
                               any(line.strip().startswith(m) and "INDEX" not in line
                                   for line in plan.splitlines())]
            if full_scans:
                print(f"FULL SCAN on {engine_name}: {sorted(set(full_scans))}")
                ok = False
            for case in MEASURED:
                small = result["times"][("small", case)]
                large = result["times"][("large", case)]
                ratio = common.median(large) / common.median(small)
                met = ratio <= TARGET_RATIO and not full_scans
                ok = ok and met
                rows_out.append((
                    engine_name, case, common.median(small) * 1000,
                    common.percentile(small, 95) * 1000, common.median(large) * 1000,
                    common.percentile(large, 95) * 1000, f"{ratio:.2f}x",
                    "index" if not full_scans else "FULL SCAN", common.verdict(met),
                ))
    print()
    print(common.table(
        ["engine", "database", "card_state", "review_log", "load s", "card_state rows/s"],
        load_rows, "Bulk load (executemany on SQLite, COPY on PostgreSQL), then ANALYZE",
    ))
    print()
    print(common.table(
        ["engine", "learner", "1k med ms", "1k p95 ms", f"{args.rows // 1000:,}k med ms",
         f"{args.rows // 1000:,}k p95 ms", "ratio", "plan", f"<= {TARGET_RATIO}x"],
        rows_out,
        f"choose_next: {args.rounds} interleaved rounds x {args.calls} calls per cell",
    ))
    print(f"\nnext card at scale: target {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
