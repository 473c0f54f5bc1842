"""The lean answer path (``services.shown_answer``): a self-graded side's token carries what its
answer needs, and the answer reads nothing. It must write exactly the rows the general path
writes (``study_answer.answer_presentation`` with its joined read), and never lose a write made
between the side's showing and its answer."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from conftest import make_user
from sqlalchemy import text
from study_helpers import basic, make_deck, mcq
from test_study_queries import CSRF_RE, TOKEN_RE

from quizapp.extensions import db
from quizapp.models import Card, Deck, LearnerSchedulerParams, SchedulerOverride, User
from quizapp.scheduling import registry
from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS
from quizapp.services import answer_rows, memory, schedules, study, tallies
from quizapp.services.presentation import StudyError, decode_presentation
from quizapp.services.study_queue import save_new_start
from quizapp.token_format import b64decode, b64encode

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
FITTED = [round(weight * 1.05, 4) for weight in DEFAULT_PARAMETERS]


@pytest.fixture
def secret(app):
    return app.config["SECRET_KEY"]


@pytest.fixture
def general_reads(monkeypatch):
    """How many answers ran the general path's joined read."""
    calls = []
    read = answer_rows.read_answer

    def counting(*args):
        calls.append(args)
        return read(*args)

    monkeypatch.setattr(answer_rows, "read_answer", counting)
    return calls


def _settings(name: str) -> registry.SchedulerSettings:
    if name == "fsrs":
        return registry.SchedulerSettings(name="fsrs", desired_retention=0.85)
    return registry.SchedulerSettings(name=name)


def _show(user_id: int, deck_id: int, now: datetime, secret: str):
    """What the study page does to show the next side, as a request of its own."""
    db.session.remove()
    user, deck = db.session.get(User, user_id), db.session.get(Deck, deck_id)
    queue = study.open_page_session(user, deck, cram=False, now=now)
    shown = study.choose_next(user, deck, queue, cram=False, now=now)
    assert shown is not None
    save_new_start(queue)
    token, _ = study.shown_token(user, deck, queue, shown, secret)
    db.session.commit()
    return shown, token


def _answer(user_id: int, token: str, secret: str, grade: int, now: datetime, *, lean: bool):
    db.session.remove()
    db.session().expire_on_commit = False
    user = db.session.get(User, user_id)
    if lean:
        outcome = study.record_answer(user, token, secret, grade=grade, now=now)
    else:  # the same presentation without what it carries: the general path
        p = replace(decode_presentation(token, user_id, secret), shown=None)
        outcome = study.answer_presentation(user, p, grade=grade, now=now)
    db.session.remove()
    return outcome


def _rows(user_id: int) -> dict[str, list[tuple]]:
    """Every row the learner's answers wrote, as the driver reads them (SQLite: the stored
    text), without the keys that differ between learners by construction."""
    found = {}
    for table, order, skipped in (
        ("card_state", "card_id, ordinal", {"id", "user_id"}),
        ("review_log", "id", {"id", "user_id", "presentation"}),
    ):
        result = db.session.execute(
            text(f"SELECT * FROM {table} WHERE user_id = :user ORDER BY {order}"),
            {"user": user_id})
        keys = list(result.keys())
        found[table] = [tuple(value for key, value in zip(keys, row, strict=True)
                              if key not in skipped) for row in result]
    found["queue"] = [tuple(row) for row in db.session.execute(text(
        "SELECT i.kind, i.card_id, i.ordinal, i.added_by IS NULL, i.cleared_by IS NULL "
        "FROM study_queue_item i JOIN study_session s ON s.id = i.session_id "
        "WHERE s.user_id = :user ORDER BY i.id"), {"user": user_id})]
    db.session.remove()
    return found


