"""The session cookie and the CSRF token are checked by ``quizapp.signing``'s quick path
first: it must accept exactly the tokens itsdangerous accepts (signed with the app's key and
salt, within their age) and leave every other one to the stock code, which refuses it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

import pytest
from conftest import csrf_token
from flask import Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf import csrf as wtf_csrf
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from study_helpers import basic, make_deck

from quizapp import signing
from quizapp.signing import (
    CSRF_SALT,
    MAX_KEPT_HEADER_CHARS,
    QuickUnsigner,
    quick_unsigner,
)
from quizapp.token_format import compact_json

SECRET = "test-secret-key"  # conftest's app
TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SESSION = SecureCookieSessionInterface()


def _signed_ago(seconds: int):
    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    return Signer


def _serializer(secret=SECRET, salt=CSRF_SALT, ago=0, session=False):
    extra = {"signer": _signed_ago(ago)} if ago else {}
    if session:
        return URLSafeTimedSerializer(
            secret, salt=SESSION.salt, serializer=SESSION.serializer,
            signer_kwargs={"key_derivation": SESSION.key_derivation,
                           "digest_method": SESSION.digest_method}, **extra)
    return URLSafeTimedSerializer(secret, salt=salt, **extra)


def _stock(token: str, max_age, salt=CSRF_SALT):
    try:
        return _serializer(salt=salt).loads(token, max_age=max_age)
    except BadData:
        return None


def _quick(token: str, max_age, salt=CSRF_SALT):
    return QuickUnsigner(SECRET, salt).payload(token, max_age)


def test_the_session_interface_is_still_flasks_digest_and_derivation():
    """The quick path knows SHA-1 and these two derivations; should Flask change them, the
    session's quick path must be revisited (it would refuse every cookie, not accept more)."""
    assert SESSION.digest_method(b"").name == "sha1"
    assert SESSION.key_derivation == "hmac"


GENUINE = _serializer().dumps("a" * 40)


def _signature_altered(token: str) -> str:
    """The signature's first character changed. (Not its last: the last base64 character of a
    20-byte signature carries two padding bits, so some changes there decode to the same bytes
    and leave the token genuine.)"""
    payload, signature = token.rsplit(".", 1)
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


@pytest.mark.parametrize(("serializer", "value"), [
    (_serializer(), "a" * 40),
    (_serializer(), {"x": "y" * 300}),  # long enough to be compressed
    (_serializer(session=True), {"_user_id": "3:1", "_fresh": True, "csrf_token": "f" * 40}),
])
def test_genuine_tokens_are_read_as_itsdangerous_reads_them(serializer, value):
    token = serializer.dumps(value)
    derivation = "hmac" if serializer.salt == SESSION.salt.encode() else "django-concat"
    text = QuickUnsigner(SECRET, serializer.salt, derivation).payload(token, 3600)
    assert text is not None
    assert serializer.serializer.loads(text) == serializer.loads(token) == value


@pytest.mark.parametrize("token", [
    _serializer(secret="another-key").dumps("a" * 40),
    _serializer(salt="another-salt").dumps("a" * 40),
    _serializer(ago=7200).dumps("a" * 40),  # older than the hour allowed below
    _serializer(ago=-86400).dumps("a" * 40),  # from the future (a day: made at collection)
    _signature_altered(GENUINE),
    "b" + GENUINE[1:],  # payload altered
    GENUINE.rsplit(".", 1)[0],  # no signature
    "",
    "...",
])
def test_other_tokens_are_not_accepted_by_the_quick_path(token):
    assert _quick(token, 3600) is None
    assert _stock(token, 3600) is None  # and the stock code refuses them too


def test_a_genuine_token_spelt_unusually_is_left_to_itsdangerous():
    """itsdangerous drops non-ASCII characters before decoding: such a token is genuine to
    it. The quick path does not take it; the stock code, asked next, accepts it."""
    token = GENUINE + "é"
    assert _quick(token, 3600) is None
    assert _stock(token, 3600) == "a" * 40


