"""Red-team attacks on this round's speed changes: the study GET read outside a transaction on
PostgreSQL (``rows.read_outside_transaction``, ``begin_writes``), the process-wide caches
(scheduler settings per stored text, CSRF token bodies, the learner's time zone guess,
``day_start``, the SQLite datetime text, ``Prepared``'s last form), the frame's user read from
``g`` and the SM-2 state's JSON written directly. Each test is an attack the change must
hold against, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import hmac
import json
import re
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from conftest import CSRF_RE, AuthActions, make_user
from sqlalchemy import event, func, select, update
from sqlalchemy.dialects import sqlite as sqlite_dialect
from study_helpers import basic, in_transaction_mode, make_deck, recorded_writes

from quizapp.extensions import db
from quizapp.models import ReviewLog, StudyQueueItem, StudySession
from quizapp.models.columns import sqlite_text
from quizapp.scheduling import day, sm2
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler
from quizapp.services import personal_params, schedules, study, study_page
from quizapp.token_format import Sha1Hmac

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


def _get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _pooled_connection_in_transaction_mode() -> bool:
    db.session.remove()
    with db.engine.connect() as connection:
        return in_transaction_mode(connection.connection.dbapi_connection)


# --- 1. the study GET outside a transaction ----------------------------------------------


def test_a_first_visit_creates_its_session_in_one_transaction(client, auth, learner):
    deck_id = make_deck([basic("a"), basic("b")]).id
    auth.login()
    with recorded_writes() as writes:
        _get(client, f"/study/{deck_id}")
    assert ("INSERT", True) in writes
    assert all(in_transaction for _, in_transaction in writes), writes
    assert _pooled_connection_in_transaction_mode()


def test_a_get_that_raises_after_resetting_a_stale_session_undoes_the_reset(
        client, auth, learner, monkeypatch):
    """Yesterday's session is reset (its queue emptied, its start moved) by the next GET: when
    that GET fails after the reset, none of it stays, and the pool gets its connection back
    in transaction mode."""
    deck = make_deck([basic("a"), basic("b")])
    deck_id, card_id = deck.id, deck.cards[0].id
    auth.login()
    _get(client, f"/study/{deck_id}")
    session_id = db.session.scalar(select(StudySession.id))
    yesterday = datetime.now(UTC) - timedelta(days=2)
    db.session.execute(update(StudySession).values(started_at=yesterday))
    db.session.add(StudyQueueItem(session_id=session_id, kind="again", card_id=card_id))
    db.session.commit()

    def fail(*args, **kwargs):
        raise RuntimeError("mid-way")

    monkeypatch.setattr(study, "choose_next", fail)
    with recorded_writes() as writes:
        assert client.get(f"/study/{deck_id}").status_code == 500
    assert ("DELETE", True) in writes
    assert all(in_transaction for _, in_transaction in writes), writes
    # What the request's teardown does: close the session, rolling back what it began.
    assert _pooled_connection_in_transaction_mode()
    assert db.session.scalars(select(StudyQueueItem.card_id)).all() == [card_id]
    started = db.session.scalar(select(StudySession.started_at))
    assert abs(started - yesterday) < timedelta(seconds=1)
    monkeypatch.undo()
    _get(client, f"/study/{deck_id}")  # the next request works on a clean connection
    assert db.session.scalars(select(StudyQueueItem.card_id)).all() == []


def test_reads_outside_a_transaction_never_reach_another_users_request(app, learner):
    """Two learners' study GETs alternating on one thread: each starts from a connection in
    transaction mode (the first's autocommit went back with its connection)."""
    deck_id = make_deck([basic("a")]).id
    make_user("other@example.org")
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login()
    AuthActions(second).login("other@example.org")
    modes = []

    def checkout(dbapi_connection, record, proxy):
        modes.append(in_transaction_mode(dbapi_connection))

    event.listen(db.engine, "checkout", checkout)
    try:
        for client in (first, second, first, second):
            _get(client, f"/study/{deck_id}")
            db.session.remove()
    finally:
        event.remove(db.engine, "checkout", checkout)
    assert modes and all(modes)


def _together(target, arguments) -> None:
    threads = [threading.Thread(target=target, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_tabs_opening_and_resetting_one_session_at_once_share_it(app, learner):
    """Several tabs' study GETs at the same moment, first for a new session, then for
    yesterday's: one session row, every page served, yesterday's queue emptied."""
    deck = make_deck([basic(f"q{i}") for i in range(3)])
    deck_id, card_id = deck.id, deck.cards[0].id
    clients = [app.test_client() for _ in range(4)]
    for client in clients:
        AuthActions(client).login()
    db.session.remove()
    statuses = []

    def visit(client):
        statuses.append(client.get(f"/study/{deck_id}").status_code)

    _together(visit, clients)
    assert statuses == [200] * 4
    assert db.session.scalar(select(func.count()).select_from(StudySession)) == 1
    session_id = db.session.scalar(select(StudySession.id))
    db.session.execute(update(StudySession).values(
        started_at=datetime.now(UTC) - timedelta(days=2)))
    db.session.add(StudyQueueItem(session_id=session_id, kind="again", card_id=card_id))
    db.session.commit()
    db.session.remove()
    statuses.clear()
    _together(visit, clients)
    assert statuses == [200] * 4
    assert db.session.scalar(select(func.count()).select_from(StudySession)) == 1
    assert db.session.scalars(select(StudyQueueItem.card_id)).all() == []
    assert _pooled_connection_in_transaction_mode()


# --- 2. process-wide caches ----------------------------------------------------------------


def test_kept_settings_and_scheduler_cannot_be_changed_by_one_learner():
    text = json.dumps({"v": 1, "name": "fsrs", "desired_retention": 0.9,
                       "maximum_interval": 365})
    settings, scheduler = personal_params.settings_and_scheduler(text, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.desired_retention = 0.5
    assert isinstance(settings.parameters, tuple)
    before = dict(vars(scheduler)) if hasattr(scheduler, "__dict__") else None
    state = scheduler.new_state()
    scheduler.preview(state, schedules.Moment(datetime.now(UTC), "UTC"))
    after = dict(vars(scheduler)) if hasattr(scheduler, "__dict__") else None
    assert before == after
    fitted = json.dumps([round(w * 1.01, 6) for w in settings.parameters])
    own, _ = personal_params.settings_and_scheduler(text, fitted)
    assert own.parameters != settings.parameters  # another learner's fit is another key
    assert personal_params.settings_and_scheduler(text, None)[0].parameters == \
        settings.parameters


def test_settings_that_do_not_parse_raise_every_time():
    for _ in range(2):
        with pytest.raises(ValueError):
            personal_params.settings_and_scheduler('{"v": 2}', None)


@pytest.mark.parametrize("length", [0, 1, 20, 63, 64, 65, 128, 200])
def test_the_kept_hmac_is_hmac_sha1_for_any_key_length(length):
    key = bytes(range(256))[:length] * 1
    mac = Sha1Hmac(key)
    for message in (b"", b"x", b"." * 1000):
        assert mac.digest(message) == hmac.digest(key, message, "sha1")


def test_the_time_zone_guess_never_lets_a_learner_past_the_daily_new_limit(
        client, auth, learner):
    """Today's counts read with the user come for the zone the learner last had in this
    process: a learner whose zone moved far since (or another learner's guess) must still
    meet the new-card limit for their own day."""
    learner.timezone = "Pacific/Kiritimati"
    db.session.commit()
    deck_id = make_deck([basic(f"q{i}") for i in range(3)], new_per_day=1).id
    auth.login()
    page = _get(client, f"/study/{deck_id}")
    response = client.post(f"/study/{deck_id}/answer", data={
        "token": TOKEN_RE.search(page).group(1), "csrf_token": CSRF_RE.search(page).group(1),
        "grade": "4"})
    assert response.status_code in (200, 302, 303)
    assert db.session.scalar(select(func.count()).select_from(ReviewLog)) == 1
    for guess in ("Pacific/Pago_Pago", "UTC", "Pacific/Kiritimati"):
        study_page._TIMEZONES[learner.id] = guess
        page = _get(client, f"/study/{deck_id}")
        assert 'name="token"' not in page, guess  # the summary, not a second new card


@pytest.mark.parametrize("zone_name", ["UTC", "Europe/London", "America/New_York",
                                       "Australia/Lord_Howe", "Pacific/Kiritimati", None])
def test_kept_day_starts_are_the_instants_worked_out_afresh(zone_name):
    for offset in range(0, 400, 7):
        when = date(2026, 1, 1) + timedelta(days=offset)
        zone = ZoneInfo(zone_name or "UTC")
        fresh = datetime(when.year, when.month, when.day, day.ROLLOVER_HOUR,
                         tzinfo=zone).astimezone(UTC)
        assert day.day_start(when, zone_name) == fresh
        assert day.day_start(when, zone_name).utcoffset() == timedelta(0)


_SQLA_SQLITE = sqlite_dialect.DATETIME().bind_processor(sqlite_dialect.dialect())


def _reference_text(value: datetime | None) -> str | None:
    """What SQLAlchemy's SQLite DATETIME stored for a UTC instant before ``sqlite_text``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _SQLA_SQLITE(value.astimezone(UTC))


ODD_INSTANTS = [
    datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 2, 3, 0, 0, 1, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, 999999), datetime(9999, 12, 31, 23, 59, 59, 999999),
    datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/London")),
    datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
    datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14))),
    datetime(2026, 1, 1, 23, 0, tzinfo=timezone(-timedelta(hours=11, minutes=30))),
    datetime(1900, 1, 1, tzinfo=ZoneInfo("Europe/Amsterdam")),  # a seconds-odd LMT offset
    None,
]


def test_the_sqlite_text_is_sqlalchemys_for_odd_instants():
    for value in ODD_INSTANTS:
        assert sqlite_text(value) == _reference_text(value), value
        assert sqlite_text(value) == _reference_text(value), value  # kept, again


def test_the_sqlite_text_kept_last_is_right_under_threads():
    base = datetime(2026, 1, 1, tzinfo=UTC)
    values = [base + timedelta(microseconds=i * 7919) for i in range(300)]
    wrong = []

    def work(shift):
        for i in range(2000):
            value = values[(i * shift) % len(values)]
            if sqlite_text(value) != _reference_text(value):
                wrong.append(value)

    threads = [threading.Thread(target=work, args=(shift,)) for shift in (1, 3, 7, 11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


# --- 3. the frame's user read from g ------------------------------------------------------


def test_frames_name_the_user_after_a_log_out_and_log_in_on_one_client(app, client, auth,
                                                                        learner):
    deck_id = make_deck([basic("a")]).id
    make_user("second@example.org", name="Second Learner")
    learner.display_name = "First Learner"
    db.session.commit()
    auth.login()
    assert "First Learner" in _get(client, f"/study/{deck_id}")
    auth.logout()
    auth.login("second@example.org")
    page = _get(client, f"/study/{deck_id}")
    assert "Second Learner" in page and "First Learner" not in page


# --- 4. SM-2 state text and the log's snapshot text ---------------------------------------


ODD_STATES = [
    sm2.Sm2State(Decimal("1.3"), 0, 0, None, 0),
    sm2.Sm2State(Decimal("2.5"), 36_500, 10**6, date(9999, 12, 31), 10**9),
    sm2.Sm2State(Decimal("1E+3"), 1, 1, date(1, 1, 1), 0),
    sm2.Sm2State(Decimal("2.123456789012345678901234567890"), 2**63, 2**64, date(999, 1, 1),
                 2**70),
    sm2.Sm2State(Decimal("2.50000000"), 6, 2, date(2026, 2, 28), 1),
    sm2.Sm2State(Decimal("13E-1"), 6, 2, date(2026, 2, 28), 1),
]


@pytest.mark.parametrize("state", ODD_STATES)
def test_the_sm2_state_text_is_json_dumps_for_odd_states(state):
    scheduler = Sm2Scheduler()
    text = scheduler.to_json_text(state)
    assert text == json.dumps(scheduler.to_json(state))
    assert scheduler.from_json(json.loads(text)) == state


@pytest.mark.parametrize("state", ODD_STATES[:2] + ODD_STATES[4:])
def test_reviewed_states_hold_the_checks_for_every_grade(state):
    for grade in range(6):
        reviewed = sm2.review(state, grade, date(2026, 1, 1))
        assert sm2.Sm2State(**dataclasses.asdict(reviewed)) == reviewed
        assert Sm2Scheduler().to_json_text(reviewed) == \
            json.dumps(Sm2Scheduler().to_json(reviewed))


def test_nan_and_infinite_easiness_are_refused_before_any_text():
    for bad in ("NaN", "Infinity", "-Infinity", "sNaN"):
        with pytest.raises(ValueError):
            sm2.Sm2State(Decimal(bad), 0, 0, None, 0)
        with pytest.raises(ValueError):
            Sm2Scheduler().from_json({"scheduler": "sm2", "v": 1, "easiness": bad,
                                      "interval": 0, "repetitions": 0, "due": None,
                                      "lapses": 0})


@pytest.mark.parametrize("instant", [value for value in ODD_INSTANTS if value is not None])
def test_the_log_snapshot_text_is_json_dumps_of_the_snapshot(instant):
    state = {"scheduler": "fsrs", "v": 1, "note": "é – 日本 \"q\" \\ \u2028", "n": 1e300}
    expected = json.dumps({"state": state,
                           "last_review_at": _aware(instant).astimezone(UTC).isoformat(),
                           "due_at": None})
    assert schedules.snapshot_text(state, instant, None) == expected
    stored = json.dumps(state)
    assert schedules.snapshot_text(stored, _reference_text(instant), None) == expected


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
