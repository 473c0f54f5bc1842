"""A process SIGKILLed in the middle of an import or a review leaves the database consistent.

Each run is a separate Python process on the test database (the SQLite file, or PostgreSQL
when QUIZAPP_TEST_DATABASE_URL names it). A hook on the engine's ``commit`` event, which every
commit passes just before the database's (``Session.commit``'s, once it has flushed every
row, and the answer path's on its connection, after its statements), either kills its own
process or announces itself and waits to be killed by the test. Afterwards no half-written
deck, card or review may be visible.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from conftest import REPO
from security_payloads import add_user
from study_helpers import basic, make_deck, sm2_of

from quizapp.extensions import db
from quizapp.models import Card, CardState, Deck, Media, ReviewLog, SourceDocument
from quizapp.services import study

PRELUDE = r"""
import json, os, signal, sys, time
from sqlalchemy import event
from quizapp import create_app
from quizapp.extensions import db

spec = json.loads(sys.argv[1])
app = create_app({"SQLALCHEMY_DATABASE_URI": spec["db"], "SECRET_KEY": "test-secret-key",
                  "RATELIMIT_ENABLED": False})

def dying_commit(connection):
    # Every row is in the database's transaction, none committed.
    if spec["how"] == "self":
        os.kill(os.getpid(), signal.SIGKILL)
    os.write(1, b"FLUSHED\n")  # the real stdout, even under a CLI runner
    time.sleep(60)

with app.app_context():
    event.listen(db.engine, "commit", dying_commit)
"""

IMPORT = PRELUDE + r"""
result = app.test_cli_runner().invoke(
    args=["decks", "import", spec["file"], "--owner", spec["owner"], "--publish"])
print("SURVIVED", result.output, result.exception, flush=True)
"""

REVIEW = PRELUDE + r"""
from quizapp.models import User
from quizapp.services import study
with app.app_context():
    user = db.session.get(User, spec["user"])
    study.record_answer(user, spec["token"], "test-secret-key", grade=5)
print("SURVIVED", flush=True)
"""


def run_and_kill(app, script: str, how: str, **spec) -> None:
    spec.update(db=app.config["SQLALCHEMY_DATABASE_URI"], how=how)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen([sys.executable, "-c", script, json.dumps(spec)], cwd=REPO,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        if how == "external":
            line = process.stdout.readline()
            assert line.strip() == "FLUSHED", (line, process.stderr.read()[-2000:])
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read()[-2000:]


def counts() -> dict[str, int]:
    db.session.expire_all()
    result = {model.__name__: db.session.query(model).count()
              for model in (Deck, Card, Media, SourceDocument, ReviewLog, CardState)}
    db.session.rollback()
    return result


def _deck_file(tmp_path):
    document = {
        "format": "quizapp.deck", "format_version": 1,
        "deck": {"title": "Killed import", "description": "never committed"},
        "cards": [{"guid": f"g{i}", "kind": "basic", "prompt": f"Q{i}", "answer": f"A{i}"}
                  for i in range(300)],
    }
    path = tmp_path / "killed.json"
    path.write_text(json.dumps(document))
    return path


def test_an_import_killed_before_commit_leaves_no_deck(app, tmp_path):
    add_user("owner@example.org", "instructor")
    db.session.commit()
    path = _deck_file(tmp_path)
    before = counts()
    for how in ("self", "external"):
        run_and_kill(app, IMPORT, how, file=str(path), owner="owner@example.org")
        assert counts() == before, how
        assert db.session.scalars(db.select(Deck).where(Deck.title == "Killed import")).all() == []
    # The database is usable afterwards: the same import now goes through.
    done = app.test_cli_runner().invoke(
        args=["decks", "import", str(path), "--owner", "owner@example.org"])
    assert done.exit_code == 0, done.output
    assert counts()["Card"] == before["Card"] + 300


def test_a_review_killed_before_commit_leaves_no_log_and_no_state(app):
    deck = make_deck([basic("a"), basic("b")])
    learner = add_user("learner@example.org", "learner")
    db.session.commit()
    # Learned once already, so the killed answer would update an existing state row.
    first = study.choose_next(learner, deck, study.SessionQueue(), cram=False)
    study.record_answer(learner, study.encode_presentation(first, learner.id, "test-secret-key"),
                        "test-secret-key", grade=5)
    state_before = _states(learner.id)
    for how in ("self", "external"):
        for card_id, mode, version in ((first.card_id, "review", 1), (None, "learn", 0)):
            user = db.session.get(type(learner), learner.id)
            if card_id is None:
                p = study.choose_next(user, deck, study.SessionQueue(), cram=False)
            else:
                p = study.Presentation(card_id, 0, mode, version, f"n-{how}-{mode}", 0.0)
            token = study.encode_presentation(p, learner.id, "test-secret-key")
            db.session.rollback()
            run_and_kill(app, REVIEW, how, user=learner.id, token=token)
            assert counts()["ReviewLog"] == 1, (how, mode)
            assert _states(learner.id) == state_before, (how, mode)
    # Every log still has its state, and the learner carries on normally.
    user = db.session.get(type(learner), learner.id)
    p = study.choose_next(user, deck, study.SessionQueue(), cram=False)
    outcome = study.record_answer(user, study.encode_presentation(p, user.id, "test-secret-key"),
                                  "test-secret-key", grade=4)
    assert not outcome.duplicate and not outcome.conflict
    assert counts()["ReviewLog"] == 2 and counts()["CardState"] == 2


def _states(user_id: int) -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(db.select(CardState).where(CardState.user_id == user_id)
                              .order_by(CardState.card_id)).all()
    result = [(r.card_id, sm2_of(r).repetitions, sm2_of(r).interval, r.version, r.due)
              for r in rows]
    db.session.rollback()
    return result
