"""The signed token naming what a learner was shown: card side, mode, state version, and
the order of the options; an answer is accepted only for the presentation it answers."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, Signer, URLSafeSerializer
from itsdangerous.encoding import base64_encode

from ..scheduling.phase import Phase

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


class _KeyOnceSigner(Signer):
    """itsdangerous's signer, deriving the key from each secret once rather than on every
    check: every answer checks a token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys: dict[str | bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self._keys.get(secret_key)
        if key is None:
            key = self._keys[secret_key] = super().derive_key(secret_key)
        return key


@functools.lru_cache(maxsize=4)
def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="quizapp.presentation", signer=_KeyOnceSigner)


@functools.lru_cache(maxsize=4)
def _signer(secret_key: str) -> Signer:
    """The signer ``_serializer(secret_key).loads`` would make anew for each token."""
    return _serializer(secret_key).make_signer()


def encode_presentation(p: Presentation, user_id: int, secret_key: str) -> str:
    # URLSafeSerializer.dumps with its signer kept, and without its zlib pass: a payload
    # around a random nonce hardly shrinks, and setting up the compressor cost as much as
    # the rest of the token. Its loads (``decode_presentation``) reads either form.
    data = json.dumps(
        [user_id, p.card_id, p.ordinal, p.mode, p.state_version, p.nonce, p.shown_at,
         list(p.choice_order)], separators=(",", ":"),
    )
    return _signer(secret_key).sign(base64_encode(data)).decode("ascii")


def decode_presentation(token: str, user_id: int, secret_key: str) -> Presentation:
    try:
        # URLSafeSerializer.loads with its signer kept (the serializer has no fallbacks).
        raw = _serializer(secret_key).load_payload(_signer(secret_key).unsign(token))
        owner, card_id, ordinal, mode, version, nonce, shown_at, order = raw
    except (BadSignature, ValueError, TypeError):
        raise StudyError(
            "This card could not be matched to your session; reload the page."
        ) from None
    if owner != user_id or mode not in MODES:
        raise StudyError("This card belongs to another session; reload the page.")
    return Presentation(card_id, ordinal, mode, version, nonce, shown_at, tuple(order))
