"""Write study cards from the reconciled knowledge, in the project's own words.

Every card tests one fact; its guid is a hash of that fact's key (not of the wording), so a
regenerated deck updates the card a learner already studies. A fact the sources contradict
is never asked with a single right answer: it becomes a card about the disagreement.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

from quizapp.deckfile import CardData, SourceRef
from quizapp.generation.cause_cards import CauseCards, capital, type_tag
from quizapp.generation.confidence import is_suggestion
from quizapp.generation.extract import Location
from quizapp.generation.names import MAX_NAME_WORDS
from quizapp.generation.reconcile import (
    TAUGHT,
    Entity,
    Knowledge,
    reversibility_of,
    summary_value,
)
from quizapp.generation.text import (
    fold,
    join_names,
    slug,
)

# The deck format's most choices for a multiple-choice card.
MAX_CHOICES = 8


class DeckWriter(CauseCards):
    def __init__(self, knowledge: Knowledge, source_ids: dict[str, str]):
        self.knowledge = knowledge
        self.vocabulary = knowledge.vocabulary
        self.condition = self.vocabulary.condition
        self.source_ids = source_ids
        self.cards: list[CardData] = []
        self.prompts: set[str] = set()
        self.guids: set[str] = set()
        self.type_order = self._type_order()

    # -- helpers --

    def _type_order(self) -> list[str]:
        support = {
            t: len({f.source for f in self.knowledge.facts if t in f.types})
            for t in self.vocabulary.type_words
        }
        return sorted((t for t in support if support[t]), key=lambda t: (-support[t], t))

    def type_name(self, type_word: str) -> str:
        if self.vocabulary.head in type_word.split():
            return type_word
        return f"{type_word} {self.vocabulary.suffix_of(type_word)}"

    def type_aliases(self, type_word: str) -> list[str]:
        """Other names of a type that are not mere spelling variants of a shorter one."""
        seen: list[str] = []
        for word in self.vocabulary.type_words[type_word][1:]:
            if not any(word.startswith(other) or other.startswith(word) for other in seen):
                seen.append(word)
        return seen

    def type_label(self, type_word: str) -> str:
        aliases = self.type_aliases(type_word)
        if aliases:
            suffix = self.vocabulary.suffix_of(type_word)
            return capital(f"{type_word} ({', '.join(aliases)}) {suffix}")
        return capital(self.type_name(type_word))

    def type_choices(self, type_word: str) -> tuple[tuple[str, ...], int]:
        """The types offered by a "which type" question, the right one among them: every
        type, or the best supported ones when there are more than a question may offer."""
        offered = [t for t in self.type_order if t != type_word][: MAX_CHOICES - 1]
        offered = sorted([*offered, type_word], key=self.type_order.index)
        return tuple(self.type_label(t) for t in offered), offered.index(type_word)

    def guid(self, fact_key: str) -> str:
        digest = hashlib.sha256(f"{self.condition}|{fact_key}".encode()).hexdigest()[:20]
        return f"{slug(self.condition)[:30]}-{digest}"

    def refs(self, locations: Iterable[Location]) -> tuple[SourceRef, ...]:
        unique = sorted(set(locations), key=lambda loc: (loc.source, loc.sentence, loc.start))
        return tuple(
            SourceRef(
                source=self.source_ids[loc.source],
                start=loc.start,
                end=loc.end,
                sentence=loc.sentence,
            )
            for loc in unique
        )

    def add(
        self,
        fact_key: str,
        kind: str,
        prompt: str,
        *,
        answer: str = "",
        choices: tuple[str, ...] = (),
        correct: int | None = None,
        explanation: str = "",
        tags: tuple[str, ...] = (),
        locations: Iterable[Location] = (),
    ) -> None:
        guid = self.guid(fact_key)
        if guid in self.guids or fold(prompt) in self.prompts:
            return
        self.guids.add(guid)
        self.prompts.add(fold(prompt))
        self.cards.append(
            CardData(
                guid=guid,
                kind=kind,
                prompt=prompt,
                answer=answer if kind != "mcq" else choices[correct or 0],
                choices=choices,
                correct=correct,
                explanation=explanation,
                tags=tuple(dict.fromkeys(tags)),
                sources=self.refs(locations),
            )
        )

    def sources_phrase(self, count: int) -> str:
        return "1 source" if count == 1 else f"{count} sources"

    def sources_say(self, count: int, verb: str) -> str:
        """ "1 source lists" / "3 sources list" """
        return f"{self.sources_phrase(count)} {verb}{'s' if count == 1 else ''}"

    def usable(self, entity: Entity) -> bool:
        return len(entity.name.split()) <= MAX_NAME_WORDS and not is_suggestion(entity)

    # -- card families --

    def write(self) -> list[CardData]:
        self.type_cards()
        self.reversibility_cards()
        self.superlative_cards()
        self.cause_cards()
        self.conflict_cards()
        self.not_a_cause_cards()
        self.category_cards()
        self.treatment_by_type_cards()
        self.name_cards()
        return self.cards

    def type_cards(self) -> None:
        counts = [c for c in self.knowledge.conflicts if c.key == "type-count"]
        statements = [
            (number, named, location)
            for f in self.knowledge.facts
            for number, named, location in f.type_counts
        ]
        tags = ("topic::types",)
        if counts and counts[0].handling == TAUGHT and self.type_order:
            accounts: dict[tuple[int | None, tuple[str, ...]], set[str]] = {}
            for number, named, location in statements:
                accounts.setdefault((number, named), set()).add(location.source)
            positions = [
                f"{self.sources_phrase(len(sources))} name{'s' if len(sources) == 1 else ''} "
                f"{number} types" + (f" ({join_names(list(named))})" if named else "")
                for (number, named), sources in sorted(accounts.items())
            ]
            self.add(
                "type-count",
                "basic",
                f"How many main types of {self.condition} do the sources describe?",
                answer="They disagree: " + "; ".join(positions) + ".",
                explanation=(
                    "Some pages name fewer types than others; the differences are listed in "
                    "the answer so that you know both accounts."
                ),
                tags=(*tags, "conflict::sources-disagree"),
                locations=[location for _, _, location in statements],
            )
        elif [s for s in statements if s[0] == len(s[1])]:
            number, named, _ = next(s for s in statements if s[0] == len(s[1]))
            self.add(
                "type-count",
                "basic",
                f"How many main types of {self.condition} do the sources describe, and which?",
                answer=f"{number}: {join_names([self.type_name(t) for t in named])}.",
                tags=tags,
                locations=[location for _, _, location in statements],
            )
        for type_word in self.type_order:
            definitions = [
                (phrase, location)
                for f in self.knowledge.facts
                for t, phrase, location in f.definitions
                if t == type_word
                and len(phrase.split()) <= MAX_NAME_WORDS
                and fold(phrase).split()[0] not in ("you", "when", "it", "they")
            ]
            type_tags = (*tags, type_tag(type_word))
            if definitions:
                definitions = [(p.replace("your ", "the "), loc) for p, loc in definitions]
                written = Counter(fold(p) for p, _ in definitions)
                phrase = min(
                    (p for p, _ in definitions), key=lambda p: (-written[fold(p)], len(p), p)
                )
                self.add(
                    f"type-definition:{type_word}",
                    "reversed",
                    self.type_label(type_word),
                    answer=f"{capital(self.condition)} caused by {phrase}",
                    explanation=f"This is how the sources explain what {self.type_name(type_word)}"
                    " is; the other types have different origins.",
                    tags=type_tags,
                    locations=[location for p, location in definitions if p == phrase]
                    or [location for _, location in definitions],
                )
            aliases = self.type_aliases(type_word)
            if aliases:
                self.add(
                    f"type-alias:{type_word}",
                    "basic",
                    f"What other name do some sources use for {self.type_name(type_word)}?",
                    answer=join_names([self.type_name(a) for a in aliases], "or"),
                    explanation="Different pages use different names for the same type.",
                    tags=type_tags,
                    locations=[
                        location
                        for f in self.knowledge.facts
                        for location in f.types.get(type_word, [])
                    ][:6],
                )

    def reversibility_cards(self) -> None:
        summaries = {}
        for type_word in self.type_order:
            statements = reversibility_of(self.knowledge.facts, type_word)
            value = summary_value(statements)
            if value is None:
                continue
            summaries[type_word] = (value, statements)
            stating = {loc.source for _, _, loc in statements}
            means = sorted(
                {
                    m.name
                    for e in self.knowledge.entities["treatments"]
                    for m in e.mentions
                    if m.type == type_word
                    and any(m.location == location for _, _, location in statements)
                }
            )
            if value == "no":
                answer = "Usually not, according to the sources."
            elif value == "sometimes":
                answer = "Sometimes"
            else:
                answer = "Yes, in many cases"
            if value != "no":
                answer += f", with {join_names(means)}." if means else "."
            self.add(
                f"reversible:{type_word}",
                "basic",
                f"Can {self.type_name(type_word)} be reversed?",
                answer=answer,
                explanation=f"Based on {self.sources_phrase(len(stating))} that say whether "
                "this type can be reversed.",
                tags=("topic::reversibility", type_tag(type_word)),
                locations=[location for _, _, location in statements],
            )
        not_reversible = [t for t, (value, _) in summaries.items() if value == "no"]
        if len(not_reversible) == 1 and len(self.type_order) >= 2:
            type_word = not_reversible[0]
            self.add(
                "reversible:which-not",
                "mcq",
                f"Which type of {self.condition} do the sources describe as usually NOT "
                "reversible?",
                choices=self.type_choices(type_word)[0],
                correct=self.type_choices(type_word)[1],
                explanation="The damage behind this type is lasting; the sources call the "
                "other type(s) reversible or say nothing about reversing them.",
                tags=("topic::reversibility", type_tag(type_word)),
                locations=[location for _, _, location in summaries[type_word][1]],
            )

    def superlative_cards(self) -> None:
        conflicted = self.knowledge.conflict_keys()
        found: dict[str, dict[str, list[Location]]] = {}
        for f in self.knowledge.facts:
            for adjective, subject, location in f.superlatives:
                found.setdefault(adjective, {}).setdefault(subject, []).append(location)
        for adjective, subjects in sorted(found.items()):
            if f"most:{adjective}" in conflicted:
                continue
            for subject, locations in sorted(subjects.items()):
                if subject.startswith("sign:"):
                    self.add(
                        f"most-sign:{adjective}",
                        "basic",
                        f"What do the sources call the most {adjective} sign of {self.condition}?",
                        answer=capital(subject.removeprefix("sign:")),
                        explanation="Other signs are listed too, but this is the one the "
                        "sources single out.",
                        tags=("topic::symptoms",),
                        locations=locations,
                    )
                elif subject in self.type_order and len(self.type_order) >= 2:
                    self.add(
                        f"most:{adjective}",
                        "mcq",
                        f"Which type of {self.condition} do the sources call the most {adjective}?",
                        choices=self.type_choices(subject)[0],
                        correct=self.type_choices(subject)[1],
                        explanation=f"{self.sources_phrase(len({loc.source for loc in locations}))}"
                        f" single out {self.type_name(subject)} as the most {adjective}.",
                        tags=("topic::types", type_tag(subject)),
                        locations=locations,
                    )
