"""What an answer in a study session is, for the review log and the session's counts."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """Only learn and review answers are passed to the scheduler; a repeat (a side asked again
    in the same session, see ``Scheduler.drill_again``) and a cram answer change no schedule."""

    LEARN = "learn"  # the first answer a side ever gets
    REVIEW = "review"
    REPEAT = "repeat"
    CRAM = "cram"

    @property
    def schedules(self) -> bool:
        return self in SCHEDULING


SCHEDULING = frozenset({Phase.LEARN, Phase.REVIEW})
