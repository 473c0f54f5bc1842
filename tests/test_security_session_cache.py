"""Sessions kept decoded by ``CookieSessionInterface`` (per Cookie header), page CSRF tokens
signed by ``signing.generate_csrf`` and the NUL check's shortcut: what these speed paths must
never change. The session scenarios run with the cookie already kept, so a stale entry shows."""

from __future__ import annotations

import threading

import pytest
from conftest import CSRF_RE, make_user
from flask import request
from flask.sessions import SecureCookieSessionInterface
from flask_login.utils import _create_identifier
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from study_helpers import basic, make_deck

import quizapp
from quizapp import auth_loader, signing
from quizapp.extensions import db
from quizapp.services import accounts

SECRET = "test-secret-key"  # conftest's app
SESSION = SecureCookieSessionInterface()


def _session_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        SECRET, salt=SESSION.salt, serializer=SESSION.serializer,
        signer_kwargs={"key_derivation": SESSION.key_derivation,
                       "digest_method": SESSION.digest_method})


@pytest.fixture
def studying(app, client, auth, learner):
    deck = make_deck([basic(f"q{i}") for i in range(3)])
    auth.login()
    for _ in range(2):  # the second request is served from the kept session
        assert client.get(f"/study/{deck.id}").status_code == 200
    assert app.session_interface._opened
    return deck


def _logged_out(client, deck) -> bool:
    response = client.get(f"/study/{deck.id}")
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_kept_session_stops_working_when_its_sessions_are_ended(app, client, studying,
                                                                   learner):
    """Logging out elsewhere or changing the password bumps session_version: the very cookie
    kept decoded is refused on its next request."""
    cookie = client.get_cookie("session").value
    accounts.end_sessions(learner)
    db.session.commit()
    client.set_cookie("session", cookie)
    assert _logged_out(client, studying)


def test_a_kept_session_replayed_after_logout_logs_nobody_in(app, client, studying):
    cookie = client.get_cookie("session").value
    page = client.get("/").get_data(as_text=True)
    response = client.post("/auth/logout", data={"csrf_token": CSRF_RE.search(page).group(1)})
    assert response.status_code == 302
    client.set_cookie("session", cookie)
    assert _logged_out(client, studying)


def test_a_kept_session_is_refused_once_its_key_is_retired(app, client, studying, monkeypatch):
    """The entry was made under the old key: a new key without fallbacks must not reuse it;
    with the old key among the fallbacks, Flask's code reads the cookie again."""
    cookie = client.get_cookie("session").value
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-brand-new-key")
    assert _logged_out(client, studying)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [SECRET])
    client.set_cookie("session", cookie)
    assert client.get(f"/study/{studying.id}").status_code == 200


def test_two_users_alternating_each_get_their_own_session(app, studying, auth):
    """Two browsers in one process, each cookie kept: neither is ever served the other's."""
    make_user("other@example.org", "learner")
    second = app.test_client()
    auth.login("other@example.org", client=second)
    first = auth._client
    for _ in range(3):
        assert "learner@example.org" in first.get("/auth/account").get_data(as_text=True)
        assert "other@example.org" in second.get("/auth/account").get_data(as_text=True)


def test_a_csrf_token_signed_for_one_session_is_refused_with_another(app, studying, auth):
    make_user("other@example.org", "learner")
    second = app.test_client()
    auth.login("other@example.org", client=second)
    first = auth._client
    theirs = CSRF_RE.search(second.get("/auth/account").get_data(as_text=True)).group(1)
    response = first.post("/auth/logout", data={"csrf_token": theirs})
    assert response.status_code == 400
    assert first.get(f"/study/{studying.id}").status_code == 200


