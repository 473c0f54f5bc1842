"""Random histories in the database, and the progress figures computed the slow way (every
review read and folded in Python), to check the database's totals against."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from quizapp.extensions import db
from quizapp.models import CardState, ReviewLog
from quizapp.scheduling.conversions import sm2_to_fsrs
from quizapp.scheduling.fsrs_scheduler import FsrsScheduler
from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler
from quizapp.services import progress
from quizapp.services.schedules import writer_of_name
from quizapp.stats import learner as learner_stats

PHASES = ("learn", "review", "review", "repeat", "cram")
# Around the 2025 daylight-saving changes in Europe and America, and plenty of ordinary days.
START = datetime(2024, 12, 1, tzinfo=UTC)
SPAN_DAYS = 420


def random_history(rng: random.Random, user_id: int, cards, count: int, now: datetime) -> None:
    """Card states (some with a memory) and ``count`` reviews, some undone, some cram, a few
    dated after ``now`` (a skewed clock)."""
    for card in cards:
        for ordinal in card.ordinals:
            if rng.random() < 0.25:
                continue
            reviewed = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86_400))
            remembered = rng.random() < 0.8
            due, lapses = now.date() + timedelta(days=rng.randint(-10, 40)), rng.randint(0, 3)
            scheduler, state = random_state(rng, due, lapses)
            db.session.add(CardState(
                user_id=user_id, card_id=card.id, deck_id=card.deck_id, ordinal=ordinal,
                scheduler=scheduler.name, state=scheduler.to_json(state), due=due,
                lapses=lapses,
                memory_stability=rng.uniform(0.2, 200) if remembered else None,
                memory_difficulty=rng.uniform(1, 10) if remembered else None,
                memory_reviewed_at=reviewed if remembered else None,
            ))
    rows = []
    for n in range(count):
        card = rng.choice(cards)
        at = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86_400),
                               microseconds=rng.randrange(1_000_000))
        if rng.random() < 0.01:
            at = now + timedelta(hours=rng.randint(1, 60))
        rows.append(ReviewLog(
            user_id=user_id, card_id=card.id, deck_id=card.deck_id,
            ordinal=rng.choice(card.ordinals), phase=rng.choice(PHASES),
            **random_rating(rng), answered_at=at, duration_ms=rng.randint(0, 60_000),
            stage_before=rng.choice(("new", "learning", "young", "mature")),
            interval_before=rng.choice((0, 1, 5)),
            presentation=f"{user_id}-{n}",
            response=rng.choice((None, "Alpha", "Gamma", "Beta")),
            undone_at=now if rng.random() < 0.05 else None,
        ))
    db.session.add_all(rows)
    db.session.flush()
    _tally_as_answered(user_id, rows)
    db.session.commit()


def _tally_as_answered(user_id: int, rows: list[ReviewLog]) -> None:
    """What the answer path writes with each answer: the totals on the side's state row, or
    ``tallied = false`` when the side has none."""
    states = {(s.card_id, s.ordinal): s for s in db.session.scalars(
        select(CardState).where(CardState.user_id == user_id))}
    for row in rows:
        state = states.get((row.card_id, row.ordinal))
        row.tallied = state is not None
        if state is not None and row.undone_at is None:
            for name, value in answer_totals(row).items():
                setattr(state, name, (getattr(state, name) or 0) + value)


def answer_totals(log: ReviewLog) -> dict[str, int]:
    """One answer's part of its side's totals, as the pages count answers: every answer, the
    failed ones, those counted for retention (a learned stage before, no cram or repeat) and
    the passed ones among those."""
    retention = log.phase not in ("cram", "repeat") and log.stage_before in ("young", "mature")
    return {"answers": 1, "failures": int(not log.passed), "retention_answers": int(retention),
            "retention_passed": int(retention and log.passed)}


def assert_totals_are_the_log_s() -> None:
    """Every card state's totals equal the sums over its tallied answers not undone, and no
    tallied answer belongs to a side without a state."""
    expected: dict[tuple[int, int, int], dict[str, int]] = {}
    for log in db.session.scalars(select(ReviewLog)):
        if log.tallied and log.undone_at is None:
            summed = expected.setdefault((log.user_id, log.card_id, log.ordinal), {})
            for name, value in answer_totals(log).items():
                summed[name] = summed.get(name, 0) + value
    states = db.session.scalars(select(CardState)).all()
    assert states
    for state in states:
        zero = dict.fromkeys(("answers", "failures", "retention_answers", "retention_passed"), 0)
        found = {name: getattr(state, name) for name in zero}
        assert found == {**zero, **expected.pop((state.user_id, state.card_id, state.ordinal),
                                                 {})}, (state.id, found)
    assert expected == {}, "tallied answers of sides without a state"


def random_state(rng: random.Random, due, lapses: int):
    """(scheduler, state): an SM-2 side of any stage, or an FSRS side converted from one."""
    sm2 = Sm2Scheduler()
    state = Sm2State(
        Decimal(rng.choice(("1.3", "2.5", "2.36"))), rng.choice((0, 1, 3, 20, 21, 60)),
        rng.randint(0, 6), due, lapses,
    )
    if rng.random() < 0.7:
        return sm2, state
    fsrs = FsrsScheduler()
    return fsrs, sm2_to_fsrs(state, [], fsrs)


def random_rating(rng: random.Random) -> dict:
    """A logged rating of either scheduler, with whether it passed on that one's scale."""
    scheduler = rng.choice((Sm2Scheduler(), FsrsScheduler()))
    grade = rng.choice([option.value for option in scheduler.scale])
    return {"grade": grade, "scheduler": scheduler.name,
            "passed": scheduler.scale.passes(grade)}


