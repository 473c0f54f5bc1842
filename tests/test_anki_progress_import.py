"""Importing a learner's own Anki progress: packages written by the official Anki library."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from anki_helpers import AnkiCollection
from anki_progress_helpers import (
    NOTES,
    StudiedCollection,
    anki_date,
    epoch_day,
    with_collection_changed,
)
from conftest import ANKI_SAMPLES, csrf_token, make_user
from markupsafe import escape
from progress_helpers import assert_totals_are_the_log_s, slow_learner_summary
from sqlalchemy import func, select
from study_helpers import sm2_of, sm2_row

from quizapp.extensions import db
from quizapp.formats.anki import scheduling
from quizapp.formats.detect import read_upload
from quizapp.models import (
    Card,
    CardState,
    Job,
    JobFile,
    PendingUpload,
    ReviewDayMark,
    ReviewLog,
    utcnow,
)
from quizapp.scheduling import registry
from quizapp.services import anki_progress, schedules
from quizapp.services import progress as progress_figures
from quizapp.services.decks import store_deck
from quizapp.services.exports import deck_apkg

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def studied(tmp_path):
    collection = StudiedCollection(tmp_path / "anki")
    collection.add_notes()
    collection.study()
    yield collection
    collection.close()


def deck_from(package: bytes, name: str = "progress.apkg"):
    owner = make_user("teacher@example.org", "instructor")
    (deck,) = read_upload(name, package).decks
    report = store_deck(deck, owner=owner, publish=True)
    db.session.commit()
    return report.deck


JOB_RE = re.compile(r"/jobs/(\d+)")


def upload(client, deck_id: int, package: bytes, name: str = "mine.apkg"):
    """The upload queues a preview job (run at once here: the queue is immediate) and
    answers with its page, which sends the learner to the preview when the job is done."""
    url = f"/decks/{deck_id}/anki-progress"
    response = client.post(url, data={
        "file": (io.BytesIO(package), name), "csrf_token": csrf_token(client, url),
    }, content_type="multipart/form-data")
    if response.status_code != 303:
        return response  # refused by the request's own cheap checks
    assert JOB_RE.fullmatch(response.location)
    return client.get(response.location, follow_redirects=True)


def confirm(client, deck_id: int, preview_page: str):
    """The confirm queues the import job and answers with its page; this returns what that
    page answers: 303 to the result when the job is done, its failure otherwise."""
    token = TOKEN_RE.search(preview_page).group(1)
    response = client.post(f"/decks/{deck_id}/anki-progress/confirm", data={
        "token": token, "csrf_token": csrf_token(client, f"/decks/{deck_id}"),
    })
    if response.status_code != 303:
        return response
    assert JOB_RE.fullmatch(response.location)
    return client.get(response.location)


def failed_job(response) -> tuple[Job, str]:
    """The job whose (failed) page the response is, and that page."""
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and JOB_RE.fullmatch(response.request.path)
    job = db.session.get(Job, int(JOB_RE.fullmatch(response.request.path).group(1)))
    db.session.refresh(job)
    assert job.status == "failed", (job.status, job.message)
    return job, page


def figure(page: str, element_id: str) -> int:
    return int(re.search(rf'id="{element_id}">(\d+)<', page).group(1))


def states_by_guid(learner) -> dict[tuple[str, int], CardState]:
    rows = db.session.execute(
        select(Card.guid, CardState).join(Card, Card.id == CardState.card_id)
        .where(CardState.user_id == learner.id)
    )
    return {(guid, state.ordinal): state for guid, state in rows}


def review_count(learner) -> int:
    return db.session.scalar(select(func.count(ReviewLog.id)).where(
        ReviewLog.user_id == learner.id))


def written_nothing(learner) -> bool:
    db.session.expire_all()
    return not states_by_guid(learner) and review_count(learner) == 0


@pytest.mark.parametrize("kind", ["legacy", "modern", "colpkg"])
def test_anki_schedule_and_history_arrive_after_preview_and_confirm(app, client, auth, studied,
                                                                    kind):
    package = studied.export(kind)
    expected = studied.cards()
    today = studied.today()
    deck = deck_from(package, f"progress.{'colpkg' if kind == 'colpkg' else 'apkg'}")
    learner = make_user("learner@example.org")
    auth.login()

    page = client.get(f"/decks/{deck.id}").get_data(as_text=True)
    assert f"/decks/{deck.id}/anki-progress" in page  # "Import my Anki progress"
    preview = upload(client, deck.id, package, f"mine.{kind}")
    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    studied_cards = [card for card in expected.values() if card.type != 0]
    assert figure(shown, "matched-guid") == len(studied_cards) == 4
    assert figure(shown, "matched-content") == 0
    assert figure(shown, "reviews-new") == sum(card.revlog for card in expected.values())
    assert written_nothing(learner)  # a preview saves nothing
    assert client.get("/progress/").status_code == 200  # the learner's days summed: none
    assert db.session.get(ReviewDayMark, learner.id).rolled_until is not None

    done = confirm(client, deck.id, shown)
    assert done.status_code == 303
    # The imported answers are on past days: the summed days are stale, and the figures
    # count every answer.
    db.session.expire_all()
    assert db.session.get(ReviewDayMark, learner.id).rolled_until is None
    assert progress_figures.learner_summary(learner, [deck], utcnow()) == slow_learner_summary(
        learner, [deck], utcnow())
    assert done.headers["Location"].endswith(f"/progress/decks/{deck.id}")
    states = states_by_guid(learner)
    assert set(states) == {(c.guid, c.ordinal) for c in studied_cards}
    for key, card in expected.items():
        if card.type == 0:
            continue
        row = states[key]
        assert row.scheduler == "sm2"
        state = sm2_of(row)
        if card.type == 2:
            assert row.due == state.due == anki_date(card.due, today)
            assert (state.interval, state.repetitions) == (card.ivl, 2)
            assert state.easiness == Decimal(card.factor) / 1000
        elif card.queue == 3:  # a learning step past the day's end: due on a day number
            assert row.due == state.due == anki_date(card.due, today)
            assert state.repetitions == 0
        else:  # learning or relearning, due within the day, on an epoch second
            assert row.due == state.due == epoch_day(card.due)
            assert state.repetitions == 0
        assert row.lapses == state.lapses == card.lapses
        # The imported history shapes the side's memory estimate.
        assert row.memory_stability > 0 and row.memory_reviewed_at is not None
    assert max(card.lapses for card in expected.values()) == 1
    assert review_count(learner) == sum(card.revlog for card in expected.values())
    # The sides' answer totals count the imported history (the class dashboard sums them).
    assert_totals_are_the_log_s()
    assert sum(row.answers for row in states.values()) == review_count(learner)
    phases = dict(db.session.execute(
        select(ReviewLog.phase, func.count()).group_by(ReviewLog.phase)).all())
    assert phases["learn"] == 4 and phases["review"] == 1  # the lapse was a review

    progress = client.get(done.headers["Location"])
    assert progress.status_code == 200
    assert "Imported your Anki progress for 4 card side(s)" in progress.get_data(as_text=True)
    deck_page = client.get(f"/decks/{deck.id}").get_data(as_text=True)
    # learning and relearning cards are learning; two sides were never studied in Anki
    assert (figure(deck_page, "count-learning"), figure(deck_page, "count-new")) == (2, 2)


@pytest.mark.parametrize("kind", ["legacy", "modern"])
def test_unscheduled_package_matches_but_brings_nothing(app, client, auth, tmp_path, kind):
    fresh = StudiedCollection(tmp_path / "fresh")
    try:
        fresh.add_notes()
        package = fresh.export(kind)
    finally:
        fresh.close()
    deck = deck_from(package)
    learner = make_user("learner@example.org")
    auth.login()
    page = upload(client, deck.id, package).get_data(as_text=True)
    assert figure(page, "matched-guid") == 0
    assert "not yet studied in Anki will be left as they are" in page
    assert "Nothing in this package matches a studied card" in page
    assert written_nothing(learner)


def test_notes_without_the_decks_guids_match_by_their_text(app, client, auth, studied,
                                                          tmp_path):
    package = studied.export("legacy")
    other = StudiedCollection(tmp_path / "other")  # the same notes, other guids, not studied
    try:
        other.add_notes()
        deck = deck_from(other.export("legacy"))
    finally:
        other.close()
    learner = make_user("learner@example.org")
    auth.login()
    page = upload(client, deck.id, package).get_data(as_text=True)
    assert (figure(page, "matched-guid"), figure(page, "matched-content")) == (0, 4)
    assert confirm(client, deck.id, page).status_code == 303
    db.session.expire_all()
    assert len(states_by_guid(learner)) == 4


@pytest.mark.parametrize("kind", ["legacy", "modern"])
def test_round_trip_through_anki_keeps_the_schedule_within_a_day(app, client, auth, tmp_path,
                                                                 kind):
    anki_made = StudiedCollection(tmp_path / "source")
    try:
        anki_made.add_notes()
        deck = deck_from(anki_made.export("legacy"))
    finally:
        anki_made.close()
    learner = make_user("learner@example.org")
    cards = {card.guid: card for card in deck.cards}
    answered = datetime.now(UTC) - timedelta(days=10)
    today = (datetime.now(UTC) - timedelta(hours=4)).date()
    mine = {}
    for number, card in enumerate(cards.values()):
        if number == 3:
            continue
        state = sm2_row(learner, card, easiness="2.36", interval=5 + number, repetitions=3,
                        due=today + timedelta(days=number - 1), lapses=number % 2,
                        last_review_at=answered, version=1)
        db.session.add(state)
        db.session.add(ReviewLog(
            user_id=learner.id, card_id=card.id, deck_id=deck.id, ordinal=0, phase="review",
            grade=4, scheduler="sm2", passed=True, answered_at=answered, duration_ms=3000,
            presentation=f"p-{card.id}", stage_before="young", interval_before=2,
            state_after={"state": state.state, "last_review_at": answered.isoformat()},
        ))
        mine[card.guid] = state
    db.session.commit()
    overdue, studied_since = list(mine)[:2]  # due yesterday: Anki asks it today

    anki = StudiedCollection(tmp_path / "anki")
    try:
        anki.import_with_scheduling(deck_apkg(deck, learner), deck.title)
        mine[studied_since].last_review_at = datetime.now(UTC)  # answered here after export
        db.session.commit()
        anki.answer(anki.col.db.scalar(
            "select cards.id from cards join notes on notes.id = cards.nid where guid = ?",
            overdue), 3)
        in_anki = anki.cards()[(overdue, 0)]
        exported = anki.export(kind)
    finally:
        anki.close()
    auth.login()
    page = upload(client, deck.id, exported).get_data(as_text=True)
    assert figure(page, "matched-guid") == len(mine)
    assert figure(page, "reviews-new") == 1  # the answer given in Anki
    assert figure(page, "reviews-known") == len(mine)  # the app's own, not counted twice
    assert page.count("<tr>") - 1 == len(mine)  # each of the learner's states is listed
    assert page.count("studied here since") == 1
    assert confirm(client, deck.id, page).status_code == 303
    db.session.expire_all()
    for (guid, _), row in states_by_guid(learner).items():
        state = sm2_of(row)
        if guid == overdue:
            assert row.due == state.due == today + timedelta(days=in_anki.ivl)
            assert (state.interval, state.easiness) == (in_anki.ivl, Decimal("2.36"))
            continue
        before = sm2_of(mine[guid])
        assert abs((row.due - before.due).days) <= 1
        assert (state.interval, state.easiness, state.lapses) == (
            before.interval, before.easiness, before.lapses)
    assert review_count(learner) == len(mine) + 1

    # and back again: the imported answer travels with the learner's next export
    again = StudiedCollection(tmp_path / "again")
    try:
        again.import_with_scheduling(deck_apkg(deck, learner), deck.title)
        assert again.cards()[(overdue, 0)].revlog == 2
    finally:
        again.close()


@pytest.mark.parametrize("sample", ["sample_modern_sched.apkg", "sample_legacy_sched.apkg",
                                    "sample_collection.colpkg",
                                    "sample_collection_legacy.colpkg"])
def test_shared_samples_bring_what_anki_sees(app, client, auth, tmp_path, sample):
    package = (ANKI_SAMPLES / sample).read_bytes()
    seen = AnkiCollection(tmp_path / "seen")
    try:
        if sample.endswith(".apkg"):
            seen.import_package(ANKI_SAMPLES / sample, with_scheduling=True)
            expected = seen.cards()
        else:
            expected = None
    finally:
        seen.close()
    owner = make_user("teacher@example.org", "instructor")
    for data in read_upload(sample, package).decks:
        store_deck(data, owner=owner, publish=True)
    db.session.commit()
    learner = make_user("learner@example.org")
    auth.login()
    deck_id = db.session.scalar(
        select(Card.deck_id).group_by(Card.deck_id).order_by(Card.deck_id).limit(1))
    page = upload(client, deck_id, package, sample).get_data(as_text=True)
    assert confirm(client, deck_id, page).status_code == 303
    db.session.expire_all()
    states = states_by_guid(learner)
    assert states, "the sample's deck holds studied cards"
    if expected is not None:
        for key, row in states.items():
            card = expected[key]
            state = sm2_of(row)
            assert card.type != 0 and state.lapses == card.lapses
            assert row.due >= datetime(2020, 1, 1).date()
            if card.type == 2:
                assert (state.interval, state.easiness) == (card.ivl, Decimal(card.factor) / 1000)


@pytest.mark.parametrize("sample", ["genanki_sample.apkg", "sample_legacy_nosched.apkg",
                                    "sample_modern_nosched.apkg"])
def test_shared_samples_without_scheduling_bring_nothing(app, client, auth, sample):
    package = (ANKI_SAMPLES / sample).read_bytes()
    owner = make_user("teacher@example.org", "instructor")
    deck = store_deck(read_upload(sample, package).decks[0], owner=owner, publish=True).deck
    db.session.commit()
    learner = make_user("learner@example.org")
    auth.login()
    page = upload(client, deck.id, package, sample).get_data(as_text=True)
    assert figure(page, "matched-guid") == figure(page, "reviews-new") == 0
    assert "Nothing in this package matches a studied card" in page
    assert written_nothing(learner)


def test_the_apps_own_export_carries_progress_to_another_learner_exactly(app, client, auth,
                                                                         studied):
    """The app's export is the oldest layout (collection.anki2, schema 11), day 0 in 2000."""
    package = studied.export("modern")
    deck = deck_from(package)
    first = make_user("learner@example.org")
    auth.login()
    assert confirm(client, deck.id, upload(client, deck.id, package).get_data(
        as_text=True)).status_code == 303
    db.session.expire_all()
    exported = deck_apkg(deck, db.session.get(type(first), first.id))
    second = make_user("second@example.org")
    auth.logout()
    auth.login("second@example.org")
    page = upload(client, deck.id, exported).get_data(as_text=True)
    assert figure(page, "matched-guid") == 4
    assert confirm(client, deck.id, page).status_code == 303
    db.session.expire_all()
    theirs, mine = states_by_guid(first), states_by_guid(second)
    assert set(mine) == set(theirs)
    for key, row in mine.items():
        state, their = sm2_of(row), sm2_of(theirs[key])
        assert (state.due, state.easiness, state.lapses) == (
            their.due, their.easiness, their.lapses)
        # The export makes every studied side an Anki review card (SM-2 has no intraday
        # steps to carry), so only cards past learning keep their interval as well.
        if their.repetitions:
            assert state.interval == their.interval


