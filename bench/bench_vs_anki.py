"""Against Anki: the server-side cost of one review, beside the official ``anki`` library.

quizapp: ``quizapp.services.study.record_answer`` (decode the presentation, grade, new SM-2
state, review-log row, one committed transaction), each call from an empty session as in a
request. Before each answer, untimed, the side is shown as the study page shows it (open the
session, ``choose_next``, then ``shown_token``, the page's own token maker, whose cost is
printed separately): that is the work of showing a card, and the token carries what the
answer needs of it (``services.shown_answer``), as Anki's reviewer keeps the states it
computed when it showed the card.

Anki: ``col.sched.answer_card`` in a collection of its own on disk (Anki commits every
operation). Its scheduling states (``get_scheduling_states``) are fetched beforehand, which
is what Anki's reviewer does when it shows the card; their cost is printed separately.

Two kinds of answer, the same number on both sides:

* review: a card already studied and due today (an update of its state + a log row);
* first: a never-studied card answered for the first time (a new state + a log row).

Like with like. Both SQLite sides run with the same durability, printed with the table: WAL,
``synchronous=FULL`` (SQLite's default, which neither side changes: one sync of the WAL per
commit), 4 KiB pages, a checkpoint every 1,000 pages. Anki also sets ``locking_mode=EXCLUSIVE``
(one process owns the file; a web app's workers cannot) and its bundled SQLite syncs with
``fsync`` where the system's uses ``fdatasync``. What set the wall ratio before was neither: a
commit that appends to the WAL file (it grows, so the sync also writes the file's size) took
about 3 ms on this VM, one that overwrites frames of a WAL file already grown about 1 ms, on
both sides alike; the side whose setup had left a shorter WAL measured more appends. So each
side is warmed up on throw-away answers until its WAL file has wrapped (the state every
long-running database settles in), and the sides then alternate answer by answer, so a slow
moment of the disk hits both.

Where the wall time goes, per side: CPU (``CPU med ms``), waiting for a CPU while runnable
(``run-queue ms``, from ``/proc/thread-self/schedstat``; on a busy 2-core machine this is most
of the wall time, and it grows with the CPU a side needs) and the rest, blocked (``blocked ms``:
the commit's sync of the WAL, locks). Both sides sync once per commit; the blocked time shows
whether one side waits on the disk longer.

What the statements themselves cost. A third SQLite side, ``quizapp sqlite (split)``, runs
the same code on a database of its own whose ``sqlite3`` connections time their own
``execute`` and ``commit`` (a ``sqlite3.Connection`` subclass, ``TimedConnection``): the CPU
spent inside SQLite and the system calls it makes (WAL writes, the sync), and the Python around
it. Beside Anki's whole ``answer_card`` that is the floor any Python path over these statements
starts from: what Anki takes minus what the statements take is the most Python an answer may
cost to match it. The judged sides carry no such timer.

The target (no slower than Anki per review, by median) is judged on SQLite, the storage Anki
uses; the same code path on PostgreSQL is printed beside it.

    .venv/bin/python bench/bench_vs_anki.py [--answers 400] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from sqlalchemy import insert, text

from quizapp.config import DEFAULTS
from quizapp.deckfile import CardData, DeckData
from quizapp.extensions import db
from quizapp.models import CardState, Deck, User
from quizapp.services import study
from quizapp.services.decks import store_deck
from quizapp.services.study_queue import save_new_start

SECRET = "bench-secret-key"
SPLIT = "quizapp sqlite (split)"
WARM_MAX = 400  # throw-away answers per kind a side may need before its WAL file wraps
WARM_MIN = 20


# --------------------------------------------------------------------------- quizapp side


def sqlite_settings(scalar) -> str:
    """The settings that decide a commit's durability and cost, as the connection has them."""
    names = ("journal_mode", "synchronous", "locking_mode", "page_size", "wal_autocheckpoint")
    return ", ".join(f"{name}={scalar(f'PRAGMA {name}')}" for name in names)


