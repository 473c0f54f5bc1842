"""The learner simulator run for one deck (its card count and daily limits), in a background
job, its figures kept on the deck until the deck changes, so the settings page only reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Card, Deck, DeckSimulation, Job, job_under_way, utcnow
from ..scheduling.simulate import SimulationConfig, simulate
from ..scheduling.simulation_report import COMPARED, Report, checkpoints_for, report


class SimulationRefused(ValueError):
    """A deck the simulator cannot run on; the message says why."""


def deck_config(deck: Deck) -> SimulationConfig:
    """The run for ``deck``: its sides in study (capped: cards never introduced within the run
    cost nothing but time), its daily limits, and the run size from the settings."""
    config = current_app.config
    days = config["QUIZAPP_SIMULATION_DAYS"]
    # Zero is a valid daily limit (a deck paused for new cards or reviews), not a run to model.
    if deck.new_per_day < 1:
        raise SimulationRefused("This deck introduces no new cards per day: nothing to simulate.")
    if deck.reviews_per_day < 1:
        raise SimulationRefused("This deck allows no reviews per day: nothing to simulate.")
    sides = db.session.scalar(
        select(func.coalesce(func.sum(Card.side_count), 0)).where(
            Card.deck_id == deck.id, Card.retired.is_(False)
        )
    )
    cards = min(int(sides), days * deck.new_per_day, config["QUIZAPP_SIMULATION_MAX_CARDS"])
    if cards < 1:
        raise SimulationRefused("This deck has no cards to simulate yet.")
    return SimulationConfig(
        cards=cards,
        students=config["QUIZAPP_SIMULATION_STUDENTS"],
        days=days,
        new_per_day=deck.new_per_day,
        reviews_per_day=deck.reviews_per_day,
        checkpoints=checkpoints_for(days),
    )


def fingerprint(config: SimulationConfig) -> str:
    return (
        f"cards={config.cards};students={config.students};days={config.days};"
        f"new={config.new_per_day};reviews={config.reviews_per_day};seed={config.seed}"
    )


@dataclass(frozen=True)
class SimulationView:
    """What the deck settings page shows: the last figures, whether the deck has changed
    since, and whether a run is under way."""

    report: Report | None
    computed_at: datetime | None
    stale: bool
    running: bool
    problem: str | None


def view_for(deck: Deck) -> SimulationView:
    stored = db.session.get(DeckSimulation, deck.id)
    running = job_under_way("simulate", deck.id)
    try:
        current, problem = fingerprint(deck_config(deck)), None
    except SimulationRefused as refused:
        current, problem = None, str(refused)
    if stored is None:
        return SimulationView(None, None, False, running, problem)
    return SimulationView(
        Report.from_json(stored.results), stored.computed_at, stored.fingerprint != current,
        running, problem,
    )


def simulate_deck(deck: Deck) -> DeckSimulation:
    """Run the simulator for the deck and keep its figures (flushed, not committed)."""
    config = deck_config(deck)
    summary = report(simulate(COMPARED, config), config)
    stored = db.session.get(DeckSimulation, deck.id) or DeckSimulation(deck_id=deck.id)
    stored.fingerprint = fingerprint(config)
    stored.results = summary.to_json()
    stored.computed_at = utcnow()
    db.session.add(stored)
    db.session.flush()
    return stored


def run_simulation_job(job: Job, report_progress) -> int:
    deck = db.session.get(Deck, job.deck_id) if job.deck_id is not None else None
    if deck is None:
        raise SimulationRefused("This deck no longer exists.")
    report_progress(stage="Simulating a year of study", percent=10)
    simulate_deck(deck)
    return deck.id
