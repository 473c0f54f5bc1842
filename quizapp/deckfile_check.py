"""Checking a card's values (pure), whether a deck file's JSON gave them or an importer built
the card: :mod:`quizapp.deckfile` reads the JSON's types, this module checks what every card
must be, and each kind (:meth:`~quizapp.kinds.CardKind.check_fields`) its own fields.

Importers build decks of tens of thousands of cards, so cards are checked as they are,
without writing them out in the file's form and reading them back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from quizapp import kinds
from quizapp.deckfile_fields import text_problem
from quizapp.storable import MAX_FIELD, unstorable_text

if TYPE_CHECKING:
    from quizapp.deckfile import CardData

MAX_GUID = 64
MAX_TAG = 100

GUID_RE = re.compile(r"^[\x21-\x7e]+$")
TAG_RE = re.compile(r"^[^\s]+$")

TAGS_PROBLEM = "{where}: field 'tags' must be a list of words without spaces"


@lru_cache(maxsize=4096)
def _is_tag(tag: str) -> bool:
    """Whether a tag (of at most MAX_TAG characters) is one word a database can hold."""
    return bool(TAG_RE.match(tag)) and not unstorable_text(tag)


# Tags already found good (each at most MAX_TAG characters): a deck's cards share a few tags,
# so most cards' tags are told good by one set lookup, without a call per tag.
_GOOD_TAGS: set[str] = set()
_MAX_GOOD_TAGS = 4096


def _tags_are_good(tags: tuple[str, ...]) -> bool:
    if _GOOD_TAGS.issuperset(tags):
        return True
    if max(map(len, tags)) > MAX_TAG or not all(map(_is_tag, tags)):
        return False
    if len(_GOOD_TAGS) > _MAX_GOOD_TAGS:
        _GOOD_TAGS.clear()
    _GOOD_TAGS.update(tags)
    return True


def card_place(index: int, guid: str) -> str:
    """How problems name a card: its number in the deck, and its guid once known."""
    return f"card {index + 1} (guid {guid})" if guid else f"card {index + 1}"


def checked_card(
    card: CardData, where: str, source_ids: set[str], problems: list[str], *,
    choices_given: bool,
) -> CardData | None:
    """The card with the values the format allows, or None with ``problems`` saying why.
    Its kind may change its answer (an mcq card's is its right choice when it states none);
    tags are kept once each. ``choices_given``: the card states choices or a right choice."""
    start = len(problems)
    guid, prompt, answer, explanation = card.guid, card.prompt, card.answer, card.explanation
    if not (  # the common card, told without a call per field: short ASCII without NULs
        len(guid) <= MAX_GUID and len(prompt) <= MAX_FIELD and len(answer) <= MAX_FIELD
        and len(explanation) <= MAX_FIELD
        and (joined := guid + prompt + answer + explanation).isascii() and "\x00" not in joined
    ):  # fmt: skip
        for key, value, limit in (("guid", guid, MAX_GUID), ("prompt", prompt, MAX_FIELD),
                                  ("answer", answer, MAX_FIELD),
                                  ("explanation", explanation, MAX_FIELD)):
            if problem := text_problem(value, limit):
                problems.append(f"{where}: field '{key}' {problem}")
    if card.guid and not GUID_RE.match(card.guid):
        problems.append(f"{where}: field 'guid' must be printable ASCII without spaces")
    card_kind = kinds.find(card.kind)
    if card_kind is None:
        problems.append(f"{where}: field 'kind' must be one of {', '.join(kinds.names())}")
        if choices_given:
            kinds.refuse_choices(where, problems)
    if not prompt or prompt.isspace():
        problems.append(f"{where}: field 'prompt' must not be blank")
    if card_kind is not None:
        answer = card_kind.check_fields(card, where, problems, choices_given=choices_given)
    tags = card.tags
    if tags and not _tags_are_good(tags):
        problems.append(TAGS_PROBLEM.format(where=where))
    for ref in card.sources:
        if ref.source not in source_ids:
            problems.append(f"{where}: field 'sources' names unknown source {ref.source!r}")
    if len(problems) > start:
        return None
    if answer is card.answer and (
        len(tags) < 2 or (tags[0] != tags[1] if len(tags) == 2 else len(set(tags)) == len(tags))
    ):
        return card
    return replace(card, answer=answer, tags=tuple(dict.fromkeys(tags)))


def as_written(card: CardData) -> CardData:
    """The card as a deck file holds it: a kind with choices keeps its right choice, not an
    answer of its own, and other kinds keep no choices. A card with choices whose answer is
    its right choice is returned as it is: reading the file back fills in just that answer
    (:meth:`~quizapp.kinds.mcq.MultipleChoice.check_fields`), so no copy is made to blank it."""
    card_kind = kinds.find(card.kind)
    if card_kind is not None and card_kind.has_choices:
        if not card.answer or _answers_its_right_choice(card):
            return card
        return replace(card, answer="")
    if card.choices or card.correct is not None:
        return replace(card, choices=(), correct=None)
    return card


def _answers_its_right_choice(card: CardData) -> bool:
    correct, choices = card.correct, card.choices
    return (
        type(correct) is int and 0 <= correct < len(choices) and card.answer == choices[correct]
    )


def unique_cards(cards: Iterable[CardData | None], problems: list[str]) -> list[CardData]:
    """The cards read (None for one refused), each guid once."""
    kept = []
    seen: set[str] = set()
    for index, card in enumerate(cards):
        if card is None:
            continue
        if card.guid in seen:
            problems.append(f"{card_place(index, card.guid)}: field 'guid' is repeated")
        seen.add(card.guid)
        kept.append(card)
    return kept
