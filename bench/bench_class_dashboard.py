"""Time the class dashboard for a large class (issue 17, target 5).

A class of 500 learners assigned one 2,000-card deck; each learner has studied 200 cards
(100,000 card states, each with a memory state) in 400 answers (200,000 review rows).

Target, on each engine: the dashboard page renders in under 500 ms.

    .venv/bin/python bench/bench_class_dashboard.py [--engines sqlite,postgresql] [--quick]
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
from quizapp.models import (
    Card,
    CardState,
    ClassDeck,
    ClassMembership,
    Classroom,
    Deck,
    ReviewLog,
    User,
    utcnow,
)
from quizapp.services import tallies

LEARNERS, CARDS, STUDIED, ANSWERS = 500, 2_000, 200, 400
TARGET_MS = 500
REPEATS = 5
BATCH = 20_000


def seed(learners: int, cards: int, studied: int, answers: int) -> int:
    """The class's id; everything else is in the database."""
    rng = random.Random(17)
    now = utcnow()
    hashed = common.password_hash()
    teacher = User(email="teacher@example.org", display_name="Teacher", password_hash=hashed,
                   role="instructor", timezone="UTC")
    deck = Deck(slug="class-bench", title="Class bench", published=True)
    db.session.add_all([teacher, deck])
    db.session.flush()
    classroom = Classroom(name="Large class", instructor_id=teacher.id, join_code="BENCH500")
    db.session.add(classroom)
    db.session.flush()
    db.session.add(ClassDeck(class_id=classroom.id, deck_id=deck.id))
    db.session.execute(insert(User), [
        {"email": f"s{n}@example.org", "display_name": f"Student {n:03}",
         "password_hash": hashed, "role": "learner", "timezone": "UTC", "session_version": 1}
        for n in range(learners)
    ])
    student_ids = list(db.session.scalars(select(User.id).where(User.role == "learner")))
    db.session.execute(insert(ClassMembership), [
        {"class_id": classroom.id, "user_id": user_id} for user_id in student_ids
    ])
    db.session.execute(insert(Card), [
        {"deck_id": deck.id, "guid": f"g{i}", "position": i, "kind": "mcq",
         "prompt": f"<p>Question <b>{i}</b></p>", "answer": "B", "choices": ["A", "B", "C"],
         "correct_index": 1, "tags": [f"topic-{i % 15}"], "sources": [], "ordinals": [0],
         "side_count": 1, "retired": i % 100 == 99, "content_changed_at": now,
         "explanation": ""}
        for i in range(cards)
    ])
    card_ids = list(db.session.scalars(select(Card.id).order_by(Card.id)))
    states, logs = [], []
    for user_id in student_ids:
        chosen = rng.sample(card_ids, studied)
        mine = {}
        for card_id in chosen:
            state = common.sm2_state(rng.choice((1, 3, 8, 21, 40)), rng.randint(0, 4), now.date())
            mine[card_id] = {
                "user_id": user_id, "card_id": card_id, "deck_id": deck.id, "ordinal": 0,
                "state": state, "due": now.date(), "lapses": 0, "version": 1,
                "memory_stability": rng.uniform(0.5, 90), "memory_difficulty": rng.uniform(1, 10),
                "memory_reviewed_at": now - timedelta(days=rng.uniform(0, 30)),
                **dict.fromkeys(tallies.TOTALS, 0),
            }
        for n in range(answers):
            wrong = rng.random() < 0.3
            log = {
                "user_id": user_id, "card_id": chosen[n % studied], "deck_id": deck.id,
                "ordinal": 0, "phase": rng.choice(("learn", "review", "review", "cram")),
                "grade": rng.randint(0, 2) if wrong else rng.randint(3, 5), "passed": not wrong,
                "response": rng.choice(("A", "C")) if wrong else "B",
                "answered_at": now - timedelta(minutes=rng.randint(1, 90 * 24 * 60)),
                "duration_ms": 4000, "presentation": f"{user_id}-{n}",
                "stage_before": rng.choice(("new", "learning", "young", "mature")),
                "interval_before": rng.randint(0, 9),
            }
            logs.append(log)
            # The side's answer totals, as the answer path writes them with its state.
            summed = mine[log["card_id"]]
            for name, value in tallies.added(log["phase"], log["stage_before"],
                                             log["passed"]).items():
                summed[name] += value
        states.extend(mine.values())
        if len(logs) >= BATCH:
            db.session.execute(insert(CardState), states)
            db.session.execute(insert(ReviewLog), logs)
            states, logs = [], []
    if logs:
        db.session.execute(insert(CardState), states)
        db.session.execute(insert(ReviewLog), logs)
    return classroom.id


def measure(engine: str, workdir: Path, sizes: tuple[int, int, int, int], repeats: int) -> dict:
    with common.database(engine, "class", workdir) as url:
        app = common.make_app(url)
        started = time.perf_counter()
        with app.app_context():
            class_id = seed(*sizes)
            db.session.commit()
            if engine == "postgresql":
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            teacher = db.session.scalars(select(User).where(User.role == "instructor")).one()
            teacher_id = teacher.get_id()
            rows = db.session.scalar(select(db.func.count(ReviewLog.id)))
        seeded = time.perf_counter() - started
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = teacher_id
            session["_fresh"] = True
        times = []
        for _ in range(repeats + 1):  # the first warms caches and compiled statements
            begun = time.perf_counter()
            response = client.get(f"/classes/{class_id}")
            times.append(time.perf_counter() - begun)
            assert response.status_code == 200, response.status_code
            assert b'id="forgotten"' in response.data and b"Student 000" in response.data
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return {"seeded": seeded, "rows": rows, "median": common.median(times[1:])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true",
                        help="20 learners x 100 cards: a smoke run, not the target")
    args = parser.parse_args(argv)
    sizes = (20, 100, 20, 40) if args.quick else (LEARNERS, CARDS, STUDIED, ANSWERS)
    repeats = 1 if args.quick else REPEATS
    print(f"Class dashboard: {sizes[0]:,} learners x {sizes[1]:,} cards, {sizes[2]} studied "
          f"and {sizes[3]} answers each")
    print(common.machine_line())
    engines = common.reachable_engines(args.engines)
    if engines is None:
        return 1
    rows, ok = [], True
    with common.temp_dir("class") as workdir:
        for engine in engines:
            result = measure(engine, workdir, sizes, repeats)
            milliseconds = result["median"] * 1000
            met = milliseconds < TARGET_MS
            ok = ok and met
            rows.append((engine, result["rows"], milliseconds, result["seeded"],
                         common.verdict(met)))
    print()
    print(common.table(
        ["engine", "review rows", "page ms", "seed s", f"< {TARGET_MS} ms"],
        rows, f"GET /classes/<id> (median of {repeats})",
    ))
    print(f"\nclass dashboard: target {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
