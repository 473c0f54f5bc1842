"""itsdangerous's token format, piece by piece: the signed body of a payload, URL-safe
base64 without padding, HMAC-SHA1 under one key, its age rule. Byte for byte what
itsdangerous writes and reads (tests/test_security_signing.py compares them), for the
session cookie and CSRF check (``signing``) and the study page's presentation token."""

from __future__ import annotations

import binascii
import hashlib
import json
import time
import zlib


def token_body(text: str) -> bytes:
    """The part of itsdangerous's token before its timestamp for the payload ``text``:
    base64 of the text, or "." and base64 of its zlib compression when that is shorter."""
    data = text.encode("utf-8")
    compressed = zlib.compress(data)
    if len(compressed) < len(data) - 1:  # itsdangerous's own rule
        return b"." + b64encode(compressed)
    return b64encode(data)


def within_age(signed_at: int, max_age: int | None) -> bool:
    """itsdangerous's age rule: no older than ``max_age`` seconds, and not from the future."""
    if max_age is None:
        return True
    age = int(time.time()) - signed_at
    return 0 <= age <= max_age


def compact_json(value: str) -> str:
    """A string as itsdangerous's serializer writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Sha1Hmac:
    """``hmac.digest(key, message, "sha1")`` for one key, its two padded key blocks hashed
    once (RFC 2104): each digest then copies two SHA-1 states instead of setting up an HMAC
    by digest name (~10,000 instructions against ~20,000; two per study page and answer)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes):
        if len(key) > SHA1_BLOCK:
            key = hashlib.sha1(key).digest()
        key = key.ljust(SHA1_BLOCK, b"\0")
        self._inner = hashlib.sha1(key.translate(_IPAD))
        self._outer = hashlib.sha1(key.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


SHA1_BLOCK = 64
_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_OPAD = bytes(byte ^ 0x5C for byte in range(256))
_TO_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def b64encode(data: bytes) -> bytes:
    """URL-safe base64 without padding, as itsdangerous writes every part of a token
    (``base64.urlsafe_b64encode``'s work without its two layers of calls)."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL_SAFE).rstrip(b"=")


_URL_SAFE = bytes.maketrans(b"-_", b"+/")


def b64decode(data: bytes) -> bytes:
    """The inverse of :func:`b64encode` (``base64.urlsafe_b64decode``'s work in one call)."""
    return binascii.a2b_base64((data + b"=" * (-len(data) % 4)).translate(_URL_SAFE))


def payload_bytes(body: bytes) -> bytes:
    """A token's serialized payload from its signed body: base64, zlib-compressed first when
    that was shorter (marked by a leading ".")."""
    if body.startswith(b"."):
        return zlib.decompress(b64decode(body[1:]))
    return b64decode(body)
