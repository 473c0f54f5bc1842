"""The values a learner's progress page is made of: one side as the learner has it, the
stages, and the figures per deck (:mod:`quizapp.stats.learner` computes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from quizapp.scheduling.base import Stage as ScheduleStage
from quizapp.stats.activity import DayCount, Streaks, StudyTime, Tally, WeekRetention
from quizapp.stats.memory import NO_OUTLOOK, Memory, Outlook

FORECAST_DAYS = 30
HARDEST_COUNT = 10
STARTING_EASINESS = Decimal("2.5")


class SideState(NamedTuple):
    """One side of a card as one learner currently has it; ``due is None`` means never
    studied.

    A named tuple, like :class:`~quizapp.stats.activity.Review`: a page builds one for every
    side of every card it shows, and a tuple is built several times faster than a frozen
    dataclass."""

    card_id: int
    ordinal: int
    deck_id: int
    tags: tuple[str, ...]
    stage: ScheduleStage
    easiness: Decimal
    due: date | None
    lapses: int
    retired: bool
    prompt: str
    memory: Memory | None = None


class Stage(StrEnum):
    NEW = "new"
    LEARNING = "learning"
    YOUNG = "young"
    MATURE = "mature"
    RETIRED = "retired"


# Looked up rather than converted: a progress page asks for thousands of sides' stages.
_STAGE_OF = {stage: Stage(stage.value) for stage in ScheduleStage}


def card_stage(state: SideState) -> Stage:
    return Stage.RETIRED if state.retired else _STAGE_OF[state.stage]


@dataclass(frozen=True)
class StageCounts:
    new: int = 0
    learning: int = 0
    young: int = 0
    mature: int = 0
    retired: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.young + self.mature + self.retired

    @property
    def studied(self) -> int:
        """Cards that have left "new" and are still in study."""
        return self.learning + self.young + self.mature


@dataclass(frozen=True)
class TopicMastery:
    """Figures for one tag, over the tag's cards that are not retired."""

    tag: str
    cards: int
    studied: int
    mature: int
    tally: Tally
    # Expected retention of the tag's studied sides, today and in a week (FSRS's memory model).
    outlook: Outlook = NO_OUTLOOK

    @property
    def mature_share(self) -> float | None:
        return self.mature / self.cards if self.cards else None


@dataclass(frozen=True)
class HardCard:
    card_id: int
    ordinal: int
    deck_id: int
    prompt: str
    lapses: int
    easiness: Decimal
    failures: int = 0


@dataclass(frozen=True)
class ProgressFigures:
    """Every progress figure for one deck, or for all selected decks when ``deck_id`` is None."""

    deck_id: int | None
    stages: StageCounts
    due_today: int
    forecast: tuple[DayCount, ...]
    reviews_per_day: tuple[DayCount, ...]
    retention: Tally
    retention_by_week: tuple[WeekRetention, ...]
    study_time: StudyTime
    streaks: Streaks
    topics: tuple[TopicMastery, ...]
    hardest: tuple[HardCard, ...]
    outlook: Outlook = NO_OUTLOOK


@dataclass(frozen=True)
class LearnerSummary:
    today: date
    overall: ProgressFigures
    decks: tuple[ProgressFigures, ...]