def reviews_one_by_one(user_ids, deck_ids) -> list[tuple[int, learner_stats.Review, str | None]]:
    """(user id, Review, response) for every answer not undone, as the pages once read them."""
    rows = db.session.execute(
        select(ReviewLog).where(
            ReviewLog.user_id.in_(list(user_ids)), ReviewLog.deck_id.in_(list(deck_ids)),
            ReviewLog.undone_at.is_(None),
        )
    ).scalars()
    return [
        (r.user_id, learner_stats.Review(
            r.card_id, r.ordinal, r.deck_id, r.answered_at, r.passed, r.duration_ms,
            r.stage_before, r.interval_before, r.phase in ("cram", "repeat"),
        ), r.response)
        for r in rows
    ]


def slow_card_states(user_ids, deck_ids) -> dict[int, list[learner_stats.SideState]]:
    """``progress.card_states`` with every stored side's stage and ease read out of its state
    JSON by the scheduler that wrote it, as the pages did before the stage was stored."""
    read = {}
    for row in db.session.scalars(select(CardState).where(
        CardState.user_id.in_(list(user_ids)), CardState.deck_id.in_(list(deck_ids)),
    )):
        scheduler = writer_of_name(row.scheduler)
        state = scheduler.from_json(row.state)
        read[row.user_id, row.card_id, row.ordinal] = (
            scheduler.stage(state), Decimal(scheduler.to_anki(state).factor) / 1000)
    states = progress.card_states(user_ids, deck_ids)
    for user_id, sides in states.items():
        for n, side in enumerate(sides):
            if (user_id, side.card_id, side.ordinal) in read:
                stage, ease = read[user_id, side.card_id, side.ordinal]
                sides[n] = side._replace(stage=stage, easiness=ease)
    return states


def slow_learner_summary(user, decks, now):
    deck_ids = [d.id for d in decks]
    states = slow_card_states([user.id], deck_ids)[user.id]
    history = [review for _, review, _ in reviews_one_by_one([user.id], deck_ids)]
    return learner_stats.learner_summary(states, history, user.timezone, now, deck_ids=deck_ids)

