"""Reading a deck file's plain fields and its media (pure); :mod:`quizapp.deckfile` reads
the rest. Each reader adds every problem it finds to ``problems`` and carries on."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from quizapp.storable import MAX_FIELD, unstorable_text

MAX_MEDIA_NAME = 200
MEDIA_NAME_RE = re.compile(r"^[^/\\\x00-\x1f\x7f]+$")


@dataclass(frozen=True)
class MediaFile:
    name: str
    data: bytes


def text_field(
    obj: dict, key: str, where: str, problems: list[str], *, required=False, limit=MAX_FIELD
) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            problems.append(f"{where}: field '{key}' is required")
        return ""
    if not isinstance(value, str):
        problems.append(f"{where}: field '{key}' must be a string")
        return ""
    if problem := text_problem(value, limit):
        problems.append(f"{where}: field '{key}' {problem}")
    return value


def text_problem(value: str, limit: int = MAX_FIELD) -> str | None:
    """Why a string field cannot hold ``value`` ("is longer than ..."), or None."""
    if len(value) > limit:
        return f"is longer than {limit} characters"
    return unstorable_text(value)


def int_field(
    obj: dict, key: str, where: str, problems: list[str], *, default: int, low: int, high: int
) -> int:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{where}: field '{key}' must be a whole number")
        return default
    if not low <= value <= high:
        problems.append(f"{where}: field '{key}' must be between {low} and {high}")
    return value


def read_media(raw: Any, problems: list[str]) -> list[MediaFile]:
    if not isinstance(raw, list):
        problems.append("field 'media' must be a list")
        return []
    files = []
    names: set[str] = set()
    for index, item in enumerate(raw):
        where = f"media {index + 1}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        name = text_field(item, "name", where, problems, required=True, limit=MAX_MEDIA_NAME)
        if not media_name_is_new(name, where, names, problems):
            continue
        try:
            data = base64.b64decode(item.get("data", ""), validate=True)
        except (binascii.Error, TypeError, ValueError):
            problems.append(f"{where}: field 'data' must be base64")
            continue
        files.append(MediaFile(name=name, data=data))
    return files


def media_name_is_new(name: str, where: str, names: set[str], problems: list[str]) -> bool:
    """Whether ``name`` is a plain file name not in ``names`` (then added to them)."""
    if name and (not MEDIA_NAME_RE.match(name) or name in (".", "..")):
        problems.append(f"{where}: field 'name' must be a plain file name")
        return False
    if name in names:
        problems.append(f"{where}: field 'name' repeats the name of another media file")
        return False
    names.add(name)
    return True