def test_threads_opening_sessions_while_the_cache_is_emptied_get_their_own(app, monkeypatch):
    """gthread workers share one interface: with the cache emptied every few entries, each
    thread still gets exactly the session its own cookie carries."""
    monkeypatch.setattr(signing, "MAX_OPENED_COOKIES", 3)
    cookies = {f"{n}:1": _session_serializer().dumps({"_user_id": f"{n}:1"}) for n in range(8)}
    interface = app.session_interface
    wrong: list[tuple[str, object]] = []

    def open_many(user_id: str, cookie: str) -> None:
        for _ in range(200):
            with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
                opened = interface.open_session(app, request)
            if opened.get("_user_id") != user_id:
                wrong.append((user_id, opened.get("_user_id")))

    threads = [threading.Thread(target=open_many, args=item) for item in cookies.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong
    assert len(interface._opened) <= len(cookies)


NUL_FORM = (b"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n%s\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"grade\"\r\n\r\n4\x00\r\n--b--\r\n")


def test_a_body_without_a_content_type_is_never_read_as_a_form(app):
    """The NUL check skips the form when there is no content type: werkzeug reads none then,
    so a view sees an empty form whatever the body holds."""
    with app.test_request_context("/", method="POST", data=NUL_FORM % b"x",
                                  environ_overrides={"CONTENT_TYPE": ""}):
        assert not request.want_form_data_parsed
        assert not request.form and not request.files


@pytest.mark.parametrize("chunked", [False, True])
def test_a_nul_in_a_multipart_form_is_still_refused(app, client, studying, chunked):
    page = client.get(f"/study/{studying.id}").get_data(as_text=True)
    body = NUL_FORM % CSRF_RE.search(page).group(1).encode()
    # As gunicorn hands on a chunked body: no length, the stream ends where the body does.
    extra = {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""} if chunked else {}
    headers = {"Transfer-Encoding": "chunked"} if chunked else {}
    response = client.post(f"/study/{studying.id}/answer", data=body, headers=headers,
                           content_type="multipart/form-data; boundary=b",
                           environ_overrides=extra)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


# Pieces a query can be made of that come near a NUL, besides any bytes at all.
QUERY_PIECES = st.sampled_from([b"%", b"0", b"00", b"%0", b"%00", b"%25", b"\x00", b"=", b"&",
                                b"+", b";", b"x", b"\xc3", b"%C0%80", b"%u0000"])


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(QUERY_PIECES | st.binary(max_size=4), max_size=8).map(b"".join))
def test_a_query_the_nul_check_does_not_parse_holds_no_nul(app, query):
    """Any query string, as a client can send it: when the shortcut says it cannot hold a
    NUL, werkzeug's parsed arguments hold none."""
    with app.test_request_context("/", environ_overrides={
            "QUERY_STRING": query.decode("latin-1")}):
        try:
            parsed = list(request.args.items(multi=True))
        except UnicodeDecodeError:  # raw bytes that are not UTF-8: werkzeug parses nothing
            return
        if any("\x00" in key + value for key, value in parsed):
            assert quizapp._query_may_hold_nul(request.query_string)


@pytest.mark.parametrize("environ", [
    {}, {"HTTP_USER_AGENT": "Mozilla/5.0 (X11) \xe9"}, {"REMOTE_ADDR": "::1"},
    {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.1", "HTTP_USER_AGENT": "a"},
    {"HTTP_X_FORWARDED_FOR": "", "HTTP_USER_AGENT": ""},
    {"HTTP_USER_AGENT": "long " * 400},  # too long to be kept
])
def test_the_session_identifier_is_flask_logins(app, environ):
    for _ in range(2):  # computed, then kept
        with app.test_request_context("/", environ_base=environ):
            assert auth_loader.session_identifier() == _create_identifier()


def test_another_browser_with_the_cookie_gets_a_session_no_longer_fresh(app, client, auth,
                                                                        learner):
    auth.login()
    with client.session_transaction() as session:
        assert session["_fresh"] is True
    client.get("/", headers={"User-Agent": "another browser"})
    with client.session_transaction() as session:
        assert session["_fresh"] is False


def test_views_and_hooks_run_as_flask_runs_them(app):
    def plain():
        return "plain"

    async def coroutine():
        return "coroutine"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    for _ in range(2):  # never kept: Flask's own code wraps it (or refuses without asgiref)
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(coroutine)
    assert coroutine not in app._plain_functions
