"""The progress page's and the class dashboard's figures summed by the database equal the
same figures computed from every review in Python, on random histories (both engines), and
the pages show the expected retention."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from conftest import csrf_token, make_user
from progress_helpers import (
    random_history,
    reviews_one_by_one,
    slow_card_states,
    slow_learner_summary,
)
from study_helpers import basic, make_deck, mcq

from quizapp.deckfile import CardData
from quizapp.extensions import db
from quizapp.models import Card, ClassDeck, ClassMembership, Classroom, LearnerSchedulerParams
from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS
from quizapp.services import progress, study
from quizapp.services.class_totals import class_totals
from quizapp.services.history_totals import history_totals
from quizapp.services.personal_params import fitted_parameters
from quizapp.stats import classroom as class_stats
from quizapp.stats import learner as learner_stats
from quizapp.stats.memory import OutlookSum

NOW = datetime(2026, 1, 20, 15, 30, tzinfo=UTC)
SECRET = "test-secret-key"


def tagged_deck(title: str, size: int, rng: random.Random, retired: int = 0):
    cards = []
    for n in range(size):
        tags = rng.sample(["cells", "genes", "energy", "ecology"], rng.randint(0, 2))
        guid = f"{title}-{n}"
        if n % 3 == 0:
            cards.append(mcq(guid, tags=tuple(tags)))
        elif n % 4 == 1:  # two sides
            cards.append(CardData(guid=guid, kind="reversed", prompt=f"Front {guid}",
                                  answer="Back", tags=tuple(tags)))
        else:
            cards.append(basic(guid, tags=tuple(tags)))
    deck = make_deck(cards, title=title)
    for card in deck.cards[:retired]:
        card.retired = True
    db.session.commit()
    return deck


@pytest.mark.parametrize("seed,tz_name", [
    (1, "UTC"), (2, "Europe/Berlin"), (3, "America/Los_Angeles"), (4, "Asia/Kolkata"),
])
def test_learner_figures_from_database_totals_equal_the_review_by_review_ones(
    app, seed, tz_name
):
    rng = random.Random(seed)
    user = make_user(f"l{seed}@example.org", timezone=tz_name)
    other = make_user(f"o{seed}@example.org")
    decks = [tagged_deck(f"d{seed}a", 12, rng, retired=2), tagged_deck(f"d{seed}b", 8, rng)]
    cards = [card for deck in decks for card in deck.cards]
    random_history(rng, user.id, cards, 900, NOW)
    random_history(rng, other.id, cards, 100, NOW)
    for shown in (decks, decks[:1]):
        fast = progress.learner_summary(user, shown, NOW)
        assert fast == slow_learner_summary(user, shown, NOW)
    assert fast.overall.outlook.cards > 0 and any(t.outlook.cards for t in fast.overall.topics)


def test_learner_without_history_has_no_outlook(app):
    user = make_user("fresh@example.org")
    deck = tagged_deck("fresh", 3, random.Random(0))
    summary = progress.learner_summary(user, [deck], NOW)
    assert summary == slow_learner_summary(user, [deck], NOW)
    assert summary.decks[0].outlook.today is None


def slow_class_dashboard(classroom: Classroom, now):
    """The dashboard from every card state and review read into Python."""
    deck_ids = [d.id for d in classroom.decks if d.published]
    students = [class_stats.Student(u.id, u.display_name) for u in classroom.members]
    states = slow_card_states([s.user_id for s in students], deck_ids)
    cards = {
        (s.card_id, s.ordinal): class_stats.ClassCard(
            s.card_id, s.ordinal, s.deck_id, s.prompt, s.tags)
        for per_user in states.values() for s in per_user if not s.retired
    }
    history = [
        class_stats.ClassReview(user_id, review, response)
        for user_id, review, response in reviews_one_by_one(
            [s.user_id for s in students], deck_ids)
    ]
    return class_stats.class_dashboard(students, cards.values(), states, history, now)


@pytest.mark.parametrize("seed", [5, 6])
def test_class_dashboard_from_database_totals_equals_the_review_by_review_one(app, seed):
    rng = random.Random(seed)
    teacher = make_user(f"t{seed}@example.org", "instructor")
    decks = [tagged_deck(f"c{seed}a", 10, rng, retired=1), tagged_deck(f"c{seed}b", 6, rng)]
    private = tagged_deck(f"c{seed}private", 4, rng)
    classroom = Classroom(name="Bio", instructor_id=teacher.id, join_code=f"CODE{seed}")
    db.session.add(classroom)
    db.session.flush()
    for deck in decks:
        db.session.add(ClassDeck(class_id=classroom.id, deck_id=deck.id))
    students = [make_user(f"s{seed}-{n}@example.org", name=f"S{n}") for n in range(6)]
    outsider = make_user(f"x{seed}@example.org")
    for student in students:
        db.session.add(ClassMembership(class_id=classroom.id, user_id=student.id))
    db.session.commit()
    all_cards = [card for deck in (*decks, private) for card in deck.cards]
    for user in (*students, outsider):
        random_history(rng, user.id, all_cards, 150, NOW)
    db.session.expire_all()
    classroom = db.session.get(Classroom, classroom.id)
    fast = progress.class_dashboard(classroom, NOW)
    slow = slow_class_dashboard(classroom, NOW)
    assert fast.students == slow.students
    assert fast.cards == slow.cards
    # Recall is summed in SQL (power) and in Python (**): equal to rounding.
    assert [t.tag for t in fast.topics] == [t.tag for t in slow.topics] != []
    for a, b in zip(fast.topics + fast.forgotten, slow.topics + slow.forgotten, strict=True):
        assert a.outlook.cards == b.outlook.cards
        assert a.outlook.today == pytest.approx(b.outlook.today, rel=1e-9)
        assert a.outlook.in_week == pytest.approx(b.outlook.in_week, rel=1e-9)
    assert [(c.card_id, c.ordinal) for c in fast.forgotten] == [
        (c.card_id, c.ordinal) for c in slow.forgotten]
    todays = [c.outlook.today for c in fast.forgotten]
    assert todays == sorted(todays) and len(todays) == class_stats.FORGOTTEN_COUNT
    # The dashboard page's: the same figures, only the cards it shows with their prompts.
    shown = progress.class_dashboard(classroom, NOW, prompted=5)
    assert shown.students == fast.students and shown.topics == fast.topics
    assert shown.forgotten == fast.forgotten
    assert shown.cards[:5] == fast.cards[:5]
    assert shown.cards[5:] == tuple(replace(card, prompt="") for card in fast.cards[5:])


def test_stale_sides_are_left_out_of_the_class_figures(app):
    rng = random.Random(9)
    teacher = make_user("t9@example.org", "instructor")
    deck = tagged_deck("odd", 4, rng)
    odd = deck.cards[0]
    odd.ordinals, odd.side_count = [0, 2], 2  # an imported note whose cards are 1 and 3
    classroom = Classroom(name="Odd", instructor_id=teacher.id, join_code="ODDCODE9")
    db.session.add(classroom)
    db.session.flush()
    db.session.add(ClassDeck(class_id=classroom.id, deck_id=deck.id))
    student = make_user("s9@example.org")
    db.session.add(ClassMembership(class_id=classroom.id, user_id=student.id))
    db.session.commit()
    random_history(rng, student.id, deck.cards, 40, NOW)
    # A state of ordinal 1, which this card no longer has.
    random_history(rng, student.id, [_with_ordinals(odd, [1])], 0, NOW)
    db.session.expire_all()
    classroom = db.session.get(Classroom, classroom.id)
    fast = progress.class_dashboard(classroom, NOW)
    slow = slow_class_dashboard(classroom, NOW)
    assert fast.students == slow.students and fast.cards == slow.cards


def _with_ordinals(card: Card, ordinals):
    class Side:
        id, deck_id = card.id, card.deck_id
    Side.ordinals = ordinals
    return Side


def test_pages_show_expected_retention(client, auth, app, instructor, learner):
    deck = make_deck([basic("a", tags=("cells",)), basic("b", tags=("genes",))])
    answered = datetime.now(UTC) - timedelta(days=3)
    for grade in (5, 1):
        p = study.choose_next(learner, deck, study.SessionQueue(), cram=False, now=answered)
        token = study.encode_presentation(p, learner.id, SECRET)
        study.record_answer(learner, token, SECRET, grade=grade, now=answered)
    auth.login(learner.email)
    page = client.get(f"/progress/decks/{deck.id}").get_data(as_text=True)
    summary = progress.learner_summary(learner, [deck], datetime.now(UTC))
    outlook = summary.decks[0].outlook
    assert outlook.cards == 2 and 0 < outlook.in_week < outlook.today < 1
    expected = int(outlook.today * 100 + 0.5)
    assert f'<dd id="expected-today">{expected}%</dd>' in page
    assert 'id="outlook-deck-' in page and "<th scope=\"col\">In 7 days</th>" in page

    teacher = app.test_client()
    auth.login(instructor.email, client=teacher)
    teacher.post("/classes/", data={"name": "Bio", "csrf_token": csrf_token(teacher, "/classes/")})
    classroom = db.session.scalars(db.select(Classroom)).one()
    db.session.add(ClassDeck(class_id=classroom.id, deck_id=deck.id))
    db.session.add(ClassMembership(class_id=classroom.id, user_id=learner.id))
    db.session.commit()
    page = teacher.get(f"/classes/{classroom.id}").get_data(as_text=True)
    assert 'id="topic-outlook"' in page and "<td class=\"text\">cells</td>" in page
    assert 'id="forgotten"' in page and "Question a" in page


def test_fitted_parameters_estimate_their_learner_s_recall(app):
    """A learner with personal FSRS parameters for a deck has their recall estimated with
    them, on their own page and in their class's figures; everyone else with the defaults."""
    rng = random.Random(11)
    teacher = make_user("t11@example.org", "instructor")
    deck = tagged_deck("fit", 8, rng)
    classroom = Classroom(name="Fit", instructor_id=teacher.id, join_code="FITCODE11")
    db.session.add(classroom)
    db.session.flush()
    db.session.add(ClassDeck(class_id=classroom.id, deck_id=deck.id))
    fitted_learner, default_learner = (make_user(f"f{n}@example.org") for n in range(2))
    for student in (fitted_learner, default_learner):
        db.session.add(ClassMembership(class_id=classroom.id, user_id=student.id))
        random_history(rng, student.id, deck.cards, 60, NOW)
    before = progress.learner_summary(fitted_learner, [deck], NOW).overall.outlook
    fitted = list(DEFAULT_PARAMETERS)
    fitted[-1] = min(fitted[-1] * 3, 0.8)  # the forgetting curve's decay
    db.session.add(LearnerSchedulerParams(
        user_id=fitted_learner.id, deck_id=deck.id, parameters=fitted, reviews_used=1000,
        log_loss_default=0.4, log_loss_fitted=0.3))
    db.session.commit()

    own = progress.learner_summary(fitted_learner, [deck], NOW).overall.outlook
    assert own.cards == before.cards and own.today != pytest.approx(before.today)
    states = progress.card_states([fitted_learner.id], [deck.id])[fitted_learner.id]
    summary = learner_stats.summary_from_history(
        states, history_totals(fitted_learner, [deck.id]), "UTC", NOW, deck_ids=[deck.id],
        parameters=fitted,
    )
    assert own.today == pytest.approx(summary.overall.outlook.today)

    db.session.expire_all()
    classroom = db.session.get(Classroom, classroom.id)
    fast = progress.class_dashboard(classroom, NOW)
    members = [class_stats.Student(u.id, u.display_name)
               for u in (fitted_learner, default_learner)]
    every = progress.card_states([u.user_id for u in members], [deck.id])
    cards = {(s.card_id, s.ordinal): class_stats.ClassCard(
        s.card_id, s.ordinal, s.deck_id, s.prompt, s.tags) for s in every[fitted_learner.id]}
    expected = OutlookSum()
    for user_id, parameters in ((fitted_learner.id, fitted),
                                (default_learner.id, DEFAULT_PARAMETERS)):
        one = class_stats.fold_class(
            [m for m in members if m.user_id == user_id], cards.values(),
            {user_id: every[user_id]}, [], NOW, parameters,
        )
        for summed in one.recall.values():
            expected.merge(summed)
    got = OutlookSum()
    for summed in fast_recall(classroom):
        got.merge(summed)
    assert got.cards == expected.cards > 0
    assert got.today == pytest.approx(expected.today, rel=1e-9)
    assert got.in_week == pytest.approx(expected.in_week, rel=1e-9)
    assert fast.topics


def fast_recall(classroom: Classroom):
    """The class's recall sums as the database gives them."""
    deck_ids = [d.id for d in classroom.decks]
    members = [u.id for u in classroom.members]
    sides = {card.id: card.ordinals for deck in classroom.decks for card in deck.cards
             if not card.retired}
    return class_totals(
        classroom.id, deck_ids, sides, NOW, fitted_parameters(members, deck_ids)
    ).recall.values()


def test_progress_pages_leave_the_cycle_collector_as_they_found_it(client, auth, learner):
    """The pages pause Python's cycle collector while they are built (gcpause)
    and resume it after, also when it was already paused by someone else, and on error."""
    import gc

    from quizapp.gcpause import cycle_collector_paused

    deck = make_deck([basic("a", tags=("cells",))])
    auth.login(learner.email)
    assert gc.isenabled()
    for path in ("/progress/", f"/progress/decks/{deck.id}"):
        assert client.get(path).status_code == 200
        assert gc.isenabled()
    seen = []

    @cycle_collector_paused()
    def failing():
        seen.append(gc.isenabled())
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing()
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        cycle_collector_paused()(lambda: None)()
        assert not gc.isenabled()  # paused by someone else: left to them to resume
    finally:
        gc.enable()