def _learners_studying(deck, scheduler: str, source: str, fitted: bool) -> list[int]:
    """Two learners with the same settings in ``deck``: the learner's own (``source`` "own")
    or the deck's, with fitted FSRS parameters or not."""
    settings = _settings(scheduler)
    if source == "deck":
        schedules.set_deck_settings(deck, settings)
    ids = []
    for index in range(2):
        user = make_user(f"twin{index}@example.org")
        if source == "own":
            db.session.add(SchedulerOverride(user_id=user.id, deck_id=deck.id,
                                             settings=settings.to_json()))
        if fitted:
            db.session.add(LearnerSchedulerParams(
                user_id=user.id, deck_id=deck.id, parameters=FITTED, reviews_used=1000,
                log_loss_default=0.5, log_loss_fitted=0.4))
        ids.append(user.id)
    db.session.commit()
    return ids


@pytest.mark.parametrize("fitted", [False, True], ids=["default-params", "fitted-params"])
@pytest.mark.parametrize("source", ["deck", "own"])
@pytest.mark.parametrize("scheduler", registry.names())
def test_the_lean_path_writes_what_the_general_path_writes(app, secret, general_reads,
                                                           scheduler, source, fitted):
    """Two learners with the same settings answer the same side at the same instants with
    the same grades, one through the lean path, the other through the general one: first
    answer (missed), its repeat or relearning step an hour later, reviews passed and missed
    days apart (SM-2 queues a missed side again: the queue's write). Every column of every
    state, log and queue row they wrote is the same."""
    deck = make_deck([basic("q0")], new_per_day=5)
    deck_id = deck.id
    lean_id, general_id = _learners_studying(deck, scheduler, source, fitted)
    scale = registry.create(_settings(scheduler)).scale
    again, good = scale.values[0], scale.values[-2]
    steps = [(T0, again), (T0 + timedelta(hours=1), good), (T0 + timedelta(days=40), good),
             (T0 + timedelta(days=400), again), (T0 + timedelta(days=400, hours=2), good),
             (T0 + timedelta(days=800), good)]
    lean_answers, queued = 0, []
    for now, grade in steps:
        for user_id in (lean_id, general_id):
            shown, token = _show(user_id, deck_id, now, secret)
            carried = decode_presentation(token, user_id, secret).shown
            # Learn and review take the lean path; a repeat of a missed side the general one.
            assert (carried is not None) == (shown.mode in ("learn", "review"))
            lean = user_id == lean_id and carried is not None
            reads = len(general_reads)
            outcome = _answer(user_id, token, secret, grade, now, lean=user_id == lean_id)
            assert not outcome.conflict and not outcome.duplicate
            assert len(general_reads) == reads + (0 if lean else 1)
            lean_answers += lean
        lean_rows = _rows(lean_id)
        assert lean_rows == _rows(general_id)
        queued.extend(kind for kind, *_ in lean_rows["queue"])
    assert len(lean_rows["review_log"]) == len(steps)
    assert lean_answers >= 4
    assert ("again" in queued) == registry.create(_settings(scheduler)).drill_again(again)


def _due_review(app, secret, scheduler="sm2"):
    """A learner with one side due for review, shown (its lean token) at T0 + 10 days."""
    deck = make_deck([basic("q0"), basic("q1")])
    schedules.set_deck_settings(deck, _settings(scheduler))
    db.session.commit()
    user_id = make_user("solo@example.org").id
    deck_id = deck.id
    good = registry.create(_settings(scheduler)).scale.values[-2]
    for _ in range(2):  # both sides learned
        _, token = _show(user_id, deck_id, T0, secret)
        _answer(user_id, token, secret, good, T0, lean=True)
    shown, token = _show(user_id, deck_id, T0 + timedelta(days=10), secret)
    assert shown.mode == "review"
    return user_id, deck_id, shown, token, good


def _state(user_id: int, card_id: int) -> tuple:
    row = db.session.execute(text(
        "SELECT version, answers, failures, memory_stability, memory_reviewed_at, state "
        "FROM card_state WHERE user_id = :u AND card_id = :c"),
        {"u": user_id, "c": card_id}).one()
    db.session.remove()
    return tuple(row)


def _answers_logged(user_id: int) -> int:
    count = db.session.scalar(text("SELECT count(*) FROM review_log WHERE user_id = :u"),
                              {"u": user_id})
    db.session.remove()
    return count


