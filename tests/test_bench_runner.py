"""`bench/run_all.py --quick` (run by CI) fails when a benchmark crashes, not when it only
misses its target at smoke-test sizes."""

from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import run_all


def test_a_crashing_benchmark_fails_the_quick_run_and_a_missed_target_does_not(
    tmp_path, monkeypatch, capsys
):
    missed = tmp_path / "bench_missed.py"
    missed.write_text("import sys\nprint('a table')\nsys.exit(1)\n")
    crashed = tmp_path / "bench_crashed.py"
    crashed.write_text("print('half a table')\nraise RuntimeError('a renamed attribute')\n")

    monkeypatch.setattr(run_all, "BENCHMARKS", [("missed", str(missed), "Missed", [], [])])
    assert run_all.main(["--quick"]) == 0
    monkeypatch.setattr(run_all, "BENCHMARKS", [
        ("missed", str(missed), "Missed", [], []),
        ("crashed", str(crashed), "Crashed", [], []),
    ])
    assert run_all.main(["--quick"]) == 1
    out = capsys.readouterr().out
    assert "FAILED (crashed, exit 1)" in out and "every benchmark ran: NO: crashed" in out
