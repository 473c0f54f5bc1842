"""The learner simulator: its memory model, its bookkeeping and its chart."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from quizapp.scheduling.fsrs_scheduler import Rating
from quizapp.scheduling.registry import SchedulerSettings
from quizapp.scheduling.simulate import (
    SECONDS_PER_DAY,
    SimulationConfig,
    TrueMemory,
    simulate,
)
from quizapp.scheduling.simulation_chart import rolling_mean, simulation_svg

SMALL = SimulationConfig(cards=30, students=3, days=90, new_per_day=10, checkpoints=(30, 90))
SCHEDULERS = [
    ("SM-2", SchedulerSettings("sm2")),
    ("FSRS 0.80", SchedulerSettings("fsrs", desired_retention=0.8)),
    ("FSRS 0.95", SchedulerSettings("fsrs", desired_retention=0.95)),
]


@pytest.fixture(scope="module")
def results():
    return simulate(SCHEDULERS, SMALL)


def test_memory_fades_and_recall_strengthens_it():
    memory = TrueMemory(ability=1.0)
    memory.first_showing(Rating.GOOD, 0.0, 0.0)
    curve = [memory.recall_probability(day * SECONDS_PER_DAY) for day in (0, 1, 5, 30)]
    assert curve[0] == 1.0 and curve == sorted(curve, reverse=True)
    before = memory.stability
    day = 3 * SECONDS_PER_DAY
    memory.answer(Rating.GOOD, memory.recall_probability(day), day)
    assert memory.stability > before
    forgotten = TrueMemory(ability=1.0)
    forgotten.first_showing(Rating.GOOD, 0.0, 0.0)
    forgotten.answer(Rating.AGAIN, forgotten.recall_probability(day), day)
    assert forgotten.stability < memory.stability


def test_ability_and_card_difficulty_matter():
    strong, weak = TrueMemory(ability=1.5), TrueMemory(ability=0.7)
    for memory in (strong, weak):
        memory.first_showing(Rating.GOOD, 0.0, 0.0)
    assert strong.stability > weak.stability
    easy, hard = TrueMemory(1.0), TrueMemory(1.0)
    easy.first_showing(Rating.GOOD, -2.0, 0.0)
    hard.first_showing(Rating.GOOD, +2.0, 0.0)
    assert easy.difficulty < hard.difficulty


def test_series_cover_every_day_and_stay_in_range(results):
    for result in results:
        for series in (result.reviews_per_day, result.minutes_per_day, result.retention_per_day):
            assert len(series) == SMALL.days
        assert all(0 < value <= 1 for value in result.retention_per_day)
        # every card is shown once, at least, in the first days: 30 cards at 10 a day
        assert sum(result.reviews_per_day[:3]) >= SMALL.cards
        assert result.total_hours == pytest.approx(sum(result.minutes_per_day) / 60)
        assert result.retention_on(90) == result.retention_per_day[-1]


def test_is_reproducible(results):
    again = simulate(SCHEDULERS[:1], SMALL)
    assert again[0] == results[0]


def test_higher_desired_retention_costs_reviews_and_buys_retention(results):
    _, low, high = results
    assert high.total_reviews > low.total_reviews
    for day in SMALL.checkpoints:
        assert high.retention_on(day) > low.retention_on(day)
    # FSRS at 0.95 keeps true recall near what it aims for
    assert high.retention_on(90) == pytest.approx(0.95, abs=0.04)


def test_review_limit_caps_due_reviews():
    free = SimulationConfig(cards=40, students=1, days=40, new_per_day=40, checkpoints=(40,))
    capped = replace(free, reviews_per_day=1)
    result = simulate(SCHEDULERS[:1], capped)[0]
    free = simulate(SCHEDULERS[:1], free)[0]
    assert result.total_reviews < free.total_reviews


@pytest.mark.parametrize(
    "change", [{"cards": 0}, {"students": 0}, {"days": 0}, {"checkpoints": (400,)}]
)
def test_config_refuses_nonsense(change):
    with pytest.raises(ValueError):
        SimulationConfig(**change)


def test_chart_is_plain_svg_with_a_line_per_scheduler_and_panel(results):
    svg = simulation_svg(results, "A <test> chart")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.find(f"{ns}title").text == "A <test> chart"
    assert "SM-2" in root.find(f"{ns}desc").text
    lines = root.findall(f"{ns}polyline")
    assert len(lines) == 2 * len(results)
    assert all(len(line.get("points").split()) == SMALL.days for line in lines)
    assert "style=" not in svg and "<script" not in svg
    with pytest.raises(ValueError):
        simulation_svg([], "empty")


def test_rolling_mean():
    assert rolling_mean([3, 1, 2, 6], 2) == [3, 2, 1.5, 4]
    assert all(math.isfinite(v) for v in rolling_mean([0.0] * 5, 7))
