"""The shape of a deck's ``knowledge`` object, checked before a deck file is accepted.

Pure Python. The generator writes this object (:func:`quizapp.generation.knowledge_dict`) and
the review page reads it; a deck file may carry one, so an uploaded file could put anything
there. :func:`knowledge_problems` accepts exactly the generator's shape: every key optional,
no unknown keys, each value of its expected type (an object in place of a list, a number in
place of text, is refused with the path to it).
"""

from __future__ import annotations

from typing import Any

MAX_KNOWLEDGE_PROBLEMS = 5
_MAX_DEPTH = 12

# Any JSON value whose text the database can hold: a suggestion's ready-made cards are deck
# cards, checked as such (deckfile) when an instructor accepts them.
ANY_JSON = object()
# Confidence and the card threshold: a number from 0 to 1.
FRACTION = float

_LOCATION = {"source": str, "sentence": (int, None), "start": (int, None), "end": (int, None)}
_STATEMENT = {"value": str, "wording": str, "location": _LOCATION}
_ENTITY = {
    "id": str,
    "name": str,
    "aliases": [str],
    "types": [str],
    "sources": [str],
    "locations": [_LOCATION],
    "confidence": FRACTION,
}
SCHEMA: dict[str, Any] = {
    "condition": {"name": str, "head": str},
    "types": [
        {
            "id": str,
            "name": str,
            "aliases": [str],
            "sources": [str],
            "locations": [_LOCATION],
            "reversibility": {"value": (str, None), "statements": [_STATEMENT]},
            "exceptions": [_STATEMENT],
            "definitions": [_LOCATION],
            "confidence": FRACTION,
        }
    ],
    "causes": [
        {
            "id": str,
            "name": str,
            "aliases": [str],
            "types": [str],
            "status": str,
            "agreeing_sources": int,
            "sources": [str],
            "assignments": [{"source": str, "type": (str, None), "locations": [_LOCATION]}],
            "confidence": FRACTION,
        }
    ],
    "conflicts": [
        {
            "id": str,
            "about": str,
            "positions": [{"position": str, "sources": [str], "locations": [_LOCATION]}],
            "handling": str,
        }
    ],
    "symptoms": [_ENTITY],
    "tests": [_ENTITY],
    "treatments": [_ENTITY],
    "minor_typologies": [{"types": [{"id": str, "name": str, "aliases": [str]}]}],
    "threshold": FRACTION,
    "suggestions": [
        {
            "id": str,
            "kind": str,
            "statement": str,
            "confidence": FRACTION,
            "reasons": [str],
            "locations": [_LOCATION],
            "cards": [ANY_JSON],
        }
    ],
}

_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number from 0 to 1", None: "null"}


def knowledge_problems(value: Any, text_problem) -> list[str]:
    """Every way ``value`` departs from :data:`SCHEMA` (the first few), each with its path.

    ``text_problem(text)`` names what is wrong with a string the database cannot hold.
    """
    problems: list[str] = []
    _check(value, SCHEMA, "knowledge", problems, text_problem, 0)
    return problems[:MAX_KNOWLEDGE_PROBLEMS]


def _check(value, spec, path, problems, text_problem, depth) -> None:
    if len(problems) >= MAX_KNOWLEDGE_PROBLEMS or depth > _MAX_DEPTH:
        return
    if spec is ANY_JSON:
        _check_any(value, path, problems, text_problem, depth)
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            problems.append(f"field '{path}' must be an object")
            return
        for key, item in value.items():
            if key not in spec:
                problems.append(f"field '{path}' has an unknown key {str(key)[:40]!r}")
                continue
            _check(item, spec[key], f"{path}.{key}", problems, text_problem, depth + 1)
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            problems.append(f"field '{path}' must be a list")
            return
        for index, item in enumerate(value):
            _check(item, spec[0], f"{path}[{index}]", problems, text_problem, depth + 1)
        return
    allowed = spec if isinstance(spec, tuple) else (spec,)
    if value is None and None in allowed:
        return
    if int in allowed and isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 2**31:
            problems.append(f"field '{path}' must be between 0 and {2**31 - 1}")
        return
    if float in allowed and isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 <= value <= 1:
            problems.append(f"field '{path}' must be a number from 0 to 1")
        return
    if str in allowed and isinstance(value, str):
        problem = text_problem(value)
        if problem:
            problems.append(f"field '{path}' {problem}")
        return
    expected = " or ".join(_TYPE_NAMES[kind] for kind in allowed)
    problems.append(f"field '{path}' must be {expected}")


def _check_any(value, path, problems, text_problem, depth) -> None:
    """Any JSON, as long as it is not nested past the limit and its text can be stored."""
    if len(problems) >= MAX_KNOWLEDGE_PROBLEMS:
        return
    if depth > _MAX_DEPTH:
        problems.append(f"field '{path}' is nested too deeply")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_any(key, f"{path} key", problems, text_problem, depth + 1)
            _check_any(item, f"{path}.{str(key)[:40]}", problems, text_problem, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_any(item, f"{path}[{index}]", problems, text_problem, depth + 1)
    elif isinstance(value, str):
        problem = text_problem(value)
        if problem:
            problems.append(f"field '{path}' {problem}")
