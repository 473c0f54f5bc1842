"""Time the progress page as a learner's history grows (issue 17, target 3).

Two learners with the same 5,000 studied cards in 5 decks: one with 1,000 reviews, one with
100,000 (a year of heavy study). The page's figures are summed by the database, so the long
history should cost little more than the short one. The untimed first request of each
learner sums their ended days once (services.history_days), as the first view of a day does;
later views of the day read those sums.

Target, on each engine: the page for 100,000 reviews under 250 ms and within 3x of the page
for 1,000 reviews.

    .venv/bin/python bench/bench_progress.py [--engines sqlite,postgresql] [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from sqlalchemy import insert, select, text

from quizapp.extensions import db
from quizapp.models import Card, CardState, Deck, ReviewLog, User, utcnow
from quizapp.services import tallies

CARDS = 5_000
DECKS = 5
SMALL, LARGE = 1_000, 100_000
TARGET_MS = 250
TARGET_RATIO = 3.0
REPEATS = 7


def seed_cards(cards: int) -> list[tuple[int, int]]:
    now = utcnow()
    deck_ids = []
    for n in range(DECKS):
        deck = Deck(slug=f"bench-{n}", title=f"Bench deck {n}", published=True)
        db.session.add(deck)
        db.session.flush()
        deck_ids.append(deck.id)
    db.session.execute(insert(Card), [
        {"deck_id": deck_ids[i % DECKS], "guid": f"g{i}", "position": i, "kind": "basic",
         "prompt": f"Question {i}", "answer": "answer", "tags": [f"topic::{i % 12}"],
         "sources": [], "ordinals": [0], "side_count": 1, "retired": False,
         "content_changed_at": now, "explanation": ""}
        for i in range(cards)
    ])
    return list(db.session.execute(select(Card.id, Card.deck_id).order_by(Card.id)))


def seed_learner(user_id: int, cards: list[tuple[int, int]], reviews: int, seed: int) -> None:
    """Card states and ``reviews`` answers, each state carrying its side's answer totals as
    the answer path writes them (services.tallies)."""
    rng = random.Random(seed)
    now = utcnow()
    states = {}
    for card_id, deck_id in cards:
        due, lapses = now.date() + timedelta(days=rng.randint(-5, 40)), rng.randint(0, 3)
        states[card_id] = {
            "user_id": user_id, "card_id": card_id, "deck_id": deck_id, "ordinal": 0,
            "state": common.sm2_state(rng.randint(1, 60), rng.randint(1, 6), due, lapses),
            "due": due, "lapses": lapses, "version": 1,
            "memory_stability": rng.uniform(0.5, 120), "memory_difficulty": rng.uniform(1, 10),
            "memory_reviewed_at": now - timedelta(days=rng.uniform(0, 60)),
            **dict.fromkeys(tallies.TOTALS, 0),
        }
    start = now - timedelta(days=365)
    spacing = 365 * 86_400 / reviews
    rows = []
    for i in range(reviews):
        card_id, deck_id = cards[i % len(cards)]
        row = {
            "user_id": user_id, "card_id": card_id, "deck_id": deck_id, "ordinal": 0,
            "phase": rng.choice(("review", "review", "learn", "repeat")),
            "grade": (grade := rng.randint(0, 5)), "passed": grade >= 3,
            "answered_at": start + timedelta(seconds=i * spacing),
            "duration_ms": rng.randint(1000, 20000), "presentation": f"{user_id}-{i}",
            "stage_before": rng.choice(("new", "learning", "young", "mature")),
            "interval_before": rng.randint(0, 40),
        }
        rows.append(row)
        state = states[card_id]
        for name, value in tallies.added(row["phase"], row["stage_before"],
                                         row["passed"]).items():
            state[name] += value
    db.session.execute(insert(CardState), list(states.values()))
    for n in range(0, len(rows), 10_000):
        db.session.execute(insert(ReviewLog), rows[n:n + 10_000])


def timed_page(client, repeats: int) -> list[tuple[float, float]]:
    """(wall, this process's CPU) seconds per request. On a loaded machine the CPU time is
    the steadier figure; with SQLite it includes the database's work."""
    times = []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get("/progress/")
        times.append((time.perf_counter() - started, time.process_time() - cpu))
        assert response.status_code == 200, response.status_code
        assert b'id="expected-today"' in response.data
    return times


def login(app, email: str):
    client = app.test_client()
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def measure(engine: str, workdir: Path, cards: int, small: int, large: int,
            repeats: int) -> dict:
    with common.database(engine, "progress", workdir) as url:
        app = common.make_app(url)
        started = time.perf_counter()
        with app.app_context():
            hashed = common.password_hash()
            for email in ("small@example.org", "large@example.org"):
                db.session.add(User(email=email, display_name=email, password_hash=hashed,
                                    role="learner", timezone="Europe/Berlin"))
            db.session.flush()
            ids = dict(db.session.execute(select(User.email, User.id)).all())
            deck_cards = seed_cards(cards)
            seed_learner(ids["small@example.org"], deck_cards, small, 1)
            seed_learner(ids["large@example.org"], deck_cards, large, 2)
            db.session.commit()
            if engine == "postgresql":
                db.session.execute(text("ANALYZE"))
                db.session.commit()
        seeded = time.perf_counter() - started
        clients = {size: login(app, f"{size}@example.org") for size in ("small", "large")}
        for client in clients.values():  # warm caches and compiled statements
            timed_page(client, 1)
        times: dict[str, list[tuple[float, float]]] = {"small": [], "large": []}
        for _ in range(repeats):  # interleaved, so load on the machine hits both alike
            for size, client in clients.items():
                times[size] += timed_page(client, 1)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return {"seeded": seeded,
            **{size: common.median([wall for wall, _ in runs]) for size, runs in times.items()},
            **{f"{size} cpu": common.median([cpu for _, cpu in runs])
               for size, runs in times.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true",
                        help="200 cards and 2,000 reviews: a smoke run, not the target")
    args = parser.parse_args(argv)
    cards, large, repeats = (200, 2_000, 1) if args.quick else (CARDS, LARGE, REPEATS)
    print(f"Progress page: {cards:,} studied cards, {SMALL:,} vs {large:,} reviews")
    print(common.machine_line())
    engines = common.reachable_engines(args.engines)
    if engines is None:
        return 1
    rows, ok = [], True
    with common.temp_dir("progress") as workdir:
        for engine in engines:
            result = measure(engine, workdir, cards, SMALL, large, repeats)
            small_ms, large_ms = result["small"] * 1000, result["large"] * 1000
            ratio = large_ms / small_ms
            met = large_ms < TARGET_MS and ratio <= TARGET_RATIO
            ok = ok and met
            rows.append((engine, small_ms, large_ms, f"{ratio:.2f}x",
                         result["small cpu"] * 1000, result["large cpu"] * 1000,
                         result["seeded"], common.verdict(met)))
    print()
    print(common.table(
        ["engine", f"{SMALL:,} reviews ms", f"{large:,} reviews ms", "ratio",
         f"{SMALL:,} cpu ms", f"{large:,} cpu ms", "seed s",
         f"< {TARGET_MS} ms and <= {TARGET_RATIO:g}x"],
        rows, f"GET /progress/ (median of {repeats}, interleaved)",
    ))
    print(f"\nprogress page: target {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
