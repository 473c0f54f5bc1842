"""Basic cards: a front and a back; the learner reveals the back and grades their recall."""

from __future__ import annotations

from .anki import front_back, template
from .base import CardKind


class Basic(CardKind):
    name = "basic"
    label = "Basic (front and back)"
    plural = "flashcards"
    note_type = front_back("basic", "QuizApp Basic", template("Card 1", "{{Front}}", "{{Back}}"))
