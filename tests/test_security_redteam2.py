"""Red-team attacks on three speed changes: the card page kept as a frame
(``quizapp.page_frames``), the ORM session kept between requests (``quizapp.dbsession``) and
the answer path's Core commit (``quizapp.services.rows``, ``quizapp.services.study_answer``,
``quizapp.services.shown_answer``). Each test is an attack that the defence must hold against."""

from __future__ import annotations

import re
import threading

import pytest
from conftest import CSRF_RE, AuthActions, make_user
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session
from study_helpers import basic, make_deck, mcq

from quizapp import create_app
from quizapp.blueprints import study as study_bp
from quizapp.extensions import db
from quizapp.models import CardState, Deck, ReviewLog, StudyQueueItem, User
from quizapp.page_frames import CLOSE, OPEN, PageFrames
from quizapp.services import rows, shown_answer, study_answer

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


def _get(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def production_frames(app, monkeypatch):
    """Pages served from the frame alone, as in production, from an empty store."""
    monkeypatch.setitem(app.config, "CHECK_PAGE_FRAMES", False)
    monkeypatch.setattr(study_bp, "_frames", PageFrames())


# --- 1. page frames ---------------------------------------------------------------------


def _together(target, arguments) -> None:
    """Run ``target`` once per argument, each in its own thread, and wait for all."""
    threads = [threading.Thread(target=target, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

def test_a_second_learner_never_gets_the_first_learners_name_csrf_or_token(
        app, production_frames):
    deck = make_deck([basic("a")], title="Shared")
    make_user("alice@example.org", name="Alice Secret")
    make_user("bob@example.org", name="Bob Other")
    alice, bob = app.test_client(), app.test_client()
    AuthActions(alice).login("alice@example.org")
    AuthActions(bob).login("bob@example.org")
    first = _get(alice, f"/study/{deck.id}")
    second = _get(bob, f"/study/{deck.id}")  # from the frame alice's request kept
    assert "Bob Other" in second and "Alice Secret" not in second
    a_csrf, b_csrf = CSRF_RE.search(first).group(1), CSRF_RE.search(second).group(1)
    assert a_csrf != b_csrf and a_csrf not in second
    assert TOKEN_RE.search(first).group(1) not in second
    # Bob's CSRF token and card token from the frame are really his: his answer is accepted.
    response = bob.post(f"/study/{deck.id}/answer", data={
        "token": TOKEN_RE.search(second).group(1), "csrf_token": b_csrf, "grade": "4"})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ReviewLog)) == 1
    assert db.session.scalar(select(ReviewLog.user_id)) == db.session.scalar(
        select(User.id).where(User.email == "bob@example.org"))


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }}",
    f"{OPEN}csrf_token{CLOSE}", f"{OPEN}token{CLOSE} {OPEN}user_name{CLOSE}",
])
def test_hostile_card_text_and_names_are_escaped_when_filled_in(app, production_frames,
                                                                  payload):
    # The frame is made by one card; the hostile values are filled into it on later requests.
    deck = make_deck([mcq("m", choices=("Plain", "Other", "Third"))], title="Frames")
    hostile = make_deck([mcq("h", choices=(payload, f"<b>{payload}</b>", "x"))],
                        title="Frames")
    hostile.cards[0].prompt = payload
    db.session.commit()
    make_user("first@example.org")
    make_user("evil@example.org", name=payload)
    client = app.test_client()
    AuthActions(client).login("first@example.org")
    plain = _get(client, f"/study/{deck.id}")
    csrf_times = plain.count(CSRF_RE.search(plain).group(1))
    AuthActions(client).logout()
    AuthActions(client).login("evil@example.org")
    # The evil name filled into the frame the first learner's request kept, then the hostile
    # card's own frame built and filled.
    for url in (f"/study/{deck.id}", f"/study/{hostile.id}", f"/study/{hostile.id}"):
        page = _get(client, url)
        assert "<script>alert" not in page and "<img src=x" not in page
        csrf = CSRF_RE.search(page).group(1)
        token = TOKEN_RE.search(page).group(1)
        # A placeholder in the learner's own text is never replaced by another slot.
        assert page.count(csrf) == csrf_times and page.count(token) == 1
        if OPEN in payload or "{{" in payload:
            assert payload in page  # shown as written, never evaluated or filled


