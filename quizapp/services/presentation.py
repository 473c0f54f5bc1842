"""The signed token naming what a learner was shown: card side, mode, state version, and
the order of the options; an answer is accepted only for the presentation it answers. For a
self-graded side that schedules, the token also carries what the page read to show it
(``ShownAnswer``), so that its answer reads nothing more (``services.shown_answer``)."""

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
    # What the answer needs of what the page read (only in a token made for the lean path).
    shown: ShownAnswer | None = None
    # The card shown and the learner's state of the side (None for a new side), when the
    # presentation was just made (never in the token): the page needs no second read.
    card: Any = field(default=None, compare=False, repr=False)
    state: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ShownAnswer:
    """What the answer to a self-graded side needs that the study page read when it showed
    it, signed into its token: the answer then computes the scheduler's review from the state
    as shown, and the version guard of its write (every writer of ``card_state`` bumps the
    version) refuses it if the row changed meanwhile (``services.shown_answer``)."""

    deck_id: int
    kind: str
    row_id: int | None  # None: the side had no state row (its first answer)
    # The state row as the review log's ``state_before`` keeps it (schedules.snapshot_text).
    snapshot: str | None
    memory_stability: float | None
    memory_difficulty: float | None
    memory_reviewed_at: str | None  # ISO text
    # The scheduler settings in force when shown (settings JSON text; None: the defaults).
    settings: str | None
    session_id: int | None
    queued: bool  # the side waited in the session's "again" queue

    def as_list(self) -> list[Any]:
        return [self.deck_id, self.kind, self.row_id, self.snapshot, self.memory_stability,
                self.memory_difficulty, self.memory_reviewed_at, self.settings,
                self.session_id, self.queued]


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


@dataclass(slots=True)
class ShownState:
    """What a study page reads of the learner's state of the side it shows (the CardState
    columns of the same names), for the grade buttons' intervals."""

    user_id: int
    card_id: int
    ordinal: int
    version: int
    scheduler: str
    state: dict[str, Any]
    # For the answer's token (``ShownAnswer``); the instants as SQLite's stored text.
    id: int | None = None
    last_review_at: Any = None
    due_at: Any = None
    memory_stability: float | None = None
    memory_difficulty: float | None = None
    memory_reviewed_at: Any = None
    state_text: str | None = None  # the state as stored, when read as text (SQLite)


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


def encode_presentation(p: Presentation, user_id: int, secret_key: str,
                        shown: ShownAnswer | None = None) -> str:
    """``_serializer(secret_key).dumps(...)``'s token, signed with the key derived once and
    without its zlib pass: a payload around a random nonce hardly shrinks, and setting up the
    compressor cost as much as the rest of the token (itsdangerous, and
    ``decode_presentation``, read either form)."""
    fields = [user_id, p.card_id, p.ordinal, p.mode, p.state_version, p.nonce, p.shown_at,
              list(p.choice_order)]
    shown = shown or p.shown  # the study page passes it apart: no copy of ``p`` to make
    if shown is not None:
        fields.append(shown.as_list())
    data = _compact_json(fields).encode()
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
        owner, card_id, ordinal, mode, version, nonce, shown_at, order, *extra = raw
        shown = ShownAnswer(*extra[0]) if extra else None
    except (BadSignature, ValueError, TypeError, zlib.error):
        raise StudyError(
            "This card could not be matched to your session; reload the page."
        ) from None
    if owner != user_id or mode not in MODES:
        raise StudyError("This card belongs to another session; reload the page.")
    return Presentation(card_id, ordinal, mode, version, nonce, shown_at, tuple(order), shown)
