"""The wording of cause statements, shared by the cause readers."""

from __future__ import annotations

import re

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
    r"(?:an? |the |some )?(?:\w+ )?(?:damage|blockage|obstruction|problems?|injury|injuries"
    r"|disease|loss|failure|breakdown|destruction|lack|injury or disease|disease or injury"
    r"|underuse|overuse|misuse"
    r"|problems? or diseases?)\s+(?:to|in|of|within|inside|affecting|at|around)\b"
    r"|(?:an? |the |some )?\w+ (?:problems?|damage|injury)(?: or diseases?)?$"
)
# How much a "may", "might" or "could" takes from a statement's strength.
HEDGE_PENALTY = 0.05
HEDGES = re.compile(r"\b(?:may|might|could|possibly|sometimes|rarely|can)\b")
STOP_CLAUSE = (
    r"(?:[.;:]|$| [–—-] |,? (?:but|while|whereas|although|because|meaning|"
    r"which (?:is|are|means))\b| and (?:most|often|usually|can|"
    r"may|is|are)\b)"
)
