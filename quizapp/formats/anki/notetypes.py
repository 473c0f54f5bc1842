"""How an Anki note type's fields become a card: the kind, and which field goes where.

Pure Python. The card kind follows the note type's structure, not its name: the cloze flag;
fields naming a question, its choices (one field of lines or a list, or one field per
choice) and the right one (multiple choice); a single template with ``{{type:...}}``
(type-in); two mirrored templates (reversed, or basic when an optional reverse card was not
made) or one template (basic). Any other note type gives basic cards from its first two
fields. Every other field becomes part of the explanation, except a Source field, which
names a document the app cannot link back to: those are listed as unused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quizapp.formats.anki.collection import NoteType

SOURCE_FIELD_NAMES = frozenset({"source", "sources"})
# Field names (compared without case) of a multiple-choice note type.
QUESTION_FIELD_NAMES = ("question", "front", "prompt", "q", "text")
CHOICES_FIELD_NAMES = ("choices", "options", "alternatives", "answers", "choice list")
# The right choice: a letter, a number or the choice's own text. Listed by preference, so
# quizapp's export (Correct: a number; Answer: the choice repeated) reads its number.
CORRECT_FIELD_NAMES = (
    "correct", "correct answer", "right answer", "correct choice", "answer", "solution", "key",
)  # fmt: skip
# "Option A", "choice_2", "A", "3": one field per choice.
_CHOICE_FIELD_RE = re.compile(r"(?:option|choice|alternative|answer)?[ _-]?([a-h1-8])")
_FIELD_REF_RE = re.compile(r"\{\{([^{}]*)\}\}")


@dataclass(frozen=True)
class Shape:
    """How a note type's fields become a card: which kind and which fields go where."""

    kind: str
    front: int
    back: int | None
    extras: tuple[int, ...] = ()
    choices: tuple[int, ...] = ()  # one field of choices, or one field per choice
    correct: int | None = None
    recognised: bool = True
    unused: tuple[int, ...] = ()  # fields that reach no card


@dataclass(frozen=True)
class References:
    """The field names one template uses, each listed once in order of first use."""

    shown: tuple[str, ...]  # displayed as they are, inside conditional sections or not
    unconditional: tuple[str, ...]  # displayed outside every {{#F}}/{{^F}} section
    typed: tuple[str, ...]  # {{type:F}}
    clozed: tuple[str, ...]  # {{cloze:F}}

    @property
    def conditional_only(self) -> tuple[str, ...]:
        return tuple(name for name in self.shown if name not in self.unconditional)


def template_references(template: str) -> References:
    shown: dict[str, None] = {}
    unconditional: dict[str, None] = {}
    typed: dict[str, None] = {}
    clozed: dict[str, None] = {}
    open_sections: list[str] = []
    for match in _FIELD_REF_RE.finditer(template):
        reference = match.group(1).strip()
        if not reference or reference[0] == "!" or reference == "FrontSide":
            continue
        if reference[0] in "#^":
            open_sections.append(reference[1:].strip())
            continue
        if reference[0] == "/":
            # Anki refuses to render mismatched sections; a stray closing tag is ignored
            # here rather than failing the whole import.
            name = reference[1:].strip()
            if name in open_sections:
                while open_sections.pop() != name:
                    pass
            continue
        *filters, name = reference.split(":")
        name = name.strip()
        filters = [f.strip() for f in filters]
        if "type" in filters:
            typed[name] = None
        elif "cloze" in filters:
            clozed[name] = None
        else:
            shown[name] = None
            if not open_sections:
                unconditional[name] = None
    return References(tuple(shown), tuple(unconditional), tuple(typed), tuple(clozed))


def _is_source_field(name: str) -> bool:
    # quizapp's own export shows the name of the document a card came from in a Source
    # field. A card refers to its source by a location in a stored document, which a name
    # cannot restore, and the name is no explanation either, so the field is left out.
    return name.casefold() in SOURCE_FIELD_NAMES


