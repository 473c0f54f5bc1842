"""Write study cards from the reconciled knowledge, in the project's own words.

Every card tests one fact; its guid is a hash of that fact's key (not of the wording), so a
regenerated deck updates the card a learner already studies. A fact the sources contradict
is never asked with a single right answer: it becomes a card about the disagreement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from quizapp.deckfile import CardData, SourceRef
from quizapp.generation.confidence import is_suggestion
from quizapp.generation.extract import Location
from quizapp.generation.reconcile import (
    TAUGHT,
    Entity,
    Knowledge,
    is_ambiguous,
    reversibility_of,
    summary_value,
)
from quizapp.generation.text import (
    acronym_matches,
    fold,
    is_acronym,
    join_names,
    name_key,
    slug,
)

MAX_NAME_WORDS = 7
CATEGORY_NOUNS = {
    "symptoms": ("a symptom or sign", "symptoms"),
    "tests": ("a diagnostic test", "tests"),
    "treatments": ("a treatment", "treatments"),
    "causes": ("a cause", "causes"),
}


def type_tag(type_word: str) -> str:
    """A tag naming a type: one word, as the deck format wants tags."""
    return f"type::{slug(type_word)}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _stable_pick(items: list, salt: str, count: int) -> list:
    """``count`` items chosen by a hash of ``salt``: varied across cards, fixed across runs."""
    ranked = sorted(items, key=lambda item: hashlib.sha256(f"{salt}|{item!s}".encode()).hexdigest())
    return ranked[:count]


class DeckWriter:
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
        return f"{type_word} {self.vocabulary.type_suffix}"

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
            return _capital(f"{type_word} ({', '.join(aliases)}) {self.vocabulary.type_suffix}")
        return _capital(self.type_name(type_word))

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
        if counts and counts[0].handling == TAUGHT:
            accounts: dict[tuple, set[str]] = {}
            for number, named, location in statements:
                accounts.setdefault((number, named), set()).add(location.source)
            positions = [
                f"{self.sources_phrase(len(sources))} name{'s' if len(sources) == 1 else ''} "
                f"{number} types "
                f"({join_names(list(named))})"
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
                phrase = sorted(
                    definitions,
                    key=lambda d: (
                        -sum(1 for other, _ in definitions if fold(other) == fold(d[0])),
                        len(d[0]),
                        d[0],
                    ),
                )[0][0]
                self.add(
                    f"type-definition:{type_word}",
                    "reversed",
                    self.type_label(type_word),
                    answer=f"{_capital(self.condition)} caused by {phrase}",
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
        choices = tuple(self.type_label(t) for t in self.type_order)
        not_reversible = [t for t, (value, _) in summaries.items() if value == "no"]
        if len(not_reversible) == 1 and len(choices) >= 2:
            type_word = not_reversible[0]
            self.add(
                "reversible:which-not",
                "mcq",
                f"Which type of {self.condition} do the sources describe as usually NOT "
                "reversible?",
                choices=choices,
                correct=self.type_order.index(type_word),
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
        choices = tuple(self.type_label(t) for t in self.type_order)
        for adjective, subjects in sorted(found.items()):
            if f"most:{adjective}" in conflicted:
                continue
            for subject, locations in sorted(subjects.items()):
                if subject.startswith("sign:"):
                    self.add(
                        f"most-sign:{adjective}",
                        "basic",
                        f"What do the sources call the most {adjective} sign of {self.condition}?",
                        answer=_capital(subject.removeprefix("sign:")),
                        explanation="Other signs are listed too, but this is the one the "
                        "sources single out.",
                        tags=("topic::symptoms",),
                        locations=locations,
                    )
                elif subject in self.type_order and len(choices) >= 2:
                    self.add(
                        f"most:{adjective}",
                        "mcq",
                        f"Which type of {self.condition} do the sources call the most {adjective}?",
                        choices=choices,
                        correct=self.type_order.index(subject),
                        explanation=f"{self.sources_phrase(len({loc.source for loc in locations}))}"
                        f" single out {self.type_name(subject)} as the most {adjective}.",
                        tags=("topic::types", type_tag(subject)),
                        locations=locations,
                    )

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
        choices = tuple(self.type_label(t) for t in self.type_order)
        if len(choices) < 2:
            return
        for entity, type_word in self.agreed_causes():
            self.cause_card(entity, type_word)

    def read_everywhere(self, entity: Entity) -> bool:
        """Whether every source that writes the cause's name had that passage read, so a
        card may say that no source files it elsewhere."""
        wanted = [fold(name) for name in (entity.name, *entity.aliases)]
        for facts in self.knowledge.facts:
            written = fold(facts.text)
            if any(name in written for name in wanted) and not any(
                name in facts.read_text for name in wanted
            ):
                return False
        return True

    def cause_card(self, entity: Entity, type_word: str) -> None:
        choices = tuple(self.type_label(t) for t in self.type_order)
        if len(choices) < 2 or type_word not in self.type_order:
            return
        typed_sources = len(entity.types_by_source())
        others = "; no source files it under another type" if self.read_everywhere(entity) else ""
        self.add(
            f"cause-type:{entity.key}",
            "mcq",
            f"Cause: {self.cause_label(entity)}. Which type of {self.condition} do the "
            "sources link it to?",
            choices=choices,
            correct=self.type_order.index(type_word),
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
                    choices=tuple(_capital(self.cause_label(e)) for e in options),
                    correct=options.index(odd),
                    explanation=f"{_capital(odd.name)} is filed under "
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
            choices=tuple(_capital(CATEGORY_NOUNS[r][0]) for r in roles),
            correct=roles.index(role),
            explanation=f"{self.sources_say(len(entity.sources), 'mention')} it among "
            f"the {CATEGORY_NOUNS[role][1]}.",
            tags=(f"topic::{CATEGORY_NOUNS[role][1]}",),
            locations=entity.locations(),
        )

    def suggestion_cards(self, category: str, entity: Entity, type_word: str | None) -> list:
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
                answer=_capital(join_names([e.name for e in chosen[:5]])) + ".",
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
                        key = "|".join(sorted((name_key(name), name_key(alias))))
                        self.add(
                            f"other-name:{key}",
                            "reversed",
                            _capital(alias),
                            answer=_capital(name),
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
