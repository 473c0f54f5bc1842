"""Reading JSON text the app wrote itself (JSON columns, signed tokens): the hot paths read
several values per request."""

from __future__ import annotations

import json
from typing import Any

_DECODE = json.JSONDecoder().raw_decode


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``, in about half its CPU for text that is one JSON value with no
    whitespace around it (what ``json.dumps`` writes): ``json.loads`` matches whitespace with
    a regular expression before and after the value. Anything else goes to ``json.loads``,
    which accepts it or raises as always."""
    if isinstance(text, str):
        try:
            value, end = _DECODE(text)
        except ValueError:
            return json.loads(text)
        if end == len(text):
            return value
    return json.loads(text)
