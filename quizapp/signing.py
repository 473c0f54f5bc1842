"""The session cookie and the CSRF check, verified without rebuilding itsdangerous's machinery
on every request.

Flask reads the session cookie, and Flask-WTF checks a form's CSRF token, through a
``URLSafeTimedSerializer`` made anew for each request, which derives its key again for each
token (an HMAC) and goes through several layers per check: about 40 us for the cookie and
30 us for the token on this VM, paid by every request and every POST. ``QuickUnsigner`` checks
the same tokens (``payload.timestamp.signature``, URL-safe base64, HMAC-SHA1 under the key
derived once from the secret and the salt) in a few steps.

It only ever *accepts*: a token it cannot accept at once (another key, a bad or
non-canonical signature, an age out of bounds, an undecodable payload) goes to the stock
itsdangerous / Flask-WTF code, which accepts or refuses it exactly as before. So a token is
accepted if and only if it was before: signed with the app's key and salt, within its age,
and for CSRF bound to this session's token by a constant-time comparison.

Two more steps every request paid: a page's CSRF token is signed by ``QuickUnsigner.sign``
(the token itsdangerous would make, byte for byte), and a session cookie once checked is kept
decoded for the next request carrying it (its age still checked each time).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import logging
import time
import zlib
from typing import Any

from flask import Flask
from flask.globals import app_ctx, request_ctx
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_wtf import csrf as wtf_csrf
from itsdangerous import URLSafeTimedSerializer
from wtforms import ValidationError

from .token_format import (
    Sha1Hmac,
    b64decode,
    b64encode,
    compact_json,
    payload_bytes,
    token_body,
    within_age,
)

logger = logging.getLogger(__name__)

# Flask-WTF's salt for its signed CSRF tokens.
CSRF_SALT = "wtf-csrf-token"
# The last second a datetime can hold (9999-12-31 23:59:59 UTC): itsdangerous turns a token's
# timestamp into one, and raises on a later one.
LAST_TIMESTAMP = 253_402_300_799
# The key derivations QuickUnsigner reproduces.
DERIVATIONS = ("hmac", "django-concat")


class QuickUnsigner:
    """Checks tokens made by ``URLSafeTimedSerializer(secret, salt)`` with SHA-1 signatures
    and the key derived as itsdangerous does (``key_derivation``: its default
    "django-concat", as Flask-WTF uses it, or "hmac", as Flask's session sets it):
    ``payload`` gives the token's serialized payload (JSON text) when the token is genuine
    and within ``max_age`` seconds, else None."""

    def __init__(self, secret_key: str | bytes, salt: str | bytes,
                 key_derivation: str = "django-concat"):
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        salt_bytes = salt.encode() if isinstance(salt, str) else salt
        if key_derivation == "hmac":
            key = hmac.new(secret, salt_bytes, hashlib.sha1).digest()
        elif key_derivation == "django-concat":
            key = hashlib.sha1(salt_bytes + b"signer" + secret).digest()
        else:
            raise ValueError(f"key derivation {key_derivation!r} is not handled")
        self._mac = Sha1Hmac(key)
        # Signed bodies by payload text (``sign``).
        self._bodies: dict[str, bytes] = {}

    def payload(self, token: str, max_age: int | None) -> str | None:
        opened = self.open(token)
        if opened is None or not within_age(opened[0], max_age):
            return None
        return opened[1]

    def open(self, token: str) -> tuple[int, str] | None:
        """(signed at, payload) of a genuine token, whatever its age; else None."""
        if not token.isascii():
            return None
        signed, _, signature = token.encode("ascii").rpartition(b".")
        expected = b64encode(self._mac.digest(signed))
        if not hmac.compare_digest(signature, expected):
            return None
        body, dot, stamp = signed.rpartition(b".")
        if not dot:
            return None
        try:
            stamp_bytes = b64decode(stamp)
            if len(stamp_bytes) > 8:
                return None
            signed_at = int.from_bytes(stamp_bytes, "big")
            if signed_at > LAST_TIMESTAMP:  # itsdangerous fails on it: left to its caller
                return None
            return signed_at, payload_bytes(body).decode("utf-8")
        except (binascii.Error, ValueError, zlib.error):
            return None

    def sign(self, text: str) -> str:
        """What ``URLSafeTimedSerializer(secret, salt).dumps(value)`` gives now, ``text`` being
        ``value`` as itsdangerous writes it in JSON (see :func:`compact_json`). The body
        before the timestamp depends on ``text`` alone, so it is kept per text: a session
        signs the same CSRF token on every page, and itsdangerous's zlib pass over it (set
        up anew each time, ~100,000 instructions) found the same answer every time."""
        body = self._bodies.get(text)
        if body is None:
            if len(self._bodies) >= MAX_KEPT_BODIES:
                self._bodies.clear()
            body = self._bodies[text] = token_body(text)
        signed_at = int(time.time())
        signed = body + b"." + b64encode(signed_at.to_bytes(8, "big").lstrip(b"\x00"))
        signature = b64encode(self._mac.digest(signed))
        return (signed + b"." + signature).decode("ascii")


# Payload texts whose signed body ``QuickUnsigner.sign`` keeps, per key and salt: a CSRF
# token's body is ~60 bytes, one per session that asked for a page since the last clearing.
MAX_KEPT_BODIES = 4096


_unsigners: dict[tuple[str | bytes, str, str], QuickUnsigner] = {}


def quick_unsigner(secret_key: str | bytes, salt: str,
                   key_derivation: str = "django-concat") -> QuickUnsigner:
    """One per key, salt and derivation for the process (a key is a few dozen bytes). Only
    for a single ``str`` or ``bytes`` key: callers check :func:`quick_key` first."""
    found = _unsigners.get((secret_key, salt, key_derivation))
    if found is None:
        found = _unsigners[(secret_key, salt, key_derivation)] = QuickUnsigner(
            secret_key, salt, key_derivation)
    return found


def quick_key(key: Any) -> bool:
    """The quick path takes one key, as ``str`` or ``bytes``; itsdangerous also takes a list of
    keys (rotation), which is left to it."""
    return isinstance(key, (str, bytes)) and bool(key)


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, same cookie, same rules: a cookie signed with the
    current key is read by ``QuickUnsigner``; any other (a fallback key, a forged, expired or
    malformed one) by Flask's own code. The signing serializer is made once per set of keys."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}
        # Cookie headers whose session cookie the quick path accepted:
        # (unsigner, cookie name, header) -> (signed at, contents).
        self._opened: dict[tuple[QuickUnsigner, str, str], tuple[int, dict]] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        try:
            serializer = self._serializers.get(keys)
        except TypeError:  # a key of a type that cannot be a dict key: not cached
            return super().get_signing_serializer(app)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer

    def _signs_as_flask(self) -> bool:
        """Flask's own digest (SHA-1) and a derivation the quick path reproduces: a subclass
        or setting that changes either (say, to retire old cookies) leaves every cookie to
        Flask's code."""
        return (self.digest_method is SecureCookieSessionInterface.digest_method
                and self.key_derivation in DERIVATIONS)

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        if quick_key(app.secret_key) and self._signs_as_flask():
            unsigner = quick_unsigner(app.secret_key, self.salt, self.key_derivation)
            opened = self._open(unsigner, self.get_cookie_name(app), request)
            max_age = int(app.permanent_session_lifetime.total_seconds())
            if opened is not None and within_age(opened[0], max_age):
                return self.session_class(opened[1])
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response) -> None:
        """Flask's: a session that is not empty and need not be written again only adds
        "Vary: Cookie" when it was read, here set at once where the response has no Vary
        header yet (``response.vary`` parses and rewrites it through a header set: ~8 us).
        Whether there is one is asked with ``getlist``: ``in`` raises and catches a
        BadRequestKeyError when there is none, as on nearly every response."""
        if session and not self.should_set_cookie(app, session):
            if session.accessed:
                if response.headers.getlist("Vary"):
                    response.vary.add("Cookie")
                else:
                    response.headers["Vary"] = "Cookie"
            return
        super().save_session(app, session, response)

    def _open(self, unsigner: QuickUnsigner, name: str, request) -> tuple[int, dict] | None:
        """(signed at, contents) of the request's session cookie when it is genuine. A browser
        sends the same Cookie header with every request until the session changes, so what
        was parsed, checked and decoded once is kept, by that header (~35 us a request: the
        header's parsing, the HMAC and the tagged-JSON decoding): only contents of plain
        values (no list or dict a request could change in place), for a bounded number of
        headers. The caller checks the age on every request all the same."""
        header = request.environ.get("HTTP_COOKIE")
        key = (unsigner, name, header)
        found = self._opened.get(key) if header and len(header) <= MAX_KEPT_HEADER_CHARS else None
        if found is not None:
            return found
        cookie = request.cookies.get(name)
        opened = unsigner.open(cookie) if cookie else None
        if opened is None:
            return None
        try:
            contents = self.serializer.loads(opened[1])
        except Exception:  # Flask's own code decides, as before
            return None
        if not isinstance(contents, dict):
            return None
        found = (opened[0], contents)
        if len(header) <= MAX_KEPT_HEADER_CHARS and all(
                isinstance(value, PLAIN) for value in contents.values()):
            if len(self._opened) >= MAX_OPENED_COOKIES:
                self._opened.clear()
            self._opened[key] = found
        return found


