"""Reversed pairs: one note asked both ways, front to back (side 0) and back to front (1)."""

from __future__ import annotations

from collections.abc import Sequence

from .anki import front_back, template
from .base import CardKind
from .basic import Basic


class Reversed(CardKind):
    name = "reversed"
    label = "Reversed pair (both directions)"
    plural = "reversed pairs"
    note_type = front_back(
        "reversed",
        "QuizApp Basic (and reversed card)",
        template("Card 1", "{{Front}}", "{{Back}}"),
        template("Card 2", "{{Back}}", "{{Front}}"),
    )

    def ordinals(self, prompt: str) -> tuple[int, ...]:
        return (0, 1)

    def side(self, prompt: str, answer: str, ordinal: int) -> tuple[str, str]:
        return (answer, prompt) if ordinal == 1 else (prompt, answer)

    def kind_for_anki_cards(self, ordinals: Sequence[int]) -> str:
        # "Basic (optional reversed card)" with the reverse never made asks one way only.
        return self.name if 1 in ordinals else Basic.name
