"""The study session's rules: order, limits, one transaction per answer, undo, cram."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from study_helpers import basic, make_deck, mcq, sm2_of, sm2_row

from quizapp.deckfile import CardData
from quizapp.extensions import db
from quizapp.models import Card, CardState, ReviewLog, User
from quizapp.scheduling import sm2
from quizapp.services import study, study_queue

SECRET = "test-secret-key"
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def show(user, deck, queue=None, cram=False, now=NOON):
    """The next card, with the learner's queue as the server keeps it unless one is given."""
    if queue is None:
        queue = study_queue.open_session(user, deck.id, cram=cram, now=now)
        db.session.commit()  # as the study page does
    p = study.choose_next(user, deck, queue, cram=cram, now=now)
    return p, (study.encode_presentation(p, user.id, SECRET) if p else None)


def answer(user, token, now=NOON, **kwargs):
    return study.record_answer(user, token, SECRET, now=now, **kwargs)


def state_of(user, card_id, ordinal=0):
    db.session.expire_all()
    return db.session.scalars(db.select(CardState).where(
        CardState.user_id == user.id, CardState.card_id == card_id,
        CardState.ordinal == ordinal)).first()


def test_new_cards_come_in_deck_order_and_get_sm2_state(app, learner):
    deck = make_deck([basic("a"), basic("b")])
    p, token = show(learner, deck)
    assert db.session.get(study.Card, p.card_id).guid == "a" and p.mode == "learn"
    outcome = answer(learner, token, grade=5)
    row = state_of(learner, p.card_id)
    state = sm2_of(row)
    expected = sm2.review(sm2.Sm2State.new(), 5, date(2026, 3, 10))
    assert (state.interval, state.repetitions, state.due) == (1, 1, date(2026, 3, 11))
    assert state.easiness == expected.easiness == Decimal("2.6")
    assert row.due == outcome.due == date(2026, 3, 11) and row.scheduler == "sm2"
    log = db.session.scalars(db.select(ReviewLog)).one()
    assert log.state_before is None and log.state_after["state"]["interval"] == 1
    assert log.scheduler == "sm2" and log.passed and log.stage_before == "new"
    assert log.phase == "learn" and log.grade == 5


def test_due_reviews_come_first_most_overdue_first(app, learner):
    deck = make_deck([basic("a"), basic("b"), basic("c")])
    cards = {c.guid: c for c in deck.cards}
    for guid, due in (("a", date(2026, 3, 9)), ("b", date(2026, 3, 1)), ("c", None)):
        if due:
            db.session.add(sm2_row(learner, cards[guid], interval=1, repetitions=1, due=due))
    db.session.commit()
    order = []
    queue = study.SessionQueue()
    for _ in range(3):
        p, token = show(learner, deck, queue)
        order.append((db.session.get(study.Card, p.card_id).guid, p.mode))
        answer(learner, token, grade=5)
    assert order == [("b", "review"), ("a", "review"), ("c", "learn")]


def test_daily_new_card_limit_uses_the_learners_day(app, learner):
    learner.timezone = "America/New_York"
    db.session.commit()
    deck = make_deck([basic(str(i)) for i in range(5)], new_per_day=2)
    evening = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)  # 23:00 on the 10th in New York
    for _ in range(2):
        _, token = show(learner, deck, now=evening)
        answer(learner, token, grade=5, now=evening)
    assert show(learner, deck, now=evening)[0] is None
    # 01:00 local on the 11th is still the 10th (the day rolls over at 4 a.m.).
    assert show(learner, deck, now=evening + timedelta(hours=2))[0] is None
    next_day = evening + timedelta(hours=6)  # 05:00 local
    assert show(learner, deck, now=next_day)[0] is not None


def test_the_same_presentation_answered_twice_is_recorded_once(app, learner):
    deck = make_deck([basic("a")])
    _, token = show(learner, deck)
    first = answer(learner, token, grade=4)
    second = answer(learner, token, grade=1)
    assert not first.duplicate and second.duplicate and second.grade == 4
    assert db.session.query(ReviewLog).count() == 1
    card_id = db.session.scalars(db.select(study.Card)).one().id
    assert sm2_of(state_of(learner, card_id)).interval == 1


def test_a_second_tab_answering_the_same_side_is_a_conflict(app, learner):
    deck = make_deck([basic("a")])
    _, tab_one = show(learner, deck)
    _, tab_two = show(learner, deck)
    answer(learner, tab_one, grade=5)
    late = answer(learner, tab_two, grade=0)
    assert late.conflict
    assert db.session.query(ReviewLog).count() == 1


def answer_at_once(app, user_id: int, token: str, grade: int, threads: int):
    """Answer the same presentation from ``threads`` threads released together; returns the
    outcomes and the exceptions raised."""
    barrier = threading.Barrier(threads)
    outcomes, errors = [], []

    def worker():
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                outcomes.append(answer(user, token, grade=grade))
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    running = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return outcomes, errors


