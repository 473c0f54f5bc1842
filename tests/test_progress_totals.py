"""The progress page's and the class dashboard's figures summed by the database equal the
same figures computed from every review in Python, on random histories (both engines), and
the pages show the expected retention."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from conftest import csrf_token, login, make_user
from progress_helpers import random_history, reviews_one_by_one, slow_learner_summary
from study_helpers import basic, make_deck, mcq

from quizapp.deckfile import CardData
from quizapp.extensions import db
from quizapp.models import Card, ClassDeck, ClassMembership, Classroom
from quizapp.services import progress, study
from quizapp.stats import classroom as class_stats

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
    states = progress.card_states([s.user_id for s in students], deck_ids)
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


def test_pages_show_expected_retention(client, app, instructor, learner):
    deck = make_deck([basic("a", tags=("cells",)), basic("b", tags=("genes",))])
    answered = datetime.now(UTC) - timedelta(days=3)
    for grade in (5, 1):
        p = study.choose_next(learner, deck, study.SessionQueue(), cram=False, now=answered)
        token = study.encode_presentation(p, learner.id, SECRET)
        study.record_answer(learner, token, SECRET, grade=grade, now=answered)
    login(client, learner.email)
    page = client.get(f"/progress/decks/{deck.id}").get_data(as_text=True)
    summary = progress.learner_summary(learner, [deck], datetime.now(UTC))
    outlook = summary.decks[0].outlook
    assert outlook.cards == 2 and 0 < outlook.in_week < outlook.today < 1
    expected = int(outlook.today * 100 + 0.5)
    assert f'<dd id="expected-today">{expected}%</dd>' in page
    assert 'id="outlook-deck-' in page and "<th scope=\"col\">In 7 days</th>" in page

    teacher = app.test_client()
    login(teacher, instructor.email)
    teacher.post("/classes/", data={"name": "Bio", "csrf_token": csrf_token(teacher, "/classes/")})
    classroom = db.session.scalars(db.select(Classroom)).one()
    db.session.add(ClassDeck(class_id=classroom.id, deck_id=deck.id))
    db.session.add(ClassMembership(class_id=classroom.id, user_id=learner.id))
    db.session.commit()
    page = teacher.get(f"/classes/{classroom.id}").get_data(as_text=True)
    assert 'id="topic-outlook"' in page and "<td class=\"text\">cells</td>" in page
    assert 'id="forgotten"' in page and "Question a" in page
