"""Many learners answering many cards at once, each answer sent twice and raced by a
second tab: no update is lost and every side is logged exactly once per round."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from security_payloads import add_user
from study_helpers import basic, make_deck, sm2_of

from quizapp.extensions import db
from quizapp.models import CardState, ReviewLog, User
from quizapp.services import study

SECRET = "test-secret-key"
LEARNERS = 6
CARDS = 8


def token(user_id: int, card_id: int, mode: str, version: int) -> str:
    p = study.Presentation(card_id=card_id, ordinal=0, mode=mode, state_version=version,
                           nonce=secrets.token_hex(16),
                           shown_at=datetime.now(UTC).timestamp())
    return study.encode_presentation(p, user_id, SECRET)


def race(app, jobs: list[tuple[int, str, int]]) -> list:
    """Run (user id, token, grade) answers on 12 threads, all released together."""
    barrier = threading.Barrier(12)
    local = threading.local()

    def answer(job):
        user_id, tok, grade = job
        with app.app_context():
            if not getattr(local, "started", False):
                local.started = True
                barrier.wait()
            try:
                user = db.session.get(User, user_id)
                return study.record_answer(user, tok, SECRET, grade=grade)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(answer, jobs))


def test_many_learners_many_cards_lose_nothing(app):
    deck = make_deck([basic(f"c{i}") for i in range(CARDS)], new_per_day=999)
    card_ids = [c.id for c in deck.cards]
    users = [add_user(f"l{i}@example.org", "learner").id for i in range(LEARNERS)]
    db.session.commit()

    # Round 1: every learner learns every card; each answer is submitted twice.
    jobs = []
    for user_id in users:
        for card_id in card_ids:
            tok = token(user_id, card_id, "learn", 0)
            jobs += [(user_id, tok, 4), (user_id, tok, 4)]
    outcomes = race(app, jobs)
    assert sum(1 for o in outcomes if not o.duplicate and not o.conflict) == LEARNERS * CARDS
    db.session.expire_all()
    assert db.session.query(ReviewLog).count() == LEARNERS * CARDS
    states = db.session.scalars(db.select(CardState)).all()
    assert len(states) == LEARNERS * CARDS
    assert {(sm2_of(s).repetitions, s.version, sm2_of(s).interval) for s in states} == {
        (1, 1, 1)}

    # Round 2: a review of every side, raced by a second tab showing the same state version.
    jobs = []
    for user_id in users:
        for card_id in card_ids:
            first, second = token(user_id, card_id, "review", 1), token(
                user_id, card_id, "review", 1)
            jobs += [(user_id, first, 5), (user_id, second, 5), (user_id, first, 5)]
    outcomes = race(app, jobs)
    assert sum(1 for o in outcomes if not o.duplicate and not o.conflict) == LEARNERS * CARDS
    db.session.expire_all()
    logs = db.session.scalars(db.select(ReviewLog)).all()
    assert len(logs) == 2 * LEARNERS * CARDS
    per_side = {}
    for log in logs:
        per_side.setdefault((log.user_id, log.card_id), []).append(log.phase)
    assert all(sorted(p) == ["learn", "review"] for p in per_side.values())
    assert len(per_side) == LEARNERS * CARDS
    states = db.session.scalars(db.select(CardState)).all()
    assert {(sm2_of(s).repetitions, s.version, sm2_of(s).interval) for s in states} == {
        (2, 2, 6)}
    # Each review log's state_after is the state it left behind.
    for log in logs:
        if log.phase == "review":
            before, after = log.state_before["state"], log.state_after["state"]
            assert before["repetitions"] == 1 and after["repetitions"] == 2


def test_the_same_learner_in_many_tabs_across_cards(app):
    """One learner, many cards answered at once from several tabs: one log per side."""
    deck = make_deck([basic(f"c{i}") for i in range(20)], new_per_day=999)
    user_id = add_user("busy@example.org", "learner").id
    db.session.commit()
    jobs = []
    for card in deck.cards:
        tabs = [token(user_id, card.id, "learn", 0) for _ in range(3)]
        jobs += [(user_id, tab, 3) for tab in tabs]
    outcomes = race(app, jobs)
    assert sum(1 for o in outcomes if not o.duplicate and not o.conflict) == 20
    db.session.expire_all()
    assert db.session.query(ReviewLog).count() == 20
    assert db.session.query(CardState).count() == 20
