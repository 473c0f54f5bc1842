"""The learner simulator: a year of study under SM-2 and FSRS at three desired retentions.

Prints reviews, study time and true retention on days 30, 90 and 365 per scheduler (means over
simulated students, see ``quizapp/scheduling/simulate.py`` for the memory model and every
assumption) and draws them to ``docs/simulation.svg``. Exits 1 when the full run takes longer
than its budget.

Run: .venv/bin/python bench/bench_simulate.py [--quick] [--students N] [--svg PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from _common import REPO, machine_line

from quizapp.scheduling.simulate import SimulationConfig, simulate
from quizapp.scheduling.simulation_chart import simulation_svg
from quizapp.scheduling.simulation_report import COMPARED, report, text_table

DECK = REPO / "decks" / "muscle-atrophy.json"
SVG = REPO / "docs" / "simulation.svg"
BUDGET_SECONDS = 60.0
FULL_STUDENTS = 40
QUICK_STUDENTS, QUICK_DAYS = 3, 60


def deck_size(path: Path) -> int:
    return len(json.loads(path.read_text(encoding="utf-8"))["cards"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 students, 60 days: a smoke run")
    parser.add_argument("--students", type=int, default=None)
    parser.add_argument("--svg", type=Path, default=None, help=f"default {SVG} (full run only)")
    args = parser.parse_args()
    config = SimulationConfig(cards=deck_size(DECK), students=FULL_STUDENTS)
    if args.quick:
        config = replace(config, students=QUICK_STUDENTS, days=QUICK_DAYS, checkpoints=(30, 60))
    if args.students is not None:
        config = replace(config, students=args.students)
    print(machine_line())
    print(
        f"deck {DECK.name}: {config.cards} cards; {config.students} students x {config.days} days;"
        f" {config.new_per_day} new cards and at most {config.reviews_per_day} reviews a day"
    )
    started = time.perf_counter()
    results = simulate(COMPARED, config)
    elapsed = time.perf_counter() - started
    summary = report(results, config)
    print(f"Per student (mean), {config.days} days of study")
    print(text_table(summary))
    print(summary.headline())
    svg_path = args.svg or (None if args.quick else SVG)
    if svg_path is not None:
        title = (
            f"{config.students} simulated students, {config.cards}-card deck, {config.days} days"
        )
        svg_path.write_text(simulation_svg(results, title), encoding="utf-8")
        print(f"chart written to {svg_path}")
    within = elapsed <= BUDGET_SECONDS
    print(f"simulation took {elapsed:.1f} s (budget {BUDGET_SECONDS:.0f} s): "
          f"{'met' if within else 'MISSED'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