HOSTILE = {
    "negative interval": "UPDATE cards SET ivl = -5 WHERE type = 2",
    "ease factor 0": "UPDATE cards SET factor = 0 WHERE type = 2",
    "due far in the future": "UPDATE cards SET due = 90000000 WHERE type = 2",
    "unknown card type": "UPDATE cards SET type = 9 WHERE type = 2",
    "review from the future": "UPDATE revlog SET id = 4102444800000 WHERE type = 1",
    "review before Anki": "UPDATE revlog SET id = 1000 WHERE type = 1",
    "unknown answer button": "UPDATE revlog SET ease = 7",
    "text where a number belongs": "UPDATE cards SET ivl = 'many' WHERE type = 2",
    "a view in the schema": "CREATE VIEW sneaky AS SELECT * FROM revlog",
}


@pytest.mark.parametrize("change", sorted(HOSTILE))
def test_hostile_package_is_refused_and_writes_nothing(app, client, auth, studied, change):
    package = studied.export("legacy")
    deck = deck_from(package)
    learner = make_user("learner@example.org")
    auth.login()
    response = upload(client, deck.id, with_collection_changed(package, HOSTILE[change]))
    job, page = failed_job(response)  # the file is read by the preview job
    assert "refused" in job.message or "damaged" in job.message
    assert str(escape(job.message)) in page
    assert written_nothing(learner)
    assert db.session.scalar(select(func.count(PendingUpload.id))) == 0
    assert db.session.scalar(select(func.count(JobFile.id))) == 0  # the upload is dropped