# Session values the opened-cookie cache may share between requests: none changes in place.
PLAIN = (str, int, float, bool, type(None))
# Sessions of so many recent visitors are kept decoded per process: about 1 kB each, 3.5 kB
# with a header padded to MAX_KEPT_HEADER_CHARS, so 15 MB at worst. Any visitor gets a genuine
# cookie (the log-in page's CSRF token), so anyone can fill it; the bound keeps that cheap.
MAX_OPENED_COOKIES = 4096
# Only a Cookie header this short is kept (a session cookie is a few hundred characters): a
# client padding its header with other cookies cannot make each kept entry large.
MAX_KEPT_HEADER_CHARS = 2048


def generate_csrf(secret_key: str | bytes | None = None, token_key: str | None = None) -> str:
    """Flask-WTF's ``generate_csrf`` (the form's signed CSRF token, one per request), signed
    by ``QuickUnsigner`` when the session already holds its token as text: the same token,
    byte for byte, ~25 us less a page. Anything else (no token yet, a key list) goes to
    Flask-WTF's own function. The request's context is looked up once: each read through
    ``current_app``, ``g`` or ``session`` looks it up again."""
    ctx = request_ctx._get_current_object()
    app = ctx.app
    config = app.config
    field = token_key if token_key is not None else config.get("WTF_CSRF_FIELD_NAME",
                                                                "csrf_token")
    secret = (secret_key if secret_key is not None
              else config.get("WTF_CSRF_SECRET_KEY", app.secret_key))
    kept = app_ctx._get_current_object().g
    if field and field in kept:  # signed earlier in this request (this app context)
        return kept.get(field)
    if not field or not quick_key(secret):
        return wtf_csrf.generate_csrf(secret_key, token_key)
    raw = ctx.session.get(field)
    if not isinstance(raw, str):
        return wtf_csrf.generate_csrf(secret_key, token_key)
    # Flask-WTF's token is a hex digest, whose JSON is itself between quotes.
    text = f'"{raw}"' if raw.isascii() and raw.isalnum() else compact_json(raw)
    token = quick_unsigner(secret, CSRF_SALT).sign(text)
    setattr(kept, field, token)
    return token


