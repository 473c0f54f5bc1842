"""Cause statements in both directions, every match in a sentence.

"A causes / leads to / results in / triggers T", "T is caused by / results from / can be from
/ is due to / stems from A", "causes of T include / are A", "among the causes of T are A",
"A is a common cause of T", "T has various causes such as A", "...; they include A", and who
gets the condition ("people who have A are likely to develop T"). The type is the one the
clause names, or the passage's type for "it", "this type", "these"; the condition itself
("causes of anemia include") leaves the cause untyped. A type's one-phrase "is caused by"
that restates the condition (its own words, a negated verb, a vague noun) is its
definition, not a cause.
"""

from __future__ import annotations

import re

from quizapp.generation.cause_links import IndirectCauseRules
from quizapp.generation.cause_patterns import (
    ADVERBS,
    BACKWARD,
    FORWARD,
    HEDGE_PENALTY,
    HEDGES,
    MECHANISM_RE,
    NEGATION,
    STOP_CLAUSE,
    antecedent,
    drop_appositive,
    first_clause,
    subject_of,
)
from quizapp.generation.names import (
    clean_entry,
    expand_entries,
    is_generic,
)
from quizapp.generation.reader import Unit
from quizapp.generation.text import fold


class CauseRules(IndirectCauseRules):
    """Mixed into the per-document reader (``extract._Reader``)."""

    def causes(self, unit: Unit, text: str) -> None:
        flags = re.IGNORECASE
        called = re.search(rf"\bcalled {self.type_re.pattern}", text, flags)
        called_type = self.vocabulary.canonical_type(called.group(1)) if called else None
        found = False
        # Cause as a noun: "causes of T include A", "the most common causes are A".
        for match in re.finditer(
            r"\b(?:causes?|reasons?|culprits?|triggers|allergens|irritants)(?: of ([^.:;]+?))? "
            r"(?:may |can |might )?(?:also )?"
            r"(?:include|includes|(?:are|is)(?! (?:found|known|unknown|not|clear|unclear|often"
            r"|usually|\w{2,}ed)\b))\b:? (.+?)(?:\.$|$|\.\s)",
            text,
            flags,
        ):
            found = True
            type_word = self._target_type(match.group(1) or "", unit, called_type)
            self._cause_list(match.group(2), type_word, unit, text)
        for match in re.finditer(
            r"\bamong the causes(?: of ([^.]+?))? (?:are|is) (.+?)(?:\.|$)", text, flags
        ):
            found = True
            self._cause_list(
                match.group(2),
                self._target_type(match.group(1) or "", unit, called_type),
                unit,
                text,
            )
        clause = re.split(r";\s+", text)[-1]  # "X is Y; A and B are the usual causes of T"
        clause = re.sub(r"^(?:because|since|as|while|although|if|when)\s+", "", clause, flags=flags)
        are_causes = re.match(
            (
                r"^(.+?) (?:are|is|can be|may be) (?:also )?(?:an? |the |one "
                r"of the )?(?:\w+ )?(?:\w+ )?(?:causes?|triggers?|culprits?)"
                r"(?: of (.+?))?(?:,|\.|$)"
            ),
            clause,
            flags,
        )
        if are_causes and re.search(
            r"\b(?:will|would|should|must|can|could|may|might|what|which|who|whether)\b",
            are_causes.group(1),
            flags,
        ):
            are_causes = None  # "Testing for X will depend on what ... is the cause"
        if are_causes and NEGATION.search(are_causes.group(0)[len(are_causes.group(1)) :]):
            are_causes = None  # "X is not a cause of T"
        if are_causes and not (are_causes.group(2) or called_type or self.topic(unit)):
            are_causes = None  # "A and B are frequent culprits, so ...": read on
        if are_causes and not found:
            found = True
            type_word = called_type or self._target_type(are_causes.group(2) or "", unit, None)
            self._cause_list(subject_of(are_causes.group(1)), type_word, unit, text)
        various = re.search(
            (
                r"\bhas (?:many|various|several|a number of|different) "
                r"(?:possible )?causes,? (?:such as|including) (.+?)(?:\.|$)"
            ),
            text,
            flags,
        )
        if various:
            found = True
            self._cause_list(
                various.group(1), self._target_type(text[: various.start()], unit, None), unit, text
            )
        include = re.search(r"\b(?:they|these) (?:may |can )?include (.+?)(?:\.|$)", text, flags)
        if include and (
            re.search(r"caus|\bsources\b|\borigins\b|\breasons\b", text[: include.start()], flags)
            or re.match(
                r"^(?:several|many|some|various|a number of|different) (?:\w+ )?(?:things|factors"
                r"|conditions|problems|reasons)\b",
                text,
                flags,
            )
        ):
            found = True
            before = text[: include.start()]
            named = self.types_in(before)
            type_word = (
                named[0]
                if named
                else (None if self.condition_re.search(before) else self.topic(unit))
            )
            self._cause_list(include.group(1), type_word, unit, text)
        if called and not found:
            definition = re.search(
                r"\b(?:caused by|due to|results? from) (.+?)(?:,|\s+is called)", text, flags
            )
            if definition and called_type:
                self.define(called_type, definition.group(1), unit)
            return
        usually = re.match(
            r"^the (?:blockage|obstruction|damage|bleeding|trigger|culprit|infection)s? "
            r"(?:is|are) (?:usually|often|most often|commonly|typically|mostly|mainly) "
            r"(?:an? |the )?(.+?)\.?$",
            text,
            flags,
        )
        if usually and self.topic(unit) and not found:
            # "The blockage is usually a blood clot." under a type's heading
            found = True
            self._cause_list(usually.group(1), self.topic(unit), unit, text)
        if found or self._named_after(unit, text):
            return
        if self._people(unit, text) or self._adjective_causes(unit, text):
            return
        bare = re.match(
            r"^(?:(?:it|this type|this form) (?:is |are )?)?"
            r"(?:mostly |usually |often |mainly )?"
            r"(?:caused by|due to|results? from|triggered by|the result of) (.+?)(?:\.$|$)",
            text,
            re.IGNORECASE,
        )
        if (
            bare
            and len(expand_entries(bare.group(1))) <= 1
            and self._restates_condition(bare.group(1))
            and (topic := self.topic(unit))
        ):
            self.define(topic, bare.group(1), unit)
        elif bare and (unit.gloss_of is not None or (text[:1].isupper() and self.topic(unit))):
            type_word = self.topic(unit)
            strength, notes = self._strength(text, type_word, unit)
            self.add("causes", expand_entries(bare.group(1)), type_word, unit, strength, notes)
            return
        for clause in re.split(r";\s+", text):
            if not self._when_clause(unit, clause):
                self._forward(unit, clause)
                self._backward(unit, clause)
                self._harms(unit, clause)

    def _harms(self, unit: Unit, text: str) -> None:
        """Under a type's heading, "A can narrow / block / damage the X" names A as a cause
        of that type (a mechanism verb, so a little less firmly than "A causes T")."""
        if self.section_type is None or self.section_untyped or self.section_heading is not None:
            return
        harm = re.match(
            rf"^(.+?) (?:(?:{ADVERBS}) )*(?:narrows?|blocks?|clogs?|obstructs?|damages?|weakens?"
            r"|injures?|inflames?|uses? up|depletes?|drains?|reduces?|lowers?) "
            r"(?:the|an?|your|its|their) ",
            text,
            re.IGNORECASE,
        )
        if not harm or self.condition_re.search(harm.group(1)) or self.types_in(harm.group(1)):
            return
        subject = subject_of(harm.group(1))
        if re.match(r"(?:it|this|these|they|that|those)\b", subject, re.IGNORECASE):
            return
        strength, notes = self._strength(text, self.section_type, unit)
        notes = (*notes, "stated through what it does")
        self.add("causes", expand_entries(subject), self.section_type, unit, strength - 0.05, notes)

    def _adjective_causes(self, unit: Unit, text: str) -> bool:
        """ "Sensorineural hearing loss can be congenital or acquired": an origin stated as
        an adjective is a cause, named by that adjective."""
        origin = r"(?:congenital|inherited|hereditary|genetic)"
        stated = re.match(
            rf"^(.+?) (?:can be|may be|is|are) (?:often |usually |sometimes |either )?"
            rf"({origin})(?:,? (?:or|and) ({origin}))?\b",
            text,
            re.IGNORECASE,
        )
        if not stated or len(stated.group(1).split()) > 6:
            return False
        type_word = self.subject_type(stated.group(1), unit)
        if type_word is None and not self.condition_re.search(stated.group(1)):
            return False
        strength, notes = self._strength(text, type_word, unit)
        names = [stated.group(2), stated.group(3)]
        self.add("causes", [(n.lower(), ()) for n in names if n], type_word, unit, strength, notes)
        return True

    def _target_type(self, target: str, unit: Unit, called_type: str | None) -> str | None:
        if called_type:
            return called_type
        named = self.types_in(target)
        if named:
            return named[0]
        chained = self._type_of_cause(target)
        if chained:
            return chained
        if (
            target
            and self.condition_re.search(target)
            and not re.search(r"\bth(?:is|ese) (?:type|form)", target, re.I)
        ):
            return None
        return self.subject_type(target, unit) if target.strip() else self.topic(unit)

    def _cause_list(self, text: str, type_word: str | None, unit: Unit, sentence: str) -> None:
        text = first_clause(text)
        strength, notes = self._strength(sentence, type_word, unit)
        self.add("causes", expand_entries(text), type_word, unit, strength, notes)

    def _strength(
        self, sentence: str, type_word: str | None, unit: Unit
    ) -> tuple[float, tuple[str, ...]]:
        strength, notes = 0.8, []
        hedge = HEDGES.search(fold(sentence))
        if hedge and hedge.group(0) != "can":
            strength -= HEDGE_PENALTY
            notes.append(f"stated with '{hedge.group(0)}'")
        if type_word and not self.types_in(sentence):
            strength -= 0.05
            notes.append("type from the surrounding passage")
        return strength, tuple(notes)

    def define(self, type_word: str, phrase: str, unit: Unit) -> None:
        phrase = phrase.strip(" .,")
        if phrase and not is_generic(phrase):
            self.facts.definitions.append((type_word, phrase, self.location(unit)))

    def _restates_condition(self, phrase: str) -> bool:
        """A definition's phrase: a negated verb, a vague noun, or a mechanism ("damage to
        ...", "underuse of ...")."""
        folded = fold(phrase)
        return (
            bool(re.match(r"(?:not|never|no longer|lack of use)\b", folded))
            or is_generic(phrase)
            or bool(MECHANISM_RE.match(folded))
        )

    def _forward(self, unit: Unit, text: str) -> None:
        for verbs in re.finditer(
            rf"^(.+?),? (?:{ADVERBS} )*(?:{FORWARD}) (.+?)(?:,? as can (.+?))?{STOP_CLAUSE}",
            text,
            re.IGNORECASE,
        ):
            target = verbs.group(2)
            if NEGATION.search(verbs.group(1).split(",")[-1]) or NEGATION.search(
                text[verbs.end(1) : verbs.start(2)]
            ):
                continue  # "Stress does not cause it"
            links = self._chain_links(target, unit)
            if links is not None:
                middle, type_word = links
                strength, notes = self._strength(text, type_word, unit)
                notes = (*notes, "a cause of a cause")
                for phrase in (subject_of(verbs.group(1)), middle):
                    self.add("causes", expand_entries(phrase), type_word, unit, strength, notes)
                continue
            match = self.condition_re.search(target) or self.type_re.search(target)
            chained = self._type_of_cause(target)
            if chained and not match:
                strength, notes = self._strength(text, chained, unit)
                notes = (*notes, "a cause of a cause")
                self.add(
                    "causes",
                    expand_entries(subject_of(verbs.group(1))),
                    chained,
                    unit,
                    strength,
                    notes,
                )
                continue
            pronoun = re.fullmatch(
                r"(?:it|this|them|this (?:type|form|condition))", target.strip(), re.I
            )
            if pronoun and self.topic(unit):
                type_word = self.topic(unit)
                strength, notes = self._strength(text, type_word, unit)
                self.add(
                    "causes",
                    expand_entries(subject_of(verbs.group(1))),
                    type_word,
                    unit,
                    strength,
                    notes,
                )
                continue
            if not match or len(target[: match.start()].split()) > 4:
                continue
            subject = verbs.group(1)
            if self.condition_re.search(subject) and not self.types_in(target):
                continue
            type_word = self.subject_type(target, unit)
            if type_word is None and self.section_heading is not None:
                type_word = self.section_type
            if re.match(
                (
                    r"^(?:this|these|that|it)\b(?: \w+)?(?: (?:disease|condition|"
                    r"disorder|illness|infection))?$"
                ),
                subject,
                re.I,
            ):
                if self.section_heading is not None:
                    entry = clean_entry(self.section_heading.text, False)
                    self.add(
                        "causes",
                        [entry] if entry else [],
                        type_word,
                        unit,
                        *self._strength(text, type_word, unit),
                    )
                continue
            subject = subject_of(antecedent(subject))
            strength, notes = self._strength(text, type_word, unit)
            self.add(
                "causes",
                expand_entries(drop_appositive(subject)),
                type_word,
                unit,
                strength,
                notes,
            )
            if verbs.group(3):
                self.add("causes", expand_entries(verbs.group(3)), type_word, unit, strength, notes)

    def _backward(self, unit: Unit, text: str) -> None:
        for result in re.finditer(
            rf"^(.+?),? ((?:{ADVERBS} )*){BACKWARD} (.+?){STOP_CLAUSE}",
            text,
            re.IGNORECASE,
        ):
            subject = result.group(1)
            if NEGATION.search(text[result.end(1) : result.start(3)]):
                continue  # "Primary headaches are not caused by another condition."
            if not (self.condition_re.search(subject) or self.subject_type(subject, unit)):
                continue
            if len(subject.split()) > 8:
                continue
            subject_type = self.subject_type(subject, unit)
            if (
                subject_type is None
                and not self.types_in(subject)
                and self.condition_re.search(subject)
            ):
                subject_type = None
            modal = bool(result.group(2).strip()) or bool(
                re.search(r"\b(?:can|may|might) be\b", result.group(0))
            )
            tail = re.split(r"\s+and (?:most|often|also|usually)\b", result.group(3))[0]
            tail = re.sub(
                r"^(?:a (?:variety|number) of (?:reasons|things),? (?:such as|including) )",
                "",
                tail,
            )
            entries = expand_entries(tail)
            if subject_type and not modal and len(entries) == 1:
                self.define(subject_type, tail, unit)
            if (
                subject_type
                and not modal
                and (len(entries) <= 1 or MECHANISM_RE.match(fold(tail)))
                and self._restates_condition(tail)
            ):
                continue  # the type's definition ("is caused by not using the muscles")
            entries = [e for e in entries if not self._restates_condition(e[0])]
            strength, notes = self._strength(text, subject_type, unit)
            self.add("causes", entries, subject_type, unit, strength, notes)
