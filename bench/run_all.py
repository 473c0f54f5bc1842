"""Run every benchmark in sequence (``make bench``), then print a summary of the targets.

Each benchmark is its own script and process; its output is streamed as it runs, and its
exit status says whether its target was met (0), missed (1) or the script broke (other).
Exits non-zero when any target is missed, a script fails, or the whole run takes longer than
ten minutes; with ``--quick`` (the smoke run CI does) only when a script fails.

    .venv/bin/python bench/run_all.py [--only next_card,vs_anki] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

BENCH = Path(__file__).resolve().parent
BUDGET_SECONDS = 600
QUICK_BUDGET_SECONDS = 60
# (name, script, title, full-run arguments, --quick arguments). The quick sizes only prove
# that a script still runs and prints its table: CI runs all of them within a minute.
BENCHMARKS = [
    ("next_card", "bench_next_card.py", "Next card at scale (1k vs 1M rows)", [],
     ["--rows", "5000", "--rounds", "2", "--calls", "2", "--warmup", "3"]),
    ("history", "bench_history.py", "Costs flat in a learner's history", [], ["--quick"]),
    ("http_load", "bench_http_load.py", "Answering under load (gunicorn)", [],
     ["--seconds", "0.5", "--warmup", "0.1", "--learners", "2", "--workers", "1"]),
    ("vs_anki", "bench_vs_anki.py", "Against Anki (one review)", [],
     ["--answers", "30", "--no-warm-up"]),
    ("import_export", "bench_import_export.py", "Import and export (10k cards)", [],
     ["--cards", "200", "--repeats", "1", "--inner", "1", "--no-heap-trace"]),
    ("generation", "bench_generation.py", "Deck generation", [], ["--scale", "2"]),
    ("progress", "bench_progress.py", "Progress page (5k cards, 1k vs 100k reviews)", [],
     ["--quick"]),
    ("class_dashboard", "bench_class_dashboard.py", "Class dashboard (500 x 2,000, 200k reviews)",
     [], ["--quick"]),
    ("anki_progress", "bench_anki_progress.py", "Reading a learner's Anki progress (10k cards)",
     ["--runs", "1"], ["--cards", "200", "--reviews", "2", "--runs", "1"]),
    ("simulate", "bench_simulate.py", "Simulated learners: SM-2 vs FSRS for a year", [],
     ["--quick"]),
    ("fit", "bench_fit.py", "Personal FSRS parameters: fit time and log loss", [], ["--quick"]),
    ("app_tax", "app_tax.py", "A request's fixed cost: the app against bare Flask", [],
     ["--requests", "100", "--rounds", "2"]),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated names to run")
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and shorter phases (a smoke test, not the targets)")
    args = parser.parse_args(argv)
    chosen = {name.strip() for name in args.only.split(",") if name.strip()}
    print(common.machine_line(), flush=True)
    with _schema_cache():
        return _run(args, chosen)


@contextlib.contextmanager
def _schema_cache():
    """Every benchmark's databases are copies of one migrated SQLite file and one migrated
    PostgreSQL database (see ``_common.SCHEMA_CACHE_ENV``), dropped at the end: the same
    schema as migrating each, without running every migration ~16 times in a full run."""
    cache = Path(tempfile.mkdtemp(prefix="quizapp-bench-schema-"))
    os.environ[common.SCHEMA_CACHE_ENV] = str(cache)
    try:
        yield
    finally:
        del os.environ[common.SCHEMA_CACHE_ENV]
        record = cache / "postgresql"
        if record.exists():
            common.drop_pg_database(record.read_text().strip())
        shutil.rmtree(cache, ignore_errors=True)


def _run(args: argparse.Namespace, chosen: set[str]) -> int:
    results = []
    started = time.monotonic()
    for name, script, title, full_args, quick_args in BENCHMARKS:
        if chosen and name not in chosen:
            continue
        path = BENCH / script
        print(f"\n{'=' * 100}\n{title}: bench/{script}\n{'=' * 100}", flush=True)
        if not path.exists():
            print(f"bench/{script} does not exist (yet)")
            results.append((name, title, "MISSING", 0.0, 0.0))
            continue
        command = [sys.executable, str(path)] + (quick_args if args.quick else full_args)
        begun, cpu = time.monotonic(), _children_cpu()
        finished = subprocess.run(command, cwd=BENCH.parent, check=False,
                                  stderr=subprocess.PIPE, text=True, errors="replace")
        sys.stderr.write(finished.stderr)
        seconds = time.monotonic() - begun
        outcome = _outcome(finished.returncode, finished.stderr)
        results.append((name, title, outcome, seconds, _children_cpu() - cpu))
    total = time.monotonic() - started
    print(f"\n{'=' * 100}")
    print(common.table(["benchmark", "what", "target", "seconds", "CPU s"], results,
                       "Summary (CPU: the script and every process it started)"))
    budget = QUICK_BUDGET_SECONDS if args.quick else BUDGET_SECONDS
    in_budget = total <= budget
    print(f"total {total:.0f} s, CPU {sum(r[4] for r in results):.0f} s "
          f"(budget {budget} s: {common.verdict(in_budget)}; {common.machine_line()})")
    if args.quick:
        # A smoke run (CI): every script must run and print its table; small sizes say
        # nothing about the targets, and on a shared machine the wall time says little
        # about the scripts (the CPU seconds say more), so neither fails the run.
        broken = [name for name, _, outcome, *_ in results if outcome not in ("met", "MISSED")]
        print(f"every benchmark ran: {'yes' if not broken else 'NO: ' + ', '.join(broken)}")
        return 1 if broken else 0
    ok = in_budget and all(outcome == "met" for _, _, outcome, *_ in results)
    print(f"all targets {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def _outcome(status: int, stderr: str) -> str:
    """A script exits 1 when it misses a target; an uncaught exception exits 1 too, so a
    traceback marks it broken (a benchmark that crashes is a bug, not a missed target)."""
    if "Traceback (most recent call last)" in stderr:
        return f"FAILED (crashed, exit {status})"
    return {0: "met"}.get(status, "MISSED" if status == 1 else f"FAILED (exit {status})")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main())