def test_a_renamed_deck_shows_its_new_title_and_never_the_old(app, client, auth, learner,
                                                            production_frames):
    deck = make_deck([basic("a"), basic("b")], title="Old title")
    auth.login()
    assert "Old title" in _get(client, f"/study/{deck.id}")
    db.session.get(Deck, deck.id).title = "New <title>"
    db.session.commit()
    page = _get(client, f"/study/{deck.id}")
    assert "Old title" not in page and "New &lt;title&gt;" in page


def test_learner_and_instructor_each_see_their_own_navigation(app, production_frames):
    deck = make_deck([basic("a")])
    make_user("l@example.org")
    make_user("t@example.org", role="instructor")
    for order in (("l@example.org", "t@example.org"), ("t@example.org", "l@example.org")):
        study_bp._frames = PageFrames()
        for email in order:
            client = app.test_client()
            AuthActions(client).login(email)
            page = _get(client, f"/study/{deck.id}")
            assert ("My decks" in page) == email.startswith("t@")


def test_partial_and_full_pages_and_mount_points_keep_frames_of_their_own(
        app, client, auth, learner, production_frames):
    deck = make_deck([basic("a")])
    auth.login()
    full = _get(client, f"/study/{deck.id}")
    partial = _get(client, f"/study/{deck.id}", headers={"X-Partial": "1"})
    assert "<html" in full.lower() and "<html" not in partial.lower()
    again = _get(client, f"/study/{deck.id}")
    assert "<html" in again.lower()
    mounted = _get(client, f"/study/{deck.id}", environ_overrides={"SCRIPT_NAME": "/mount"})
    assert f'action="/mount/study/{deck.id}/answer"' in mounted
    assert f'action="/study/{deck.id}/answer"' in _get(client, f"/study/{deck.id}")


def test_decks_of_one_title_each_post_answers_to_their_own_deck(app, client, auth, learner,
                                                               production_frames):
    decks = [make_deck([basic(f"s{i}")], title="Same title") for i in range(2)]
    auth.login()
    for deck in decks + decks:
        page = _get(client, f"/study/{deck.id}")
        assert re.findall(r'action="/study/(\d+)/answer"', page) == [str(deck.id)]


def test_frames_kept_are_bounded_however_many_shapes_arrive(app, client, auth, learner,
                                                          production_frames, monkeypatch):
    monkeypatch.setattr(study_bp, "_frames", PageFrames(limit=3))
    decks = [make_deck([basic(f"c{i}")], title=f"Deck {i}") for i in range(8)]
    auth.login()
    for deck in decks:
        _get(client, f"/study/{deck.id}")
        assert len(study_bp._frames._kept) <= 3


# --- 2. the kept ORM session ------------------------------------------------------------

def _in_context(app, work):
    with app.app_context():
        return work(db.session())


def test_an_object_of_the_last_request_is_not_in_the_next_requests_session(app):
    user_id = make_user("held@example.org").id
    held = {}

    def first(session):
        held["user"] = session.get(User, user_id)
        return session

    one = _in_context(app, first)

    def second(session):
        assert object_session(held["user"]) is None
        assert held["user"] not in session
        session.add(held["user"])  # a stale object carried over is merged in knowingly only
        assert held["user"] in session
        return session

    assert _in_context(app, second) is one


def test_a_failed_request_leaves_no_transaction_or_pending_rows_behind(app):
    make_user("dup@example.org")

    def fail(session):
        session.add(User(email="dup@example.org", display_name="d", role="learner",
                         timezone="UTC", password_hash="x"))
        session.add(User(email="other@example.org", display_name="o", role="learner",
                         timezone="UTC", password_hash="x"))
        with pytest.raises(IntegrityError):
            session.flush()  # unique email: the transaction is now failed (PostgreSQL)
        return session

    _in_context(app, fail)

    def next_request(session):
        assert not session.new and not session.in_transaction()
        assert session.scalar(select(func.count()).select_from(User)) == 1
        session.add(User(email="fine@example.org", display_name="f", role="learner",
                         timezone="UTC", password_hash="x"))
        session.commit()

    _in_context(app, next_request)
    assert {u.email for u in db.session.scalars(select(User))} == {
        "dup@example.org", "fine@example.org"}


