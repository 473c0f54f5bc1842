"""Time the progress page for a learner with 5,000 cards and 100,000 reviews (issue 6).

Run: .venv/bin/python bench/bench_progress.py [--database-url URL] [--cards N --reviews N]
Prints the page time beside the time of the same page for a learner with no history, and the
share spent computing the figures in quizapp.stats (the rest is queries and rendering).
Exits 1 when the page takes longer than TARGET_SECONDS with the full history.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

import _common as common
from flask_migrate import upgrade
from sqlalchemy import insert

from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import Card, CardState, Deck, ReviewLog, User, utcnow
from quizapp.services import progress

CARDS = 5_000
REVIEWS = 100_000
DECKS = 5
TARGET_SECONDS = 1.5


def seed(learner_id: int, cards: int = CARDS, reviews: int = REVIEWS) -> None:
    rng = random.Random(7)
    now = utcnow()
    today = now.date()
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
    card_ids = [c.id for c in db.session.scalars(db.select(Card).order_by(Card.id))]
    deck_of = {c.id: c.deck_id for c in db.session.scalars(db.select(Card))}
    states = []
    for cid in card_ids:
        due, lapses = today + timedelta(days=rng.randint(-5, 40)), rng.randint(0, 3)
        state = common.sm2_state(rng.randint(1, 60), rng.randint(1, 6), due, lapses)
        states.append({"user_id": learner_id, "card_id": cid, "deck_id": deck_of[cid],
                       "ordinal": 0, "state": state, "due": due, "lapses": lapses,
                       "version": 1})
    db.session.execute(insert(CardState), states)
    start = now - timedelta(days=365)
    rows = []
    for i in range(reviews):
        cid = card_ids[i % cards]
        rows.append({
            "user_id": learner_id, "card_id": cid, "deck_id": deck_of[cid], "ordinal": 0,
            "phase": "review", "grade": (grade := rng.randint(0, 5)), "passed": grade >= 3,
            "answered_at": start + timedelta(seconds=i * (365 * 86400 // reviews)),
            "duration_ms": rng.randint(1000, 20000), "presentation": f"p{i}",
            "stage_before": rng.choice(("new", "learning", "young", "mature")),
            "interval_before": rng.randint(0, 40),
        })
        if len(rows) == 10_000 or i == reviews - 1:
            db.session.execute(insert(ReviewLog), rows)
            rows = []
    db.session.commit()


def timed_page(client, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get("/progress/")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        best = min(best, elapsed)
    return best


def login(client, email: str) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={
        "email": email, "password": "bench-password", "csrf_token": token})
    assert response.status_code == 302


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--cards", type=int, default=CARDS)
    parser.add_argument("--reviews", type=int, default=REVIEWS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            upgrade()
            users = []
            for email in ("busy@example.org", "fresh@example.org"):
                user = User(email=email, display_name=email, role="learner", timezone="UTC")
                user.set_password("bench-password")
                db.session.add(user)
                users.append(user)
            db.session.commit()
            busy_id = users[0].id
            started = time.perf_counter()
            seed(busy_id, args.cards, args.reviews)
            print(f"seeded {args.cards} cards, {args.reviews} reviews in "
                  f"{time.perf_counter() - started:.1f} s")
        # Requests outside the seeding context: each gets its own, as under a real server.
        busy_client, fresh_client = app.test_client(), app.test_client()
        login(busy_client, "busy@example.org")
        login(fresh_client, "fresh@example.org")
        busy = timed_page(busy_client)
        fresh = timed_page(fresh_client)
        with app.app_context():
            user = db.session.get(User, busy_id)
            decks = progress.learner_decks(user)
            started = time.perf_counter()
            summary = progress.learner_summary(user, decks, datetime.now(UTC))
            figures = time.perf_counter() - started
            assert summary.overall.stages.total == args.cards
            assert sum(d.count for d in summary.overall.reviews_per_day) > 0
        engine = url.split(":", 1)[0]
        print(f"\nprogress page ({engine}, best of 5)")
        print(f"{'learner':<34}{'seconds':>10}")
        label = f"{args.cards:,} cards, {args.reviews:,} reviews"
        print(f"{label:<34}{busy:>10.3f}")
        print(f"{'no history':<34}{fresh:>10.3f}")
        print(f"{'  of which loading + figures':<34}{figures:>10.3f}")
        print(f"ratio full / empty: {busy / fresh:.1f}x; target: full page under "
              f"{TARGET_SECONDS} s, date {date.today().isoformat()}")
        return 0 if busy < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
