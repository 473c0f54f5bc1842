"""What recording one answer tells the study page (``study_answer`` and ``shown_answer``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Outcome:
    grade: int  # on the scale of the scheduler that recorded it
    correct: bool | None
    mode: str
    due: date | None
    again: bool = False  # asked again in this session (``Scheduler.drill_again``)
    duplicate: bool = False
    conflict: bool = False
    response: str | None = None
    # For type-in answers: the accepted answer matched, and whether it matched exactly.
    matched: str | None = None
    exact: bool = True
    # The card answered, as read with the answer (the feedback page shows it).
    card: Any = field(default=None, repr=False, compare=False)
