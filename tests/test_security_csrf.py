"""CSRF on every POST endpoint, and the session cookie's flags.

(Sessions ending on logout and password change are covered in test_auth.py.)
"""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token, make_user
from security_payloads import ROLES, World, log_in_as, snapshot
from test_security_authz import TABLE, L, send

from quizapp import create_app
from quizapp.extensions import db

POST_ROWS = [
    pytest.param(row, id=f"POST {row[2]}") for row in TABLE if row[0] == "POST"
]


def allowed_role(row) -> str:
    """The role the table lets through (the owner when several are): the strongest test,
    since a refusal then comes from the missing token and nothing else. Rows nobody passes
    (an invalid form, a card of another deck) go to the owner: the page body tells the
    token error apart from the view's own 400/404."""
    statuses = dict(zip(ROLES, row[4], strict=True))
    for role in ("owner", "admin", "learner", "anon"):
        if statuses[role] != L and statuses[role] < 400:
            return role
    return "owner"


def test_every_post_endpoint_has_a_csrf_case(app):
    posts = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posts == {param.values[0][1] for param in POST_ROWS}


@pytest.mark.parametrize("row", POST_ROWS)
@pytest.mark.parametrize("token", ["missing", "forged", "another session's"])
def test_post_without_a_valid_token_is_refused_and_changes_nothing(app, row, token):
    world = World()
    role = allowed_role(row)
    client = app.test_client()
    log_in_as(client, world.users.get(role))
    before = snapshot()
    response = send(client, world, "POST", row[2], row[3], token=False) if token == "missing" \
        else _send_with(client, world, row, _token_for(app, client, token))
    assert response.status_code == 400, (role, response.status_code)
    assert "security token" in response.get_data(as_text=True)
    assert snapshot() == before
    if role != "anon":
        # Still logged in: a forged logout or password change did not happen either.
        assert client.get("/progress/").status_code == 200


def _token_for(app, client, kind: str) -> str:
    if kind == "forged":
        real = csrf_token(client, "/auth/login")
        return real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    # A genuine token, but issued to a different browser session.
    return csrf_token(app.test_client(), "/auth/login")


def _send_with(client, world, row, token: str):
    _method, _rule, url, data, _ = row
    form = data() if callable(data) else {
        k: v.format(**world.ids) if isinstance(v, str) else v for k, v in (data or {}).items()
    }
    form["csrf_token"] = token
    return client.post(url.format(**world.ids), data=form)


def _cookie(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert headers, f"no {name} cookie set"
    return headers[-1]


def _flags(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def _log_in_remembered(client, email):
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={
        "email": email, "password": "correct-horse-1", "remember": "y", "csrf_token": token})
    assert response.status_code == 302
    return response


def test_session_and_remember_cookies_are_httponly_and_lax(client, app):
    make_user("ann@example.org")
    response = _log_in_remembered(client, "ann@example.org")
    for name in ("session", "remember_token"):
        flags = _flags(_cookie(response, name))
        assert "httponly" in flags and "samesite=lax" in flags, (name, flags)
        assert "secure" not in flags, (name, flags)  # plain-http development default


def test_secure_cookies_when_asked(app, monkeypatch):
    make_user("ann@example.org")
    monkeypatch.setenv("QUIZAPP_SECURE_COOKIES", "1")
    secure_app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key", "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    })
    try:
        client = secure_app.test_client()
        with secure_app.app_context():
            response = _log_in_remembered(client, "ann@example.org")
            for name in ("session", "remember_token"):
                flags = _flags(_cookie(response, name))
                assert {"secure", "httponly", "samesite=lax"} <= flags, (name, flags)
    finally:
        with secure_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_csrf_tokens_are_not_exposed_in_urls(auth, client, learner):
    """Every form that carries a token posts it in the body, never a query string."""
    auth.login(learner.email)
    for url in ("/", "/classes/", "/auth/password", "/progress/"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"[?&]csrf_token=", page), url
