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

_LOCATION = {"source": str, "sentence": (int, None), "start": (int, None), "end": (int, None)}
_ENTITY = {
    "id": str,
    "name": str,
    "aliases": [str],
    "types": [str],
    "sources": [str],
    "locations": [_LOCATION],
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
            "reversibility": {
                "value": (str, None),
                "statements": [{"value": str, "wording": str, "location": _LOCATION}],
            },
            "definitions": [_LOCATION],
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
}

_TYPE_NAMES = {str: "text", int: "a whole number", None: "null"}


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
    if str in allowed and isinstance(value, str):
        problem = text_problem(value)
        if problem:
            problems.append(f"field '{path}' {problem}")
        return
    expected = " or ".join(_TYPE_NAMES[kind] for kind in allowed)
    problems.append(f"field '{path}' must be {expected}")
