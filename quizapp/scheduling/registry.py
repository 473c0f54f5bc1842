"""Schedulers by name, built from a deck's scheduling settings (pure).

A deck stores :class:`SchedulerSettings` as JSON; ``create(settings)`` gives the scheduler
object; :func:`load_state` reads any stored state by the scheduler name it carries. Adding an
algorithm is one module with a :class:`~quizapp.scheduling.base.Scheduler` subclass and one
line in :data:`FACTORIES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .base import JsonObject, Scheduler
from .fsrs_scheduler import (
    DEFAULT_DESIRED_RETENTION,
    DEFAULT_MAXIMUM_INTERVAL,
    DEFAULT_PARAMETERS,
    FsrsScheduler,
)
from .sm2_scheduler import Sm2Scheduler

DEFAULT_SCHEDULER = "sm2"
SETTINGS_JSON_VERSION = 1


@dataclass(frozen=True)
class SchedulerSettings:
    """Which algorithm schedules a deck, with its parameters (SM-2 has none to set)."""

    name: str = DEFAULT_SCHEDULER
    desired_retention: float = DEFAULT_DESIRED_RETENTION
    maximum_interval: int = DEFAULT_MAXIMUM_INTERVAL
    parameters: tuple[float, ...] = field(default=DEFAULT_PARAMETERS)

    def to_json(self) -> JsonObject:
        return {
            "v": SETTINGS_JSON_VERSION,
            "name": self.name,
            "desired_retention": self.desired_retention,
            "maximum_interval": self.maximum_interval,
            "parameters": list(self.parameters),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SchedulerSettings:
        if not isinstance(data, Mapping) or data.get("v") != SETTINGS_JSON_VERSION:
            raise ValueError("scheduler settings must be a version 1 JSON object")
        parameters = data.get("parameters", list(DEFAULT_PARAMETERS))
        if not isinstance(parameters, list) or not all(
            isinstance(w, int | float) and not isinstance(w, bool) for w in parameters
        ):
            raise ValueError("scheduler parameters must be a list of numbers")
        settings = cls(
            name=str(data.get("name", DEFAULT_SCHEDULER)),
            desired_retention=data.get("desired_retention", DEFAULT_DESIRED_RETENTION),
            maximum_interval=data.get("maximum_interval", DEFAULT_MAXIMUM_INTERVAL),
            parameters=tuple(float(w) for w in parameters),
        )
        # Refuse unknown names and out-of-range values now, not when a learner studies; FSRS's
        # values are checked for an SM-2 deck too, as they apply the day it switches.
        create(settings)
        _built(settings, _fsrs)
        return settings


def _sm2(_: SchedulerSettings) -> Scheduler[Any]:
    return Sm2Scheduler()


def _fsrs(settings: SchedulerSettings) -> Scheduler[Any]:
    return FsrsScheduler(
        desired_retention=settings.desired_retention,
        maximum_interval=settings.maximum_interval,
        parameters=settings.parameters,
    )


FACTORIES: dict[str, Callable[[SchedulerSettings], Scheduler[Any]]] = {
    "sm2": _sm2,
    "fsrs": _fsrs,
}


# Schedulers whose memory model takes fitted parameters (a learner's own, once fitted).
TAKES_FITTED_PARAMETERS: frozenset[str] = frozenset({"fsrs"})


def names() -> tuple[str, ...]:
    return tuple(FACTORIES)


def create(settings: SchedulerSettings | None = None) -> Scheduler[Any]:
    """The scheduler ``settings`` name (default: SM-2); ValueError for an unknown one."""
    settings = settings or SchedulerSettings()
    factory = FACTORIES.get(settings.name)
    if factory is None:
        raise ValueError(f"unknown scheduler {settings.name!r}; known: {', '.join(names())}")
    return _built(settings, factory)


@lru_cache(maxsize=256)
def _built(
    settings: SchedulerSettings, factory: Callable[[SchedulerSettings], Scheduler[Any]]
) -> Scheduler[Any]:
    """Schedulers hold no state of their own, so one per settings serves every answer: each
    answer reads its deck's settings, and building an FSRS scheduler (the library checks its
    parameters) cost about as much as the rest of scheduling the answer."""
    return factory(settings)


def scheduler_of(data: Mapping[str, Any]) -> str:
    """The name of the scheduler that wrote a stored state; review-log snapshots from before
    this interface (no ``"scheduler"`` key) are SM-2's."""
    name = data.get("scheduler", "sm2") if isinstance(data, Mapping) else None
    if not isinstance(name, str):
        raise ValueError(f"not a stored scheduling state: {data!r}")
    return name


_DEFAULTS: dict[tuple[str, object], Scheduler[Any]] = {}


def with_defaults(name: str) -> Scheduler[Any]:
    """The scheduler ``name`` with default settings: what reads a state or log row as it was
    written (its stage, its Anki form). Kept per registered factory, since building one per
    row would dominate reading a class's states."""
    key = (name, FACTORIES.get(name))
    if key not in _DEFAULTS:
        _DEFAULTS[key] = create(SchedulerSettings(name=name))
    return _DEFAULTS[key]


def stage_of_stored(data: Mapping[str, Any]) -> str:
    """The stage (a ``base.Stage`` value) of a stored state, as the scheduler that wrote it
    reads it: what ``card_state.stage`` keeps beside the JSON."""
    writer = with_defaults(scheduler_of(data))
    return writer.stage(writer.from_json(data)).value
