"""The study session and progress pages over HTTP: hostile answers, the queue kept on the
server, feedback in words, what a session holds back, and the hardest cards."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import timedelta

from conftest import REPO
from study_helpers import basic, make_deck, mcq
from werkzeug.test import Client

from quizapp.deckfile import CardData, DeckData, SourceDoc, SourceRef
from quizapp.extensions import db
from quizapp.models import ReviewLog, StudyQueueItem, StudySession, utcnow
from quizapp.scheduling.day import due_in_words
from quizapp.services import study
from quizapp.services.decks import store_deck

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def typein(guid: str, prompt: str, answer: str) -> CardData:
    return CardData(guid=guid, kind="typein", prompt=prompt, answer=answer)


def study_page(client: Client, deck_id: int, **params) -> str:
    response = client.get(f"/study/{deck_id}", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_answer(client: Client, deck_id: int, page: str, **fields):
    data = {"token": TOKEN_RE.search(page).group(1),
            "csrf_token": CSRF_RE.search(page).group(1), **fields}
    return client.post(f"/study/{deck_id}/answer", data=data)


def answer_count() -> int:
    db.session.expire_all()
    return db.session.query(ReviewLog).count()


# --- issue 11 item 1: typed answers are bounded before any work ---------------------------

MEMORY_PROBE = textwrap.dedent(
    """
    import json, re, resource, sys, time
    sys.path[:0] = [sys.argv[2]]
    from flask_migrate import upgrade
    from quizapp import create_app
    from quizapp.deckfile import CardData, DeckData
    from quizapp.extensions import db
    from quizapp.models import User
    from quizapp.services.decks import store_deck

    app = create_app({"TESTING": True, "SECRET_KEY": "probe", "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1]})
    with app.app_context():
        upgrade()
        user = User(email="typist@example.org", display_name="typist", role="learner")
        user.set_password("correct-horse-1")
        db.session.add(user)
        card = CardData(guid="t", kind="typein", prompt="Capital of France?", answer="Paris")
        deck_id = store_deck(DeckData(title="Capitals", cards=[card]), owner=None,
                             publish=True).deck.id
        db.session.commit()
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"email": "typist@example.org",
                                     "password": "correct-horse-1", "csrf_token": csrf})
    page = client.get(f"/study/{deck_id}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    prefix = f"token={token}&csrf_token={csrf}&typed=".encode()
    bodies = {
        # The audit's answer: 6 MB of U+FDFA, which normalization expands 18-fold.
        "six_megabytes": prefix + ("\\ufdfa" * 6_000_000).encode(),
        # The longest that fits the study form's size limit.
        "form_limit": prefix + ("\\ufdfa" * 10_500).encode(),
        # Within the character limit, but normalizing past its bound.
        "five_hundred": prefix + ("\\ufdfa" * 500).encode(),
    }
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    statuses = {}
    for name, body in bodies.items():
        response = client.post(f"/study/{deck_id}/answer", data=body,
                               content_type="application/x-www-form-urlencoded")
        statuses[name] = response.status_code
    seconds = time.perf_counter() - started
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline
    print(json.dumps({"statuses": statuses, "growth_kb": growth, "seconds": seconds}))
    """
)


def test_the_worst_typed_answer_stays_within_memory_and_time_bounds(tmp_path):
    """Measured in a process of its own, so the peak RSS is this request's alone."""
    script = tmp_path / "probe.py"
    script.write_text(MEMORY_PROBE)
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "probe.sqlite"), str(REPO)],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["statuses"] == {"six_megabytes": 413, "form_limit": 303, "five_hundred": 303}
    assert figures["growth_kb"] < 100 * 1024, figures
    assert figures["seconds"] < 10, figures


def test_an_over_long_answer_gets_a_message_and_records_nothing(auth, client, learner):
    deck = make_deck([typein("t", "Capital of France?", "Paris")])
    auth.login(learner.email)
    page = study_page(client, deck.id)
    too_long = post_answer(client, deck.id, page, typed="Paris " * 100)
    assert too_long.status_code == 303
    shown = study_page(client, deck.id)
    assert "That answer is too long: answers are at most 500 characters." in shown
    huge = post_answer(client, deck.id, page, typed="\ufdfa" * 20_000)
    assert huge.status_code == 413
    assert "Answers are limited to 500 characters." in huge.get_data(as_text=True)
    assert answer_count() == 0
    assert post_answer(client, deck.id, page, typed="paris").status_code == 200
    assert answer_count() == 1


def test_numeric_fields_with_thousands_of_digits_are_refused_cleanly(auth, client, learner):
    deck = make_deck([mcq("m"), basic("b")])
    auth.login(learner.email)
    page = study_page(client, deck.id)
    for field in ("choice", "grade"):
        response = post_answer(client, deck.id, page, **{field: "7" * 5000})
        assert response.status_code == 303, field
    assert answer_count() == 0


