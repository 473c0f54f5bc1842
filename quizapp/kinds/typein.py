"""Type-in cards: the learner types the answer, which the app compares leniently
(:func:`quizapp.scheduling.grading.check_typein`)."""

from __future__ import annotations

from collections.abc import Sequence

from quizapp.scheduling import grading

from .anki import front_back, template
from .base import AnswerRefused, CardKind, Response, Verdict


class TypeIn(CardKind):
    name = "typein"
    label = "Type the answer"
    plural = "type-in"
    auto_graded = True
    answer_missing = "Write the answer the learner must type."
    study_partial = "kinds/typein_study.html"
    feedback_partial = "kinds/typein_feedback.html"
    note_type = front_back(
        "typein",
        "QuizApp Type in the answer",
        template("Card 1", "{{Front}}<br>{{type:Back}}", "{{type:Back}}", shown_above="{{Front}}"),
    )

    def check(
        self, response: Response, *, answer: str, choices: Sequence[str],
        correct: int | None, choice_order: Sequence[int],
    ) -> Verdict:
        if response.typed is None:
            raise AnswerRefused("Type your answer first.")
        return self.typed_match(response.typed, answer)

    def typed_match(self, response: str, answer: str) -> Verdict:
        try:
            check = grading.check_typein(response, answer)
        except grading.AnswerTooLong:
            raise AnswerRefused(
                f"That answer is too long: answers are at most {grading.MAX_ANSWER_CHARS} "
                "characters."
            ) from None
        return Verdict(check.correct, response, check.alternative, check.exact)
