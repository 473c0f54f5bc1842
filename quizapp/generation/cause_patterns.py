"""The wording of cause statements, and the helpers that cut a statement into its parts."""

from __future__ import annotations

import re

from quizapp.generation.names import split_list

PEOPLE = r"(?:individuals|people|persons|patients|those|anyone|someone|children|adults|women|men)"
ADVERBS = (
    r"(?:can|may|might|could|will|often|also|usually|sometimes|"
    r"commonly|frequently|mostly|mainly|typically|generally|most "
    r"often|eventually|all|both|rarely|in turn|then)"
)
FORWARD = (
    r"(?:causes?|caused|lead(?:s)? to|led to|results? in|resulted in|triggers?|brings? on"
    r"|contributes? to|gives? rise to|produces?|is responsible for|are responsible for)"
)
BACKWARD = (
    r"(?:(?:is|are|be|been|was|were) (?:\w+ ){0,2}(?:caused|triggered|brought on) by"
    r"|(?:is|are|be|was|were) (?:\w+ )?due to|(?:is|are|be) (?:\w+ )?from"
    r"|(?:is|are|be) (?:\w+ )?(?:the|a) (?:\w+ )?results? of"
    r"|results? from|resulting from|stems? from|arises? from|comes? from|develops? from"
    r"|(?:occurs?|develops?|happens?|appears?|starts?) (?:\w+ "
    r")?(?:due to|because of|as (?:a|the) result of|from|after)"
    r"|follows?)"
)
# "a blockage in the outer ear", "damage to the bone marrow", "an injury or disease of the
# nerves": a mechanism and a place in the body define a type, they do not name a cause.
MECHANISM_RE = re.compile(
    r"\b(?:an? |the |some )?(?:\w+ )?(?:damage|blockage|obstruction|problems?|injury|injuries"
    r"|disease|loss|failure|breakdown|destruction|lack|injury or disease|disease or injury"
    r"|underuse|overuse|misuse"
    r"|problems? or diseases?)\s+(?:to|in|of|within|inside|affecting|at|around)\b"
    r"|\b(?:an? |the |some )?\w+ (?:problems?|damage|injury)(?: or diseases?)?$"
)
# A statement that denies what it names ("is not caused by", "does not cause").
NEGATION = re.compile(r"\b(?:not|never|no longer|neither|nor)\b|n't\b", re.IGNORECASE)
# How much a "may", "might" or "could" takes from a statement's strength.
HEDGE_PENALTY = 0.05
HEDGES = re.compile(r"\b(?:may|might|could|possibly|sometimes|rarely|can)\b")
STOP_CLAUSE = (
    r"(?:[.;:]|$| [–—-] |,? (?:but|while|whereas|although|because|meaning|"
    r"which (?:is|are|means))\b| and (?:most|often|usually|can|"
    r"may|is|are)\b|, (?:is|are|was|were|can|may|will|has|have)\b)"
)


def first_clause(text: str) -> str:
    """The text up to a semicolon outside brackets ("A, B; treatment include C")."""
    depth = 0
    for position, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth <= 0:
            return text[:position]
    return text


def antecedent(subject: str) -> str:
    """ "A and B are frequent culprits, so these medicines [cause T]": what "these
    medicines" points back to."""
    pointer = re.match(
        r"^(.+?)\s+(?:are|is|were|was)\b.*?,\s*(?:so|and so|thus|therefore|and)\s+"
        r"(?:these|those|such|both)(?:\s+\w+)?$",
        subject,
        re.IGNORECASE,
    )
    return pointer.group(1) if pointer else subject


def subject_of(subject: str) -> str:
    """The cause a forward statement's subject names: without a leading "In women," or
    "Sometimes", a trailing "both", or a verb phrase of its own ("A can slow X and")."""
    subject = re.sub(r",?\s*(?:all|both)$", "", subject)
    subject = re.split(r"\s+(?:can|may|might|could|will|often|also)\s+\w+", subject)[0]
    subject = re.sub(
        r"^(?:(?:in|for|among|after|during) [^,]{1,40},|in (?:some|many|rare) cases,?"
        r"|sometimes,?|often,?|rarely,?)\s+",
        "",
        subject,
        flags=re.I,
    )
    return re.sub(r"^[^:]{1,40}:\s+(?=[a-z])", "", subject)


def drop_appositive(subject: str) -> str:
    """ "X, a description of X," names one thing; a real list ends with and/or."""
    parts = split_list(subject)
    if len(parts) == 2 and not re.search(r"\b(?:and|or)\b", subject.split(",")[-1]):
        return parts[0]
    return subject
