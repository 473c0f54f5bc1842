"""Building blocks of the Anki note types the kinds declare (pure data, no genanki)."""

from __future__ import annotations

from .base import AnkiNoteType, AnkiTemplate

BACK_EXTRAS = (
    '{{#Explanation}}<div class="explanation">{{Explanation}}</div>{{/Explanation}}'
    '{{#Source}}<div class="source">Source: {{Source}}</div>{{/Source}}'
)
ANSWER_RULE = '<hr id="answer">'
FRONT_BACK_FIELDS = ("Front", "Back", "Explanation", "Source")


def template(
    name: str, question: str, answer: str, shown_above: str = "{{FrontSide}}"
) -> AnkiTemplate:
    """A card template whose back shows ``shown_above``, the answer and the extras."""
    return AnkiTemplate(name, question, shown_above + ANSWER_RULE + answer + BACK_EXTRAS)


def front_back(key: str, name: str, *templates: AnkiTemplate) -> AnkiNoteType:
    """A note type with quizapp's Front, Back, Explanation and Source fields."""
    return AnkiNoteType(key, name, FRONT_BACK_FIELDS, templates)