def test_an_exception_in_a_view_does_not_carry_its_pending_rows(app, client, auth, learner,
                                                                monkeypatch):
    def fail():  # a view that adds a row and then crashes
        db.session.add(User(email="ghost@example.org", display_name="g", role="learner",
                            timezone="UTC", password_hash="x"))
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "main.index", fail)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert client.get("/").status_code == 500
    monkeypatch.undo()
    auth.login()  # a later request that commits, on the kept session
    assert db.session.scalar(select(User).where(User.email == "ghost@example.org")) is None


def test_a_listener_a_request_puts_on_its_session_does_not_outlive_the_request(app):
    calls = []

    def record(session):
        calls.append(session)

    def first(session):
        event.listen(session, "after_commit", record)
        return session

    one = _in_context(app, first)
    try:
        _in_context(app, lambda session: make_user("later@example.org"))  # commits
        assert calls == [], "a listener from an earlier request ran on a later one's commit"
    finally:  # the kept session outlives this test otherwise
        if event.contains(one, "after_commit", record):
            event.remove(one, "after_commit", record)


def test_a_savepoint_left_open_by_a_request_is_not_carried_into_the_next(app):
    def leave_savepoint(session):
        session.begin_nested()
        session.add(User(email="nested@example.org", display_name="n", role="learner",
                         timezone="UTC", password_hash="x"))
        session.flush()
        return session

    one = _in_context(app, leave_savepoint)

    def next_request(session):
        assert not session.in_transaction() and not session.in_nested_transaction()
        make_user("after@example.org")
        return session

    assert _in_context(app, next_request) is one
    assert {u.email for u in db.session.scalars(select(User))} == {"after@example.org"}


def test_a_session_rebound_by_a_request_is_not_handed_on(app):
    def rebind(session):
        session.bind = db.engine
        return session

    rebound = _in_context(app, rebind)
    assert _in_context(app, lambda session: session) is not rebound


def test_info_and_loader_references_are_cleared_between_requests(app, learner):
    deck = make_deck([basic("a")])

    def first(session):
        user = rows.get_with(User, learner.id, Deck, deck.id)
        assert user is not None and session.info.get(rows._KEPT)
        session.info["owner"] = "alice"
        return session

    one = _in_context(app, first)
    assert _in_context(app, lambda session: (session.info, len(session.identity_map))) == (
        {}, 0)
    assert _in_context(app, lambda session: session) is one


# --- 3. the answer path's commit --------------------------------------------------------

def _answer(client, deck_id, page, grade="4"):
    return client.post(f"/study/{deck_id}/answer", data={
        "token": TOKEN_RE.search(page).group(1), "csrf_token": CSRF_RE.search(page).group(1),
        "grade": grade})


def _counts():
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(ReviewLog)),
            db.session.scalar(select(func.count()).select_from(CardState)))


def test_a_replayed_token_records_one_answer(app, client, auth, learner):
    deck = make_deck([basic("a"), basic("b")])
    auth.login()
    page = _get(client, f"/study/{deck.id}")
    assert _answer(client, deck.id, page).status_code == 303
    assert _answer(client, deck.id, page, grade="1").status_code == 303
    assert _counts() == (1, 1)
    assert db.session.scalar(select(ReviewLog.grade)) == 4


def test_a_crash_after_the_commit_keeps_the_whole_answer_and_a_retry_is_a_duplicate(
        app, client, auth, learner, monkeypatch):
    deck = make_deck([basic("a"), basic("b")])
    auth.login()
    page = _get(client, f"/study/{deck.id}")

    def crash(*args, **kwargs):
        raise RuntimeError("after the commit")

    # The step after the commit, on the general path and on the lean one (shown_answer).
    monkeypatch.setattr(study_answer, "_with_typein_match", crash)
    monkeypatch.setattr(shown_answer, "Outcome", crash)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert _answer(client, deck.id, page).status_code == 500
    assert _counts() == (1, 1)  # written whole, not lost by the teardown's rollback
    monkeypatch.undo()
    assert _answer(client, deck.id, page).status_code == 303
    assert _counts() == (1, 1)


def test_a_crash_at_the_commit_writes_nothing_and_a_retry_records_it(
        app, client, auth, learner, monkeypatch):
    deck = make_deck([basic("a"), basic("b")])
    auth.login()
    page = _get(client, f"/study/{deck.id}")
    queue = db.session.scalar(select(func.count()).select_from(StudyQueueItem))

    def crash(connection):  # every write of the answer made, none committed
        raise RuntimeError("at the commit")

    for path in (shown_answer, study_answer):  # the lean path's and the general path's
        monkeypatch.setattr(path, "commit_core", crash)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert _answer(client, deck.id, page, grade="1").status_code == 500
    assert _counts() == (0, 0)  # no half-written answer: neither state nor log
    assert db.session.scalar(select(func.count()).select_from(StudyQueueItem)) == queue
    monkeypatch.undo()
    assert _answer(client, deck.id, page).status_code == 303
    assert _counts() == (1, 1)


