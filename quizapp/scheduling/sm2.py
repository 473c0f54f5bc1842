"""SuperMemo's SM-2 scheduler (Woźniak, 1990), as published, with exact decimal easiness.

The published prose and SuperMemo's Delphi reference code disagree on two points. This module
follows **the prose**, because it is the specification the issue asks for and the code is an
illustration of it:

* **Rounding.** The prose says a fractional interval is rounded *up* ("if interval is a
  fraction, round it up to the nearest integer"); the Delphi code uses ``Round``, which is
  half-even. Here: ``ceil``.
* **Easiness on a failing grade.** The prose says that after a grade below 3 repetitions start
  from the beginning "without changing the E-Factor"; the Delphi code adjusts EF on every grade.
  Here: a failing grade leaves EF unchanged, so a forgotten card is relearned at the ease it had.

Every other choice this module makes:

* **EF arithmetic is exact.** EF is a :class:`decimal.Decimal`, never a binary float. Each
  grade's adjustment ``0.1 − (5−q)(0.08 + (5−q)·0.02)`` is a whole number of hundredths
  (+0.10, 0, −0.14, −0.32, −0.54, −0.80), so EF starting at 2.5 always has at most two decimals
  and needs no quantizing. Floats would make ``ceil`` schedule a day late: 2.5 + 0.1 + 0.1 + 0.1
  is 2.8000000000000003 in binary, and 125 × that is 350.00000000000006, which rounds up to 351
  instead of 350. Arithmetic runs in a private decimal context that traps inexact results, so
  the exactness claim is checked rather than hoped for, whatever context the caller has set.
* **EF floor.** EF never drops below 1.3; a new card starts at 2.5.
* **Which EF sets the interval.** ``I(n) = I(n−1) × EF`` uses the EF the card had *before* this
  review's adjustment, as the reference code and the ``supermemo2`` package do; the new EF
  shapes the interval after next.
* **Intervals.** On a passing grade (q ≥ 3): 1 day after the first success, 6 after the second,
  then the previous interval × EF rounded up; repetitions go up by one. On a failing grade
  (q < 3): repetitions restart at 0 and the interval is 1 day, so the next success again gives
  1 day, then 6, as if the card were new.
* **Interval cap.** Beyond the published algorithm, intervals stop growing at
  :data:`MAX_INTERVAL_DAYS` (100 years, Anki's default maximum). Unchecked growth reaches that
  only after nine perfect reviews spread over several decades, and without a cap the due date
  would eventually overflow :class:`datetime.date`.
* **Due date of a new card.** ``None``: a card never reviewed has no schedule yet and counts as
  due on any day (see :meth:`Sm2State.is_due`). After a review, ``due = today + interval``.
* **Lapses.** ``lapses`` counts failing grades given to a card that had been recalled at least
  once (repetitions ≥ 1 before the review). Failing a new card, or failing again before any
  success, is still learning, not forgetting, so it does not count.
* **Same-session repeats.** Items graded below 4 are asked again later in the same session
  until they score at least 4 (:func:`needs_repeat_in_session`). Those drills only decide what
  to show next; their grades must not be passed to :func:`review`, so the stored schedule is
  set once per card per session by its first grade.
* **Grades.** Only ``int`` 0..5 is a grade; anything else, ``bool`` included, raises
  ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import (
    ROUND_CEILING,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from types import MappingProxyType
from typing import Any

MIN_GRADE = 0
MAX_GRADE = 5
PASSING_GRADE = 3
SESSION_DONE_GRADE = 4

INITIAL_EASINESS = Decimal("2.5")
MIN_EASINESS = Decimal("1.3")
FIRST_INTERVAL_DAYS = 1
SECOND_INTERVAL_DAYS = 6
MAX_INTERVAL_DAYS = 36_500

GRADE_LABELS: Mapping[int, str] = MappingProxyType(
    {
        0: "Blackout – no memory at all",
        1: "Wrong, but I recognised the answer when I saw it",
        2: "Wrong, but the answer seemed easy once I saw it",
        3: "Correct, but it took real effort",
        4: "Correct after a little hesitation",
        5: "Perfect – instant and sure",
    }
)

_EXACT = Context(prec=60, traps=[Inexact, InvalidOperation, Overflow, DivisionByZero])


def _checked_grade(grade: object) -> int:
    if isinstance(grade, bool) or not isinstance(grade, int):
        raise ValueError(f"SM-2 grade must be an int from 0 to 5, got {grade!r}")
    if not MIN_GRADE <= grade <= MAX_GRADE:
        raise ValueError(f"SM-2 grade must be from 0 to 5, got {grade}")
    return int(grade)


def easiness_change(grade: int) -> Decimal:
    """The published EF adjustment for ``grade``: 0.1 − (5−q)(0.08 + (5−q)·0.02)."""
    shortfall = Decimal(MAX_GRADE - _checked_grade(grade))
    spread = _EXACT.add(Decimal("0.08"), _EXACT.multiply(shortfall, Decimal("0.02")))
    return _EXACT.subtract(Decimal("0.1"), _EXACT.multiply(shortfall, spread))


# Every grade's adjustment, computed once: each answer adds one of them.
_EASINESS_CHANGES = tuple(easiness_change(grade) for grade in range(MIN_GRADE, MAX_GRADE + 1))


def needs_repeat_in_session(grade: int) -> bool:
    """Whether a card graded ``grade`` must be asked again before the session ends."""
    return _checked_grade(grade) < SESSION_DONE_GRADE


@dataclass(frozen=True)
class Sm2State:
    """A card's SM-2 schedule. ``due`` is None for a card that has never been reviewed."""

    easiness: Decimal
    interval: int
    repetitions: int
    due: date | None
    lapses: int

    def __post_init__(self) -> None:
        if not isinstance(self.easiness, Decimal) or not self.easiness.is_finite():
            raise ValueError(f"easiness must be a finite Decimal, got {self.easiness!r}")
        if self.easiness < MIN_EASINESS:
            raise ValueError(f"easiness must be at least {MIN_EASINESS}, got {self.easiness}")
        for name in ("interval", "repetitions", "lapses"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        if self.due is not None and (
            isinstance(self.due, datetime) or not isinstance(self.due, date)
        ):
            raise ValueError(f"due must be a date or None, got {self.due!r}")

    @classmethod
    def new(cls) -> Sm2State:
        return _NEW if cls is Sm2State else cls(INITIAL_EASINESS, 0, 0, None, 0)

    def is_due(self, today: date) -> bool:
        return self.due is None or self.due <= today

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: easiness as a decimal string ("2.36", "2.50"), due as an ISO date."""
        return {
            "easiness": easiness_text(self.easiness),
            "interval": self.interval,
            "repetitions": self.repetitions,
            "due": None if self.due is None else self.due.isoformat(),
            "lapses": self.lapses,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sm2State:
        """Inverse of :meth:`to_dict`; raises ValueError on missing or malformed fields."""
        try:
            easiness_text = data["easiness"]
            due_text = data["due"]
            interval, repetitions, lapses = data["interval"], data["repetitions"], data["lapses"]
        except KeyError as missing:
            raise ValueError(f"SM-2 state is missing {missing}") from None
        # Floats are refused outright: accepting them would smuggle binary noise back into EF.
        if not isinstance(easiness_text, str):
            raise ValueError(f"easiness must be a decimal string, got {easiness_text!r}")
        try:
            easiness = Decimal(easiness_text)
        except InvalidOperation:
            raise ValueError(f"easiness is not a decimal number: {easiness_text!r}") from None
        if due_text is not None and not isinstance(due_text, str):
            raise ValueError(f"due must be an ISO date string or null, got {due_text!r}")
        due = None if due_text is None else date.fromisoformat(due_text)
        return cls(
            easiness=easiness, interval=interval, repetitions=repetitions, due=due, lapses=lapses
        )


# States are immutable, so every new card shares one.
_NEW = Sm2State(easiness=INITIAL_EASINESS, interval=0, repetitions=0, due=None, lapses=0)


def _reviewed(easiness: Decimal, interval: int, repetitions: int, due: date, lapses: int
              ) -> Sm2State:
    """A state :func:`review` worked out from a valid one, built without ``__post_init__``'s
    checks: its values hold them by construction (a property test checks every state it
    returns against them), and the checks cost as much as the review's own arithmetic."""
    state = object.__new__(Sm2State)
    state.__dict__.update(easiness=easiness, interval=interval, repetitions=repetitions,
                          due=due, lapses=lapses)
    return state


def easiness_text(easiness: Decimal) -> str:
    """Easiness as stored: "2.50", "2.36"."""
    # Two decimals keeps stored logs uniform ("2.50", "2.36"); an imported EF with finer
    # precision is written out in full rather than rounded.
    exact = easiness.normalize(_EXACT)
    exponent = exact.as_tuple().exponent  # an int: easiness is finite (checked on creation)
    if isinstance(exponent, int) and exponent >= -2:
        return f"{exact:.2f}"
    return format(exact, "f")


def _next_passing_interval(state: Sm2State) -> int:
    if state.repetitions == 0:
        return FIRST_INTERVAL_DAYS
    if state.repetitions == 1:
        return SECOND_INTERVAL_DAYS
    product = _EXACT.multiply(Decimal(state.interval), state.easiness)
    rounded_up = int(product.to_integral_value(rounding=ROUND_CEILING, context=_EXACT))
    return min(rounded_up, MAX_INTERVAL_DAYS)


def due_after(state: Sm2State, passed: bool, today: date) -> date:
    """The due day ``review(state, grade, today)`` gives for every grade that passes
    (``passed``), or for every one that fails: the new interval depends on nothing else (the
    easiness a passing grade changes counts from the review after)."""
    return today + timedelta(days=_next_passing_interval(state) if passed else FIRST_INTERVAL_DAYS)


def review(state: Sm2State, grade: int, today: date) -> Sm2State:
    """The schedule after ``state`` is graded ``grade`` (0..5) on the learner's day ``today``."""
    grade = _checked_grade(grade)
    if isinstance(today, datetime) or not isinstance(today, date):
        raise TypeError(f"today must be a date, got {today!r}")
    if grade < PASSING_GRADE:
        interval = FIRST_INTERVAL_DAYS
        return _reviewed(state.easiness, interval, 0, today + timedelta(days=interval),
                         state.lapses + (1 if state.repetitions >= 1 else 0))
    interval = _next_passing_interval(state)
    easiness = max(MIN_EASINESS, _EXACT.add(state.easiness, _EASINESS_CHANGES[grade]))
    return _reviewed(easiness, interval, state.repetitions + 1,
                     today + timedelta(days=interval), state.lapses)

