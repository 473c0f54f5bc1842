"""Reversibility, superlatives, treatments, symptoms and tests, read from sentences.

Reversibility is read in all its wordings: reversible / irreversible, can (not) be reversed,
cured, corrected, restored or undone, resolves, goes away, temporary, permanent, no cure;
for the type the clause is about, and as an exception when the clause narrows the type
("sudden X may be restored if treated promptly").
"""

from __future__ import annotations

import re

from quizapp.generation.names import clean_entry, expand_entries
from quizapp.generation.reader import Unit
from quizapp.generation.reader_host import ReaderHost
from quizapp.generation.text import STOP_WORDS, fold

IMPROVE_VERBS = (
    r"(?:help|rebuild|regain|increase|encourage|maintain|improve|promote|build|reduce|enable)"
)
PEOPLE = r"(?:individuals|people|persons|patients|those|anyone|someone)"
UNDO = r"(?:reversed|cured|corrected|restored|undone|healed)"
NOT_REVERSIBLE = re.compile(
    rf"\b(?:(?:can ?not|can't|could not|couldn't|won't|will not|is not|are not|isn't|aren't"
    rf"|usually not|generally not)\s+(?:\w+ ){{0,2}}?(?:be\s+)?{UNDO}"
    r"|(?:is|are|be|becomes?|usually|often|generally|typically|it's|remains?) (?:\w+ )?"
    r"(?:not reversible|irreversible|permanent|incurable|lifelong)"
    r"|has no (?:known )?cure|there is no (?:known )?cure)",
    re.IGNORECASE,
)
REVERSIBLE = re.compile(
    rf"\b(?:(?:can|could|may|might|is|are|will|often|usually)\s+(?:\w+ ){{0,2}}?(?:be\s+)?{UNDO}"
    r"|(?:is|are|be|becomes?|usually|often|generally|typically|it's) (?:\w+ )?"
    r"(?:reversible|temporary|curable|treatable and reversible)"
    r"|(?:usually |often |generally |typically )?(?:resolves?|goes away|go away|clears? up))\b",
    re.IGNORECASE,
)
SOMETIMES = re.compile(r"sometimes|at times|occasionally|in some cases|\bmay\b|\bmight\b", re.I)


