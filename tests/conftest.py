"""Test fixtures: one migrated database per run (SQLite, or PostgreSQL when
QUIZAPP_TEST_DATABASE_URL names one), emptied after every test."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from browser_support import LiveServer, launch
from flask.testing import FlaskClient
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import text

from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import User

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
ANKI_SAMPLES = SHARED / "anki" / "samples"

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_database_url(tmp_path_factory) -> str:
    return os.environ.get("QUIZAPP_TEST_DATABASE_URL") or (
        "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    )


class IsolatedClient(FlaskClient):
    """Each request in an app context of its own, as in production: a fresh ``g`` and
    database session, so nothing leaks from the test (or another client) into a request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": test_database_url(tmp_path_factory),
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_ENABLED": False,
            # Jobs run inside the request that queues them; tests of real workers
            # (tests/test_jobs_worker.py) start their own.
            "QUIZAPP_QUEUE_URL": "immediate",
            # Every study page served from a kept frame is checked against a full render.
            "CHECK_PAGE_FRAMES": True,
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(_app):
    with _app.app_context():
        yield _app
        db.session.remove()
        # Emptied, not recreated: much faster, and the migrated schema is kept.
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                quoted = ", ".join(f'"{name}"' for name in tables)
                connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    connection.execute(text(f'DELETE FROM "{name}"'))


# Browser tests: one live server and one Chromium per test module.
@pytest.fixture(scope="module")
def live(_app):
    server = LiveServer(_app)
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def client(app):
    return app.test_client()


def make_user(email: str, role: str = "learner", password: str = "correct-horse-1",
              timezone: str = "UTC", name: str | None = None) -> User:
    user = User(email=email, display_name=name or email.split("@")[0], role=role,
                timezone=timezone)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1)


class AuthActions:
    """Log the test client in and out, as flaskr's tests do; ``client=`` names another one
    (a second browser in the same test)."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str = "learner@example.org", password: str = "correct-horse-1", *,
              client=None):
        client = client or self._client
        token = csrf_token(client, "/auth/login")
        response = client.post(
            "/auth/login", data={"email": email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self, *, client=None):
        client = client or self._client
        token = csrf_token(client, "/")
        return client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def learner(app):
    return make_user("learner@example.org", "learner")


@pytest.fixture
def instructor(app):
    return make_user("teacher@example.org", "instructor")


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", "admin")
