"""The app factory, settings and migrations."""

from __future__ import annotations

import gc

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from quizapp import config, create_app, create_served_app
from quizapp.extensions import db
from quizapp.models import User


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("QUIZAPP_SECRET_KEY", raising=False)
    first = config.load_secret_key(str(tmp_path))
    second = config.load_secret_key(str(tmp_path))
    assert first == second
    assert len(first) == 64
    assert (tmp_path / config.SECRET_KEY_FILE).stat().st_mode & 0o077 == 0
    assert config.load_secret_key(str(tmp_path / "other")) != first


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("QUIZAPP_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.sqlite"))
    monkeypatch.setenv("QUIZAPP_SECRET_KEY", "from-env")
    monkeypatch.setenv("QUIZAPP_MAX_UPLOAD_BYTES", "12345")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.sqlite")
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["MAX_CONTENT_LENGTH"] == 12345
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("QUIZAPP_DATABASE_URL", raising=False)
    monkeypatch.setenv("QUIZAPP_SECRET_KEY", "x")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:///" + app.instance_path + "/quizapp.sqlite"
    )


def test_a_served_app_freezes_what_starting_made(monkeypatch, tmp_path):
    monkeypatch.setenv("QUIZAPP_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.sqlite"))
    monkeypatch.setenv("QUIZAPP_SECRET_KEY", "x")
    gc.unfreeze()
    try:
        app = create_served_app()
        assert gc.get_freeze_count() > 10_000
        # The app and its URL map are among the objects a full collection now skips.
        tracked = {id(obj) for obj in gc.get_objects()}
        assert id(app) not in tracked and id(app.url_map) not in tracked
    finally:
        gc.unfreeze()


def test_config_argument_overrides_the_environment(monkeypatch):
    monkeypatch.setenv("QUIZAPP_SECRET_KEY", "from-env")
    app = create_app({"SECRET_KEY": "given", "TESTING": True})
    assert app.config["SECRET_KEY"] == "given"
    assert app.testing


def test_a_request_takes_back_the_connection_returned_last(app):
    """One connection stays in use while another waits, instead of turns between them."""
    with app.app_context():
        first, second = db.engine.connect(), db.engine.connect()
        returned_last = second.connection.dbapi_connection
        first.close()
        second.close()
        for _ in range(3):
            with db.engine.connect() as connection:
                assert connection.connection.dbapi_connection is returned_last


# Alembic cannot compare expression indexes; the next test checks that one by its effect.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_match_the_models(app):
    """The migrated test database (SQLite or PostgreSQL) has exactly the models' schema."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
    tables = set(inspect(db.engine).get_table_names())
    assert {"user", "deck", "card", "card_state", "review_log", "alembic_version"} <= tables
    indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("card_state")}
    assert "ix_card_state_due" in indexes


def test_the_database_refuses_one_email_in_two_cases(app):
    db.session.add(User(email="Ann@Example.org", display_name="a", password_hash="x"))
    db.session.commit()
    db.session.add(User(email="ann@example.ORG", display_name="b", password_hash="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_home_page_lists_published_decks_only(client, app):
    from quizapp.models import Deck

    db.session.add_all([
        Deck(slug="a", title="Published anatomy", published=True),
        Deck(slug="b", title="Secret draft", published=False),
    ])
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Published anatomy" in page
    assert "Secret draft" not in page
    assert 'name="viewport"' in page
    assert "https://" not in page  # no CDN: everything is served by the app