def test_huge_revlog_is_refused(app, client, auth, studied, monkeypatch):
    package = studied.export("legacy")
    deck = deck_from(package)
    learner = make_user("learner@example.org")
    many = with_collection_changed(package, *[
        f"INSERT INTO revlog SELECT id - {n} * 1000, cid, usn, ease, ivl, lastIvl, factor,"
        " time, type FROM revlog WHERE id = (SELECT min(id) FROM revlog)" for n in range(1, 30)
    ])
    monkeypatch.setattr(scheduling, "MAX_REVIEWS", 20)
    auth.login()
    job, page = failed_job(upload(client, deck.id, many))
    assert "more than 20 reviews" in job.message and "more than 20 reviews" in page
    assert written_nothing(learner)


def test_garbage_and_other_decks_tokens_are_refused(app, client, auth, studied):
    package = studied.export("modern")
    deck = deck_from(package)
    learner = make_user("learner@example.org")
    auth.login()
    assert upload(client, deck.id, b"not a zip at all").status_code == 400
    page = upload(client, deck.id, package).get_data(as_text=True)
    token = TOKEN_RE.search(page).group(1)
    wrong = client.post(f"/decks/{deck.id + 1}/anki-progress/confirm", data={
        "token": token, "csrf_token": csrf_token(client, f"/decks/{deck.id}")})
    assert wrong.status_code in (400, 404)
    auth.logout()
    make_user("other@example.org")
    auth.login("other@example.org")
    assert confirm(client, deck.id, page).status_code == 400  # only its uploader confirms it
    auth.logout()
    auth.login()
    assert confirm(client, deck.id, page).status_code == 303
    assert confirm(client, deck.id, page).status_code == 400  # confirmed once only
    db.session.expire_all()
    assert review_count(learner) == sum(c.revlog for c in studied.cards().values())