def test_the_same_token_answered_at_once_from_two_threads_is_recorded_once(app, learner):
    deck = make_deck([basic("a"), basic("b")])
    client = app.test_client()
    AuthActions(client).login()
    page = _get(client, f"/study/{deck.id}")
    start = threading.Barrier(2)
    statuses = []

    def answer(grade):
        start.wait()
        statuses.append(_answer(client, deck.id, page, grade=grade).status_code)

    _together(answer, ("4", "1"))
    assert statuses == [303, 303]
    assert _counts() == (1, 1)
    log = db.session.scalar(select(ReviewLog))
    state = db.session.scalar(select(CardState))
    assert state.version == 1 and str(log.grade) in ("4", "1")


def test_two_answers_of_one_token_in_one_session_after_commit_core(app, learner):
    """The second answer of a presentation in the same (kept) session, after the first
    committed on the connection, is a duplicate; nothing is left uncommitted."""
    deck = make_deck([basic("a")])
    client = app.test_client()
    AuthActions(client).login()
    page = _get(client, f"/study/{deck.id}")
    token = TOKEN_RE.search(page).group(1)
    secret = app.config["SECRET_KEY"]
    with app.app_context():
        user = db.session.get(User, learner.id)
        p = study_answer.decode_presentation(token, user.id, secret)
        first = study_answer.answer_presentation(user, p, deck_id=deck.id, grade=4)
        second = study_answer.answer_presentation(user, p, deck_id=deck.id, grade=1)
        assert not first.duplicate and second.duplicate and second.grade == 4
    assert _counts() == (1, 1)


def test_objects_read_before_a_core_commit_are_fresh_after_it(app, learner):
    deck = make_deck([basic("a")], title="Before")
    with app.app_context():
        user = rows.get_with(User, learner.id, Deck, deck.id)
        held_deck = rows.get_by_id(Deck, deck.id)
        assert (user.display_name, held_deck.title) == ("learner", "Before")
        with db.engine.begin() as other:  # another request changes both meanwhile
            other.execute(update(Deck).where(Deck.id == deck.id).values(title="After"))
            other.execute(update(User).where(User.id == learner.id)
                          .values(display_name="Renamed"))
        rows.commit_core(rows.core_connection())
        assert inspect(user).expired and inspect(held_deck).expired
        assert rows.get_by_id(Deck, deck.id) is held_deck
        assert (user.display_name, held_deck.title) == ("Renamed", "After")


def test_orm_changes_after_a_core_commit_are_committed_by_the_next_commit(app, learner):
    deck = make_deck([basic("a")])
    with app.app_context():
        user = rows.get_with(User, learner.id, Deck, deck.id)
        rows.commit_core(rows.core_connection())
        user.display_name = "Changed after"
        rows.get_by_id(Deck, deck.id).title = "Deck after"
        db.session.commit()
    with app.app_context():
        assert db.session.get(User, learner.id).display_name == "Changed after"
        assert db.session.get(Deck, deck.id).title == "Deck after"


def test_pending_orm_changes_are_committed_by_commit_core(app, learner):
    with app.app_context():
        rows.get_with(User, learner.id, Deck, 0).display_name = "Via commit_core"
        rows.commit_core(rows.core_connection())
    with app.app_context():
        assert db.session.get(User, learner.id).display_name == "Via commit_core"
        assert inspect(db.session.get(User, learner.id)).persistent


def _presentation(app, deck):
    client = app.test_client()
    AuthActions(client).login()
    token = TOKEN_RE.search(_get(client, f"/study/{deck.id}")).group(1)
    return lambda user: study_answer.decode_presentation(token, user.id,
                                                         app.config["SECRET_KEY"])


def test_an_answer_recorded_inside_a_savepoint_commits_cleanly(app, learner):
    """As with ``Session.commit`` (which passes this): a caller that answers inside
    ``begin_nested`` (a batch that isolates each answer) ends its savepoint without error."""
    deck = make_deck([basic("a")])
    presentation = _presentation(app, deck)
    with app.app_context():
        user = db.session.get(User, learner.id)
        with db.session.begin_nested():
            study_answer.answer_presentation(user, presentation(user), deck_id=deck.id,
                                             grade=4)
        db.session.commit()
    assert _counts() == (1, 1)


