"""Totals of each side's answers kept on its card state, written with the answer.

``CardState.answers``, ``failures``, ``retention_answers`` and ``retention_passed`` sum the
side's answers not undone whose log row is ``tallied``: every answer given while the side had
a state row. The answer path writes them in the state write it issues anyway (the scheduling
update or insert, the memory update of a same-session repeat; a cram answer, which otherwise
leaves the state alone, adds them in an update of its own), undo subtracts them, the Anki
progress import recounts them. An answer given while the side had no state row (a cram answer
before the side's first learn) is logged with ``tallied = false``; class statistics add those
few from the log (an index holds only them).
"""

from __future__ import annotations

from sqlalchemy import bindparam, case, func, select

from ..extensions import db
from ..models import CardState, ReviewLog
from ..scheduling.base import Stage
from ..stats.activity import LEARNED
from .history_totals import NOT_RETENTION, retention_review

TOTALS = ("answers", "failures", "retention_answers", "retention_passed")
_LEARNED = frozenset(stage.value for stage in LEARNED)
_STATES = CardState.__table__


def added(phase: str, stage_before: str | Stage, passed: bool) -> dict[str, int]:
    """What one answer adds to its side's totals (the figures of retention_review)."""
    stage = stage_before.value if isinstance(stage_before, Stage) else stage_before
    retention = phase not in NOT_RETENTION and stage in _LEARNED
    return {"answers": 1, "failures": 0 if passed else 1,
            "retention_answers": int(retention), "retention_passed": int(retention and passed)}


# What an answer's write sets of its side's totals: each adds its figures in SQL, so the sum
# never depends on a value read before (the ``add_*`` parameters, ``add_parameters``).
INCREMENTS = {name: _STATES.c[name] + bindparam(f"add_{name}") for name in TOTALS}
# Adds an answer's totals to a state row without reading it again. Extra parameters (the
# memory columns of a repeat) are written beside them, so it bumps the version: an answer
# shown before must not write over that memory (services.shown_answer).
ADD = _STATES.update().where(_STATES.c.id == bindparam("row_id")).values(
    {**INCREMENTS, "version": _STATES.c.version + 1}
)


def add_parameters(add: dict[str, int]) -> dict[str, int]:
    return {f"add_{name}": value for name, value in add.items()}


def subtract(row: CardState, log: ReviewLog) -> None:
    """Take an undone answer's totals off its side's row."""
    for name, value in added(log.phase, log.stage_before, log.passed).items():
        setattr(row, name, getattr(row, name) - value)


def recount(user_id: int, deck_id: int) -> None:
    """Sum the learner's states in ``deck_id`` afresh from their tallied answers (after a
    bulk write such as the Anki progress import)."""
    passed = ReviewLog.passed.is_(True)
    retention = retention_review()
    summed = (
        select(
            ReviewLog.card_id, ReviewLog.ordinal, func.count().label("answers"),
            func.sum(case((passed, 0), else_=1)).label("failures"),
            func.sum(case((retention, 1), else_=0)).label("retention_answers"),
            func.sum(case((retention & passed, 1), else_=0)).label("retention_passed"),
        )
        .where(ReviewLog.user_id == user_id, ReviewLog.undone_at.is_(None),
               ReviewLog.tallied.is_(True))
        .group_by(ReviewLog.card_id, ReviewLog.ordinal)
        .subquery()
    )
    connection = db.session.connection()
    mine = (_STATES.c.user_id == user_id, _STATES.c.deck_id == deck_id)
    # Both bump the version: an answer shown before adds to the new totals in SQL anyway,
    # but every writer of a state row bumps it (services.shown_answer).
    bumped = {"version": _STATES.c.version + 1}
    connection.execute(_STATES.update().where(*mine).values(
        {**{name: 0 for name in TOTALS}, **bumped}))
    connection.execute(
        _STATES.update()
        .where(*mine, _STATES.c.card_id == summed.c.card_id,
               _STATES.c.ordinal == summed.c.ordinal)
        .values({**{name: summed.c[name] for name in TOTALS}, **bumped})
    )