def test_the_studied_collection_has_every_kind_of_card(studied):
    cards = studied.cards().values()
    assert len(cards) == len(NOTES) + 1  # the reversed note has two cards
    assert {card.type for card in cards} == {0, 1, 2, 3}  # new, learning, review, relearning


def test_first_answer_in_another_tab_during_confirm_asks_to_confirm_again(
        app, client, auth, studied, monkeypatch):
    package = studied.export("legacy")
    deck = deck_from(package)
    learner = make_user("learner@example.org")
    auth.login()
    page = upload(client, deck.id, package).get_data(as_text=True)
    card = db.session.scalar(select(Card).where(Card.deck_id == deck.id, Card.guid.in_(
        [card.guid for card in studied.cards().values() if card.type == 2])))
    db.session.add(sm2_row(learner, card, due=datetime.now(UTC).date(), version=1))
    db.session.commit()
    # The import read the learner's states just before that first answer was stored.
    monkeypatch.setattr(anki_progress, "_states", lambda learner, deck: {})
    job, shown = failed_job(confirm(client, deck.id, page))
    assert "Confirm again" in job.message and "Confirm again" in shown
    preview_path = re.search(r'href="(/decks/\d+/anki-progress/preview/\d+)"', shown).group(1)
    assert TOKEN_RE.search(client.get(preview_path).get_data(as_text=True)).group(1) == (
        TOKEN_RE.search(page).group(1))  # "Try again" goes back to the same preview
    db.session.expire_all()
    assert review_count(learner) == 0 and len(states_by_guid(learner)) == 1
    token = TOKEN_RE.search(page).group(1)
    assert db.session.scalar(select(func.count(PendingUpload.id))
                             .where(PendingUpload.token == token)) == 1  # kept for a retry
    monkeypatch.undo()
    assert confirm(client, deck.id, page).status_code == 303


