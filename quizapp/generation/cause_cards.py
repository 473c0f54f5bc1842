"""Card families about causes and other entities: which type a cause belongs to, where
the sources disagree, which cause is not one of a type's, what role an entity plays, what an
abbreviation stands for. Mixed into ``cards.DeckWriter``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from quizapp.deckfile import CardData
from quizapp.generation.reconcile import TAUGHT, Entity, Knowledge, is_ambiguous
from quizapp.generation.text import (
    acronym_matches,
    fold,
    is_acronym,
    join_names,
    name_key,
    slug,
)

CATEGORY_NOUNS = {
    "symptoms": ("a symptom or sign", "symptoms"),
    "tests": ("a diagnostic test", "tests"),
    "treatments": ("a treatment", "treatments"),
    "causes": ("a cause", "causes"),
}


def type_tag(type_word: str) -> str:
    """A tag naming a type: one word, as the deck format wants tags."""
    return f"type::{slug(type_word)}"


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


T = TypeVar("T")


def _stable_pick(items: list[T], salt: str, count: int) -> list[T]:
    """``count`` items chosen by a hash of ``salt``: varied across cards, fixed across runs."""
    ranked = sorted(items, key=lambda item: hashlib.sha256(f"{salt}|{item!s}".encode()).hexdigest())
    return ranked[:count]


class CauseCards:
    # What this mixin uses of ``cards.DeckWriter``, declared for the type checker only.
    knowledge: Knowledge
    condition: str
    type_order: list[str]
    cards: list[CardData]
    prompts: set[str]
    guids: set[str]
    # add(fact_key, kind, prompt, *, answer, choices, ...): see cards.DeckWriter.add.
    add: Callable[..., None]

    if TYPE_CHECKING:

        def type_name(self, type_word: str) -> str: ...

        def type_choices(self, type_word: str) -> tuple[tuple[str, ...], int]: ...

        def sources_phrase(self, count: int) -> str: ...

        def sources_say(self, count: int, verb: str) -> str: ...

        def usable(self, entity: Entity) -> bool: ...

    def agreed_causes(self) -> list[tuple[Entity, str]]:
        causes = self.knowledge.entities["causes"]
        agreed = []
        for entity in causes:
            types = entity.types
            if (
                len(types) == 1
                and types[0] in self.type_order
                and self.usable(entity)
                and not is_ambiguous(entity, causes)
            ):
                agreed.append((entity, types[0]))
        return agreed

    def cause_cards(self) -> None:
        if len(self.type_order) < 2:
            return
        for entity, type_word in self.agreed_causes():
            self.cause_card(entity, type_word)

    def read_everywhere(self, entity: Entity) -> bool:
        """Whether every source that writes the cause's name had that passage read, so a
        card may say that no source files it elsewhere."""
        wanted = [fold(name) for name in (entity.name, *entity.aliases)]
        for facts in self.knowledge.facts:
            written = facts.folded_text
            if any(name in written for name in wanted) and not any(
                name in facts.read_text for name in wanted
            ):
                return False
        return True

    def cause_card(self, entity: Entity, type_word: str) -> None:
        if len(self.type_order) < 2 or type_word not in self.type_order:
            return
        typed_sources = len(entity.types_by_source())
        others = "; no source files it under another type" if self.read_everywhere(entity) else ""
        self.add(
            f"cause-type:{entity.key}",
            "mcq",
            f"Cause: {self.cause_label(entity)}. Which type of {self.condition} do the "
            "sources link it to?",
            choices=self.type_choices(type_word)[0],
            correct=self.type_choices(type_word)[1],
            explanation=f"{self.sources_say(typed_sources, 'list')} it under "
            f"{self.type_name(type_word)}{others}.",
            tags=("topic::causes", type_tag(type_word)),
            locations=entity.locations(type_word),
        )

    def cause_label(self, entity: Entity) -> str:
        acronyms = [a for a in entity.aliases if is_acronym(a) and a not in entity.name.split()]
        return f"{entity.name} ({acronyms[0]})" if acronyms else entity.name

    def conflict_cards(self) -> None:
        causes = {f"cause-type:{e.key}": e for e in self.knowledge.entities["causes"]}
        for conflict in self.knowledge.conflicts:
            entity = causes.get(conflict.key)
            if entity is None or conflict.handling != TAUGHT:
                continue
            parts = []
            for type_word, locations in conflict.positions.items():
                count = len({loc.source for loc in locations})
                parts.append(
                    f"{self.type_name(type_word)} according to {self.sources_phrase(count)}"
                )
            self.add(
                conflict.key,
                "basic",
                f"Do the sources agree on which type of {self.condition} "
                f"{self.cause_label(entity)} belongs to?",
                answer=f"No: {'; '.join(parts)}.",
                explanation="The pages classify this cause differently, so no single answer "
                "is right; check the sources shown for each view.",
                tags=(
                    "topic::causes",
                    "conflict::sources-disagree",
                    *tuple(type_tag(t) for t in conflict.positions),
                ),
                locations=[loc for locations in conflict.positions.values() for loc in locations],
            )

    def not_a_cause_cards(self) -> None:
        agreed = self.agreed_causes()
        all_types = {e.key: set(e.types) for e in self.knowledge.entities["causes"]}
        for type_word in self.type_order:
            own = sorted(
                (e for e, t in agreed if t == type_word),
                key=lambda e: (-len(e.sources), e.key),
            )
            outsiders = [
                e for e, t in agreed if t != type_word and type_word not in all_types[e.key]
            ]
            if len(own) < 3 or not outsiders:
                continue
            for round_number in range(2):
                members = own[round_number * 3 : round_number * 3 + 3]
                if len(members) < 3:
                    break
                odd = _stable_pick(
                    sorted(outsiders, key=lambda e: e.key), f"{type_word}:{round_number}", 1
                )[0]
                options = _stable_pick([*members, odd], f"order:{type_word}:{round_number}", 4)
                odd_type = odd.types[0]
                self.add(
                    f"not-cause:{type_word}:{odd.key}",
                    "mcq",
                    f"Which of these do the sources NOT list as a cause of "
                    f"{self.type_name(type_word)}?",
                    choices=tuple(capital(self.cause_label(e)) for e in options),
                    correct=options.index(odd),
                    explanation=f"{capital(odd.name)} is filed under "
                    f"{self.type_name(odd_type)}; the others are causes of "
                    f"{self.type_name(type_word)}.",
                    tags=("topic::causes", type_tag(type_word)),
                    locations=[
                        *odd.locations(odd_type),
                        *(loc for e in members for loc in e.locations(type_word)[:1]),
                    ],
                )

    def category_cards(self) -> None:
        """ "What role does X play?": tells symptoms, tests, treatments and causes apart."""
        entities = self.knowledge.entities
        roles = ("symptoms", "tests", "treatments", "causes")
        keys = {role: {e.key for e in entities[role]} for role in roles}
        for role in roles[:3]:
            ranked = sorted(
                (
                    e
                    for e in entities[role]
                    if self.usable(e) and sum(e.key in keys[r] for r in roles) == 1
                ),
                key=lambda e: (-len(e.sources), e.key),
            )
            for entity in ranked[:8]:
                self.role_card(role, entity)

    def role_card(self, role: str, entity: Entity) -> None:
        roles = ("symptoms", "tests", "treatments", "causes")
        self.add(
            f"role:{role}:{entity.key}",
            "mcq",
            f"How do the sources on {self.condition} classify {self.cause_label(entity)}?",
            choices=tuple(capital(CATEGORY_NOUNS[r][0]) for r in roles),
            correct=roles.index(role),
            explanation=f"{self.sources_say(len(entity.sources), 'mention')} it among "
            f"the {CATEGORY_NOUNS[role][1]}.",
            tags=(f"topic::{CATEGORY_NOUNS[role][1]}",),
            locations=entity.locations(),
        )

    def suggestion_cards(
        self, category: str, entity: Entity, type_word: str | None
    ) -> list[CardData]:
        """The cards a suggestion would add, written aside from the deck's own cards."""
        saved, self.cards = self.cards, []
        saved_prompts, saved_guids = set(self.prompts), set(self.guids)
        if category == "causes" and type_word is not None:
            self.cause_card(entity, type_word)
        else:
            self.role_card(category, entity)
        written, self.cards = self.cards, saved
        self.prompts, self.guids = saved_prompts, saved_guids
        return written

    def treatment_by_type_cards(self) -> None:
        for type_word in self.type_order:
            chosen = [
                e
                for e in self.knowledge.entities["treatments"]
                if type_word in e.types and self.usable(e)
            ]
            if len(chosen) < 2:
                continue
            chosen.sort(key=lambda e: (-len(e.sources), e.key))
            self.add(
                f"treatments-for:{type_word}",
                "basic",
                f"Which treatments do the sources suggest for {self.type_name(type_word)}?",
                answer=capital(join_names([e.name for e in chosen[:5]])) + ".",
                explanation="Treatment depends on the type; these are the options the "
                "sources tie to this one.",
                tags=("topic::treatments", type_tag(type_word)),
                locations=[loc for e in chosen[:5] for loc in e.locations(type_word)],
            )

    def name_cards(self) -> None:
        for category in ("causes", "tests", "symptoms", "treatments"):
            for entity in self.knowledge.entities[category]:
                if not self.usable(entity):
                    continue
                for name, alias in entity.alias_pairs:
                    expansion = _expansion(alias, name)
                    if expansion:
                        self.add(
                            f"abbreviation:{fold(alias)}",
                            "typein",
                            f"What does the abbreviation {alias} stand for, in the sources on "
                            f"{self.condition}?",
                            answer=expansion,
                            explanation=f"The sources write {alias} for {expansion}.",
                            tags=(f"topic::{CATEGORY_NOUNS[category][1]}", "topic::names"),
                            locations=entity.locations()[:4],
                        )
                    elif not is_acronym(alias.split()[0]) and fold(alias) != fold(name):
                        key = "|".join(
                            sorted((name_key(name, ordered=True), name_key(alias, ordered=True)))
                        )
                        self.add(
                            f"other-name:{key}",
                            "reversed",
                            capital(alias),
                            answer=capital(name),
                            explanation="Two names the sources use for the same thing.",
                            tags=(f"topic::{CATEGORY_NOUNS[category][1]}", "topic::names"),
                            locations=entity.locations()[:4],
                        )


def _expansion(acronym: str, name: str) -> str | None:
    """The words of ``name`` that ``acronym`` abbreviates ("CT", "computed tomography scan")."""
    if not is_acronym(acronym):
        return None
    words = name.split()
    for size in range(len(words), 0, -1):
        candidate = " ".join(words[:size])
        if acronym_matches(acronym, candidate):
            return candidate
    return None
