"""How much a source document may cost to read; every figure is a setting with a safe default."""

from __future__ import annotations

import time
from dataclasses import dataclass


class SourceRefused(ValueError):
    """A document that cannot be read; the message says why and what to do."""


@dataclass(frozen=True)
class SourceLimits:
    max_pages: int = 500
    max_slides: int = 500
    max_unpacked_bytes: int = 100 * 1024 * 1024
    max_chars: int = 20 * 1024 * 1024
    max_seconds: float = 120.0

    def deadline(self) -> Deadline:
        return Deadline(self.max_seconds)


class Deadline:
    """Checked between pages, slides and paragraphs: a document that takes too long stops."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self, name: str) -> None:
        if time.monotonic() > self.ends:
            raise SourceRefused(
                f"{name}: reading it took longer than {self.seconds:g} seconds; "
                "split it into smaller documents."
            )


def check_chars(name: str, length: int, limits: SourceLimits) -> None:
    if length > limits.max_chars:
        raise SourceRefused(
            f"{name}: more than {limits.max_chars:,} characters of text; "
            "split it into smaller documents."
        )
