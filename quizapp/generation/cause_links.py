"""Causes stated indirectly: through who gets the condition ("people who have A are likely
to develop T"), through a chain ("A leads to B, which causes T"; "A causes B, the commonest
form of T"; "A may trigger that reaction"), by naming ("Another disease that can lead to T is
A"), and in a "when" clause ("T develops when A causes B"). Mixed into ``causes.CauseRules``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from quizapp.generation.cause_patterns import ADVERBS, FORWARD, PEOPLE, STOP_CLAUSE
from quizapp.generation.names import display_case, expand_entries
from quizapp.generation.reader import Unit
from quizapp.generation.reader_host import ReaderHost
from quizapp.generation.text import acronym_matches, fold, stem

if TYPE_CHECKING:
    from quizapp.generation.extract import Mention

PEOPLE_CAUSE_PATTERNS = (
    (
        re.compile(
            rf"{PEOPLE} (?:who (?:have|are|has)(?: contracted| had)?|with) "
            rf"(.+?) (?:are (?:more )?likely to|"
            rf"most commonly|(?:{ADVERBS} )+)\s*(?:experience|develop|get)s? (.+?)(?:\.|$)",
            re.IGNORECASE,
        ),
        2,
        1,
    ),
    (
        re.compile(
            (
                rf"^if you (?:are|have) (.+?),? you (?:(?:{ADVERBS}) "
                rf")*(?:experience|develop|get) (.+?)(?:\.|$)"
            ),
            re.IGNORECASE,
        ),
        2,
        1,
    ),
    (
        re.compile(
            r"experiences? (.+?) (?:as (?:a|the) result of|after|because of|due to) (.+?)(?:\.|$)",
            re.IGNORECASE,
        ),
        1,
        2,
    ),
)


class FiledCauses:
    """The type each cause of a document was last filed under, by its folded name and by the
    stem of its last word, brought up to date as the reader adds causes: scanning every
    earlier cause for each sentence would be quadratic on a long document."""

    def __init__(self, causes: list[Mention]):
        self.causes = causes
        self.indexed = 0
        self.by_name: dict[str, tuple[int, str]] = {}
        self.by_head: dict[str, str] = {}

    def _catch_up(self) -> None:
        for index in range(self.indexed, len(self.causes)):
            mention = self.causes[index]
            folded = fold(mention.name)
            words = folded.split()
            if mention.type and words:
                self.by_name[folded] = (index, mention.type)
                self.by_head[stem(words[-1])] = mention.type
        self.indexed = len(self.causes)

    def type_by_head(self, head: str) -> str | None:
        self._catch_up()
        return self.by_head.get(head)

    def type_by_name(self, *names: str) -> str | None:
        """The type of the latest cause written as any of ``names``."""
        self._catch_up()
        found = [self.by_name[name] for name in names if name in self.by_name]
        return max(found)[1] if found else None


class IndirectCauseRules(ReaderHost):
    def _when_clause(self, unit: Unit, text: str) -> bool:
        """ "T develops when A causes B": A, and B, are causes of T (a mechanism sentence
        without a causal verb in its clause names none)."""
        when = re.match(
            rf"^(.+?) (?:develops?|occurs?|happens?|starts?|arises?) (?:\w+ )?when "
            rf"(.+?) (?:{ADVERBS} )*"
            rf"(?:{FORWARD}) (.+?){STOP_CLAUSE}",
            text,
            re.IGNORECASE,
        )
        if not when or len(when.group(1).split()) > 6:
            return False
        type_word = self.subject_type(when.group(1), unit)
        if type_word is None and not self.condition_re.search(when.group(1)):
            return False
        strength, notes = self._strength(text, type_word, unit)
        for phrase in (when.group(2), when.group(3)):
            phrase = re.split(r"\s+(?:that|which|who)\s+", phrase)[0]
            self.add("causes", expand_entries(phrase), type_word, unit, strength, notes)
        return True

    def _named_after(self, unit: Unit, text: str) -> bool:
        """ "Another disease that can lead to T is A"; "A is a rare disorder ..., leading to T"."""
        flags = re.IGNORECASE
        another = re.match(
            (
                r"^another (?:disease|condition|cause|disorder|illness|"
                r"infection)\b.*? is (.+?)(?:\.|$)"
            ),
            text,
            flags,
        )
        if another and self.condition_re.search(another.group(0)):
            type_word = self.subject_type(another.group(0), unit)
            self.add(
                "causes",
                [or_alias(another.group(1))],
                type_word,
                unit,
                *self._strength(text, type_word, unit),
            )
            return True
        leading = re.search(r"^(.+?) is an? [^,]+?, leading to (.+?)(?:\.|$)", text, flags)
        if leading and self.condition_re.search(leading.group(2)):
            type_word = self.subject_type(leading.group(2), unit) or self.topic(unit)
            self.add(
                "causes",
                expand_entries(leading.group(1)),
                type_word,
                unit,
                *self._strength(text, type_word, unit),
            )
            return True
        return False

    def _chain_links(self, target: str, unit: Unit) -> tuple[str, str | None] | None:
        """ "A leads to B, which causes T" and "A causes B, the commonest form of T": B is
        the link, and A and B are both causes of T."""
        which = re.match(
            rf"^(.+?),? which (?:{ADVERBS} )*(?:{FORWARD}) (.+)$", target, re.IGNORECASE
        ) or re.match(
            r"^(.+?),? (?:the|a|an|which is (?:the|a|an)) (?:\w+ ){0,3}"
            r"(?:form|type|kind|variety|cause) of (.+)$",
            target,
            re.IGNORECASE,
        )
        if not which:
            return None
        end = which.group(2)
        if not (self.condition_re.search(end) or self.types_in(end)):
            return None
        return which.group(1), self.subject_type(end, unit)

    def _type_of_cause(self, target: str) -> str | None:
        """A cause of a cause: the type this document already files ``target`` under, or
        the type of the cause "that reaction" / "this damage" points back to."""
        wanted = fold(target).strip(" .,")
        if not wanted:
            return None
        pointer = re.match(r"(?:that|this|these|those|such) ([a-z][\w-]*)", wanted)
        if pointer:
            return self.filed_causes.type_by_head(stem(pointer.group(1)))
        return self.filed_causes.type_by_name(wanted, re.sub(r"^(?:the|an?) ", "", wanted))

    def _people(self, unit: Unit, text: str) -> bool:
        """Causes stated through who gets the condition; True when the sentence had some."""
        flags = re.IGNORECASE
        for pattern, condition_group, cause_group in PEOPLE_CAUSE_PATTERNS:
            found = pattern.search(text)
            if found and self.condition_re.search(found.group(condition_group)):
                type_word = self.subject_type(found.group(condition_group), unit)
                strength, notes = self._strength(text, type_word, unit)
                self.add(
                    "causes",
                    expand_entries(found.group(cause_group)),
                    type_word,
                    unit,
                    strength,
                    notes,
                )
                return True
        affects = re.search(rf"\baffects {PEOPLE} who (?:are|have) (.+?)(?:\.|$)", text, flags)
        occurs_in = re.search(rf"\boccurs in {PEOPLE} who (.+?)(?:\.|$)", text, flags)
        subject = re.split(r" affects | occurs ", text)[0]
        if affects:
            type_word = self.subject_type(subject, unit)
            self.add(
                "causes",
                expand_entries(affects.group(1)),
                type_word,
                unit,
                *self._strength(text, type_word, unit),
            )
        if occurs_in:
            type_word = self.subject_type(subject, unit)
            entries = expand_entries(occurs_in.group(1), True)
            self.add("causes", entries, type_word, unit, *self._strength(text, type_word, unit))
        if affects and not occurs_in:
            head = re.match(r"^(.+?) is caused by (.+?) and (?:most|often)", text, flags)
            if head and (subject := self.subject_type(head.group(1), unit)):
                self.define(subject, head.group(2), unit)
        return bool(affects or occurs_in)


def or_alias(text: str) -> tuple[str, tuple[str, ...]]:
    """ "poliomyelitis or polio" and "X or ACRONYM" name one thing twice."""
    parts = [p.strip() for p in re.split(r"\s+or\s+", text.strip(" ."))]
    if len(parts) == 2:
        first, second = parts
        if acronym_matches(second, first) or fold(first).startswith(fold(second)):
            return display_case(first), (display_case(second),)
    return display_case(text.strip(" .")), ()
