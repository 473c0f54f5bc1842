"""The HTTP load benchmark's ceiling: a bare Flask endpoint, served beside the real app.

``application`` is what gunicorn serves in ``bench_http_load.py``: the real quizapp (made by
``quizapp.create_app`` from the same environment variables as ``wsgi.py``) with the ceiling
mounted under ``/ceiling``, so both run in the very same server processes.

``POST /ceiling/answer/<user_id>`` does the least an answer can: one indexed read (the
learner's most overdue scheduling row, through ``ix_card_state_due``) and one insert (a
review-log row, with the same table, indexes and unique constraint the app writes to), in one
committed transaction, through the app's own SQLAlchemy engine (so exactly its pool and
connection settings: pre-ping, SQLite pragmas, pool size). No session cookie, template, CSRF
or ORM.
"""

from __future__ import annotations

import gc
import os
import secrets
from datetime import UTC, datetime

from flask import Flask, Response
from sqlalchemy import text
from sqlalchemy.engine import Engine
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from quizapp import create_app
from quizapp.extensions import db

# The learner's earliest-due row, due today or not: the app's answers move due dates on, and
# the ceiling must not run out of rows to read when the app has answered every due card.
READ = text(
    "SELECT id, card_id, deck_id, ordinal, state FROM card_state"
    " WHERE user_id = :user_id AND deck_id = :deck_id"
    " ORDER BY due LIMIT 1"
)
INSERT = text(
    "INSERT INTO review_log (user_id, card_id, deck_id, ordinal, phase, grade, answered_at,"
    " duration_ms, scheduler, passed, stage_before, interval_before, presentation)"
    " VALUES (:user_id, :card_id, :deck_id, :ordinal, 'review', 4, :now, 1000, 'sm2', TRUE,"
    " 'young', 0, :presentation)"
)


def make_ceiling(engine: Engine, deck_id: int) -> Flask:
    app = Flask("ceiling")
    sqlite = engine.dialect.name == "sqlite"

    @app.post("/answer/<int:user_id>")
    def answer(user_id: int):
        now = datetime.now(UTC)
        presentation = "ceil-" + secrets.token_hex(16)
        with engine.begin() as conn:
            row = conn.execute(READ, {"user_id": user_id, "deck_id": deck_id}).first()
            if row is None:
                return Response("no card", 409)
            conn.execute(INSERT, {
                "user_id": user_id, "card_id": row.card_id, "deck_id": row.deck_id,
                "ordinal": row.ordinal,
                "now": now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now,
                "presentation": presentation,
            })
        # The client checks afterwards that each one is in the review log exactly once.
        return Response(presentation, mimetype="text/plain")

    return app


def make_application():
    quizapp = create_app()
    with quizapp.app_context():
        engine = db.engine
    ceiling = make_ceiling(engine, int(os.environ.get("BENCH_CEILING_DECK", "1")))
    served = DispatcherMiddleware(quizapp, {"/ceiling": ceiling})
    gc.freeze()  # as quizapp.create_served_app does, for app and ceiling alike
    return served


application = make_application() if os.environ.get("QUIZAPP_DATABASE_URL") else None