def test_concurrent_answers_to_one_presentation_log_one_review(app, learner):
    deck = make_deck([basic("a")])
    # A reviewed card, so both threads race to update an existing row.
    card = deck.cards[0]
    db.session.add(sm2_row(learner, card, interval=6, repetitions=2, due=date(2026, 3, 1)))
    db.session.commit()
    _, token = show(learner, deck)
    outcomes, errors = answer_at_once(app, learner.id, token, grade=4, threads=8)
    assert errors == []
    assert sum(1 for o in outcomes if not (o.duplicate or o.conflict)) == 1
    db.session.expire_all()
    assert db.session.query(ReviewLog).count() == 1
    state = state_of(learner, card.id)
    assert (sm2_of(state).repetitions, state.version) == (3, 2)


def test_concurrent_first_answers_create_one_state(app, learner):
    deck = make_deck([basic("a")])
    _, token = show(learner, deck)
    _, errors = answer_at_once(app, learner.id, token, grade=5, threads=6)
    assert errors == []
    db.session.expire_all()
    assert db.session.query(ReviewLog).count() == 1
    assert db.session.query(CardState).count() == 1


def test_undo_restores_the_previous_state_exactly(app, learner):
    deck = make_deck([basic("a")])
    card = deck.cards[0]
    _, token = show(learner, deck)
    answer(learner, token, grade=5)
    before = state_of(learner, card.id)
    snapshot = (before.scheduler, before.state, before.due, before.lapses, before.last_review_at)
    later = NOON + timedelta(days=1)
    _, token = show(learner, deck, now=later)
    answer(learner, token, grade=1, now=later)
    assert state_of(learner, card.id).lapses == 1
    undone = study.undo_last(learner, deck, now=later)
    assert undone is not None and undone.grade == 1
    after = state_of(learner, card.id)
    assert (after.scheduler, after.state, after.due, after.lapses,
            after.last_review_at) == snapshot
    # The log keeps both answers; the undone one is marked, not deleted.
    logs = db.session.scalars(db.select(ReviewLog).order_by(ReviewLog.id)).all()
    assert [log.undone_at is not None for log in logs] == [False, True]
    # Undoing the first answer makes the card new again.
    study.undo_last(learner, deck, now=later)
    assert state_of(learner, card.id) is None
    assert show(learner, deck, now=later)[0].mode == "learn"


def test_multiple_choice_is_graded_through_the_shuffle(app, learner):
    deck = make_deck([mcq("q", choices=("Alpha", "Beta", "Gamma"), correct=1)])
    p, token = show(learner, deck)
    shown_position_of_beta = p.choice_order.index(1)
    right = answer(learner, token, choice=shown_position_of_beta,
                   now=NOON + timedelta(seconds=3))
    assert right.correct and right.grade == 5 and right.response == "Beta"
    study.undo_last(learner, deck, now=NOON + timedelta(seconds=4))
    p, token = show(learner, deck)
    wrong_position = p.choice_order.index(2)
    wrong = answer(learner, token, choice=wrong_position)
    assert wrong.correct is False and wrong.grade < 3 and wrong.response == "Gamma"
    with pytest.raises(study.StudyError):
        answer(learner, show(learner, deck)[1], choice=9)


def test_typein_answers_are_matched_leniently(app, learner):
    deck = make_deck([CardData(guid="t", kind="typein", prompt="Capital of France?",
                               answer="Paris")])
    _, token = show(learner, deck)
    outcome = answer(learner, token, typed="  paris ", now=NOON + timedelta(seconds=2))
    assert outcome.correct and outcome.grade == 5


def test_a_retired_card_is_not_repeated(app, learner):
    deck = make_deck([basic("a"), basic("b")])
    for _ in range(2):
        _, token = show(learner, deck)
        answer(learner, token, grade=2)
    first = show(learner, deck)[0]
    assert first.mode == "repeat"
    db.session.get(Card, first.card_id).retired = True
    db.session.commit()
    second = show(learner, deck)[0]
    assert second.mode == "repeat" and second.card_id != first.card_id
    db.session.get(Card, second.card_id).retired = True
    db.session.commit()
    assert show(learner, deck)[0] is None


def test_failed_cards_repeat_in_the_session_without_rescheduling(app, learner):
    deck = make_deck([basic("a")])
    p, token = show(learner, deck)
    answer(learner, token, grade=2)
    stored = state_of(learner, p.card_id)
    repeat, token = show(learner, deck)
    assert repeat.mode == "repeat" and repeat.card_id == p.card_id
    answer(learner, token, grade=3)
    assert show(learner, deck)[0].mode == "repeat"  # 3 is not yet 4
    _, token = show(learner, deck)
    answer(learner, token, grade=4)
    assert show(learner, deck)[0] is None
    final = state_of(learner, p.card_id)
    assert (final.state, final.due, final.version) == (stored.state, stored.due, stored.version)