@pytest.mark.parametrize("chosen_by", ["deck", "learner"])
def test_importing_into_fsrs_gives_fsrs_states_and_ratings(app, client, auth, studied,
                                                          chosen_by):
    package = studied.export("modern")
    expected = studied.cards()
    today = studied.today()
    buttons = studied.col.db.list("select ease from revlog where type < 4 order by id")
    deck = deck_from(package)
    learner = make_user("learner@example.org")
    fsrs = registry.SchedulerSettings(name="fsrs", desired_retention=0.85)
    if chosen_by == "deck":
        schedules.set_deck_settings(deck, fsrs)
    else:
        schedules.set_own_settings(learner, deck, fsrs)
    db.session.commit()
    auth.login()
    shown = upload(client, deck.id, package).get_data(as_text=True)
    assert confirm(client, deck.id, shown).status_code == 303
    db.session.expire_all()
    scheduler = registry.create(fsrs)
    for key, row in states_by_guid(learner).items():
        card = expected[key]
        assert row.scheduler == "fsrs"
        state = scheduler.from_json(row.state)
        assert state.stability is not None and state.difficulty is not None  # a memory state
        assert row.due == state.due and row.lapses == state.lapses == card.lapses
        assert row.stage == scheduler.stage(state).value  # written with the state
        assert row.answers > 0
        if card.type == 2:  # Anki's due day and interval are kept, as Anki does
            assert (state.due, state.interval) == (anki_date(card.due, today), card.ivl)
    assert_totals_are_the_log_s()
    logs = db.session.scalars(select(ReviewLog).where(ReviewLog.user_id == learner.id)
                              .order_by(ReviewLog.answered_at)).all()
    assert [log.grade for log in logs] == buttons  # Anki's buttons are FSRS's ratings
    assert {log.scheduler for log in logs} == {"fsrs"}
    assert [log.passed for log in logs] == [button > 1 for button in buttons]
    for log in logs:
        after = scheduler.from_json(log.state_after["state"])
        assert after.reps >= 1
        if log.state_before is None:
            assert (log.stage_before, log.interval_before) == ("new", 0)
        else:
            before = scheduler.from_json(log.state_before["state"])
            assert (log.stage_before, log.interval_before) == (
                scheduler.stage(before), before.interval)
    # The deck's study page and the learner's export read the imported states.
    assert client.get(f"/study/{deck.id}").status_code == 200
    again = StudiedCollection(studied.directory.parent / "again")
    try:
        again.import_with_scheduling(deck_apkg(deck, db.session.get(type(learner), learner.id)),
                                     deck.title)
        assert {key: card.revlog for key, card in again.cards().items() if card.revlog} == {
            key: card.revlog for key, card in expected.items() if card.revlog}
    finally:
        again.close()


