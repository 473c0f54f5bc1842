"""What the rule mixins (``statements``, ``causes``, ``cause_links``) use of the per-document
reader they are mixed into (``extract._Reader``), declared once so that each mixin is
type-checked on its own. Declarations only: nothing here exists at run time."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from quizapp.generation.reader import Unit
from quizapp.generation.vocabulary import Vocabulary

if TYPE_CHECKING:
    from quizapp.generation.cause_links import FiledCauses
    from quizapp.generation.extract import DocumentFacts, Location

# A list entry: its display name and the aliases given with it.
Entry = tuple[str, tuple[str, ...]]


class ReaderHost:
    vocabulary: Vocabulary
    facts: DocumentFacts
    filed_causes: FiledCauses
    type_re: re.Pattern[str]
    head_re: str
    condition_re: re.Pattern[str]
    section_type: str | None
    section_untyped: bool
    section_heading: Unit | None
    # add(kind, entries, type_word, unit, strength=0.8, notes=()): see extract._Reader.add.
    add: Callable[..., None]

    if TYPE_CHECKING:

        def location(self, unit: Unit) -> Location: ...

        def types_in(self, text: str) -> list[str]: ...

        def topic(self, unit: Unit | None = None) -> str | None: ...

        def subject_type(self, text: str, unit: Unit | None = None) -> str | None: ...

        def define(self, type_word: str, phrase: str, unit: Unit) -> None: ...

        def _strength(
            self, sentence: str, type_word: str | None, unit: Unit
        ) -> tuple[float, tuple[str, ...]]: ...