@settings(max_examples=300, deadline=None)
@given(position=st.integers(min_value=0, max_value=len(GENUINE) - 1),
       replacement=st.sampled_from("AQgw-_.=a0Z9é"))
def test_an_altered_token_is_never_accepted_where_itsdangerous_refuses_it(position, replacement):
    token = GENUINE[:position] + replacement + GENUINE[position + 1:]
    quick = _quick(token, 3600)
    if quick is not None:
        assert _stock(token, 3600) == json.loads(quick)


# --------------------------------------------------------------------------- through the app


@pytest.fixture
def studying(app, client, auth, learner):
    deck = make_deck([basic(f"q{i}") for i in range(5)])
    auth.login()
    page = client.get(f"/study/{deck.id}")
    assert page.status_code == 200
    return deck, page.get_data(as_text=True)


def _session_data(client) -> dict:
    return _serializer(session=True).loads(client.get_cookie("session").value)


def _set_session(client, cookie: str) -> None:
    client.set_cookie("session", cookie)


def _is_logged_out(client, deck) -> bool:
    response = client.get(f"/study/{deck.id}")
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_session_cookie_flask_signed_is_read(client, studying):
    deck, _ = studying
    _set_session(client, _serializer(session=True).dumps(_session_data(client)))
    assert client.get(f"/study/{deck.id}").status_code == 200


@pytest.mark.parametrize("forgery", ["another key", "expired", "altered signature",
                                     "altered payload"])
def test_a_forged_or_expired_session_cookie_logs_nobody_in(client, studying, forgery):
    deck, _ = studying
    data = _session_data(client)
    cookie = {
        "another key": lambda: _serializer(secret="another-key", session=True).dumps(data),
        # Flask's default lifetime is 31 days.
        "expired": lambda: _serializer(ago=32 * 86400, session=True).dumps(data),
        "altered signature": lambda: client.get_cookie("session").value[:-2] + "AA",
        "altered payload": lambda: "." + client.get_cookie("session").value.lstrip(".")[2:],
    }[forgery]()
    _set_session(client, cookie)
    assert _is_logged_out(client, deck)


def test_a_cookie_signed_with_a_fallback_key_is_still_read(app, client, studying, monkeypatch):
    """Key rotation keeps working: the quick path leaves such cookies to Flask's code."""
    deck, _ = studying
    data = _session_data(client)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", ["old-key"])
    _set_session(client, _serializer(secret="old-key", session=True).dumps(data))
    assert client.get(f"/study/{deck.id}").status_code == 200
    _set_session(client, _serializer(secret="never-used", session=True).dumps(data))
    assert _is_logged_out(client, deck)


def _answer(client, deck, page, csrf):
    return client.post(f"/study/{deck.id}/answer", data={
        "token": TOKEN_RE.search(page).group(1), "csrf_token": csrf, "grade": "4"})


def test_a_genuine_csrf_token_is_accepted(client, studying):
    deck, page = studying
    assert _answer(client, deck, page, CSRF_RE.search(page).group(1)).status_code == 303


@pytest.mark.parametrize("kind", ["missing", "another key", "another session's",
                                  "altered", "expired", "from the future"])
def test_a_bad_csrf_token_is_refused(app, client, studying, monkeypatch, kind):
    deck, page = studying
    raw = _session_data(client)["csrf_token"]
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 600)
    genuine = CSRF_RE.search(page).group(1)
    token = {
        "missing": lambda: "",
        "another key": lambda: _serializer(secret="another-key").dumps(raw),
        "another session's": lambda: csrf_token(app.test_client(), "/auth/login"),
        "altered": lambda: genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        "expired": lambda: _serializer(ago=601).dumps(raw),
        "from the future": lambda: _serializer(ago=-60).dumps(raw),
    }[kind]()
    response = _answer(client, deck, page, token)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    # The page still works with the genuine token: nothing was answered.
    assert _answer(client, deck, page, genuine).status_code == 303