def test_a_row_flushed_before_an_answer_stays_persistent_after_a_later_rollback(app, learner):
    """A row the request flushed before the answer is committed with it; the rollback the
    answer path itself makes on a duplicate must not then treat it as never written."""
    deck = make_deck([basic("a")])
    presentation = _presentation(app, deck)
    with app.app_context():
        user = db.session.get(User, learner.id)
        flushed = User(email="flushed@example.org", display_name="f", role="learner",
                       timezone="UTC", password_hash="x")
        db.session.add(flushed)
        db.session.flush()
        p = presentation(user)
        study_answer.answer_presentation(user, p, deck_id=deck.id, grade=4)
        assert study_answer.answer_presentation(user, p, deck_id=deck.id, grade=4).duplicate
        assert inspect(flushed).persistent, "committed row turned transient by the rollback"
    assert db.session.scalar(select(User).where(User.email == "flushed@example.org"))
    assert _counts() == (1, 1)


def test_the_deck_loaded_with_the_user_is_still_authorized(app, client, auth, learner):
    """``get_with`` reads the URL's deck with the learner before any check: a private deck of
    another owner, a missing one or an id past the column's range is still refused (404)."""
    owner = make_user("owner@example.org", role="instructor")
    private = make_deck([basic("p")], title="Private", owner=owner, published=False)
    public = make_deck([basic("q")])
    auth.login()
    page = _get(client, f"/study/{public.id}")
    for deck_id in (private.id, 987654, 2**31, 2**63, 10**30):
        assert client.get(f"/study/{deck_id}").status_code == 404
        response = client.post(f"/study/{deck_id}/answer", data={
            "token": TOKEN_RE.search(page).group(1),
            "csrf_token": CSRF_RE.search(page).group(1), "grade": "4"})
        assert response.status_code == 404
    assert _counts() == (0, 0)
    assert "Private" not in _get(client, f"/study/{public.id}")


def test_objects_made_by_get_with_behave_as_loaded_ones(app, learner):
    deck = make_deck([basic("a"), basic("b")], title="Loaded")
    with app.app_context():
        user = rows.get_with(User, learner.id, Deck, deck.id)
        loaded = rows.get_by_id(Deck, deck.id)
        assert inspect(user).persistent and inspect(loaded).persistent
        assert len(loaded.cards) == 2  # relationships load on access
        db.session.refresh(loaded)
        assert loaded.title == "Loaded" and not db.session.dirty
        db.session.delete(loaded)
        db.session.commit()
    with app.app_context():
        assert db.session.get(Deck, deck.id) is None
        assert db.session.get(User, learner.id).email == learner.email


def test_two_tabs_answering_one_side_at_once_record_one_answer(app, learner):
    deck = make_deck([basic("a")])
    client = app.test_client()
    AuthActions(client).login()
    pages = [_get(client, f"/study/{deck.id}") for _ in range(2)]
    assert TOKEN_RE.search(pages[0]).group(1) != TOKEN_RE.search(pages[1]).group(1)
    start = threading.Barrier(2)
    statuses = []

    def answer(page):
        start.wait()
        statuses.append(_answer(client, deck.id, page).status_code)

    _together(answer, pages)
    assert statuses == [303, 303]
    assert _counts() == (1, 1)
    assert db.session.scalar(select(CardState.version)) == 1


def test_a_kept_session_serves_another_app_on_its_own_database(app, tmp_path):
    """Two apps in one process share the extension and so the thread's kept sessions: a
    session kept from one app's context must read the other app's database in its."""
    other = create_app({**{k: app.config[k] for k in ("SECRET_KEY", "TESTING")},
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite'}",
                        "QUIZAPP_QUEUE_URL": "immediate", "RATELIMIT_ENABLED": False})
    with other.app_context():
        db.metadata.create_all(db.engine, tables=[User.__table__])
    make_user("only-in-the-first@example.org")
    try:
        for _ in range(3):
            with app.app_context():
                first = db.session()
                assert db.session.scalar(select(func.count()).select_from(User)) == 1
            with other.app_context():
                assert db.session() is first  # the same kept session, now for the other app
                assert db.session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
