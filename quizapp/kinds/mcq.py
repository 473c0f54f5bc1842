"""Multiple choice: the learner picks one of 2 to 8 options, offered in a fresh random
order each time; the app grades the pick."""

from __future__ import annotations

import random
from collections.abc import Sequence

from quizapp.storable import MAX_CHOICES, MAX_FIELD, unstorable_text

from .anki import template
from .base import (
    AnkiNoteType,
    AnswerRefused,
    CardContent,
    CardKind,
    Response,
    Verdict,
)


class MultipleChoice(CardKind):
    name = "mcq"
    label = "Multiple choice"
    plural = "multiple choice"
    auto_graded = True
    has_choices = True
    requires_answer = False
    study_partial = "kinds/mcq_study.html"
    feedback_partial = "kinds/mcq_feedback.html"
    listing_partial = "kinds/mcq_listing.html"
    note_type = AnkiNoteType(
        "mcq",
        "QuizApp Multiple choice",
        ("Question", "Choices", "Correct", "Answer", "Explanation", "Source"),
        (
            template(
                "Card 1", "{{Question}}{{Choices}}",
                '<div class="correct">{{Correct}}. {{Answer}}</div>',
            ),
        ),
    )

    def check_fields(
        self, card: CardContent, where: str, problems: list[str], *, choices_given: bool
    ) -> str:
        """The right choice is the answer when the card states none."""
        choices, correct = card.choices, card.correct
        if (
            not all(c.strip() for c in choices)
            or not 2 <= len(choices) <= MAX_CHOICES
            or any(len(c) > MAX_FIELD or unstorable_text(c) for c in choices)
        ):
            problems.append(
                f"{where}: field 'choices' must list 2 to {MAX_CHOICES} non-blank strings "
                f"of at most {MAX_FIELD} characters each"
            )
            choices = ()
        elif len(set(choices)) != len(choices):
            problems.append(f"{where}: field 'choices' has the same choice twice")
        if isinstance(correct, bool) or not isinstance(correct, int):
            problems.append(f"{where}: field 'correct' must be the index of the right choice")
        elif choices and not 0 <= correct < len(choices):
            problems.append(f"{where}: field 'correct' is not an index into 'choices'")
        elif choices and not card.answer:
            return choices[correct]
        return card.answer

    def choice_order(self, choices: Sequence[str]) -> tuple[int, ...]:
        order = list(range(len(choices)))
        random.shuffle(order)
        return tuple(order)

    def check(
        self, response: Response, *, answer: str, choices: Sequence[str],
        correct: int | None, choice_order: Sequence[int],
    ) -> Verdict:
        if response.choice is None or not 0 <= response.choice < len(choice_order):
            raise AnswerRefused("Pick one of the options.")
        picked = choice_order[response.choice]
        return Verdict(picked == correct, choices[picked])

    def anki_fields(self, card: CardContent, source: str) -> list[str]:
        listed = "".join(f"<li>{choice}</li>" for choice in card.choices)
        correct = card.correct if card.correct is not None else 0
        answer = card.answer or card.choices[correct]
        return [card.prompt, f"<ol>{listed}</ol>", str(correct + 1), answer,
                card.explanation, source]
