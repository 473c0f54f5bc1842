"""The signed token naming what a learner was shown: card side, mode, state version, and
the order of the options; an answer is accepted only for the presentation it answers."""

from __future__ import annotations

import functools
import hmac
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from .. import jsontext
from ..scheduling.phase import Phase
from ..token_format import Sha1Hmac, b64decode, b64encode, payload_bytes

MODES = tuple(Phase)


class StudyError(ValueError):
    """A request the study session cannot act on: a stale or forged presentation, or an
    answer it refuses (the message says which, for the learner)."""


@dataclass(frozen=True)
class Presentation:
    card_id: int
    ordinal: int
    mode: str
    state_version: int
    nonce: str
    shown_at: float
    choice_order: tuple[int, ...] = ()
    # The card shown and the learner's state of the side (None for a new side), when the
    # presentation was just made (never in the token): the page needs no second read.
    card: Any = field(default=None, compare=False, repr=False)
    state: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ShownCard:
    """What a study page reads of the card it shows (a Card's columns of the same names): the
    page needs no ORM object, and not the card's tags, sources or explanation."""

    id: int
    kind: str
    prompt: str
    answer: str
    choices: list[str] | None
    ordinals: list[int]
    side_count: int
    position: int


@dataclass(frozen=True, slots=True)
class ShownState:
    """What a study page reads of the learner's state of the side it shows (the CardState
    columns of the same names), for the grade buttons' intervals."""

    user_id: int
    card_id: int
    ordinal: int
    version: int
    scheduler: str
    state: dict[str, Any]


# ``json.dumps(value, separators=(",", ":"))``, without building its encoder for each token.
_compact_json = json.JSONEncoder(separators=(",", ":")).encode


@functools.lru_cache(maxsize=4)
def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="quizapp.presentation")


@functools.lru_cache(maxsize=4)
def _mac(secret_key: str) -> Sha1Hmac:
    """HMAC-SHA1 under the key itsdangerous's signer derives from the secret for each token
    it checks."""
    return Sha1Hmac(_serializer(secret_key).make_signer().derive_key())


def encode_presentation(p: Presentation, user_id: int, secret_key: str) -> str:
    """``_serializer(secret_key).dumps(...)``'s token, signed with the key derived once and
    without its zlib pass: a payload around a random nonce hardly shrinks, and setting up the
    compressor cost as much as the rest of the token (itsdangerous, and
    ``decode_presentation``, read either form)."""
    data = _compact_json(
        [user_id, p.card_id, p.ordinal, p.mode, p.state_version, p.nonce, p.shown_at,
         list(p.choice_order)]
    ).encode()
    payload = b64encode(data)
    signature = b64encode(_mac(secret_key).digest(payload))
    return (payload + b"." + signature).decode("ascii")


def decode_presentation(token: str, user_id: int, secret_key: str) -> Presentation:
    """``_serializer(secret_key).loads(token)``, checked the way its signer checks it
    (HMAC-SHA1 of the payload under the derived key, compared in constant time) in one pass:
    every answer checks a token, and itsdangerous's layers cost half as much again (about
    97,000 instructions against 64,000). A token that is not ASCII is refused outright
    (itsdangerous drops such characters before checking; no token it makes has any)."""
    try:
        payload, signature = token.encode("ascii").rsplit(b".", 1)
        if not hmac.compare_digest(
            b64decode(signature), _mac(secret_key).digest(payload)
        ):
            raise BadSignature("signature does not match")
        raw = jsontext.loads(payload_bytes(payload).decode())
        owner, card_id, ordinal, mode, version, nonce, shown_at, order = raw
    except (BadSignature, ValueError, TypeError, zlib.error):
        raise StudyError(
            "This card could not be matched to your session; reload the page."
        ) from None
    if owner != user_id or mode not in MODES:
        raise StudyError("This card belongs to another session; reload the page.")
    return Presentation(card_id, ordinal, mode, version, nonce, shown_at, tuple(order))
