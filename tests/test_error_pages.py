"""Every error a person can meet is the styled page (or a message on the form)."""

from __future__ import annotations

import io

import pytest
from conftest import csrf_token
from study_helpers import basic, make_deck


def assert_styled(response, status: int, *words: str) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert '<link rel="stylesheet" href="/static/app.css">' in page
    assert f"Error {status}" in page and 'class="panel narrow"' in page
    for word in words:
        assert word in page, (status, word)
    return page


def test_400_403_404_405(auth, client, app, learner, instructor):
    auth.login(learner.email)
    assert_styled(client.post("/classes/join", data={"code": "X"}), 400, "Form expired")
    assert_styled(client.get("/decks/upload"), 403, "This page is for instructors.")
    assert_styled(client.get("/no/such/page"), 404, "Page not found", "mistyped")
    assert_styled(client.get("/decks/999999"), 404, "No such deck")
    assert_styled(client.get("/auth/logout"), 405, "Not a page to open this way")


def test_413_on_a_large_upload(auth, app, client, instructor):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        auth.login(instructor.email)
        token = csrf_token(client, "/decks/upload")
        response = client.post("/decks/upload", data={
            "csrf_token": token, "file": (io.BytesIO(b"x" * 5000), "big.csv")},
            content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    assert_styled(response, 413, "File too large")


def test_500_is_styled_and_keeps_nothing_of_the_error(auth, app, client, learner, monkeypatch):
    def broken(deck_id):
        raise RuntimeError("secret internals")

    deck = make_deck([basic("a")])
    monkeypatch.setitem(app.view_functions, "decks.show", broken)
    auth.login(learner.email)
    page = assert_styled(client.get(f"/decks/{deck.id}"), 500, "Something went wrong")
    assert "secret internals" not in page


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_a_bad_class_name_is_a_message_on_the_form(auth, client, instructor, name):
    auth.login(instructor.email)
    response = client.post("/classes/", data={
        "name": name, "csrf_token": csrf_token(client, "/classes/")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<p class="error" id="name-error">' in page and "Error 400" not in page
    assert 'aria-invalid="true"' in page


def test_a_wrong_join_code_is_a_message_on_the_form(auth, client, learner):
    auth.login(learner.email)
    response = client.post("/classes/join", data={
        "code": "NOPE2345", "csrf_token": csrf_token(client, "/classes/")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<p class="error" id="code-error">No class has that join code.' in page