def _completed(shape: Shape, fields: tuple[str, ...], shown_on_answer: tuple[str, ...]) -> Shape:
    """The shape with every field it does not use yet as an extra, or listed as unused.

    Extras come in the order the answer side shows them, then the remaining fields in
    their own order; nothing a note holds is dropped silently.
    """
    taken = {shape.front, shape.back, shape.correct, *shape.choices, *shape.extras}
    index = {name: position for position, name in enumerate(fields)}
    order = [index[name] for name in shown_on_answer if name in index]
    order += range(len(fields))
    extras = list(shape.extras)
    unused = []
    for position in dict.fromkeys(order):
        if position in taken:
            continue
        taken.add(position)
        if _is_source_field(fields[position]):
            unused.append(position)
        else:
            extras.append(position)
    return Shape(
        kind=shape.kind, front=shape.front, back=shape.back, extras=tuple(extras),
        choices=shape.choices, correct=shape.correct, recognised=shape.recognised,
        unused=tuple(unused),
    )


def _first_named(by_name: dict[str, int], names: tuple[str, ...]) -> int | None:
    return next((by_name[name] for name in names if name in by_name), None)


def _multiple_choice_shape(note_type: NoteType) -> Shape | None:
    """A note type asking a question with choices, recognised by its field names alone
    (Anki has no multiple-choice type of its own, so templates vary too much to read)."""
    by_name: dict[str, int] = {}
    for position, name in enumerate(note_type.fields):
        by_name.setdefault(" ".join(name.casefold().split()), position)
    question = _first_named(by_name, QUESTION_FIELD_NAMES)
    correct = _first_named(by_name, CORRECT_FIELD_NAMES)
    if question is None or correct is None:
        return None
    listed = _first_named(by_name, CHOICES_FIELD_NAMES)
    if listed is not None:
        choices: tuple[int, ...] = (listed,)
    else:
        labelled: dict[str, int] = {}
        for name, position in by_name.items():
            label = _CHOICE_FIELD_RE.fullmatch(name)
            if label and position not in (question, correct):
                labelled.setdefault(label.group(1), position)
        choices = tuple(labelled[key] for key in sorted(labelled))
        if len(choices) < 2:
            return None
    # A second answer field (quizapp's export repeats the right choice's text) is used up.
    repeats = tuple(
        position
        for name, position in by_name.items()
        if name in CORRECT_FIELD_NAMES and position != correct
    )
    return Shape(
        kind="mcq", front=question, back=repeats[0] if repeats else None, choices=choices,
        correct=correct,
    )


def shape_of(note_type: NoteType) -> Shape:
    fields = note_type.fields
    index = {name: position for position, name in enumerate(fields)}
    fallback = _completed(Shape(kind="basic", front=0, back=1, recognised=False), fields, ())
    if not note_type.templates:
        return fallback
    sides = [tuple(map(template_references, template)) for template in note_type.templates]
    question, answer = sides[0]
    if note_type.is_cloze:
        cloze_field = index.get(question.clozed[0], 0) if question.clozed else 0
        return _completed(Shape(kind="cloze", front=cloze_field, back=None), fields, answer.shown)
    multiple_choice = _multiple_choice_shape(note_type)
    if multiple_choice is not None:
        return _completed(multiple_choice, fields, answer.shown)
    if question.clozed or len(question.shown) != 1 or question.shown[0] not in index:
        return fallback
    front = question.shown[0]
    if len(sides) == 1 and question.typed:
        back = question.typed[0]
        if len(question.typed) == 1 and back in index and back != front:
            shape = Shape(kind="typein", front=index[front], back=index[back])
            return _completed(shape, fields, answer.shown)
        return fallback
    revealed = [name for name in answer.unconditional if name != front]
    if question.typed or len(revealed) != 1 or revealed[0] not in index:
        return fallback
    back = revealed[0]
    if len(sides) == 1:
        shape = Shape(kind="basic", front=index[front], back=index[back])
        return _completed(shape, fields, answer.shown)
    if len(sides) == 2:
        reverse_question, reverse_answer = sides[1]
        if (
            reverse_question.shown == (back,)
            and not reverse_question.typed
            and not reverse_question.clozed
            and [name for name in reverse_answer.unconditional if name != back] == [front]
        ):
            shape = Shape(kind="reversed", front=index[front], back=index[back])
            return _completed(shape, fields, answer.shown)
    return fallback
