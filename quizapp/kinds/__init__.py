"""Card kinds as registered objects (pure: no Flask, no database).

``kinds.get(card.kind)`` gives the :class:`~quizapp.kinds.base.CardKind` that knows
everything kind-specific about a card. The built-in kinds are registered below, in the order
the card editor lists them; adding one is a module, its template partials and one line here
(see ``docs/kinds.md``).
"""

from __future__ import annotations

from .base import (
    DEFAULT_KIND,
    AnkiNoteType,
    AnkiTemplate,
    AnswerRefused,
    CardContent,
    CardKind,
    Response,
    UnknownKind,
    Verdict,
    all_kinds,
    find,
    get,
    inferred,
    names,
    refuse_choices,
    register,
    unregister,
)
from .basic import Basic
from .cloze import Cloze
from .mcq import MultipleChoice
from .reversed import Reversed
from .typein import TypeIn

for _kind in (Basic(), Reversed(), Cloze(), MultipleChoice(), TypeIn()):
    register(_kind)

__all__ = [
    "DEFAULT_KIND",
    "AnkiNoteType",
    "AnkiTemplate",
    "AnswerRefused",
    "CardContent",
    "CardKind",
    "Response",
    "UnknownKind",
    "Verdict",
    "all_kinds",
    "find",
    "get",
    "inferred",
    "names",
    "refuse_choices",
    "register",
    "unregister",
]