def test_an_unusually_spelt_genuine_csrf_token_is_left_to_flask_wtf(client, studying):
    """A token whose payload is the session's token spelt with JSON escapes is genuine to
    Flask-WTF: the quick path does not take it, the stock check accepts it."""
    deck, page = studying
    raw = _session_data(client)["csrf_token"]
    escaped = "".join(f"\\u{ord(c):04x}" for c in raw)
    payload = base64.urlsafe_b64encode(f'"{escaped}"'.encode()).rstrip(b"=")
    token = _serializer().make_signer(CSRF_SALT).sign(payload).decode()
    assert _stock(token, None) == raw
    assert _answer(client, deck, page, token).status_code == 303


def test_genuine_cookie_and_token_take_the_quick_path(client, studying, monkeypatch):
    """The point of the module: a genuine cookie and token never reach the stock code."""
    deck, page = studying

    def stock(*args, **kwargs):
        raise AssertionError("the stock check ran")

    monkeypatch.setattr(wtf_csrf, "validate_csrf", stock)
    monkeypatch.setattr(wtf_csrf, "generate_csrf", stock)
    monkeypatch.setattr(SecureCookieSessionInterface, "open_session", stock)
    assert _answer(client, deck, page, CSRF_RE.search(page).group(1)).status_code == 303
    assert client.get(f"/study/{deck.id}").status_code == 200


def test_a_page_signs_its_csrf_token_without_flask_wtf_once_the_session_has_one(
        client, studying, monkeypatch):
    deck, _ = studying

    def stock(*args, **kwargs):
        raise AssertionError("Flask-WTF made the token")

    monkeypatch.setattr(wtf_csrf, "generate_csrf", stock)
    page = client.get(f"/study/{deck.id}").get_data(as_text=True)
    tokens = set(CSRF_RE.findall(page))
    assert len(tokens) == 1
    assert _answer(client, deck, page, tokens.pop()).status_code == 303


def test_a_first_visit_gets_its_csrf_token_from_flask_wtf(client):
    """No token in the session yet: Flask-WTF makes one (and the session's raw token)."""
    token = csrf_token(client, "/auth/login")
    raw = _serializer(session=True).loads(client.get_cookie("session").value)["csrf_token"]
    assert _stock(token, None) == raw


def test_a_csrf_token_signed_past_year_9999_is_refused_with_a_400(app, client, studying,
                                                                   monkeypatch):
    """With no time limit, itsdangerous fails on such a timestamp (a datetime cannot hold it):
    the quick path leaves it alone and the refusal is a 400, not a 500."""
    deck, page = studying
    raw = _session_data(client)["csrf_token"]
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", None)

    class FarFuture(TimestampSigner):
        def get_timestamp(self) -> int:
            return 253_402_300_800

    token = URLSafeTimedSerializer(SECRET, salt=CSRF_SALT, signer=FarFuture).dumps(raw)
    assert _quick(token, None) is None
    response = _answer(client, deck, page, token)
    assert response.status_code == 400
    assert _answer(client, deck, page, CSRF_RE.search(page).group(1)).status_code == 303


def test_a_session_signed_otherwise_leaves_every_cookie_to_flask(app, client, studying,
                                                                  monkeypatch):
    """A session interface moved to another digest (to retire SHA-1 cookies) or derivation:
    the quick path does not read SHA-1 cookies for it, and nothing becomes a 500."""
    from quizapp.signing import CookieSessionInterface

    deck, _ = studying
    cookie = client.get_cookie("session").value

    class Sha256(CookieSessionInterface):
        digest_method = staticmethod(hashlib.sha256)

    class Concat(CookieSessionInterface):
        key_derivation = "concat"

    for interface in (Sha256(), Concat()):
        monkeypatch.setattr(app, "session_interface", interface)
        _set_session(client, cookie)
        assert _is_logged_out(client, deck)


