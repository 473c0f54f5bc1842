"""Classes: create, join with a code, assign decks, the dashboard's figures and CSV."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import UTC, datetime, timedelta

from conftest import csrf_token, make_user
from progress_helpers import random_history
from study_helpers import basic, make_deck, mcq

from quizapp.extensions import db
from quizapp.models import ClassMembership, Classroom
from quizapp.services import progress, study
from quizapp.stats.classroom import HARDEST_SHOWN

SECRET = "test-secret-key"
NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def create_class(client, name="Biology 101") -> Classroom:
    client.post("/classes/", data={"name": name, "csrf_token": csrf_token(client, "/classes/")})
    return db.session.scalars(db.select(Classroom).where(Classroom.name == name)).one()


def answer_mcq(user, deck, pick: str, now=NOON):
    p = study.choose_next(user, deck, study.SessionQueue(), cram=False, now=now)
    card = db.session.get(study.Card, p.card_id)
    shown = [card.choices[i] for i in p.choice_order]
    token = study.encode_presentation(p, user.id, SECRET)
    return study.record_answer(user, token, SECRET, choice=shown.index(pick), now=now)


def test_join_assign_and_dashboard_figures(auth, client, app, instructor):
    deck = make_deck([mcq("q", choices=("Alpha", "Beta", "Gamma"), correct=1), basic("b")])
    auth.login(instructor.email)
    classroom = create_class(client)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", classroom.join_code)
    client.post(f"/classes/{classroom.id}/decks", data={
        "deck_id": str(deck.id), "csrf_token": csrf_token(client, "/classes/")})
    students = [make_user(f"s{i}@example.org", name=f"Student {i}") for i in range(4)]
    for student in students:
        student_client = app.test_client()
        auth.login(student.email, client=student_client)
        student_client.post("/classes/join", data={
            "code": classroom.join_code.lower(),
            "csrf_token": csrf_token(student_client, "/classes/")})
    # Three of four pick a wrong option; "Gamma" is picked twice.
    for student, pick in zip(students, ("Gamma", "Gamma", "Alpha", "Beta"), strict=True):
        answer_mcq(student, deck, pick)
    db.session.expire_all()
    dashboard = progress.class_dashboard(db.session.get(Classroom, classroom.id))
    hardest = dashboard.cards[0]
    assert (hardest.answers, hardest.wrong, hardest.students) == (4, 3, 4)
    assert (hardest.top_distractor, hardest.top_distractor_picks) == ("Gamma", 2)
    rows = {row.name: row for row in dashboard.students}
    assert rows["Student 3"].cards_studied == 1 and rows["Student 3"].cards_assigned == 2
    assert rows["Student 0"].last_active == NOON
    page = client.get(f"/classes/{classroom.id}").get_data(as_text=True)
    assert "Gamma (2×)" in page and "75%" in page
    download = client.get(f"/classes/{classroom.id}/dashboard.csv")
    table = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert len(table) == 5 and {r[0] for r in table[1:]} == {f"Student {i}" for i in range(4)}


def test_wrong_join_code_and_double_join(auth, client, app, instructor, learner):
    auth.login(instructor.email)
    classroom = create_class(client)
    learner_client = app.test_client()
    auth.login(learner.email, client=learner_client)
    token = csrf_token(learner_client, "/classes/")
    bad = learner_client.post("/classes/join", data={"code": "NOPE1234", "csrf_token": token},
                              follow_redirects=True)
    assert "No class has that join code" in bad.get_data(as_text=True)
    for _ in range(2):
        learner_client.post("/classes/join", data={"code": classroom.join_code,
                                                   "csrf_token": token})
    db.session.expire_all()
    assert [m.id for m in db.session.get(Classroom, classroom.id).members] == [learner.id]
    assert "Biology 101" in learner_client.get("/classes/").get_data(as_text=True)


def test_instructors_see_only_their_own_classes(auth, client, app, instructor, learner):
    auth.login(instructor.email)
    classroom = create_class(client)
    rival = make_user("rival@example.org", "instructor")
    rival_client = app.test_client()
    auth.login(rival.email, client=rival_client)
    assert rival_client.get(f"/classes/{classroom.id}").status_code == 403
    assert rival_client.get(f"/classes/{classroom.id}/dashboard.csv").status_code == 403
    learner_client = app.test_client()
    auth.login(learner.email, client=learner_client)
    assert learner_client.get(f"/classes/{classroom.id}").status_code == 403
    assert learner_client.post("/classes/", data={
        "name": "Mine", "csrf_token": csrf_token(learner_client, "/classes/")}).status_code == 403


def test_assigned_decks_appear_in_the_learners_progress(auth, client, app, instructor, learner):
    deck = make_deck([basic("a"), basic("b")], title="Assigned reading")
    auth.login(instructor.email)
    classroom = create_class(client)
    client.post(f"/classes/{classroom.id}/decks", data={
        "deck_id": str(deck.id), "csrf_token": csrf_token(client, "/classes/")})
    learner_client = app.test_client()
    auth.login(learner.email, client=learner_client)
    learner_client.post("/classes/join", data={
        "code": classroom.join_code, "csrf_token": csrf_token(learner_client, "/classes/")})
    page = learner_client.get("/progress/").get_data(as_text=True)
    assert "Assigned reading" in page
    assert re.search(r'id="count-new">\s*2\s*<', page)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    p = study.choose_next(learner, deck, study.SessionQueue(), cram=False, now=yesterday)
    study.record_answer(learner, study.encode_presentation(p, learner.id, SECRET), SECRET,
                        grade=4, now=yesterday)
    page = learner_client.get("/progress/").get_data(as_text=True)
    assert re.search(r'id="due-today">\s*1\s*<', page)
    assert re.search(r'id="count-new">\s*1\s*<', page)


def hard_card_prompts(page: str) -> list[str]:
    table = page[page.index('id="hard-cards"'):]
    return re.findall(r'<tr><td class="text">([^<]*)</td>', table[:table.index("</table>")])


def test_the_dashboard_lists_the_hardest_cards_and_links_to_every_card(
    auth, client, app, instructor
):
    deck = make_deck([basic(f"c{n}") for n in range(HARDEST_SHOWN + 5)])
    auth.login(instructor.email)
    classroom = create_class(client)
    client.post(f"/classes/{classroom.id}/decks", data={
        "deck_id": str(deck.id), "csrf_token": csrf_token(client, "/classes/")})
    rng = random.Random(3)
    for n in range(3):
        student = make_user(f"h{n}@example.org")
        db.session.add(ClassMembership(class_id=classroom.id, user_id=student.id))
        random_history(rng, student.id, deck.cards, 200, NOON)
    db.session.commit()
    db.session.expire_all()
    answered = progress.class_dashboard(db.session.get(Classroom, classroom.id)).answered
    assert len(answered) > HARDEST_SHOWN
    expected = [card.prompt for card in answered]

    page = client.get(f"/classes/{classroom.id}").get_data(as_text=True)
    assert hard_card_prompts(page) == expected[:HARDEST_SHOWN]
    assert f"The {HARDEST_SHOWN} hardest of {len(answered)} cards answered" in page
    assert f'href="/classes/{classroom.id}/cards"' in page
    every = client.get(f"/classes/{classroom.id}/cards")
    assert every.status_code == 200
    assert hard_card_prompts(every.get_data(as_text=True)) == expected

    rival = make_user("rival2@example.org", "instructor")
    rival_client = app.test_client()
    auth.login(rival.email, client=rival_client)
    assert rival_client.get(f"/classes/{classroom.id}/cards").status_code == 403
    assert client.get("/classes/999999/cards").status_code == 404


def test_a_short_list_of_answered_cards_has_no_link_to_every_card(auth, client, instructor):
    auth.login(instructor.email)
    classroom = create_class(client)
    page = client.get(f"/classes/{classroom.id}").get_data(as_text=True)
    assert "No answers yet." in page and 'id="all-cards"' not in page
