"""Cloze cards: a text with numbered gaps; each gap number is a side of its own."""

from __future__ import annotations

from quizapp.cloze import (
    MAX_CLOZE_NUMBER,
    ClozeGap,
    cloze_gaps,
    cloze_problem,
    has_cloze_gap,
    replace_cloze_gaps,
)

from .base import AnkiNoteType, AnkiTemplate, CardContent, CardKind


def cloze_side(text: str, ordinal: int, *, reveal: bool) -> str:
    """Anki's cloze: the gaps of ``ordinal`` are hidden (or shown marked); others read plainly."""

    def replace(gap: ClozeGap) -> str:
        if gap.number is None or gap.number - 1 != ordinal:
            return gap.answer
        # <mark> survives sanitizing (class attributes do not) and the stylesheet styles it.
        if reveal:
            return f"<mark>{gap.answer}</mark>"
        return f"<mark>[{gap.hint or '…'}]</mark>"

    return replace_cloze_gaps(text, replace)


class Cloze(CardKind):
    name = "cloze"
    label = "Cloze (fill in {{c1::gap}})"
    plural = "cloze"
    requires_answer = False
    note_type = AnkiNoteType(
        "cloze",
        "QuizApp Cloze",
        ("Text", "Back Extra", "Source"),
        (
            AnkiTemplate(
                "Cloze",
                "{{cloze:Text}}",
                "{{cloze:Text}}"
                '{{#Back Extra}}<div class="explanation">{{Back Extra}}</div>{{/Back Extra}}'
                '{{#Source}}<div class="source">Source: {{Source}}</div>{{/Source}}',
            ),
        ),
        cloze=True,
    )

    def ordinals(self, prompt: str) -> tuple[int, ...]:
        numbers = sorted({gap.number for gap in cloze_gaps(prompt) if gap.number})
        return tuple(n - 1 for n in numbers) or (0,)

    def side(self, prompt: str, answer: str, ordinal: int) -> tuple[str, str]:
        back = cloze_side(prompt, ordinal, reveal=True)
        if answer:
            # A cloze card's answer field is extra text shown below the revealed gaps.
            back += "<hr>" + answer
        return cloze_side(prompt, ordinal, reveal=False), back

    def prompt_problem(self, prompt: str) -> str | None:
        return cloze_problem(prompt)

    def prompt_form_error(self, prompt: str) -> str | None:
        if not has_cloze_gap(prompt):
            return "A cloze card needs at least one gap, written as {{c1::hidden words}}."
        return super().prompt_form_error(prompt)

    def anki_prompt_problem(self, prompt: str) -> str | None:
        if "image-occlusion:" in prompt:
            return "image occlusion notes are not supported"
        if cloze_problem(prompt) is None:  # the common note: its gaps read once
            return None
        if not has_cloze_gap(prompt):
            return "their cloze text has no {{c1::...}} gaps"
        return f"their cloze gaps are not numbered within c1 to c{MAX_CLOZE_NUMBER}"

    def recognises_prompt(self, prompt: str) -> bool:
        return has_cloze_gap(prompt)

    def anki_fields(self, card: CardContent, source: str) -> list[str]:
        extra = "<br>".join(part for part in (card.answer, card.explanation) if part)
        return [card.prompt, extra, source]