def test_keys_the_quick_path_does_not_take_are_left_to_the_stock_code(app, client, studying,
                                                                      monkeypatch):
    """A list of CSRF keys (itsdangerous's rotation) and a bytearray fallback key work as
    they do without the quick path: no 500."""
    deck, page = studying
    monkeypatch.setitem(app.config, "WTF_CSRF_SECRET_KEY", [SECRET])
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [bytearray(b"old-key")])
    assert client.get(f"/study/{deck.id}").status_code == 200
    assert _answer(client, deck, page, CSRF_RE.search(page).group(1)).status_code == 303


@settings(max_examples=200, deadline=None)
@given(st.text(), st.one_of(st.text(min_size=1), st.binary(min_size=1)))
def test_quick_signing_gives_itsdangerous_token(value, secret):
    """The page's CSRF token, signed by the quick path, is the one Flask-WTF would sign (the
    stock one made just before and just after, in case the second turned in between)."""
    stock = URLSafeTimedSerializer(secret, salt=CSRF_SALT)
    before = stock.dumps(value)
    quick = quick_unsigner(secret, CSRF_SALT).sign(compact_json(value))
    assert quick in (before, stock.dumps(value))
    assert stock.loads(quick) == value


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="ab", min_size=40),
                 st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)))
def test_a_token_signed_from_its_kept_body_is_still_itsdangerous_token(value):
    """The body kept per payload (compressed or not, as itsdangerous chose) gives the stock
    token on every later signing too."""
    stock = URLSafeTimedSerializer(SECRET, salt=CSRF_SALT)
    unsigner = QuickUnsigner(SECRET, CSRF_SALT)
    for _ in range(2):
        before = stock.dumps(value)
        quick = unsigner.sign(compact_json(value))
        assert quick in (before, stock.dumps(value))
        assert stock.loads(quick) == value


def test_a_compressible_payload_keeps_its_compressed_body():
    value = "ab" * 60
    stock = URLSafeTimedSerializer(SECRET, salt=CSRF_SALT).dumps(value)
    assert stock.startswith(".")  # itsdangerous compressed it
    unsigner = QuickUnsigner(SECRET, CSRF_SALT)
    assert [unsigner.sign(compact_json(value))[0] for _ in range(2)] == [".", "."]


def test_kept_bodies_are_bounded(monkeypatch):
    monkeypatch.setattr(signing, "MAX_KEPT_BODIES", 3)
    unsigner = QuickUnsigner(SECRET, CSRF_SALT)
    stock = URLSafeTimedSerializer(SECRET, salt=CSRF_SALT)
    for number in range(10):
        assert stock.loads(unsigner.sign(compact_json(str(number)))) == str(number)
        assert len(unsigner._bodies) <= 3


@given(st.text(alphabet="0123456789abcdefABCXYZ", min_size=1))
def test_an_alphanumeric_token_is_its_json_between_quotes(raw):
    """generate_csrf writes Flask-WTF's hex token's JSON without the encoder."""
    assert compact_json(raw) == f'"{raw}"'


def test_the_page_carries_flask_wtfs_own_token(app, client, studying, monkeypatch):
    deck, _ = studying
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    page = client.get(f"/study/{deck.id}").get_data(as_text=True)
    raw = _session_data(client)["csrf_token"]
    assert CSRF_RE.search(page).group(1) == _serializer().dumps(raw)


def test_a_session_kept_decoded_still_expires(client, studying, monkeypatch):
    """The cookie's age is checked on every request, read before or not."""
    deck, _ = studying
    assert client.get(f"/study/{deck.id}").status_code == 200
    later = time.time() + 32 * 86400  # past Flask's default lifetime of 31 days
    monkeypatch.setattr(time, "time", lambda: later)
    assert _is_logged_out(client, deck)


def test_a_session_a_request_can_change_in_place_is_not_kept(app):
    """Two requests with the same cookie never share a list one of them can append to."""
    cookie = _serializer(session=True).dumps({"_user_id": "1:1", "_flashes": [["info", "a"]]})
    sessions = []
    for _ in range(2):
        with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
            sessions.append(app.session_interface.open_session(app, request))
    sessions[0]["_flashes"].append(["info", "b"])
    assert sessions[1]["_flashes"] == [["info", "a"]]