class StatementRules(ReaderHost):
    """Mixed into the per-document reader (``extract._Reader``)."""

    def reversibility(self, unit: Unit, text: str) -> None:
        for pattern, polarity in ((NOT_REVERSIBLE, "no"), (REVERSIBLE, "yes")):
            for match in pattern.finditer(text):
                if polarity == "yes" and NOT_REVERSIBLE.search(
                    text, max(0, match.start() - 12), match.end() + 1
                ):
                    continue
                clause = re.split(
                    r";|, but |, while |, and (?=\w+ \w+ (?:is|are|can))", text[: match.start()]
                )[-1]
                named = [m for m in self.type_re.finditer(clause)]
                if named:
                    subject = self.vocabulary.canonical_type(named[-1].group(1))
                    before = fold(clause[: named[-1].start()]).split()
                    narrowed = (
                        bool(before)
                        and before[-1] not in STOP_WORDS
                        and before[-1].isalpha()
                        and before[-1] not in ("rather", "while", "but", "most")
                    )
                else:
                    subject = (
                        self.subject_type(clause.strip(" ,"), unit)
                        if clause.strip()
                        else self.topic(unit)
                    )
                    narrowed = False
                if subject is None:
                    continue
                cue = match.group(0).lower()
                value = polarity
                if polarity == "yes" and SOMETIMES.search(cue):
                    value = "sometimes"
                record = (subject, value, cue, self.location(unit))
                if narrowed:
                    self.facts.exceptions.append(record)
                    continue
                self.facts.reversibility.append(record)
                means = re.search(
                    (
                        r"(?:reversed|cured|corrected|restored) (?:with|by|through) "
                        r"([^.]+?)(?:\.|$| because| if| unless)"
                    ),
                    text,
                )
                if means and value != "no":
                    self.add("treatments", expand_entries(means.group(1)), subject, unit)
                return

    def superlative(self, unit: Unit, text: str) -> None:
        condition = self.vocabulary.condition_pattern()
        for pattern in (
            rf"^{self.type_re.pattern}\s+(?:{self.head_re}\s+)?is the most (\w+) type",
            rf"the most (\w+) type of {condition} is {self.type_re.pattern}",
        ):
            match = re.search(pattern, fold(text))
            if match:
                groups = match.groups()
                first_is_type = self.vocabulary.canonical_type(groups[0]) is not None
                type_group, adjective = (
                    (groups[0], groups[1]) if first_is_type else (groups[1], groups[0])
                )
                canonical = self.vocabulary.canonical_type(type_group)
                if canonical is None:
                    continue
                self.facts.superlatives.append((adjective, canonical, self.location(unit)))
        sign = re.search(rf"the most (\w+) (?:sign|symptom) of {condition} is ([^.]+)", fold(text))
        if sign:
            start = fold(text).index(sign.group(2))
            entry = clean_entry(text[start : start + len(sign.group(2))], False)
            if entry:
                self.add("symptoms", [entry], None, unit)
                self.facts.superlatives.append(
                    (sign.group(1), f"sign:{entry[0]}", self.location(unit))
                )

    def treatments(self, unit: Unit, text: str) -> None:
        cut = rf"(?:\.|$| to {IMPROVE_VERBS}\b| --|,? but\b)"
        treated = re.search(rf"\bcan (?:\w+ )?be treated with (.+?){cut}", text)
        if treated:
            phrase = treated.group(1)
            called = re.search(r"\bcalled (.+)$", phrase)
            entries = expand_entries(called.group(1) if called else phrase)
            self.add("treatments", entries, self.subject_type(text[: treated.start()]), unit)
        forms = re.search(
            rf"\b((?:\w+,? )+?)(?:forms|types) (?:are|is) treated with (.+?){cut}", text
        )
        if forms:
            for named_type in self.types_in(forms.group(1)):
                self.add("treatments", expand_entries(forms.group(2)), named_type, unit)
        include = re.search(
            rf"\btreatments? (?:may |can )?(?:include|includes) (.+?){cut}", text, re.I
        )
        if include:
            self.add(
                "treatments",
                expand_entries(include.group(1)),
                self.subject_type(text[: include.start()]),
                unit,
            )
        helps = re.match(r"^(?:an? |the )?(.+?) (?:may|can) help treat\b", text)
        if helps:
            self.add("treatments", expand_entries(helps.group(1)), None, unit)
        for_people = re.match(
            rf"^for {PEOPLE} with (.+?), (.+?) (?:may|can|is|are) (?:be )?(?:recommended|used)"
            rf"(?:\s*--\s*including (.+?)\s*--)?",
            text,
            re.IGNORECASE,
        )
        if for_people:
            type_word = self.subject_type(for_people.group(1))
            self.add("treatments", expand_entries(for_people.group(2)), type_word, unit)
            if for_people.group(3):
                self.add("treatments", expand_entries(for_people.group(3)), type_word, unit)
        recommend = re.search(
            rf"\bmay (?:also )?(?:recommend|suggest) (?:the use of )?(.+?){cut}", text
        )
        if recommend and not re.search(r"\bplan\b.*\bwork for you", recommend.group(1)):
            type_word = self.subject_type(text[: recommend.start()])
            self.add("treatments", expand_entries(recommend.group(1)), type_word, unit)

    def symptoms(self, unit: Unit, text: str) -> None:
        for pattern in (
            r"\b(?:symptoms|signs) (?:such as|include|including|like) (.+?)(?:\.|$)",
            r"\bit (?:may |can |is |often )*(?:be )?accompanied by (.+?)(?:,? as well as|\.|$)",
        ):
            match = re.search(pattern, text, re.IGNORECASE)
            if match and not text.rstrip().endswith(":"):
                self.add("symptoms", expand_entries(match.group(1)), None, unit)

    def tests(self, unit: Unit, text: str) -> None:
        match = re.search(r"\btests? (?:such as|include|including) (.+?)(?:\.|$)", text, re.I)
        if match and not text.rstrip().endswith(":"):
            self.add("tests", expand_entries(match.group(1)), None, unit)