def test_missed_sides_repeat_in_the_order_missed_not_in_card_order(app, learner):
    # Due most overdue first: c, a, b, each missed; the session's queue (read as one row,
    # study_queue._QUEUE) must give them back in that order, and keep the crammed ones apart.
    deck = make_deck([basic("a"), basic("b"), basic("c")])
    cards = {c.guid: c for c in deck.cards}
    for guid, due in (("a", date(2026, 3, 5)), ("b", date(2026, 3, 9)), ("c", date(2026, 3, 1))):
        db.session.add(sm2_row(learner, cards[guid], interval=1, repetitions=1, due=due))
    db.session.commit()
    for _ in range(3):
        _, token = show(learner, deck)
        answer(learner, token, grade=1)
    queue = study_queue.open_session(learner, deck.id, cram=False, now=NOON)
    ids = {card.id: guid for guid, card in cards.items()}
    assert [(ids[card_id], ordinal) for card_id, ordinal in queue.repeats] == [
        ("c", 0), ("a", 0), ("b", 0)]
    assert queue.crammed == set() and queue.only == []
    repeated = []
    for _ in range(3):
        p, token = show(learner, deck)
        assert p.mode == "repeat"
        repeated.append(ids[p.card_id])
        answer(learner, token, grade=5)
    assert repeated == ["c", "a", "b"]
    assert study_queue.open_session(learner, deck.id, cram=False, now=NOON).repeats == []


def test_cram_never_changes_the_schedule_and_brings_misses_back(app, learner):
    deck = make_deck([basic("a"), basic("b"), basic("c")])
    study_queue.open_session(learner, deck.id, cram=True, restart=True, now=NOON)
    first_round = []
    for _ in range(3):
        p, token = show(learner, deck, cram=True)
        assert p.mode == "cram" and p.card_id not in first_round
        first_round.append(p.card_id)
        answer(learner, token, grade=0 if len(first_round) < 3 else 5)
    # The two missed come back, in the order they were missed, until answered well.
    second_round = []
    for grade in (5, 1, 4):
        p, token = show(learner, deck, cram=True)
        second_round.append(p.card_id)
        answer(learner, token, grade=grade)
    assert second_round == [first_round[0], first_round[1], first_round[1]]
    assert show(learner, deck, cram=True)[0] is None
    assert db.session.query(CardState).count() == 0
    assert {log.phase for log in db.session.scalars(db.select(ReviewLog))} == {"cram"}


def test_reversed_cards_schedule_each_side(app, learner):
    deck = make_deck([CardData(guid="r", kind="reversed", prompt="H2O", answer="water")])
    sides = []
    for _ in range(2):
        p, token = show(learner, deck)
        sides.append(p.ordinal)
        answer(learner, token, grade=5)
    assert sides == [0, 1]
    assert show(learner, deck)[0] is None


def test_forged_or_foreign_tokens_are_refused(app, learner):
    other = type(learner)(email="o@example.org", display_name="o", role="learner")
    other.set_password("x" * 10)
    db.session.add(other)
    db.session.commit()
    deck = make_deck([basic("a")])
    _, token = show(learner, deck)
    with pytest.raises(study.StudyError):
        answer(other, token, grade=5)
    with pytest.raises(study.StudyError):
        answer(learner, token[:-3] + "abc", grade=5)
    with pytest.raises(study.StudyError):
        answer(learner, token, grade=9)
    assert db.session.query(ReviewLog).count() == 0


def test_a_token_reads_as_itsdangerous_reads_it_and_a_compressed_one_still_decodes(app,
                                                                                   learner):
    """Tokens are written without zlib; itsdangerous's own serializer (which compresses
    what shrinks) reads them, and its tokens, pages shown before the change, still decode."""
    from itsdangerous import URLSafeSerializer

    stock = URLSafeSerializer(SECRET, salt="quizapp.presentation")
    p = study.Presentation(7, 2, "review", 3, "a" * 32, 1_800_000_000.25, (2, 0, 1))
    fields = [learner.id, 7, 2, "review", 3, "a" * 32, 1_800_000_000.25, [2, 0, 1]]
    token = study.encode_presentation(p, learner.id, SECRET)
    assert stock.loads(token) == fields
    compressed = stock.dumps(fields)
    assert compressed.startswith(".") and not token.startswith(".")
    for made in (token, compressed):
        assert study.decode_presentation(made, learner.id, SECRET) == p


def test_cramming_hard_cards_only_shows_the_learners_hardest(app, learner):
    deck = make_deck([basic("a"), basic("b"), basic("c"), basic("d")])
    cards = {c.guid: c for c in deck.cards}
    for guid, lapses, easiness in (("a", 0, "2.2"), ("b", 3, "2.5"), ("c", 0, "2.6")):
        db.session.add(sm2_row(learner, cards[guid], interval=3, repetitions=1,
                               due=date(2026, 4, 1), lapses=lapses, easiness=easiness))
    db.session.commit()
    hard = study.hard_card_ids(learner, deck)
    assert hard == [cards["b"].id, cards["a"].id]
    study_queue.open_session(learner, deck.id, cram=True, restart=True, only=hard, now=NOON)
    shown = set()
    while (shown_now := show(learner, deck, cram=True))[0] is not None:
        shown.add(shown_now[0].card_id)
        answer(learner, shown_now[1], grade=5)
    assert shown == set(hard)
