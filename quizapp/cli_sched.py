"""``flask sched …``: the learner simulator and personal FSRS parameters from the command line."""

from __future__ import annotations

from dataclasses import replace

import click
from flask.cli import AppGroup

from .cli import fail, find_deck
from .extensions import db
from .models import Deck, User, user_by_email
from .scheduling.fitting import FitFailed
from .scheduling.simulate import SimulationConfig, simulate
from .scheduling.simulation_report import COMPARED, checkpoints_for, report, text_table
from .services import deck_simulation, personal_params

sched_cli = AppGroup("sched", help="Compare schedulers and fit personal FSRS parameters.")

SHIPPED_DECK_CARDS = 82  # decks/muscle-atrophy.json, what bench/bench_simulate.py runs


@sched_cli.command("simulate")
@click.option("--deck", "deck_ref", default=None,
              help="Deck id or title: its card count and daily limits (default: an "
              f"{SHIPPED_DECK_CARDS}-card deck with 20 new cards and 200 reviews a day).")
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True)
@click.option("--learners", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="Simulated students (means over them are printed).")
@click.option("--seed", type=int, default=SimulationConfig.seed, show_default=True)
def simulate_command(deck_ref: str | None, days: int, learners: int, seed: int) -> None:
    """Print reviews, study time and true retention under SM-2 and FSRS at 0.8/0.9/0.95."""
    if deck_ref is None:
        config = SimulationConfig(cards=SHIPPED_DECK_CARDS)
        name = f"{SHIPPED_DECK_CARDS} cards (the shipped deck's size)"
    else:
        deck = find_deck(deck_ref)
        try:
            config = deck_simulation.deck_config(deck)
        except deck_simulation.SimulationRefused as refused:
            fail(str(refused))
        name = f"Deck {deck.title!r}: {config.cards} cards"
    config = replace(config, days=days, students=learners, seed=seed,
                     checkpoints=checkpoints_for(days))
    click.echo(
        f"{name}, {config.new_per_day} new and at most {config.reviews_per_day} reviews a day; "
        f"{learners} simulated students, {days} days, seed {seed}"
    )
    summary = report(simulate(COMPARED, config), config)
    click.echo(text_table(summary))
    click.echo(summary.headline())


@sched_cli.command("fit")
@click.option("--user", "email", default=None, help="Only this learner (email).")
@click.option("--deck", "deck_ref", default=None, help="Only this deck (id or title).")
def fit_command(email: str | None, deck_ref: str | None) -> None:
    """Fit personal FSRS parameters for every learner and deck with enough reviews."""
    user_id = deck_id = None
    if email is not None:
        user = user_by_email(email)
        if user is None:
            fail(f"no account for {email}")
        user_id = user.id
    if deck_ref is not None:
        deck_id = find_deck(deck_ref).id
    pairs = personal_params.eligible_pairs(user_id, deck_id)
    if not pairs:
        click.echo(f"No learner has {personal_params.min_reviews():,} reviews in one deck yet.")
        return
    for learner_id, fitted_deck_id in pairs:
        user, deck = db.session.get(User, learner_id), db.session.get(Deck, fitted_deck_id)
        try:
            row = personal_params.fit_for(user, deck)
        except FitFailed as failed:
            click.echo(f"{user.email} · {deck.title}: not fitted: {failed}")
            continue
        db.session.commit()
        click.echo(f"{user.email} · {deck.title}: {personal_params.describe(row)}")
