"""The HTTP load bench's client times the server, not its own cycle collector: a full pass
over the client process's objects stalls every client thread for ~90 ms, which the paced load
(counting from scheduled arrivals) would charge to the server."""

from __future__ import annotations

import gc
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from _http_client import Learner, Load


def _load_recording_collector_state(monkeypatch) -> tuple[Load, list[bool]]:
    load = Load(port=1, deck_id=1, learners=[Learner(i, f"l{i}@x.example") for i in range(4)],
                threads=2, secret="s", password="p")
    seen: list[bool] = []

    def step(learner, rng, started):
        seen.append(gc.isenabled())

    monkeypatch.setattr(load, "_step", lambda endpoint: step)
    return load, seen


def test_the_closed_and_the_open_loop_run_with_the_collector_paused(monkeypatch):
    load, seen = _load_recording_collector_state(monkeypatch)
    assert gc.isenabled()

    start, end, _ = load.run("app", 0.05)
    assert end > start
    load.paced("ceiling", 200.0, 0.1, seed=1)

    assert seen and not any(seen)
    assert gc.isenabled()  # resumed afterwards