# --- issue 11 item 10: the session queue lives on the server -----------------------------


def session_cookie(client: Client) -> str:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else ""


def cram_through(client: Client, deck_id: int, page: str, answers: int) -> str:
    for answered in range(answers):
        assert "Session complete" not in page, answered
        assert post_answer(client, deck_id, page, grade="5").status_code == 303
        page = client.get(f"/study/{deck_id}?mode=cram",
                          headers={"X-Partial": "1"}).get_data(as_text=True)
    return page


def test_the_session_cookie_does_not_grow_with_answers(auth, client, learner):
    deck = make_deck([basic(f"c{i}") for i in range(101)], title="Deck")
    auth.login(learner.email)
    page = cram_through(client, deck.id, study_page(client, deck.id, mode="cram", restart=1), 1)
    after_one = len(session_cookie(client))
    cram_through(client, deck.id, page, 100)
    assert len(session_cookie(client)) <= after_one < 1024


def test_cramming_a_deck_of_over_2000_cards_finishes(auth, client, learner):
    size = 2_005
    deck = make_deck([basic(f"c{i}") for i in range(size)], title="Big deck")
    auth.login(learner.email)
    page = study_page(client, deck.id, mode="cram", restart=1)
    # The learner has crammed all but five cards (stored as the answers would have stored it).
    session = db.session.scalars(db.select(StudySession).where(
        StudySession.user_id == learner.id, StudySession.mode == "cram")).one()
    shown = int(re.search(r"Question c(\d+)", page).group(1))
    crammed = [card for card in deck.cards if card.guid != f"c{shown}"][: size - 5]
    db.session.add_all(StudyQueueItem(session_id=session.id, kind="done", card_id=card.id)
                       for card in crammed)
    db.session.commit()
    page = cram_through(client, deck.id, page, 5)
    assert "Session complete" in page


def test_again_cards_follow_the_learner_to_another_browser(auth, app, learner):
    deck = make_deck([basic("a", "Capital of Peru?"), basic("b", "Capital of Chile?")])
    laptop, phone = app.test_client(), app.test_client()
    auth.login(learner.email, client=laptop)
    page = study_page(laptop, deck.id)
    assert "Capital of Peru?" in page
    post_answer(laptop, deck.id, page, grade="1")
    page = study_page(laptop, deck.id)
    post_answer(laptop, deck.id, page, grade="5")

    auth.login(learner.email, client=phone)
    again = study_page(phone, deck.id)
    assert "Capital of Peru?" in again and "Again, until you know it" in again


def test_undo_puts_a_repeat_back_exactly(auth, client, learner):
    deck = make_deck([basic("a", "Capital of Peru?")])
    auth.login(learner.email)
    post_answer(client, deck.id, study_page(client, deck.id), grade="2")
    repeat = study_page(client, deck.id)
    assert "Again, until you know it" in repeat
    post_answer(client, deck.id, repeat, grade="5")
    assert "Session complete" in study_page(client, deck.id)
    csrf = CSRF_RE.search(repeat).group(1)
    client.post(f"/study/{deck.id}/undo", data={"csrf_token": csrf})
    back = study_page(client, deck.id)
    assert "Again, until you know it" in back and "Capital of Peru?" in back


# --- issue 14 item 7: feedback says what happened and when the card comes back -----------


def test_due_in_words():
    today = utcnow().date()
    assert [due_in_words(today + timedelta(days=n), today) for n in (-3, 0, 1, 6, 59, 75, 900)] \
        == ["today", "today", "tomorrow", "in 6 days", "in 59 days", "in about 2 months",
            "in about 2 years"]


def feedback_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_auto_graded_feedback_speaks_plainly(auth, client, learner):
    deck = make_deck([
        mcq("m", choices=("Sydney", "Canberra", "Melbourne"), correct=1),
        typein("t", "Capital of France?", "Paris"),
    ])
    auth.login(learner.email)
    page = study_page(client, deck.id)
    shown = re.findall(r'name="choice" value="(\d)"[^>]*>\s*<kbd>\d</kbd> <span>(\w+)', page)
    wrong = next(value for value, text in shown if text == "Sydney")
    html = post_answer(client, deck.id, page, choice=wrong).get_data(as_text=True)
    text = feedback_text(html)
    assert "Wrong — the answer is Canberra ." in text
    assert "It comes back later in this session, then tomorrow." in text
    assert "grade" not in text.lower() and not re.search(r"\d{4}-\d\d-\d\d", text)
    # The options stay in place: the pick marked wrong, the right one marked right.
    assert re.search(r'class="choice wrong picked">\s*<span class="mark"[^>]*>✗', html)
    assert re.search(r'class="choice right">\s*<span class="mark"[^>]*>✓', html)

    page = study_page(client, deck.id)
    text = feedback_text(post_answer(client, deck.id, page, typed="paris").get_data(as_text=True))
    assert "Right." in text and "Next review tomorrow." in text