def test_only_a_short_cookie_header_is_kept_decoded(app):
    """A client padding its Cookie header cannot make each kept entry large; the padded
    session is still read, by the quick path or Flask's."""
    cookie = _serializer(session=True).dumps({"_user_id": "1:1"})
    interface = app.session_interface
    for padding, kept in ((0, True), (MAX_KEPT_HEADER_CHARS, False)):
        interface._opened.clear()
        header = f"session={cookie}; pad={'x' * padding}"
        with app.test_request_context(headers={"Cookie": header}):
            assert interface.open_session(app, request)["_user_id"] == "1:1"
        assert bool(interface._opened) is kept


@pytest.mark.parametrize("vary", [None, "Accept-Encoding", "cookie"])
def test_a_session_read_adds_vary_cookie_as_flask_does(app, vary):
    responses = [Response(), Response()]
    for response, interface in zip(responses, (app.session_interface, SESSION), strict=True):
        if vary:
            response.headers["Vary"] = vary
        session = interface.session_class({"_user_id": "1:1"})
        session.accessed = True  # as the request context marks a session read
        interface.save_session(app, session, response)
    assert responses[0].headers.getlist("Vary") == responses[1].headers.getlist("Vary")
    assert "cookie" in responses[0].headers["Vary"].lower()


def _csrf_app(protect_class, exempt: str):
    """A small app under ``protect_class``: a view and a blueprint, either exempted."""
    from flask import Blueprint, Flask
    from flask_wtf.csrf import generate_csrf

    app = Flask(__name__)
    app.secret_key = SECRET
    protect = protect_class(app)
    pages = Blueprint("pages", __name__)

    @pages.post("/bp")
    def in_blueprint():
        return "ok"

    @app.post("/view")
    def view():
        return "ok"

    @app.get("/token")
    def token():
        return generate_csrf()

    if exempt == "view":
        protect.exempt(view)
    elif exempt == "blueprint":
        protect.exempt(pages)
    app.register_blueprint(pages)
    return app


@pytest.mark.parametrize("exempt", ["", "view", "blueprint"])
def test_csrf_protection_refuses_and_exempts_as_flask_wtf_does(exempt):
    """Exempted views and blueprints, the token in the form, in a prefixed field, in a
    header, or missing: the quick ``protect`` answers every request as Flask-WTF's."""
    from flask_wtf.csrf import CSRFProtect as StockProtect

    from quizapp.signing import CSRFProtect

    answers = {}
    for protect_class in (StockProtect, CSRFProtect):
        client = _csrf_app(protect_class, exempt).test_client()
        token = client.get("/token").get_data(as_text=True)
        answers[protect_class] = [
            client.post(path, **sending).status_code
            for path in ("/view", "/bp")
            for sending in ({}, {"data": {"csrf_token": token}},
                            {"data": {"form-csrf_token": token}},
                            {"data": {"csrf_token": token + "x"}},
                            {"headers": {"X-CSRFToken": token}},
                            {"headers": {"X-CSRFToken": "forged"}})
        ]
    stock, quick = answers.values()
    assert quick == stock
    assert exempt or (200 in stock and 400 in stock)


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_the_keyed_sha1_hmac_is_hmacs(key, message):
    """Keys shorter and longer than SHA-1's block, empty messages too."""
    from quizapp.token_format import Sha1Hmac

    mac = Sha1Hmac(key)
    assert mac.digest(message) == hmac.digest(key, message, "sha1")
    assert mac.digest(message) == hmac.digest(key, message, "sha1")  # its states unchanged


@given(st.binary(max_size=300))
def test_b64encode_is_url_safe_base64_without_padding(data):
    from quizapp.token_format import b64decode, b64encode

    assert b64encode(data) == base64.urlsafe_b64encode(data).rstrip(b"=")
    assert b64decode(b64encode(data)) == data
