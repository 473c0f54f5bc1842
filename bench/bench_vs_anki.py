"""Against Anki: the server-side cost of one review, beside the official ``anki`` library.

quizapp: ``quizapp.services.study.record_answer`` (decode the presentation, grade, new SM-2
state, review-log row, one committed transaction), each call from an empty session as in a
request. The presentation tokens are made beforehand: that is the work of showing a card.

Anki: ``col.sched.answer_card`` in a collection of its own on disk (Anki commits every
operation). Its scheduling states (``get_scheduling_states``) are fetched beforehand, which
is what Anki's reviewer does when it shows the card; their cost is printed separately.

Two kinds of answer, the same number on both sides:

* review: a card already studied and due today (an update of its state + a log row);
* first: a never-studied card answered for the first time (a new state + a log row).

Both sides run in interleaved batches so machine noise hits them alike. The target (no
slower than Anki per review, by median) is judged on SQLite, the storage Anki uses; the same
code path on PostgreSQL is printed beside it.

    .venv/bin/python bench/bench_vs_anki.py [--answers 400] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from sqlalchemy import insert, text

from quizapp.deckfile import CardData, DeckData
from quizapp.extensions import db
from quizapp.models import CardState, User
from quizapp.services import study
from quizapp.services.decks import store_deck

SECRET = "bench-secret-key"
BATCHES = 10


# --------------------------------------------------------------------------- quizapp side


class AppSide:
    def __init__(self, url: str, answers: int):
        self.app = common.make_app(url, SECRET_KEY=SECRET)
        self.cpu: dict[str, list[float]] = {"review": [], "first": []}
        with self.app.app_context():
            user = User(email="anki-rival@bench.example", display_name="Rival",
                        password_hash=common.password_hash())
            db.session.add(user)
            cards = [
                CardData(guid=f"c{i}", kind="basic", prompt=f"Question {i}", answer=f"Answer {i}")
                for i in range(2 * answers)
            ]
            report = store_deck(
                DeckData(title="Versus Anki", cards=cards, new_per_day=10**6,
                         reviews_per_day=10**6),
                owner=None, publish=True,
            )
            db.session.commit()
            deck = report.deck
            card_ids = [card.id for card in deck.cards]
            today = datetime.now(UTC).date()
            review_ids, first_ids = card_ids[:answers], card_ids[answers:]
            db.session.execute(insert(CardState), [
                {"user_id": user.id, "card_id": cid, "deck_id": deck.id, "ordinal": 0,
                 "state": common.sm2_state(6, 2, today - timedelta(days=1)),
                 "due": today - timedelta(days=1),
                 "last_review_at": datetime.now(UTC) - timedelta(days=7), "version": 1}
                for cid in review_ids
            ])
            db.session.commit()
            self.user_id = user.id
            shown = (datetime.now(UTC) - timedelta(seconds=8)).timestamp()
            self.tokens = {
                kind: [
                    study.encode_presentation(
                        study.Presentation(cid, 0, mode, version, secrets.token_hex(16), shown),
                        user.id, SECRET)
                    for cid in ids
                ]
                for kind, ids, mode, version in (("review", review_ids, "review", 1),
                                                 ("first", first_ids, "learn", 0))
            }
            db.session.remove()

    def answer(self, kind: str, index: int) -> float:
        with self.app.app_context():
            user = db.session.get(User, self.user_id)  # what Flask-Login does per request
            cpu, started = time.process_time(), time.perf_counter()
            outcome = study.record_answer(user, self.tokens[kind][index], SECRET, grade=4)
            elapsed = time.perf_counter() - started
            self.cpu[kind].append(time.process_time() - cpu)
            assert not outcome.duplicate and not outcome.conflict, outcome
            db.session.remove()
        return elapsed

    def check(self) -> tuple[int, str]:
        with self.app.app_context():
            logs = db.session.scalar(text("SELECT count(*) FROM review_log"))
            pragma = ""
            if db.engine.dialect.name == "sqlite":
                with db.engine.connect() as conn:
                    mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                    sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
                pragma = f"journal_mode={mode}, synchronous={sync}"
            db.session.remove()
            db.engine.dispose()
        return logs, pragma


# --------------------------------------------------------------------------- Anki side


class AnkiSide:
    def __init__(self, directory: Path, answers: int):
        from anki.collection import AddNoteRequest, Collection
        from anki.scheduler_pb2 import CardAnswer

        self.CardAnswer = CardAnswer
        self.col = Collection(str(directory / "collection.anki2"))
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
        self.cpu: dict[str, list[float]] = {"review": [], "first": []}
        self.state_seconds: dict[str, list[float]] = {"review": [], "first": []}

    def answer(self, kind: str, index: int) -> float:
        col = self.col
        card = col.get_card(self.cards[kind][index])
        card.start_timer()
        started = time.perf_counter()
        states = col._backend.get_scheduling_states(card.id)
        self.state_seconds[kind].append(time.perf_counter() - started)
        cpu, started = time.process_time(), time.perf_counter()
        col.sched.answer_card(
            col.sched.build_answer(card=card, states=states, rating=self.CardAnswer.GOOD)
        )
        elapsed = time.perf_counter() - started
        self.cpu[kind].append(time.process_time() - cpu)
        return elapsed

    def check(self) -> tuple[int, str]:
        logs = self.col.db.scalar("select count() from revlog") - self.revlog_before
        mode = self.col.db.scalar("pragma journal_mode")
        sync = self.col.db.scalar("pragma synchronous")
        self.col.close()
        return logs, f"journal_mode={mode}, synchronous={sync}"


# --------------------------------------------------------------------------- run


def run(sides: dict, answers: int) -> dict[tuple[str, str], list[float]]:
    times = {(name, kind): [] for name in sides for kind in ("review", "first")}
    per_batch = answers // BATCHES
    for batch in range(BATCHES):
        names = list(sides) if batch % 2 == 0 else list(reversed(sides))
        for name in names:
            for kind in ("review", "first"):
                for index in range(batch * per_batch, (batch + 1) * per_batch):
                    times[(name, kind)].append(sides[name].answer(kind, index))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=400, help="per kind and side")
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    answers = args.answers - args.answers % BATCHES
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
            sides[f"quizapp {engine}"] = AppSide(manager.__enter__(), answers)
        sides[f"anki {anki_version}"] = AnkiSide(workdir, answers)
        warm = 20
        for side in sides.values():  # warm both up on throw-away answers
            for kind in ("review", "first"):
                for index in range(answers - warm, answers):
                    side.answer(kind, index)
        times = run(sides, answers - warm)
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
            rows.append((
                kind, name, len(values), med * 1000, common.percentile(values, 95) * 1000,
                common.median(sides[name].cpu[kind]) * 1000, len(values) / sum(values),
                f"{med / anki_median:.2f}x",
                "-" if met is None else common.verdict(met),
            ))
        states = sides[anki_name].state_seconds[kind]
        rows.append((kind, "  anki get_scheduling_states (at show time)", len(states),
                     common.median(states) * 1000, common.percentile(states, 95) * 1000,
                     "", len(states) / sum(states), "", ""))
    print()
    print(common.table(
        ["answer", "side", "n", "median ms", "p95 ms", "CPU med ms", "per s", "vs anki",
         "target"],
        rows, f"One committed review, {BATCHES} interleaved batches",
    ))
    print()
    for name, (logs, pragma) in checks.items():
        expected = 2 * answers
        print(f"{name}: {logs} review-log rows (expected {expected}) {pragma}")
        if logs != expected:
            ok = False
    print(f"\nagainst anki: target {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