def test_feedback_names_the_source_the_card_cites(auth, client, learner):
    # The answer path reads the card as plain columns; the page cites from the view's deck.
    card = mcq("m", choices=("Sydney", "Canberra"), correct=1,
               sources=(SourceRef(source="001"),))
    deck = store_deck(DeckData(
        title="Cited", cards=[card],
        sources=[SourceDoc(id="001", name="capitals.txt", title="Capitals of the world")],
    ), owner=None, publish=True).deck
    db.session.commit()
    auth.login(learner.email)
    page = study_page(client, deck.id)
    right = re.search(r'name="choice" value="(\d)"[^>]*>\s*<kbd>\d</kbd> <span>Canberra', page)
    html = post_answer(client, deck.id, page, choice=right.group(1)).get_data(as_text=True)
    assert "Right." in feedback_text(html)
    assert re.search(r'class="evidence">\s*<li><cite>Capitals of the world</cite>', html)


def test_a_forgiven_typo_is_shown_against_the_answer(auth, client, learner):
    deck = make_deck([typein("t", "Powerhouse of the cell?", "mitochondria")])
    auth.login(learner.email)
    html = post_answer(client, deck.id, study_page(client, deck.id),
                       typed="mitochondira").get_data(as_text=True)
    assert "Accepted with a small difference" in html
    assert '<span class="typed">mitochondi<mark class="diff">r</mark>a</span>' in html
    assert '<span class="expected">mitochond<mark class="diff">r</mark>ia</span>' in html


# --- issue 14: the end of a session says what is held back and offers more ----------------


def test_the_summary_says_what_waits_and_offers_more_new_cards_once(auth, client, learner):
    deck = make_deck([basic(f"n{i}") for i in range(5)], new_per_day=2)
    auth.login(learner.email)
    for _ in range(2):
        post_answer(client, deck.id, study_page(client, deck.id), grade="5")
    summary = feedback_text(study_page(client, deck.id))
    assert "Session complete" in summary
    assert "3 new cards wait: 2 new cards a day." in summary
    assert "Study 2 more new cards today" in summary
    csrf = CSRF_RE.search(study_page(client, deck.id)).group(1)
    assert client.post(f"/study/{deck.id}/more-new", data={"csrf_token": csrf}).status_code == 303
    page = study_page(client, deck.id)
    assert "New card" in page and "Question n2" in page
    post_answer(client, deck.id, page, grade="5")
    post_answer(client, deck.id, study_page(client, deck.id), grade="5")
    summary = feedback_text(study_page(client, deck.id))
    assert "1 new card wait: 2 new cards a day." in summary
    assert "more new cards today" not in summary
    again = client.post(f"/study/{deck.id}/more-new", data={"csrf_token": csrf})
    assert again.status_code == 303
    assert "already raised once" in study_page(client, deck.id)


# --- issue 14 item 3: the hardest cards are the ones the learner fails --------------------


def test_hardest_cards_list_a_card_failed_eight_times(auth, client, learner):
    deck = make_deck([basic("fail", "Capital of Bhutan?"), basic("fine", "Capital of Chad?")],
                     title="Capitals")
    auth.login(learner.email)
    page = study_page(client, deck.id)
    assert "Capital of Bhutan?" in page
    post_answer(client, deck.id, page, grade="1")
    post_answer(client, deck.id, study_page(client, deck.id), grade="3")  # Chad, right
    failed = 1
    while failed < 8:
        page = study_page(client, deck.id)
        bhutan = "Capital of Bhutan?" in page
        post_answer(client, deck.id, page, grade="1" if bhutan else "5")
        failed += bhutan
    progress = client.get("/progress/").get_data(as_text=True)
    hardest = re.search(r'<ol id="hardest">(.*?)</ol>', progress, re.S).group(1)
    entries = re.findall(r"<li>(.*?)</li>", hardest, re.S)
    assert "Capital of Bhutan?" in entries[0] and "8 wrong answers" in entries[0]
    # Cramming "your hard cards" ranks them the same way.
    assert study.hard_card_ids(learner, deck)[0] == next(
        card.id for card in deck.cards if card.guid == "fail")


# --- issue 14: empty charts say so --------------------------------------------------------


def test_empty_charts_say_no_reviews_yet(auth, client, learner):
    make_deck([basic("a")])
    auth.login(learner.email)
    page = client.get("/progress/").get_data(as_text=True)
    # Forecast, weekly retention, activity and expected retention by topic.
    assert page.count('<p class="panel empty-chart">No reviews yet.</p>') == 4
    assert "<svg" not in page
