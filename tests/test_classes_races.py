"""Classes under load and after a deck is withdrawn: parallel joins and assigns end like a
repeated request, and an unpublished deck shows nothing of itself to anyone but its owner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import csrf_token, make_user
from study_helpers import basic, make_deck

from quizapp.extensions import db
from quizapp.models import ClassDeck, ClassMembership, Classroom, Deck
from quizapp.services import classes, progress

PARALLEL = 20


def post_in_parallel(app, requests: list[tuple[object, str, dict]]) -> list[int]:
    """Send every (client, url, form) at once from its own thread; the status codes."""
    barrier = threading.Barrier(len(requests))

    def send(job):
        client, url, data = job
        barrier.wait()
        return client.post(url, data=data).status_code

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def logged_in(auth, app, user):
    client = app.test_client()
    auth.login(user.email, client=client)
    return client, csrf_token(client, "/classes/")


def test_twenty_parallel_joins_of_one_learner_end_like_a_repeat(auth, app, instructor, learner):
    classroom = classes.create_class("Physiology", instructor)
    db.session.commit()
    client, token = logged_in(auth, app, learner)
    form = {"code": classroom.join_code, "csrf_token": token}
    statuses = post_in_parallel(app, [(client, "/classes/join", form)] * PARALLEL)
    repeat = client.post("/classes/join", data=form).status_code
    assert statuses == [repeat] * PARALLEL == [303] * PARALLEL
    db.session.expire_all()
    assert db.session.query(ClassMembership).count() == 1


def test_twenty_learners_joining_at_once_all_become_members(auth, app, instructor):
    classroom = classes.create_class("Physiology", instructor)
    db.session.commit()
    requests = []
    for i in range(PARALLEL):
        client, token = logged_in(auth, app, make_user(f"s{i}@example.org"))
        requests.append((client, "/classes/join", {"code": classroom.join_code,
                                                   "csrf_token": token}))
    assert post_in_parallel(app, requests) == [303] * PARALLEL
    db.session.expire_all()
    assert len(db.session.get(Classroom, classroom.id).members) == PARALLEL


def test_parallel_assigns_of_one_deck_end_like_a_repeat(auth, app, instructor):
    deck = make_deck([basic("a")], title="Muscles")
    classroom = classes.create_class("Physiology", instructor)
    db.session.commit()
    client, token = logged_in(auth, app, instructor)
    url = f"/classes/{classroom.id}/decks"
    form = {"deck_id": str(deck.id), "csrf_token": token}
    statuses = post_in_parallel(app, [(client, url, form)] * PARALLEL)
    repeat = client.post(url, data=form).status_code
    assert statuses == [repeat] * PARALLEL == [303] * PARALLEL
    db.session.expire_all()
    assert db.session.query(ClassDeck).count() == 1


def test_a_draft_cannot_be_assigned(auth, client, app, instructor):
    draft = make_deck([basic("a")], title="Half-written draft", owner=instructor,
                      published=False)
    classroom = classes.create_class("Physiology", instructor)
    db.session.commit()
    auth.login(instructor.email)
    page = client.get(f"/classes/{classroom.id}").get_data(as_text=True)
    assert "Half-written draft" not in page  # not offered
    response = client.post(f"/classes/{classroom.id}/decks", data={
        "deck_id": str(draft.id), "csrf_token": csrf_token(client, "/classes/")})
    assert response.status_code == 400
    assert "drafts cannot be assigned" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(ClassDeck).count() == 0


def withdrawn_world(auth, app):
    """Instructor A's published deck, assigned to instructor B's class with one learner who
    studied it; then A unpublishes it and edits its title and a prompt."""
    author = make_user("author@example.org", "instructor")
    teacher = make_user("teacher@example.org", "instructor")
    student = make_user("student@example.org")
    deck = make_deck([basic("a", prompt="Original prompt"), basic("b")],
                     title="Original title", owner=author)
    classroom = classes.create_class("Physiology", teacher)
    classes.assign_deck(classroom, deck)
    classes.join_class(classroom, student)
    db.session.commit()
    author_client = app.test_client()
    auth.login(author.email, client=author_client)
    token = csrf_token(author_client, f"/decks/{deck.id}")
    assert author_client.post(f"/decks/{deck.id}/publish",
                              data={"published": "0", "csrf_token": token}).status_code == 303
    assert author_client.post(f"/decks/{deck.id}/settings", data={
        "title": "Secret new title", "description": "", "new_per_day": "20",
        "reviews_per_day": "200", "csrf_token": token}).status_code == 303
    card = db.session.get(Deck, deck.id).cards[0]
    assert author_client.post(f"/decks/{deck.id}/cards/{card.id}/edit", data={
        "kind": "basic", "prompt": "Secret edited prompt", "answer": "x",
        "csrf_token": token}).status_code == 303
    return author_client, teacher, student, deck, classroom


def test_a_withdrawn_deck_shows_nothing_to_other_instructors_and_learners(auth, app):
    author_client, teacher, student, deck, classroom = withdrawn_world(auth, app)
    secrets = ("Secret new title", "Original title", "Secret edited prompt", "Original prompt")

    teacher_client = app.test_client()
    auth.login(teacher.email, client=teacher_client)
    for url in (f"/classes/{classroom.id}", "/classes/", f"/classes/{classroom.id}/dashboard.csv"):
        page = teacher_client.get(url).get_data(as_text=True)
        assert not [s for s in secrets if s in page], url
    assert "withdrawn" in teacher_client.get(f"/classes/{classroom.id}").get_data(as_text=True)

    student_client = app.test_client()
    auth.login(student.email, client=student_client)
    for url in ("/", "/classes/", "/progress/"):
        page = student_client.get(url).get_data(as_text=True)
        assert not [s for s in secrets if s in page], url
    assert "withdrawn" in student_client.get("/classes/").get_data(as_text=True)
    hidden = student_client.get(f"/decks/{deck.id}")
    assert hidden.status_code == 404 and "withdrawn" in hidden.get_data(as_text=True)
    assert not [s for s in secrets if s in hidden.get_data(as_text=True)]

    # The owner still sees it all.
    own = author_client.get(f"/decks/{deck.id}").get_data(as_text=True)
    assert "Secret new title" in own and "Secret edited prompt" in own


def test_a_withdrawn_deck_leaves_the_class_figures_until_published_again(auth, app):
    author_client, teacher, _student, deck, classroom = withdrawn_world(auth, app)
    db.session.expire_all()
    figures = progress.class_dashboard(db.session.get(Classroom, classroom.id))
    assert figures.cards == () and [s.cards_assigned for s in figures.students] == [0]
    teacher_client = app.test_client()
    auth.login(teacher.email, client=teacher_client)
    csv_rows = teacher_client.get(f"/classes/{classroom.id}/dashboard.csv").get_data(
        as_text=True).splitlines()
    assert csv_rows[1].startswith("student,0,")

    token = csrf_token(author_client, f"/decks/{deck.id}")
    author_client.post(f"/decks/{deck.id}/publish", data={"published": "1", "csrf_token": token})
    db.session.expire_all()
    figures = progress.class_dashboard(db.session.get(Classroom, classroom.id))
    assert [s.cards_assigned for s in figures.students] == [2]
    page = teacher_client.get(f"/classes/{classroom.id}").get_data(as_text=True)
    assert "Secret new title" in page and "withdrawn" not in page


def test_a_blank_class_name_is_a_message_on_the_form(auth, client, instructor):
    auth.login(instructor.email)
    response = client.post("/classes/", data={"name": "   ",
                                              "csrf_token": csrf_token(client, "/classes/")})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="name-error"' in page and "Give the class a name" in page
    assert "<h1>Classes</h1>" in page