def _repeat(user_id, card_id, now):
    user = db.session.get(User, user_id)
    study.answer_presentation(user, study.Presentation(card_id, 0, "repeat", 0, "rep", 0.0),
                              grade=4, now=now)


def _cram(user_id, card_id, now):
    user = db.session.get(User, user_id)
    study.answer_presentation(user, study.Presentation(card_id, 0, "cram", 0, "cram", 0.0),
                              grade=1, now=now)


def _rebuild_memory(user_id, card_id, now):
    memory.rebuild(user_id=user_id)
    db.session.commit()


def _recount(user_id, card_id, now):
    deck_id = db.session.get(Card, card_id).deck_id
    tallies.recount(user_id, deck_id)
    db.session.commit()


@pytest.mark.parametrize("write", [_repeat, _cram, _rebuild_memory, _recount])
def test_a_write_between_showing_and_answering_is_never_lost(app, secret, write):
    """Every writer of a state row bumps its version: an answer shown before the write is
    refused (a conflict, as for an answer in another window) and the write stays as it was,
    whatever the token carried."""
    user_id, _, shown, token, good = _due_review(app, secret)
    now = T0 + timedelta(days=10, minutes=1)
    before = _state(user_id, shown.card_id)
    write(user_id, shown.card_id, now)
    db.session.remove()
    written = _state(user_id, shown.card_id)
    assert written[0] > before[0]  # the version moved
    logged = _answers_logged(user_id)
    outcome = _answer(user_id, token, secret, good, now, lean=True)
    assert outcome.conflict
    assert _state(user_id, shown.card_id) == written
    assert _answers_logged(user_id) == logged


def test_an_undo_between_showing_and_answering_is_never_lost(app, secret):
    """Undoing the side's own last answer after the side was shown again restores its state
    (a new version): the answer shown before the undo is refused."""
    user_id, deck_id, shown, token, good = _due_review(app, secret)
    now = T0 + timedelta(days=10, minutes=1)
    # The side's answer is the learner's latest, within the day undo reaches back.
    db.session.execute(text("UPDATE review_log SET answered_at = :at WHERE card_id = :c"),
                       {"at": now - timedelta(minutes=5), "c": shown.card_id})
    db.session.commit()
    user = db.session.get(User, user_id)
    deck = db.session.get(Deck, deck_id)
    undone = study.undo_last(user, deck, now=now)
    assert undone is not None and undone.card_id == shown.card_id
    db.session.remove()
    # The side's first answer undone: its state row is gone (a new side again).
    assert db.session.execute(text("SELECT count(*) FROM card_state WHERE card_id = :c"),
                              {"c": shown.card_id}).scalar() == 0
    db.session.remove()
    outcome = _answer(user_id, token, secret, good, now, lean=True)
    assert outcome.conflict  # nothing written for a state that no longer exists
    assert db.session.execute(text("SELECT count(*) FROM card_state WHERE card_id = :c"),
                              {"c": shown.card_id}).scalar() == 0


def test_a_second_answer_of_the_same_side_is_a_duplicate(app, secret):
    user_id, _, _, token, good = _due_review(app, secret)
    now = T0 + timedelta(days=10, minutes=1)
    first = _answer(user_id, token, secret, good, now, lean=True)
    assert not first.conflict and not first.duplicate
    logged = _answers_logged(user_id)
    again = _answer(user_id, token, secret, good, now, lean=True)
    assert again.duplicate
    assert _answers_logged(user_id) == logged


def test_a_first_answer_from_another_window_is_a_conflict(app, secret):
    """Two windows show the same new side; the second answer finds the row the first
    inserted (the insert's unique key refuses it) and is reported as a conflict."""
    deck_id = make_deck([basic("q0")]).id
    user_id = make_user("solo@example.org").id
    _, first_window = _show(user_id, deck_id, T0, secret)
    _, second_window = _show(user_id, deck_id, T0, secret)
    assert not _answer(user_id, first_window, secret, 4, T0, lean=True).conflict
    assert _answer(user_id, second_window, secret, 4, T0, lean=True).conflict
    assert _answers_logged(user_id) == 1


