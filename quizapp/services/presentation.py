"""The signed token naming what a learner was shown: card side, mode, state version, and
the order of the options; an answer is accepted only for the presentation it answers."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

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


@functools.lru_cache(maxsize=4)
def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="quizapp.presentation")


def encode_presentation(p: Presentation, user_id: int, secret_key: str) -> str:
    return _serializer(secret_key).dumps(
        [user_id, p.card_id, p.ordinal, p.mode, p.state_version, p.nonce, p.shown_at,
         list(p.choice_order)]
    )


def decode_presentation(token: str, user_id: int, secret_key: str) -> Presentation:
    try:
        raw = _serializer(secret_key).loads(token)
        owner, card_id, ordinal, mode, version, nonce, shown_at, order = raw
    except (BadSignature, ValueError, TypeError):
        raise StudyError(
            "This card could not be matched to your session; reload the page."
        ) from None
    if owner != user_id or mode not in MODES:
        raise StudyError("This card belongs to another session; reload the page.")
    return Presentation(card_id, ordinal, mode, version, nonce, shown_at, tuple(order))
