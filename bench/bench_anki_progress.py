"""Reading a learner's Anki progress: ``read_anki_progress`` beside Anki importing it.

The package is the app's own export with progress (``build_apkg``): N basic cards, each
studied R times, so N schedules and N × R revlog rows. quizapp's side is
``quizapp.formats.anki.progress.read_anki_progress`` (unpack, schema checks, notes, matching
by guid, schedules, revlog of the matched cards, SM-2 states and review snapshots); Anki's
is the official ``anki`` library importing the same file with scheduling into a fresh
collection (created before the clock starts). Sides alternate, the median of the runs is
judged. Target: no slower than Anki.

    .venv/bin/python bench/bench_anki_progress.py [--cards 10000] [--reviews 9] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

from quizapp.deckfile import CardData, DeckData
from quizapp.formats.anki.progress import DeckCard, read_anki_progress
from quizapp.formats.apkg_export import CardProgress, ReviewEntry, build_apkg
from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler

SM2 = Sm2Scheduler()


def package(cards: int, reviews: int) -> tuple[bytes, list[DeckCard]]:
    deck = DeckData(title="Bench", cards=[
        CardData(guid=f"bench-{i:06d}", kind="basic", prompt=f"Question {i}", answer=f"A {i}")
        for i in range(cards)
    ])
    start = datetime.now(UTC) - timedelta(days=400)
    progress = {
        (card.guid, 0): CardProgress(
            schedule=SM2.to_anki(Sm2State(
                Decimal("2.5"), 20, 2, (datetime.now(UTC) + timedelta(days=i % 30)).date(), 0
            )),
            reviews=tuple(
                ReviewEntry(start + timedelta(days=3 * r, seconds=i), button=3,
                            interval=2 + r, last_interval=1 + r if r else 0, factor=2500,
                            duration_ms=4000)
                for r in range(reviews)
            ),
        )
        for i, card in enumerate(deck.cards)
    }
    data = build_apkg(deck, deck_key="bench", progress=progress)
    keys = [DeckCard(i, card.guid, card.prompt, card.answer, (0,))
            for i, card in enumerate(deck.cards)]
    return data, keys


def time_quizapp(data: bytes, keys: list[DeckCard]) -> tuple[float, int]:
    begun = time.perf_counter()
    plan = read_anki_progress(data, keys, "UTC", datetime.now(UTC))
    return time.perf_counter() - begun, plan.review_count


def time_anki(path: Path, workdir: Path) -> float:
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    folder = Path(tempfile.mkdtemp(dir=workdir))
    col = Collection(str(folder / "collection.anki2"))
    try:
        begun = time.perf_counter()
        col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(path),
            options=ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=True),
        ))
        return time.perf_counter() - begun
    finally:
        col.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=9)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(common.machine_line(), flush=True)
    data, keys = package(args.cards, args.reviews)
    with common.temp_dir("bench-anki-progress-") as workdir:
        path = workdir / "progress.apkg"
        path.write_bytes(data)
        ours, theirs, read = [], [], 0
        for run in range(args.runs):
            if run % 2:
                theirs.append(time_anki(path, workdir))
            seconds, read = time_quizapp(data, keys)
            ours.append(seconds)
            if not run % 2:
                theirs.append(time_anki(path, workdir))
    quizapp_s, anki_s = common.median(ours), common.median(theirs)
    met = quizapp_s <= anki_s
    print(common.table(
        ["cards", "reviews read", "package MB", "read_anki_progress s", "anki import s",
         "ratio", "target"],
        [(args.cards, read, len(data) / 1024 / 1024, quizapp_s, anki_s, quizapp_s / anki_s,
          met)],
        "Reading a learner's Anki progress (median of runs)",
    ))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
