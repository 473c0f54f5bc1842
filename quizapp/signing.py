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
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import time
import zlib
from typing import Any

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf import csrf as wtf_csrf
from itsdangerous import URLSafeTimedSerializer
from wtforms import ValidationError

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
            self._key = hmac.new(secret, salt_bytes, hashlib.sha1).digest()
        elif key_derivation == "django-concat":
            self._key = hashlib.sha1(salt_bytes + b"signer" + secret).digest()
        else:
            raise ValueError(f"key derivation {key_derivation!r} is not handled")

    def sign(self, payload: bytes, timestamp: int) -> str:
        """The token the serializer's ``dumps`` makes at ``timestamp`` (seconds) for
        ``payload``, its serialized payload (URL-safe base64, "." first when compressed)."""
        stamp = base64.urlsafe_b64encode(timestamp.to_bytes(8, "big").lstrip(b"\0")).rstrip(b"=")
        signed = payload + b"." + stamp
        signature = base64.urlsafe_b64encode(hmac.digest(self._key, signed, "sha1")).rstrip(b"=")
        return (signed + b"." + signature).decode("ascii")

    def payload(self, token: str, max_age: int | None) -> str | None:
        if not token.isascii():
            return None
        signed, _, signature = token.encode("ascii").rpartition(b".")
        expected = base64.urlsafe_b64encode(hmac.digest(self._key, signed, "sha1"))
        if not hmac.compare_digest(signature, expected.rstrip(b"=")):
            return None
        body, dot, stamp = signed.rpartition(b".")
        if not dot:
            return None
        try:
            stamp_bytes = _b64decode(stamp)
            if len(stamp_bytes) > 8:
                return None
            signed_at = int.from_bytes(stamp_bytes, "big")
            if signed_at > LAST_TIMESTAMP:  # itsdangerous fails on it: left to its caller
                return None
            if max_age is not None:
                age = int(time.time()) - signed_at
                if age > max_age or age < 0:
                    return None
            compressed = body.startswith(b".")
            data = _b64decode(body[1:] if compressed else body)
            if compressed:
                data = zlib.decompress(data)
            return data.decode("utf-8")
        except (binascii.Error, ValueError, zlib.error):
            return None


def _b64decode(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


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
        cookie = request.cookies.get(self.get_cookie_name(app))
        if cookie and quick_key(app.secret_key) and self._signs_as_flask():
            max_age = int(app.permanent_session_lifetime.total_seconds())
            unsigner = quick_unsigner(app.secret_key, self.salt, self.key_derivation)
            text = unsigner.payload(cookie, max_age)
            if text is not None:
                try:
                    return self.session_class(self.serializer.loads(text))
                except Exception:  # Flask's own code below decides, as before
                    pass
        return super().open_session(app, request)


class CSRFProtect(wtf_csrf.CSRFProtect):
    """Flask-WTF's CSRF protection, the same checks in the same order, with the signed token
    read by ``QuickUnsigner`` when it can accept it (otherwise Flask-WTF's ``validate_csrf``
    decides and words the refusal). Requests whose method needs no token return before the
    exemption lookup."""

    def protect(self, apply_exemptions: bool = False) -> None:
        config = current_app.config
        if request.method not in config["WTF_CSRF_METHODS"]:
            return
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        token = self._get_csrf_token()
        if not _matches_session(token, config):
            try:
                wtf_csrf.validate_csrf(token)
            except ValidationError as error:
                logger.info(error.args[0])
                self._error_response(error.args[0])
            except (ValueError, OverflowError):
                # A signed timestamp past what a datetime holds (only with no time limit):
                # Flask-WTF lets itsdangerous's error through, which would be a 500.
                self._error_response("The CSRF token is invalid.")
        if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not wtf_csrf.same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True


def _matches_session(token: Any, config) -> bool:
    """The token is genuine, within the time limit, and carries this session's token."""
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    secret = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    if not token or not isinstance(token, str) or not quick_key(secret) or field not in session:
        return False
    expected = session[field]
    # The session's token is a hex digest, so its JSON is itself between quotes.
    if not (isinstance(expected, str) and expected.isascii() and expected.isalnum()):
        return False
    time_limit = config.get("WTF_CSRF_TIME_LIMIT", 3600)
    text = quick_unsigner(secret, CSRF_SALT).payload(token, time_limit)
    return text is not None and hmac.compare_digest(text.encode(), f'"{expected}"'.encode())


def csrf_token() -> str:
    """Flask-WTF's ``generate_csrf`` (the pages' ``csrf_token()``): the same token, kept in
    ``g`` for the request as it keeps it, signed by ``QuickUnsigner`` instead of a serializer
    made anew for each page. Anything but a session that already has its hex token (a first
    visit, a list of keys) goes to Flask-WTF."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field) if field else None
    if token is not None:
        return token
    secret = config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)
    raw = session.get(field)
    if not (quick_key(secret) and isinstance(raw, str) and raw.isascii() and raw.isalnum()):
        return wtf_csrf.generate_csrf()
    # The payload as itsdangerous writes it uncompressed: it compresses only what zlib
    # shortens, which a random hex token is not, and reads either form; setting up the
    # compressor cost as much as the rest of the token.
    payload = base64.urlsafe_b64encode(f'"{raw}"'.encode()).rstrip(b"=")
    token = quick_unsigner(secret, CSRF_SALT).sign(payload, int(time.time()))
    setattr(g, field, token)
    return token