@pytest.mark.parametrize("kind", ["review", "first"])
def test_a_card_deleted_after_showing_says_so(app, secret, kind):
    """The learner gets today's message, not a server error: the write, which requires the
    card, is refused and the general path answers (SQLite enforces no foreign key here: the
    side's state row outlives the card)."""
    if kind == "review":
        user_id, deck_id, shown, token, good = _due_review(app, secret)
    else:
        deck_id = make_deck([basic("q0")]).id
        user_id, good = make_user("solo@example.org").id, 4
        shown, token = _show(user_id, deck_id, T0, secret)
    db.session.execute(text("DELETE FROM card WHERE id = :c"), {"c": shown.card_id})
    db.session.commit()
    with pytest.raises(StudyError, match="This card no longer exists"):
        _answer(user_id, token, secret, good, T0 + timedelta(days=10, minutes=1), lean=True)


def test_settings_changed_after_showing_schedule_that_answer_as_shown(app, secret):
    """Documented staleness (services.shown_answer): the deck switches from SM-2 to FSRS
    between showing a side and its answer; that answer is scheduled with SM-2, the settings
    its grade buttons showed, and the next page shows the side under FSRS (converted)."""
    user_id, deck_id, shown, token, good = _due_review(app, secret, "sm2")
    deck = db.session.get(Deck, deck_id)
    schedules.set_deck_settings(deck, _settings("fsrs"))
    db.session.commit()
    now = T0 + timedelta(days=10, minutes=1)
    assert not _answer(user_id, token, secret, good, now, lean=True).conflict
    row = db.session.execute(text(
        "SELECT scheduler FROM card_state WHERE user_id = :u AND card_id = :c"),
        {"u": user_id, "c": shown.card_id}).one()
    assert row.scheduler == "sm2"
    logged = db.session.execute(text(
        "SELECT scheduler FROM review_log WHERE user_id = :u ORDER BY id DESC LIMIT 1"),
        {"u": user_id}).one()
    assert logged.scheduler == "sm2"
    db.session.remove()
    # The next side shown is under FSRS: its state was written by another scheduler, so its
    # token leaves it to the general path, which converts it.
    later = T0 + timedelta(days=400)
    _, token_later = _show(user_id, deck_id, later, secret)
    assert decode_presentation(token_later, user_id, secret).shown is None


def test_auto_graded_sides_keep_the_general_path(app, secret):
    deck_id = make_deck([mcq("m0")]).id
    user_id = make_user("solo@example.org").id
    _, token = _show(user_id, deck_id, T0, secret)
    assert decode_presentation(token, user_id, secret).shown is None


def test_a_lean_token_is_signed_and_bound_to_its_learner_and_deck(app, client, auth, learner,
                                                                    secret):
    """What the token carries is signed with the rest: changing it breaks the signature; a
    token of another learner or for another deck is refused as before."""
    deck = make_deck([basic("q0")])
    other_deck = make_deck([basic("x0")], title="Other")
    deck_id, other_id = deck.id, other_deck.id
    auth.login()
    page = client.get(f"/study/{deck_id}").get_data(as_text=True)
    token = TOKEN_RE.search(page).group(1)
    csrf = CSRF_RE.search(page).group(1)
    assert decode_presentation(token, learner.id, secret).shown.deck_id == deck_id
    with pytest.raises(StudyError):
        decode_presentation(token, learner.id + 1, secret)
    payload, signature = token.rsplit(".", 1)
    data = json.loads(b64decode(payload.encode()))
    data[8][0] = other_id  # claim another deck
    forged = b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    with pytest.raises(StudyError):
        decode_presentation(f"{forged}.{signature}", learner.id, secret)
    # Posted to another deck's URL: refused as a card of another deck.
    response = client.post(f"/study/{other_id}/answer",
                           data={"token": token, "csrf_token": csrf, "grade": "4"})
    assert response.status_code == 400
    response = client.post(f"/study/{deck_id}/answer",
                           data={"token": token, "csrf_token": csrf, "grade": "4"})
    assert response.status_code == 303
