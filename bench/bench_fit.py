"""Personal FSRS parameters: how long a fit takes and what it buys, on synthetic learners.

Each learner's memory follows FSRS with known parameters (one learner like FSRS's defaults, one
far from them); they study under FSRS with the defaults, as before a fit. For histories of
growing length the script prints the held-out log loss of the default and the fitted
parameters (what the app compares before keeping a fit), the in-sample log loss of the true
parameters (the floor), and the seconds the fit took (five cross-validation fits and the
final one). Exits 1 when the largest fit takes longer than its budget.

Run: .venv/bin/python bench/bench_fit.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import machine_line, table

from quizapp.scheduling.fitting import (
    DISTANT_LEARNER,
    by_card,
    fit,
    log_loss,
    steps_of,
    synthetic_history,
)
from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS

BUDGET_SECONDS = 30.0
ANSWERS_PER_CARD = 8
FULL_CARDS = (125, 500, 2500)  # 1,000, 4,000 and 20,000 reviews
QUICK_CARDS = (125,)

LEARNERS = (("like the defaults", DEFAULT_PARAMETERS), ("far from the defaults", DISTANT_LEARNER))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 reviews only: a smoke run")
    args = parser.parse_args()
    print(machine_line())
    rows, slowest = [], 0.0
    for name, truth in LEARNERS:
        for cards in QUICK_CARDS if args.quick else FULL_CARDS:
            history = synthetic_history(truth, cards=cards, answers_per_card=ANSWERS_PER_CARD)
            started = time.perf_counter()
            result = fit(history)
            seconds = time.perf_counter() - started
            slowest = max(slowest, seconds)
            cards = [steps_of(answers) for answers in by_card(history).values()]
            rows.append([
                name, f"{result.reviews:,}", f"{result.log_loss_default:.4f}",
                f"{result.log_loss_fitted:.4f}", f"{log_loss(truth, cards):.4f}",
                "fitted" if result.improved else "defaults", seconds,
            ])
    print(table(
        ["learner", "reviews", "log loss default", "log loss fitted", "true parameters",
         "kept", "fit seconds"],
        rows, title="Held-out log loss (lower is better) and fit time",
    ))
    within = slowest <= BUDGET_SECONDS
    print(f"slowest fit {slowest:.1f} s (budget {BUDGET_SECONDS:.0f} s): "
          f"{'met' if within else 'MISSED'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