def test_sm2_review_log_rows_carry_grades_stages_and_snapshots(app, client, auth, studied):
    package = studied.export("legacy")
    buttons = studied.col.db.list("select ease from revlog where type < 4 order by id")
    deck = deck_from(package)
    learner = make_user("learner@example.org")
    auth.login()
    assert confirm(client, deck.id, upload(client, deck.id, package).get_data(
        as_text=True)).status_code == 303
    logs = db.session.scalars(select(ReviewLog).where(ReviewLog.user_id == learner.id)
                              .order_by(ReviewLog.answered_at)).all()
    assert [log.grade for log in logs] == [{1: 1, 2: 3, 3: 4, 4: 5}[b] for b in buttons]
    assert {log.scheduler for log in logs} == {"sm2"}
    assert [log.passed for log in logs] == [button > 1 for button in buttons]
    sm2 = registry.create(registry.SchedulerSettings())
    for log in logs:
        assert log.state_after["last_review_at"] == log.answered_at.isoformat()
        after = sm2.from_json(log.state_after["state"])
        assert after.due is not None
        if log.state_before is not None:
            before = sm2.from_json(log.state_before["state"])
            assert (log.stage_before, log.interval_before) == (sm2.stage(before),
                                                               before.interval)


def test_upload_and_confirm_answer_with_job_pages_that_follow_the_work(app, client, auth,
                                                                       studied, monkeypatch):
    from quizapp.services import jobs as job_service

    package = studied.export("legacy")
    deck = deck_from(package)
    learner = make_user("learner@example.org")
    published = []
    monkeypatch.setattr(job_service, "put_live", lambda job_id, counts: published.append(
        counts))
    auth.login()
    url = f"/decks/{deck.id}/anki-progress"
    posted = client.post(url, data={"file": (io.BytesIO(package), "mine.apkg"),
                                    "csrf_token": csrf_token(client, url)},
                         content_type="multipart/form-data")
    assert posted.status_code == 303 and JOB_RE.fullmatch(posted.location)
    status = client.get(posted.location + "/status").get_json()
    assert (status["kind"], status["status"], status["percent"]) == ("anki_preview", "done",
                                                                     100)
    preview_url = f"/decks/{deck.id}/anki-progress/preview/{status['id']}"
    assert status["result_url"] == preview_url
    assert client.get(posted.location).location == preview_url
    page = client.get(preview_url).get_data(as_text=True)
    assert figure(page, "matched-guid") == 4 and written_nothing(learner)

    token = TOKEN_RE.search(page).group(1)
    confirmed = client.post(f"/decks/{deck.id}/anki-progress/confirm", data={
        "token": token, "csrf_token": csrf_token(client, f"/decks/{deck.id}")})
    assert confirmed.status_code == 303 and JOB_RE.fullmatch(confirmed.location)
    status = client.get(confirmed.location + "/status").get_json()
    assert (status["kind"], status["status"]) == ("anki_progress", "done")
    assert status["rows_done"] == status["rows_total"] == 4
    # The job page says what was imported on the way to the result.
    assert status["result_url"] == confirmed.location
    assert published[-1] == {"rows_done": 4, "rows_total": 4, "percent": 95,
                             "stage": "Imported 4 of 4 card sides"}
    done = client.get(confirmed.location)
    assert done.location == f"/progress/decks/{deck.id}"
    reviews = sum(card.revlog for card in studied.cards().values())
    assert f"Imported your Anki progress for 4 card side(s) and {reviews} review(s)" in (
        client.get(done.location).get_data(as_text=True))
    assert len(states_by_guid(learner)) == 4
    # The upload and its preview are gone with the import: the preview page says so.
    assert db.session.scalar(select(func.count(PendingUpload.id))) == 0
    assert client.get(preview_url).status_code == 400


def test_a_preview_job_is_its_owners_and_shows_only_its_deck(app, client, auth, studied):
    package = studied.export("legacy")
    deck = deck_from(package)
    other = store_deck(read_upload("again.apkg", package).decks[0], owner=deck.owner,
                       slug="other", publish=True).deck
    db.session.commit()
    make_user("learner@example.org")
    auth.login()
    page = upload(client, deck.id, package)
    job_id = int(re.search(r"/preview/(\d+)", page.request.path).group(1))
    assert client.get(f"/decks/{other.id}/anki-progress/preview/{job_id}").status_code == 400
    auth.logout()
    make_user("second@example.org")
    auth.login("second@example.org")
    assert client.get(f"/decks/{deck.id}/anki-progress/preview/{job_id}").status_code == 404
