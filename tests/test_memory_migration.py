"""The migration that adds card_state's memory columns fills them from existing history."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, column, create_engine, insert, inspect, select, table, text
from sqlalchemy.engine import make_url

from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import Card, CardState, Deck, User
from quizapp.scheduling.conversions import fsrs_rating_of
from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler
from quizapp.services.memory import memory_of
from quizapp.stats.memory import replay

BEFORE = "7e2f4a6c8b10"
# card_state as it is at BEFORE: the model's table has columns (and defaults) added since.
STATES_BEFORE = table(
    "card_state", *map(column, ("id", "user_id", "card_id", "deck_id", "ordinal", "scheduler",
                                "due", "lapses", "last_review_at", "version")),
    column("state", JSON),
)
# review_log as it is at BEFORE (the model's table has columns with defaults added since).
LOGS_BEFORE = table("review_log", *map(column, (
    "user_id", "card_id", "deck_id", "ordinal", "phase", "grade", "scheduler", "passed",
    "answered_at", "duration_ms", "stage_before", "interval_before", "presentation")))
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class Logged(NamedTuple):
    grade: int
    scheduler: str


@contextlib.contextmanager
def scratch_database(tmp_path):
    """A SQLite file, or on a PostgreSQL run a database of its own beside the test one."""
    configured = os.environ.get("QUIZAPP_TEST_DATABASE_URL", "")
    if not configured.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migration.sqlite'}"
        return
    url = make_url(configured)
    name = f"{url.database}_migration"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_replays_existing_history_into_memory(tmp_path):
    with scratch_database(tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            upgrade(revision=BEFORE)
            connection = db.session.connection()
            connection.execute(insert(User.__table__).values(
                id=1, email="a@example.org", password_hash="x", display_name="a",
                role="learner", timezone="UTC", created_at=START, session_version=1))
            connection.execute(insert(Deck.__table__).values(
                id=1, slug="d", title="D", description="", published=True, origin="uploaded",
                version=1, new_per_day=20, reviews_per_day=200, created_at=START,
                updated_at=START))
            for card_id in (1, 2, 3):
                connection.execute(insert(Card.__table__).values(
                    id=card_id, deck_id=1, guid=str(card_id), position=card_id, kind="basic",
                    prompt="Q", answer="A", explanation="", tags=[], sources=[],
                    ordinals=[0], side_count=1, retired=False, content_changed_at=START))
                # Only the columns the table has before the migration.
                state = Sm2State(Decimal("2.5"), 3, 2, date(2026, 2, 1), 0)
                connection.execute(insert(STATES_BEFORE).values(
                    id=card_id, user_id=1, card_id=card_id, deck_id=1, ordinal=0,
                    scheduler="sm2", state=Sm2Scheduler().to_json(state),
                    due=date(2026, 2, 1), lapses=0, last_review_at=START, version=1))
            # (days after START, rating, the scheduler that logged it): card 1 moved to
            # FSRS after two SM-2 answers, so its 1 is FSRS's Again.
            answers = {1: [(0, 4, "sm2"), (2, 3, "sm2"), (9, 1, "fsrs")],
                       2: [(0, 5, "sm2")], 3: []}
            for card_id, history in answers.items():
                for n, (days, grade, scheduler) in enumerate(history):
                    connection.execute(insert(LOGS_BEFORE).values(
                        user_id=1, card_id=card_id, deck_id=1, ordinal=0,
                        phase="learn" if n == 0 else "review", grade=grade,
                        scheduler=scheduler, passed=grade >= 3,
                        answered_at=START + timedelta(days=days), duration_ms=0,
                        stage_before="new" if n == 0 else "young", interval_before=0,
                        presentation=f"{card_id}-{n}"))
            connection.execute(insert(LOGS_BEFORE).values(
                user_id=1, card_id=2, deck_id=1, ordinal=0, phase="cram", grade=0,
                scheduler="sm2", passed=False, answered_at=START + timedelta(days=1),
                duration_ms=0, stage_before="young", interval_before=0, presentation="cram"))
            db.session.commit()

            upgrade()
            states = {s.card_id: memory_of(s) for s in db.session.scalars(select(CardState))}
            for card_id, history in answers.items():
                expected = replay(
                    (START + timedelta(days=d), fsrs_rating_of(Logged(g, name)))
                    for d, g, name in history
                )
                assert states[card_id] == expected
            assert states[3] is None and states[1] is not None
            db.session.remove()
            db.engine.dispose()



def test_the_side_index_replaces_the_card_index_and_comes_back_out(tmp_path):
    with scratch_database(tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                          "RATELIMIT_ENABLED": False})
        with app.app_context():

            def indexes() -> set[str]:
                db.session.remove()
                return {index["name"] for index in inspect(db.engine).get_indexes("review_log")}

            upgrade()
            assert "ix_review_log_side" in indexes() and "ix_review_log_card" not in indexes()
            downgrade(revision="5d8b2e6f4a19")
            assert "ix_review_log_card" in indexes() and "ix_review_log_side" not in indexes()
            upgrade()
            assert "ix_review_log_side" in indexes()
            db.session.remove()
            db.engine.dispose()
