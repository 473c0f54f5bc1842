"""SM-2 behind the :class:`~quizapp.scheduling.base.Scheduler` interface.

A thin adapter: every schedule comes from ``sm2.review`` unchanged (a test replays random
histories through both), grades are SM-2's 0–5 with ``sm2.GRADE_LABELS``, auto-graded answers
keep ``grading.mcq_grade``'s mapping, and a grade below 4 is drilled again in the session
without rescheduling, as before.

* Stages: new when never reviewed; learning while the last answer failed (no success since,
  ``repetitions == 0``); then young below 21 days of interval and mature from 21 days.
* Anki: a studied card is a review card (type 2, queue 2) with ``ivl`` = interval (at least
  1), ``factor`` = easiness × 1000 and the due day; SM-2 has no intraday steps.
* JSON (version 1): ``{"scheduler": "sm2", "v": 1}`` plus ``Sm2State.to_dict()``. A snapshot
  without ``"scheduler"`` and ``"v"`` is read as a bare ``Sm2State.to_dict()``, the form review
  logs written before this interface hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import grading, sm2
from .base import (
    ANKI_AGAIN,
    ANKI_NEW,
    ANKI_REVIEW,
    AnkiSchedule,
    Due,
    JsonObject,
    Moment,
    RatingOption,
    RatingScale,
    ReviewRecord,
    Scheduler,
    Stage,
    stage_for_interval,
)

SM2_JSON_VERSION = 1
SM2_CONFIRM_KEY = "Enter"  # after revealing with Space, Enter gives 4, as Anki's Enter is Good

SM2_SCALE = RatingScale(
    tuple(
        RatingOption(
            value=grade,
            label=str(grade),
            description=description,
            keys=(str(grade),) + ((SM2_CONFIRM_KEY,) if grade == sm2.SESSION_DONE_GRADE else ()),
            passing=grade >= sm2.PASSING_GRADE,
        )
        for grade, description in sorted(sm2.GRADE_LABELS.items())
    )
)


def anki_factor(easiness: Decimal) -> int:
    """Anki keeps ease in permille: an easiness of 2.5 is factor 2500."""
    return int((easiness * 1000).to_integral_value())


# Anki's buttons as SM-2 grades: Hard, Good and Easy are 3, 4 and 5 (the inverse of
# :func:`anki_button_for_grade`); Again stands for SM-2's failing grades, of which 1
# ("recognised once shown") is what a learner pressing Again has usually done.
SM2_GRADE_FOR_ANKI_BUTTON = {1: 1, 2: 3, 3: 4, 4: 5}


def anki_button_for_grade(grade: int) -> int:
    """An SM-2 grade as Anki's answer button: 0–2 Again (1), 3 Hard, 4 Good, 5 Easy (4)."""
    grade = SM2_SCALE.check(grade)
    return ANKI_AGAIN if grade < sm2.PASSING_GRADE else grade - 1


class Sm2Scheduler(Scheduler[sm2.Sm2State]):
    name = "sm2"
    label = "SM-2"
    scale = SM2_SCALE

    def new_state(self) -> sm2.Sm2State:
        return sm2.Sm2State.new()

    def review(
        self, state: sm2.Sm2State, rating: int, now: Moment
    ) -> tuple[sm2.Sm2State, ReviewRecord]:
        grade = self.scale.check(rating)
        today = now.day
        after = sm2.review(state, grade, today)
        assert after.due is not None  # a reviewed card always has a due day
        record = ReviewRecord(
            rating=grade,
            reviewed_at=now.at,
            day=today,
            stage_before=self.stage(state),
            interval_before=state.interval,
            interval=after.interval,
            due=Due(after.due, now.start_of(after.due)),
            passed=self.scale.passes(grade),
        )
        return after, record

    def preview(self, state: sm2.Sm2State, now: Moment) -> dict[int, Due]:
        """As ``Scheduler.preview``, without the review records it does not need: the grade
        buttons are on every study page. The passing grades share one due day, and so do
        the failing ones (``sm2.due_after``)."""
        failed, passed = (sm2.due_after(state, passes, now.day) for passes in (False, True))
        failed_due = Due(failed, now.start_of(failed))
        passed_due = failed_due if passed == failed else Due(passed, now.start_of(passed))
        return {option.value: passed_due if option.passing else failed_due
                for option in self.scale.options}

    def stage(self, state: sm2.Sm2State) -> Stage:
        if state.due is None:
            return Stage.NEW
        if state.repetitions == 0 or state.interval < 1:
            return Stage.LEARNING
        return stage_for_interval(state.interval)

    def to_anki(self, state: sm2.Sm2State) -> AnkiSchedule:
        factor = anki_factor(state.easiness)
        if state.due is None:
            return AnkiSchedule(ANKI_NEW, ANKI_NEW, 0, factor, None, None, state.lapses)
        return AnkiSchedule(
            ANKI_REVIEW, ANKI_REVIEW, max(1, state.interval), factor, state.due, None, state.lapses
        )

    def to_json(self, state: sm2.Sm2State) -> JsonObject:
        return {"scheduler": self.name, "v": SM2_JSON_VERSION, **state.to_dict()}

    def to_json_text(self, state: sm2.Sm2State) -> str:
        """``json.dumps(self.to_json(state))`` formatted directly: the shape is fixed, the
        easiness and due texts need no escaping and the counts are ints (a property test
        compares the two)."""
        due = "null" if state.due is None else f'"{state.due.isoformat()}"'
        return (f'{{"scheduler": "{self.name}", "v": {SM2_JSON_VERSION}, '
                f'"easiness": "{sm2.easiness_text(state.easiness)}", '
                f'"interval": {state.interval}, "repetitions": {state.repetitions}, '
                f'"due": {due}, "lapses": {state.lapses}}}')

    def from_json(self, data: Mapping[str, Any]) -> sm2.Sm2State:
        # A dict (what a JSON column gives) is a Mapping without asking the ABC's machinery.
        if ((type(data) is dict or isinstance(data, Mapping))
                and "scheduler" not in data and "v" not in data):
            return sm2.Sm2State.from_dict(data)
        self._checked_json(data, SM2_JSON_VERSION)
        return sm2.Sm2State.from_dict(data)

    def auto_rating(self, correct: bool, seconds: float | None) -> int:
        return grading.mcq_grade(correct, seconds)

    def anki_button(self, rating: int) -> int:
        return anki_button_for_grade(self.scale.check(rating))

    def rating_for_anki_button(self, button: int) -> int:
        if isinstance(button, bool) or button not in SM2_GRADE_FOR_ANKI_BUTTON:
            raise ValueError(f"an Anki button is 1 to 4, got {button!r}")
        return SM2_GRADE_FOR_ANKI_BUTTON[button]

    def drill_again(self, rating: int) -> bool:
        return sm2.needs_repeat_in_session(self.scale.check(rating))