class CSRFProtect(wtf_csrf.CSRFProtect):
    """Flask-WTF's CSRF protection, the same checks in the same order, with the signed token
    read by ``QuickUnsigner`` when it can accept it (otherwise Flask-WTF's ``validate_csrf``
    decides and words the refusal). Requests whose method needs no token return before the
    exemption lookup. Templates sign their tokens with :func:`generate_csrf`."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.jinja_env.globals["csrf_token"] = generate_csrf
        processors = app.template_context_processors[None]
        for index, processor in enumerate(processors):
            if getattr(processor, "__module__", "") == wtf_csrf.__name__:
                processors[index] = _csrf_context

    def protect(self, apply_exemptions: bool = False) -> None:
        ctx = request_ctx._get_current_object()  # one lookup, not one per proxy read
        req, app = ctx.request, ctx.app
        config = app.config
        if req.method not in config["WTF_CSRF_METHODS"]:
            return
        if apply_exemptions and (not req.endpoint or self._exempt(app, req)):
            return
        token = self._token_in(req, config)
        if not _matches_session(token, config, app.secret_key, ctx.session):
            try:
                wtf_csrf.validate_csrf(token)
            except ValidationError as error:
                logger.info(error.args[0])
                self._error_response(error.args[0])
            except (ValueError, OverflowError):
                # A signed timestamp past what a datetime holds (only with no time limit):
                # Flask-WTF lets itsdangerous's error through, which would be a 500.
                self._error_response("The CSRF token is invalid.")
        if req.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            if not req.referrer:
                self._error_response("The referrer header is missing.")
            if not wtf_csrf.same_origin(req.referrer, f"https://{req.host}/"):
                self._error_response("The referrer does not match the host.")
        app_ctx._get_current_object().g.csrf_valid = True

    def _exempt(self, app: Flask, req) -> bool:
        """Flask-WTF's ``_is_exempt``, on the request and app at hand."""
        if app.blueprints.get(req.blueprint) in self._exempt_blueprints:
            return True
        view = app.view_functions.get(req.endpoint)
        return view is not None and f"{view.__module__}.{view.__name__}" in self._exempt_views

    @staticmethod
    def _token_in(req, config) -> str | None:
        """Flask-WTF's ``_get_csrf_token``, on the request at hand: the form's field (or a
        prefixed one), else the first of the configured headers that is set."""
        field = config["WTF_CSRF_FIELD_NAME"]
        form = req.form
        token = form.get(field)
        if token:
            return token
        for key in form:
            if key.endswith(field) and form[key]:
                return form[key]
        for header in config["WTF_CSRF_HEADERS"]:
            token = req.headers.get(header)
            if token:
                return token
        return None


def _csrf_context() -> dict:
    """Flask-WTF's template context, with the token signed by :func:`generate_csrf`."""
    return {"csrf_token": generate_csrf, "csrf_meta_tag": wtf_csrf.csrf_meta_tag}


def _matches_session(token: Any, config, app_secret: Any, session: SessionMixin) -> bool:
    """The token is genuine, within the time limit, and carries this session's token."""
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    secret = config.get("WTF_CSRF_SECRET_KEY", app_secret)
    if not token or not isinstance(token, str) or not quick_key(secret) or field not in session:
        return False
    expected = session[field]
    # The session's token is a hex digest, so its JSON is itself between quotes.
    if not (isinstance(expected, str) and expected.isascii() and expected.isalnum()):
        return False
    time_limit = config.get("WTF_CSRF_TIME_LIMIT", 3600)
    text = quick_unsigner(secret, CSRF_SALT).payload(token, time_limit)
    return text is not None and hmac.compare_digest(text.encode(), f'"{expected}"'.encode())
