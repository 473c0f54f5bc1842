"""The card kind interface and the registry of kinds (pure: no Flask, no database).

A kind says in one place everything the rest of the app asks about a card: how it is named
and listed, which of a card's fields it uses and how they are checked, which sides it has
(Anki's cards of one note), what a learner sees on each side, whether the app grades the
answer or the learner does, which template partials show it, and how it travels to Anki and
CSV. Callers look a kind up with :func:`get` and never compare kind names themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

DEFAULT_KIND = "basic"


class UnknownKind(KeyError):
    """No card kind is registered under this name."""


class AnswerRefused(ValueError):
    """An answer that cannot be graded (nothing picked, too long); the message says why."""


class CardContent(Protocol):
    """What a kind reads of a card from a file (a deck-file card, a CSV row, an export)."""

    @property
    def prompt(self) -> str: ...
    @property
    def answer(self) -> str: ...
    @property
    def choices(self) -> tuple[str, ...]: ...
    @property
    def correct(self) -> int | None: ...
    @property
    def explanation(self) -> str: ...


@dataclass(frozen=True)
class Response:
    """What the learner sent for an auto-graded card: the option picked or the text typed."""

    choice: int | None = None
    typed: str | None = None


@dataclass(frozen=True)
class Verdict:
    """An auto-graded answer: right or wrong, the answer as recorded, and for typed answers
    the accepted text it matched and whether it matched exactly."""

    correct: bool
    response: str | None
    matched: str | None = None
    exact: bool = False


@dataclass(frozen=True)
class AnkiTemplate:
    name: str
    question: str
    answer: str


@dataclass(frozen=True)
class AnkiNoteType:
    """A note type as data (as genanki declares one); the exporter builds the model."""

    key: str
    name: str
    fields: tuple[str, ...]
    templates: tuple[AnkiTemplate, ...]
    cloze: bool = False


class CardKind:
    """One kind of card. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    label: ClassVar[str]  # in the card editor's list of kinds
    plural: ClassVar[str]  # in a deck's overview: "3 multiple choice"
    note_type: ClassVar[AnkiNoteType]
    # The app grades the answer (the learner answers by a form); otherwise the learner
    # reveals the back and rates their own recall with the scheduler's buttons.
    auto_graded: ClassVar[bool] = False
    has_choices: ClassVar[bool] = False
    requires_answer: ClassVar[bool] = True
    answer_missing: ClassVar[str] = "Write the answer shown on the back of the card."
    # Template partials, each rendered with the page's context: the answer form on the study
    # page (None: reveal and self-grade), the wrong-answer reveal on the feedback page, and
    # what a deck's card list shows below the prompt (None: nothing).
    study_partial: ClassVar[str | None] = None
    feedback_partial: ClassVar[str | None] = None
    listing_partial: ClassVar[str | None] = None

    def ordinals(self, prompt: str) -> tuple[int, ...]:
        """The separately scheduled sides of a card (Anki's cards of one note)."""
        return (0,)

    def side(self, prompt: str, answer: str, ordinal: int) -> tuple[str, str]:
        """The front and back HTML of one side, before sanitizing."""
        return prompt, answer

    def prompt_problem(self, prompt: str) -> str | None:
        """Why ``prompt`` cannot be this kind's prompt ("needs ..."), or None."""
        return None

    def prompt_form_error(self, prompt: str) -> str | None:
        """The card editor's message for a prompt this kind refuses."""
        problem = self.prompt_problem(prompt)
        return f"This prompt {problem}." if problem else None

    def anki_prompt_problem(self, prompt: str) -> str | None:
        """Why an Anki note of this kind is skipped on import, in the import report's words."""
        return None

    def kind_for_anki_cards(self, ordinals: Sequence[int]) -> str:
        """The kind an Anki note becomes, given the card ordinals the collection holds."""
        return self.name

    def recognises_prompt(self, prompt: str) -> bool:
        """Whether a prompt alone marks a card of this kind (a CSV row with no kind)."""
        return False

    def check_fields(
        self, card: CardContent, where: str, problems: list[str], *, choices_given: bool
    ) -> str:
        """Check the kind's fields of a card read from a deck file or built by an importer,
        adding each problem to ``problems``; the answer the card keeps. ``choices_given``:
        the file states choices or a right choice (which only kinds with choices may)."""
        if choices_given:
            refuse_choices(where, problems)
        if self.requires_answer and (not card.answer or card.answer.isspace()):
            problems.append(f"{where}: field 'answer' is required for {self.name} cards")
        if card.prompt and (problem := self.prompt_problem(card.prompt)):
            problems.append(f"{where}: field 'prompt' of a {self.name} card {problem}")
        return card.answer

    def choice_order(self, choices: Sequence[str]) -> tuple[int, ...]:
        """The order the options are offered in, as indexes into ``choices``."""
        return ()

    def check(
        self, response: Response, *, answer: str, choices: Sequence[str],
        correct: int | None, choice_order: Sequence[int],
    ) -> Verdict:
        """Grade an auto-graded kind's answer; raise :class:`AnswerRefused` if there is none."""
        raise NotImplementedError(f"{self.name} cards are graded by the learner")

    def typed_match(self, response: str, answer: str) -> Verdict | None:
        """How a recorded typed answer matched the card's answer, for the feedback page."""
        return None

    def anki_fields(self, card: CardContent, source: str) -> list[str]:
        """The note's fields, in the order of :attr:`note_type`'s fields."""
        return [card.prompt, card.answer, card.explanation, source]


_KINDS: dict[str, CardKind] = {}


def register(kind: CardKind) -> CardKind:
    if kind.name in _KINDS:
        raise ValueError(f"a card kind named {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    _KINDS.pop(name, None)


def get(name: str) -> CardKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownKind(name) from None


def find(name: object) -> CardKind | None:
    """The kind named ``name``, or None for anything else (a file's unchecked value)."""
    return _KINDS.get(name) if isinstance(name, str) else None


def names() -> tuple[str, ...]:
    """Every registered kind's name, in the order they were registered."""
    return tuple(_KINDS)


def all_kinds() -> tuple[CardKind, ...]:
    return tuple(_KINDS.values())


def inferred(prompt: str, *, choices_given: bool) -> str:
    """The kind of a card whose file does not say: one with choices if choices are given,
    else the first kind its prompt marks, else :data:`DEFAULT_KIND`."""
    for kind in _KINDS.values():
        if kind.has_choices if choices_given else kind.recognises_prompt(prompt):
            return kind.name
    return DEFAULT_KIND


def refuse_choices(where: str, problems: list[str]) -> None:
    """A deck-file card of a kind without choices states some: say whose they are."""
    owners = " and ".join(kind.name for kind in _KINDS.values() if kind.has_choices)
    problems.append(f"{where}: fields 'choices' and 'correct' belong to {owners} cards only")
