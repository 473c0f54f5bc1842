"""Generation cost at 1x and 100x the seed text; exits non-zero if it grows faster than linear.
Then the quality of generation on every topic of tests/generation_corpus and the seeds:
precision and recall of cause->type pairs and of types against the hand annotation, scored by
tests/generation_scorer.py (printed; the exit status stays the linearity target's).

Run: .venv/bin/python bench/bench_generation.py [--scale 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from quizapp.deckfile import dumps
from quizapp.generation import generate_deck

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
SCALE = 100
ALLOWED_GROWTH = 2.0


def timed(documents: list[tuple[str, str]]) -> float:
    best = float("inf")
    for _ in range(2 if len(documents) < 50 else 1):
        started = time.perf_counter()
        dumps(generate_deck(documents))
        best = min(best, time.perf_counter() - started)
    return best


def corpus_table() -> str:
    """Per-topic precision and recall of the generated knowledge against the gold files."""
    sys.path.insert(0, str(ROOT / "tests"))
    from generation_scorer import load_topics, score, table

    results = []
    for topic, documents, gold in load_topics(SEEDS):
        deck = generate_deck(documents)
        names = {source.id: source.name for source in deck.sources}
        results.append(score(topic, gold, deck.knowledge, names))
    return table(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=SCALE,
                        help=f"copies of the seeds in the large run (default {SCALE})")
    scale = parser.parse_args().scale
    seeds = [(path.name, path.read_text(encoding="utf-8")) for path in sorted(SEEDS.glob("*.txt"))]
    # Copies under other file names, so each is read, extracted and cited as its own source.
    scaled = [(f"copy{copy:03d}-{name}", text) for copy in range(scale) for name, text in seeds]
    small_chars = sum(len(text) for _, text in seeds)
    large_chars = sum(len(text) for _, text in scaled)
    small = timed(seeds)
    large = timed(scaled)
    per_char_small = small / small_chars
    per_char_large = large / large_chars
    ratio = per_char_large / per_char_small
    print(f"seeds:        {small_chars:>9} chars  {small * 1000:9.1f} ms")
    print(f"{scale}x seeds:   {large_chars:>9} chars  {large * 1000:9.1f} ms")
    print(f"time ratio {large / small:.1f} for {large_chars / small_chars:.0f}x the text")
    print(f"time per character at {scale}x / at 1x: {ratio:.2f} (limit {ALLOWED_GROWTH})")
    print("\nGeneration quality per topic (target: pairs and types P and R >= 0.90, no fragments)")
    print(corpus_table())
    return 0 if ratio <= ALLOWED_GROWTH else 1


if __name__ == "__main__":
    sys.exit(main())