def run_queue_seconds() -> float:
    """Time this thread has spent runnable but waiting for a CPU (0 where the kernel keeps no
    scheduler statistics)."""
    try:
        with open("/proc/thread-self/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


class Timed:
    """What one side measured per kind of answer: wall, CPU and run-queue seconds."""

    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = {"review": [], "first": []}
        self.queued: dict[str, list[float]] = {"review": [], "first": []}

    def start(self) -> tuple[float, float, float]:
        return time.process_time(), run_queue_seconds(), time.perf_counter()

    def stop(self, kind: str, started: tuple[float, float, float]) -> float:
        elapsed = time.perf_counter() - started[2]
        self.cpu[kind].append(time.process_time() - started[0])
        self.queued[kind].append(run_queue_seconds() - started[1])
        return elapsed


def wal_size(database: Path | None) -> int:
    wal = Path(f"{database}-wal") if database is not None else None
    return wal.stat().st_size if wal is not None and wal.exists() else 0


class _Stopwatch:
    """CPU seconds this thread spends inside ``sqlite3`` calls while ``running``."""

    running = False
    seconds = 0.0


class _TimedCursor(sqlite3.Cursor):
    def execute(self, *args):
        if not _Stopwatch.running:
            return super().execute(*args)
        started = time.thread_time()
        try:
            return super().execute(*args)
        finally:
            _Stopwatch.seconds += time.thread_time() - started


class TimedConnection(sqlite3.Connection):
    """A ``sqlite3`` connection timing its statements and commits (``_Stopwatch``)."""

    def cursor(self, factory=_TimedCursor):
        return super().cursor(factory)

    def commit(self):
        if not _Stopwatch.running:
            return super().commit()
        started = time.thread_time()
        try:
            return super().commit()
        finally:
            _Stopwatch.seconds += time.thread_time() - started


class AppSide(Timed):
    def __init__(self, url: str, answers: int, *, split: bool = False):
        super().__init__()
        # ``split``: connections of TimedConnection, whose time inside sqlite3 is kept apart.
        self.split: dict[str, list[float]] | None = (
            {"review": [], "first": []} if split else None)
        config = {"SECRET_KEY": SECRET}
        if split:
            config["SQLALCHEMY_ENGINE_OPTIONS"] = {
                **DEFAULTS["SQLALCHEMY_ENGINE_OPTIONS"],
                "connect_args": {"factory": TimedConnection},
            }
        self.app = common.make_app(url, **config)
        self.database = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None
        with self.app.app_context():
            user = User(email="anki-rival@bench.example", display_name="Rival",
                        password_hash=common.password_hash())
            db.session.add(user)
            cards = [
                CardData(guid=f"c{i}", kind="basic", prompt=f"Question {i}", answer=f"Answer {i}")
                for i in range(2 * answers)
            ]
            # One deck per kind: the study page's own pick (``choose_next``) then shows a
            # due review in the one and a new card in the other.
            decks = {
                kind: store_deck(
                    DeckData(title=f"Versus Anki ({kind})", cards=cards[start:start + answers],
                             new_per_day=10**6, reviews_per_day=10**6),
                    owner=None, publish=True,
                ).deck
                for kind, start in (("review", 0), ("first", answers))
            }
            db.session.commit()
            today = datetime.now(UTC).date()
            db.session.execute(insert(CardState), [
                {"user_id": user.id, "card_id": card.id, "deck_id": decks["review"].id,
                 "ordinal": 0, "state": common.sm2_state(6, 2, today - timedelta(days=1)),
                 "due": today - timedelta(days=1),
                 "last_review_at": datetime.now(UTC) - timedelta(days=7), "version": 1}
                for card in decks["review"].cards
            ])
            db.session.commit()
            self.user_id = user.id
            self.deck_ids = {kind: deck.id for kind, deck in decks.items()}
            db.session.remove()
        self.show_seconds: dict[str, list[float]] = {"review": [], "first": []}

    def show(self, kind: str) -> str:
        """What the study page does to show the next card of the kind's deck, as one
        request: open the session, pick the side, make its token (timed apart, as Anki's
        ``get_scheduling_states``: the token carries what the answer needs), commit."""
        with self.app.app_context():
            db.session().expire_on_commit = False
            user = db.session.get(User, self.user_id)
            deck = db.session.get(Deck, self.deck_ids[kind])
            queue = study.open_page_session(user, deck, cram=False)
            shown = study.choose_next(user, deck, queue, cram=False)
            assert shown is not None and shown.mode == ("review" if kind == "review" else "learn")
            save_new_start(queue)
            started = time.perf_counter()
            token, _ = study.shown_token(user, deck, queue, shown, SECRET)
            self.show_seconds[kind].append(time.perf_counter() - started)
            db.session.commit()
            db.session.remove()
        return token

    def answer(self, kind: str, index: int) -> float:
        """Answer the side the study page shows next (``index`` is Anki's side's)."""
        token = self.show(kind)
        with self.app.app_context():
            # What a study request does before the answer: the study blueprint keeps what it
            # read loaded after the commit, and Flask-Login loads the user.
            db.session().expire_on_commit = False
            user = db.session.get(User, self.user_id)
            _Stopwatch.running, _Stopwatch.seconds = self.split is not None, 0.0
            started = self.start()
            outcome = study.record_answer(user, token, SECRET, grade=4)
            elapsed = self.stop(kind, started)
            _Stopwatch.running = False
            if self.split is not None:
                self.split[kind].append(_Stopwatch.seconds)
            assert not outcome.duplicate and not outcome.conflict, outcome
            db.session.remove()
        return elapsed

    def check(self) -> tuple[int, str]:
        with self.app.app_context():
            logs = db.session.scalar(text("SELECT count(*) FROM review_log"))
            pragma = ""
            if db.engine.dialect.name == "sqlite":
                with db.engine.connect() as conn:
                    pragma = sqlite_settings(lambda sql: conn.exec_driver_sql(sql).scalar())
            db.session.remove()
            db.engine.dispose()
        return logs, pragma


# --------------------------------------------------------------------------- Anki side


class AnkiSide(Timed):
    def __init__(self, directory: Path, answers: int):
        super().__init__()
        from anki.collection import AddNoteRequest, Collection
        from anki.scheduler_pb2 import CardAnswer

        self.CardAnswer = CardAnswer
        self.database = directory / "collection.anki2"
        self.col = Collection(str(self.database))
        col = self.col
        notetype = col.models.by_name("Basic")
        deck_id = col.decks.id("Versus quizapp")
        conf = col.decks.config_dict_for_deck_id(deck_id)
        conf["new"]["perDay"] = 10**6
        conf["rev"]["perDay"] = 10**6
        col.decks.update_config(conf)
        requests = []
        for i in range(2 * answers):
            note = col.new_note(notetype)
            note["Front"] = f"Question {i}"
            note["Back"] = f"Answer {i}"
            requests.append(AddNoteRequest(note=note, deck_id=deck_id))
        col.add_notes(requests)
        card_ids = list(col.find_cards(f"did:{deck_id}", order="c.id"))
        review_ids, first_ids = card_ids[:answers], card_ids[answers:]
        col.sched.set_due_date(review_ids, "0")  # review cards due today
        self.cards = {"review": review_ids, "first": first_ids}
        self.revlog_before = col.db.scalar("select count() from revlog")  # set_due_date's
        self.state_seconds: dict[str, list[float]] = {"review": [], "first": []}

    def answer(self, kind: str, index: int) -> float:
        col = self.col
        card = col.get_card(self.cards[kind][index])
        card.start_timer()
        started = time.perf_counter()
        states = col._backend.get_scheduling_states(card.id)
        self.state_seconds[kind].append(time.perf_counter() - started)
        started = self.start()
        col.sched.answer_card(
            col.sched.build_answer(card=card, states=states, rating=self.CardAnswer.GOOD)
        )
        return self.stop(kind, started)

    def check(self) -> tuple[int, str]:
        logs = self.col.db.scalar("select count() from revlog") - self.revlog_before
        pragma = sqlite_settings(self.col.db.scalar)
        self.col.close()
        return logs, pragma


# --------------------------------------------------------------------------- run


def warm_up(side, answers: int) -> int:
    """Throw-away answers (cards ``answers`` onwards) until the side's WAL file has wrapped:
    an answer that leaves its size unchanged overwrote frames (see the module docstring)."""
    done = 0
    while done < WARM_MAX:
        before = wal_size(side.database)
        for kind in ("review", "first"):
            side.answer(kind, answers + done)
        done += 1
        if done >= WARM_MIN and (side.database is None or wal_size(side.database) == before):
            return done
    raise SystemExit(f"the WAL file of {side.database} did not wrap in {WARM_MAX} answers")


def run(sides: dict, answers: int) -> dict[tuple[str, str], list[float]]:
    """Each answer of each kind on every side in turn, the order of the sides alternating."""
    times = {(name, kind): [] for name in sides for kind in ("review", "first")}
    order = list(sides)
    for index in range(answers):
        for kind in ("review", "first"):
            for name in order:
                times[(name, kind)].append(sides[name].answer(kind, index))
            order.reverse()
    return times


def _split_rows(kind: str, side: AppSide, n: int, anki_cpu: float) -> list[tuple]:
    """The split side's CPU per answer inside sqlite3 and around it, against Anki's CPU."""
    total, inside = side.cpu[kind][-n:], side.split[kind][-n:]
    around = [whole - part for whole, part in zip(total, inside, strict=True)]
    blank = ("", "", "")
    return [
        (kind, f"  {SPLIT}: inside sqlite3", n, "", "", common.median(inside) * 1000, *blank,
         f"{common.median(inside) / anki_cpu:.2f}x CPU", ""),
        (kind, f"  {SPLIT}: Python around it", n, "", "", common.median(around) * 1000,
         *blank, f"{common.median(around) / anki_cpu:.2f}x CPU", ""),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=400, help="per kind and side")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--warm-up", action=argparse.BooleanOptionalAction, default=True,
                        help="answer until each WAL file wraps first (off: a smoke run only, "
                             "whose wall ratio depends on which side's WAL is still growing)")
    args = parser.parse_args(argv)
    spare = WARM_MAX if args.warm_up else 0
    answers = args.answers
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]

    print("Against Anki: one review, quizapp record_answer vs anki col.sched.answer_card")
    print(common.machine_line())
    from anki.buildinfo import version as anki_version

    ok = True
    with common.temp_dir("vs-anki") as workdir:
        sides: dict = {}
        stack = []
        for engine in engines:
            if engine == "postgresql" and not common.pg_available():
                print("PostgreSQL is not reachable: skipped")
                continue
            manager = common.database(engine, "vs_anki", workdir)
            stack.append(manager)
            sides[f"quizapp {engine}"] = AppSide(manager.__enter__(), answers + spare)
        if "sqlite" in engines:
            manager = common.database("sqlite", "vs_anki_split", workdir)
            stack.append(manager)
            sides[SPLIT] = AppSide(manager.__enter__(), answers + spare, split=True)
        sides[f"anki {anki_version}"] = AnkiSide(workdir, answers + spare)
        warmed = {name: warm_up(side, answers) if args.warm_up else 0
                  for name, side in sides.items()}
        times = run(sides, answers)
        checks = {}
        for name, side in sides.items():
            checks[name] = side.check()
        for manager in reversed(stack):
            manager.__exit__(None, None, None)

    anki_name = next(name for name in sides if name.startswith("anki"))
    rows = []
    for kind in ("review", "first"):
        anki_median = common.median(times[(anki_name, kind)])
        for name in sides:
            values = times[(name, kind)]
            med = common.median(values)
            judged = name == "quizapp sqlite"
            met = med <= anki_median if judged else None
            if judged:
                ok = ok and met
            side = sides[name]
            cpu, queued = side.cpu[kind][-len(values):], side.queued[kind][-len(values):]
            blocked = [wall - used - waited
                       for wall, used, waited in zip(values, cpu, queued, strict=True)]
            rows.append((
                kind, name, len(values), med * 1000, common.percentile(values, 95) * 1000,
                common.median(cpu) * 1000, common.median(queued) * 1000,
                common.median(blocked) * 1000, len(values) / sum(values),
                f"{med / anki_median:.2f}x",
                "-" if met is None else common.verdict(met),
            ))
        if SPLIT in sides:
            rows.extend(_split_rows(kind, sides[SPLIT], len(times[(SPLIT, kind)]),
                                    common.median(sides[anki_name].cpu[kind])))
        shown = [(f"  {name} shown_token (at show time)", side.show_seconds[kind])
                 for name, side in sides.items() if isinstance(side, AppSide)]
        shown.append(("  anki get_scheduling_states (at show time)",
                      sides[anki_name].state_seconds[kind]))
        for label, states in shown:
            rows.append((kind, label, len(states), common.median(states) * 1000,
                         common.percentile(states, 95) * 1000, "", "", "",
                         len(states) / sum(states), "", ""))
    print()
    print(common.table(
        ["answer", "side", "n", "median ms", "p95 ms", "CPU med ms", "run-queue ms",
         "blocked ms", "per s", "vs anki", "target"],
        rows, "One committed review, the sides alternating answer by answer",
    ))
    print()
    if SPLIT in sides:
        for kind in ("review", "first"):
            n = len(times[(SPLIT, kind)])
            anki_cpu = common.median(sides[anki_name].cpu[kind])
            inside = common.median(sides[SPLIT].split[kind][-n:])
            print(f"{kind}: inside sqlite3 {inside * 1000:.3f} ms of CPU, Anki's whole answer "
                  f"{anki_cpu * 1000:.3f} ms: to match Anki, the Python around these "
                  f"statements may take {max(0.0, anki_cpu - inside) * 1000:.3f} ms")
        print()
    for name, (logs, pragma) in checks.items():
        expected = 2 * (answers + warmed[name])
        print(f"{name}: {logs} review-log rows (expected {expected}; {warmed[name]} warm-up "
              f"answers of each kind) {pragma}")
        if logs != expected:
            ok = False
    print(f"\nagainst anki: target {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
