"""The quality gate every cause name passes.

A name that starts or ends with a function word or subordinator, has unbalanced brackets or
more than one clause, holds a modal or auxiliary outside a relative clause, points back at
the text ("this", "the following", "listed above") or names nothing in particular is a piece
of a sentence, not a name.
"""

from __future__ import annotations

import re

from quizapp.generation.names import MAX_NAME_WORDS, is_generic
from quizapp.generation.text import fold, word_set

# A name never starts with these: they open clauses, phrases or references back.
OPENING_FRAGMENT = word_set(
    """that which who whom whose when where while if because since although though as than
    to of in on at by for from with without and or but so such including following these
    those this it they there what how whether unless until after before during via into
    onto upon is are was were be been can may might must should would could will often
    usually sometimes also mostly mainly typically generally especially particularly"""
)
# A name never ends with these: the sentence went on past the cut.
CLOSING_FRAGMENT = word_set(
    """the a an of to in on at by for from with and or but that which who as than such
    like including your their its his her is are was were be been being can may might
    must should would could will into onto very more most some any this these those
    depends depend when where if because"""
)
AUXILIARIES = word_set(
    "can may might must should would could will shall does do did is are was were been has "
    "have had depends means"
)
RELATIVES = word_set("that which who whom whose where")
REFERRING = word_set("this these those it they them you we")
# "the following conditions", "causes listed above": pointers to text, not names
PLACEHOLDERS = re.compile(
    r"\bthe following\b|^following\b|\baforementioned\b|\betc\b"
    r"|\b(?:listed|mentioned|shown|described) (?:above|below)\b|^(?:above|below)$"
)


def fragment_reason(name: str) -> str | None:
    """Why ``name`` is a piece of a sentence rather than a name, or None for a real name."""
    tokens = re.findall(r"[a-z0-9][\w'-]*", fold(name))
    if not tokens:
        return "no words"
    if len(name.split()) > MAX_NAME_WORDS:
        return "a clause, not a name"
    if name.count("(") != name.count(")") or name.count("[") != name.count("]"):
        return "unbalanced brackets"
    if re.search(r"[;:]", name):
        return "more than one clause"
    if tokens[0] in OPENING_FRAGMENT:
        return f"starts with '{tokens[0]}'"
    if tokens[-1] in CLOSING_FRAGMENT:
        return f"ends with '{tokens[-1]}'"
    for token in tokens:
        if token in RELATIVES:
            break
        if token in AUXILIARIES:
            return f"holds the verb '{token}'"
    if PLACEHOLDERS.search(fold(name)):
        return "a placeholder"
    if any(t in REFERRING for t in tokens):
        return "refers back to the text around it"
    if is_generic(name):
        return "names nothing in particular"
    return None
