"""Migration 7a3f2c9d1e58 converts stored SM-2 columns into the scheduler's JSON and back, on
SQLite and (when the tests run on it) PostgreSQL, in a database of its own."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

from conftest import test_database_url as database_url
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from quizapp import create_app
from quizapp.extensions import db
from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler

BEFORE = "5b1c0e7a9d24"
THIS = "7a3f2c9d1e58"
WHEN = datetime(2026, 3, 1, 9, tzinfo=UTC)


@contextmanager
def fresh_database(tmp_path_factory):
    """A URL of an empty database on the engine the tests use."""
    url = make_url(database_url(tmp_path_factory))
    if url.get_backend_name() != "postgresql":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("migration") / "migration.sqlite")
        return
    name = f"quizapp_migration_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def insert(table: str, **values) -> None:
    columns = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join(f":{name}" for name in values)
    db.session.execute(text(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'), values)


def test_sm2_columns_become_json_and_come_back(tmp_path_factory):
    with fresh_database(tmp_path_factory) as url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                          "SECRET_KEY": "x", "RATELIMIT_ENABLED": False})
        with app.app_context():
            upgrade(revision=BEFORE)
            insert("user", id=1, email="a@example.org", password_hash="x", display_name="A",
                   role="learner", timezone="UTC", created_at=WHEN, session_version=1)
            insert("deck", id=1, slug="d", title="D", description="", published=True,
                   origin="uploaded", version=1, new_per_day=20, reviews_per_day=200,
                   created_at=WHEN, updated_at=WHEN)
            insert("card", id=1, deck_id=1, guid="g", position=0, kind="basic", prompt="p",
                   answer="a", explanation="", tags="[]", sources="[]", ordinals="[0]",
                   side_count=1, retired=False, content_changed_at=WHEN)
            insert("card_state", id=1, user_id=1, card_id=1, deck_id=1, ordinal=0,
                   easiness="2.36", interval=15, repetitions=3, due=date(2026, 3, 16),
                   lapses=1, last_review_at=WHEN, version=4)
            legacy = {"easiness": "2.50", "interval": 6, "repetitions": 2,
                      "due": "2026-03-01", "lapses": 1, "last_review_at": None}
            for log_id, grade, reps, interval in ((1, 4, 2, 6), (2, 1, 0, 1), (3, 5, 0, 0)):
                insert("review_log", id=log_id, user_id=1, card_id=1, deck_id=1, ordinal=0,
                       phase="review", grade=grade, answered_at=WHEN, duration_ms=1,
                       repetitions_before=reps, interval_before=interval,
                       state_before=json.dumps(legacy), presentation=f"p{log_id}")
            insert("study_session", id=1, user_id=1, deck_id=1, mode="sm2", started_at=WHEN,
                   extra_new=0)
            db.session.commit()

            upgrade(revision=THIS)
            row = db.session.execute(text("SELECT scheduler, state, due, lapses, version "
                                          "FROM card_state")).one()
            state = row.state if isinstance(row.state, dict) else json.loads(row.state)
            assert row.scheduler == "sm2"
            assert Sm2Scheduler().from_json(state) == Sm2State(
                Decimal("2.36"), 15, 3, date(2026, 3, 16), 1)
            assert state["easiness"] == "2.36" and (row.lapses, row.version) == (1, 4)
            logs = db.session.execute(text(
                "SELECT scheduler, passed, stage_before FROM review_log ORDER BY id")).all()
            assert [tuple(log) for log in logs] == [
                ("sm2", True, "young"), ("sm2", False, "learning"), ("sm2", True, "new")]
            mode = db.session.execute(text("SELECT mode FROM study_session")).scalar_one()
            assert mode == "scheduled"
            db.session.commit()

            downgrade(revision=BEFORE)
            row = db.session.execute(text(
                "SELECT easiness, interval, repetitions, due, lapses FROM card_state")).one()
            assert (str(row.easiness).rstrip("0"), row.interval, row.repetitions) == (
                "2.36", 15, 3)
            assert str(row.due) == "2026-03-16" and row.lapses == 1
            reps = db.session.execute(text(
                "SELECT repetitions_before FROM review_log ORDER BY id")).scalars().all()
            assert reps == [1, 0, 0]
            mode = db.session.execute(text("SELECT mode FROM study_session")).scalar_one()
            assert mode == "sm2"
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
