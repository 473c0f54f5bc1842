"""Migration 3f9b7d1c5e24: the due index carries the totals the class dashboard sums."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
from test_memory_migration import scratch_database

from quizapp import create_app
from quizapp.extensions import db

KEY = ["user_id", "deck_id", "due"]
TOTALS = ["card_id", "ordinal", "stage", "answers", "failures", "retention_answers",
          "retention_passed", "memory_stability", "memory_reviewed_at"]


def due_index_columns() -> list[str]:
    indexes = inspect(db.engine).get_indexes("card_state")
    return next(ix["column_names"] for ix in indexes if ix["name"] == "ix_card_state_due")


def test_the_due_index_gains_the_totals_and_loses_them_on_downgrade(tmp_path):
    with scratch_database(tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                          "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            assert due_index_columns() == KEY + TOTALS  # the key first: due queries unchanged
            downgrade(revision="3f6b9d1c7e25")
            assert due_index_columns() == KEY
            upgrade()
            assert due_index_columns() == KEY + TOTALS
            db.session.remove()
            db.engine.dispose()
