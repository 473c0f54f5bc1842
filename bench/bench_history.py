"""Costs that must stay flat as one learner's history grows (issue 17, target 3).

One database per engine holds a big deck (20,000 cards) and a small one (200 cards). Each
timed call is what a study request does before rendering: open the learner's session
(``study_queue.open_session``) and pick the next card (``study.choose_next``), from an empty
session, storing the session's new-card start and committing as the page does. Pairs are
measured side by side in interleaved rounds:

* new: the next new card for a learner with no history, and for one who has studied the
  first 10,000 cards of the big deck (none due);
* due: the next due review for a learner with 20 studied cards (10 due), and for one with
  10,000 studied (10 due);
* cram: a cram pick in the 200-card deck and in the 20,000-card deck.

Target: each large case within 1.5x of its small one, on both engines.

    .venv/bin/python bench/bench_history.py [--cards 20000] [--studied 10000] [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from sqlalchemy import insert, text

from quizapp.extensions import db
from quizapp.models import Card, CardState, Deck, User
from quizapp.services import study, study_queue

TARGET_RATIO = 1.5
SMALL_DECK = 200
DUE = 10
# case: (label, small (learner, deck), large (learner, deck), cram)
CASES = {
    "new": ("next new card", ("fresh", "big"), ("veteran_new", "big"), False),
    "due": ("next due review", ("casual", "big"), ("veteran_due", "big"), False),
    "cram": ("cram pick", ("crammer", "small"), ("crammer", "big"), True),
}


def build(app, cards: int, studied: int) -> dict[str, int]:
    """The two decks and the learners; returns their ids by name."""
    now = datetime.now(UTC)
    today = now.date()
    ids: dict[str, int] = {}
    with app.app_context():
        for name, size in (("big", cards), ("small", SMALL_DECK)):
            deck = Deck(slug=name, title=name, published=True, new_per_day=10**6,
                        reviews_per_day=10**6)
            db.session.add(deck)
            db.session.flush()
            ids[name] = deck.id
            db.session.execute(insert(Card), [
                {"deck_id": deck.id, "guid": f"{name}{i}", "position": i, "kind": "basic",
                 "prompt": f"Question {i}", "answer": f"Answer {i}", "explanation": "",
                 "tags": [], "sources": [], "ordinals": [0], "side_count": 1,
                 "retired": False, "content_changed_at": now}
                for i in range(size)
            ])
        pw = common.password_hash()
        for name in ("fresh", "casual", "veteran_new", "veteran_due", "crammer"):
            user = User(email=f"{name}@bench.example", display_name=name, password_hash=pw)
            db.session.add(user)
            db.session.flush()
            ids[name] = user.id
        big_cards = db.session.scalars(
            db.select(Card.id).where(Card.deck_id == ids["big"]).order_by(Card.position)
        ).all()
        rng = random.Random(17)

        def states(user: str, count: int, due: int) -> list[dict]:
            due_now = set(rng.sample(range(count), due))
            rows = []
            for i, card_id in enumerate(big_cards[:count]):
                due = today + timedelta(days=-1 if i in due_now else 1 + i % 300)
                rows.append({"user_id": ids[user], "card_id": card_id, "deck_id": ids["big"],
                             "ordinal": 0, "state": common.sm2_state(10, 3, due), "due": due,
                             "version": 1, "last_review_at": now - timedelta(days=10)})
            return rows

        rows = states("casual", 20, DUE) + states("veteran_new", studied, 0)
        rows += states("veteran_due", studied, DUE)
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(CardState), rows[start:start + 5000])
        db.session.commit()
        # Statistics, as autovacuum or a nightly ANALYZE keeps them: without any, PostgreSQL
        # takes the big deck for a few rows and plans the new-card walk as a sort of the whole
        # deck (120 ms at 20,000 cards) instead of the (deck, position) index walk (0.1 ms).
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return ids


def one_call(app, ids: dict[str, int], who: str, deck: str, cram: bool) -> float:
    with app.app_context():
        user = db.session.get(User, ids[who])  # what Flask-Login does per request
        deck_row = db.session.get(Deck, ids[deck])
        started = time.perf_counter()
        queue = study_queue.open_session(user, deck_row.id, cram=cram)
        presentation = study.choose_next(user, deck_row, queue, cram=cram)
        study_queue.save_new_start(queue)
        db.session.commit()
        elapsed = time.perf_counter() - started
        assert presentation is not None
        db.session.remove()
    return elapsed


def measure(engine: str, cards: int, studied: int, rounds: int, calls: int,
            workdir: Path) -> dict:
    with common.database(engine, "history", workdir) as url:
        app = common.make_app(url)
        started = time.perf_counter()
        ids = build(app, cards, studied)
        load = time.perf_counter() - started
        with app.app_context():
            user = db.session.get(User, ids["crammer"])
            for deck in ("small", "big"):
                study_queue.open_session(user, ids[deck], cram=True, restart=True)
            db.session.remove()
        cells = [(case, size, who, deck, cram) for case, (_, *pair, cram) in CASES.items()
                 for size, (who, deck) in zip(("small", "large"), pair, strict=True)]
        for _case, _size, who, deck, cram in cells:  # warm up; records the new-card start
            for _ in range(5):
                one_call(app, ids, who, deck, cram)
        times: dict[tuple[str, str], list[float]] = {(c, s): [] for c, s, *_ in cells}
        for round_index in range(rounds):
            order = cells if round_index % 2 == 0 else list(reversed(cells))
            for case, size, who, deck, cram in order:
                for _ in range(calls):
                    times[(case, size)].append(one_call(app, ids, who, deck, cram))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return {"times": times, "load": load}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--studied", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 cards, 1,000 studied, 2 rounds: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.cards, args.studied, args.rounds, args.calls = 2_000, 1_000, 2, 10
    print("Costs flat in history: open_session + choose_next, as a study GET does")
    print(common.machine_line())
    engines = common.reachable_engines(args.engines)
    if engines is None:
        return 1
    ok = True
    rows = []
    with common.temp_dir("history") as workdir:
        for engine in engines:
            result = measure(engine, args.cards, args.studied, args.rounds, args.calls,
                             workdir)
            print(f"{engine}: data loaded in {result['load']:.1f} s")
            for case, (label, *_rest) in CASES.items():
                small = result["times"][(case, "small")]
                large = result["times"][(case, "large")]
                ratio = common.median(large) / common.median(small)
                met = ratio <= TARGET_RATIO
                ok = ok and met
                rows.append((engine, label, common.median(small) * 1000,
                             common.median(large) * 1000, common.percentile(large, 95) * 1000,
                             f"{ratio:.2f}x", common.verdict(met)))
    sizes = (f"small: 0 / 20 studied or {SMALL_DECK} cards; large: {args.studied:,} studied"
             f" or {args.cards:,} cards")
    print()
    print(common.table(
        ["engine", "case", "small med ms", "large med ms", "large p95 ms", "ratio",
         f"<= {TARGET_RATIO}x"],
        rows, f"{args.rounds} interleaved rounds x {args.calls} calls ({sizes})",
    ))
    print(f"\nflat in history: target {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
