"""Answering under load: the real app under gunicorn, beside a bare-Flask ceiling.

For each set-up (SQLite with one sync worker per core; PostgreSQL with two per core) the bench
creates a fresh database (a 1,000-card published deck, many learners each with 30 due
reviews), starts gunicorn on ``bench/ceiling_app.py:application`` (the real app from
``quizapp.create_app`` plus the ceiling mounted at ``/ceiling``, in the same worker
processes), logs every learner in through the login form, then drives two loads
(``_http_client.py``), each on the ceiling and the app in alternating slices (ceiling, app,
ceiling, app) so a noisy neighbour hits both alike:

* app: one answer = ``GET /study/<deck>`` (parse ``token`` and ``csrf_token``), then
  ``POST /study/<deck>/answer`` with a grade (3-5), expecting the 303 to the next card;
* ceiling: ``POST /ceiling/answer/<user>`` (one indexed read + one review-log insert).

1. Saturated: a closed loop, one client connection per worker. Its requests/s are the
   throughput compared. Its latencies are shown but not judged: with every worker busy all
   the time, a request's time is the number of clients over the throughput (Little's law),
   a restatement of the throughput, not the wait a learner sees under load.
2. Paced: requests arrive at a fixed rate, the same for ceiling and app and the same seeded
   schedule: ``PACED_SHARE`` (half the throughput target) of the ceiling's saturated
   requests/s, spread over all the learners, each fetching a card, then answering it while
   others take turns. Its p99, counted from each request's scheduled arrival, is the latency
   judged: the wait at a heavy load the app must sustain, short of saturation.

Afterwards every answer the client saw accepted must be in the review log exactly once (and
nothing else may be there).

``--server-times`` (off by default: logging costs the workers a little CPU) also shows, per
phase and endpoint, where a request's time went: its time inside a worker (gunicorn's access
log, ``%(D)s``: request parsed to response written), and the workers' CPU and run-queue wait
(``/proc/<pid>/schedstat``: runnable but not running, as another process had the core) per
request, and on PostgreSQL its backends' CPU per request (server on this machine). A client
figure far above the in-worker time is queueing before a worker took the request; run-queue
wait near the CPU time means the cores, not the app, were the bottleneck.

Targets: app requests/s >= 60 % of the ceiling's (saturated), app p99 < 50 ms (paced), zero
errors, review log exact.

    .venv/bin/python bench/bench_http_load.py [--seconds 24] [--learners 60]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from _http_client import HOST, Learner, Load, request
from sqlalchemy import create_engine, insert, text

from quizapp.deckfile import CardData, DeckData
from quizapp.extensions import db
from quizapp.models import CardState
from quizapp.services.decks import store_deck

SECRET = "bench-http-secret-key"
THROUGHPUT_SHARE = 0.60
# The paced load, as a share of the ceiling's saturated requests/s: half the throughput the
# app must reach, so a server meeting that target runs about half busy.
PACED_SHARE = THROUGHPUT_SHARE / 2
P99_LIMIT_MS = 50.0
CARDS = 1000
DUE_PER_LEARNER = 30


# --------------------------------------------------------------------------- data


def prepare(url: str, learners: int, journal: str = "") -> tuple[int, list[tuple[int, str]]]:
    """Migrate, load the deck, learners and their due reviews; (deck id, [(id, email)])."""
    app = common.make_app(url, SECRET_KEY=SECRET)
    with app.app_context():
        if journal and url.startswith("sqlite"):
            with db.engine.connect() as conn:  # persistent: stored in the database file
                conn.exec_driver_sql(f"PRAGMA journal_mode = {journal}")
        cards = [CardData(guid=f"h{i}", kind="basic", prompt=f"Question {i}",
                          answer=f"Answer {i}") for i in range(CARDS)]
        deck = store_deck(DeckData(title="Load", cards=cards, new_per_day=100_000,
                                   reviews_per_day=100_000), owner=None, publish=True).deck
        db.session.commit()
        card_ids = [card.id for card in deck.cards]
        pw = common.password_hash()
        now = datetime.now(UTC)
        users = [{"email": f"load{i}@bench.example", "password_hash": pw,
                  "display_name": f"Load {i}", "role": "learner", "timezone": "UTC",
                  "created_at": now, "session_version": 1} for i in range(learners)]
        from quizapp.models import User

        db.session.execute(insert(User), users)
        db.session.commit()
        people = [(u.id, u.email) for u in db.session.scalars(db.select(User).order_by(User.id))]
        today = now.date()
        rng = random.Random(2)
        states = []
        for user_id, _ in people:
            for card_id in rng.sample(card_ids[:DUE_PER_LEARNER * 4], DUE_PER_LEARNER):
                due = today - timedelta(days=rng.randint(0, 9))
                states.append({"user_id": user_id, "card_id": card_id, "deck_id": deck.id,
                               "ordinal": 0, "state": common.sm2_state(3, 2, due), "due": due,
                               "last_review_at": now - timedelta(days=5), "version": 1})
        db.session.execute(insert(CardState), states)
        db.session.commit()
        deck_id = deck.id
        db.session.remove()
        db.engine.dispose()
    return deck_id, people


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, workers: int, deck_id: int, log: Path,
                 access_log: Path | None = None):
        self.port = free_port()
        self.url = url
        self.access_log = access_log
        logging = [] if access_log is None else [
            "--access-logfile", str(access_log), "--access-logformat", "%(m)s %(U)s %(D)s"]
        env = dict(os.environ)
        env.update({
            "QUIZAPP_DATABASE_URL": url,
            "QUIZAPP_SECRET_KEY": SECRET,
            "QUIZAPP_LOGIN_RATE_LIMIT": "100000 per minute",
            "BENCH_CEILING_DECK": str(deck_id),
            "PYTHONPATH": os.pathsep.join([str(common.REPO / "bench"), str(common.REPO)]),
        })
        self.log = log
        self.handle = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers),
             "--worker-class", "sync", "--bind", f"{HOST}:{self.port}",
             "--chdir", str(common.REPO), *logging, "ceiling_app:application"],
            env=env, stdout=self.handle, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            try:
                status, _, _ = request(self.port, "GET", "/auth/login", {})
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_tail()}")

    def log_tail(self) -> str:
        if not self.handle.closed:
            self.handle.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def access_lines(self) -> int:
        """Lines in the access log so far (0 without one)."""
        if self.access_log is None or not self.access_log.exists():
            return 0
        with open(self.access_log, "rb") as handle:
            return sum(1 for _ in handle)

    def worker_times(self) -> tuple[float, float] | None:
        """(CPU seconds, run-queue seconds) of the live workers so far, on Linux."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            cpu = wait = 0.0
            for pid in children.read_text().split():
                run_ns, wait_ns, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
                cpu, wait = cpu + int(run_ns) / 1e9, wait + int(wait_ns) / 1e9
            return cpu, wait
        except (OSError, ValueError):
            return None

    def backend_cpu(self) -> dict[int, float] | None:
        """CPU seconds so far of each PostgreSQL backend serving this database (the workers'
        connections), when the server runs on this machine; None on SQLite or elsewhere."""
        if not self.url.startswith("postgresql"):
            return None
        import psycopg

        name = self.url.rsplit("/", 1)[1]
        try:
            with psycopg.connect(common.pg_url(common.PG_ADMIN_DB, "postgresql")) as conn:
                pids = [row[0] for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
            return {pid: int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
                    for pid in pids}
        except (OSError, ValueError, psycopg.Error):
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()


# --------------------------------------------------------------------------- set-up run


PHASES = ("saturated", "paced")
ENDPOINTS = ("ceiling", "app")


def run_setup(engine: str, workers: int, threads: int, learners: int, seconds: float,
              warmup: float, workdir: Path, journal: str = "",
              server_times: bool = False) -> dict:
    with common.database(engine, "http", workdir) as url:
        deck_id, people = prepare(url, learners, journal)
        access = workdir / f"access-{engine}.log" if server_times else None
        server = Server(url, workers, deck_id, workdir / f"gunicorn-{engine}.log", access)
        inside: dict[str, dict] = {}
        try:
            load = Load(server.port, deck_id, [Learner(uid, email) for uid, email in people],
                        threads, SECRET, common.BENCH_PASSWORD)
            login_times = load.login_all()
            windows: dict[str, list[tuple[float, float]]] = {
                f"{phase} {endpoint}": [] for phase in PHASES for endpoint in ENDPOINTS}
            client_cpu = dict.fromkeys(windows, 0.0)

            def measure(key: str, run) -> None:
                before = (server.access_lines(), server.worker_times(),
                          server.backend_cpu() if server_times else None)
                window = run()
                windows[key].append(window[:2])
                client_cpu[key] += window[2]
                if server_times:
                    time.sleep(0.1)  # the workers log a request just after answering it
                    _tally(inside.setdefault(key, {}), server, before,
                           # the ceiling's path as logged: the dispatcher moves its
                           # /ceiling prefix into SCRIPT_NAME
                           "/answer/" if key.endswith("ceiling") else "/study/")

            for endpoint in ENDPOINTS:
                load.run(endpoint, warmup)
            slices = 2
            for _ in range(slices):
                for endpoint in ENDPOINTS:
                    measure(f"saturated {endpoint}",
                            lambda e=endpoint: load.run(e, seconds / slices))
            saturated = _summary(load, windows, client_cpu, "saturated ceiling")["rps"]
            rate = max(PACED_SHARE * saturated, 1.0)  # a ceiling that served nothing failed
            for index in range(slices):
                for endpoint in ENDPOINTS:
                    measure(f"paced {endpoint}", lambda e=endpoint, i=index:
                            load.paced(e, rate, seconds / slices, seed=i))
        finally:
            server.stop()
        log_tail = server.log_tail()
        verification = verify(url, load)
    return {"engine": engine, "workers": workers, "threads": threads, "learners": learners,
            "load": load, "windows": windows, "client_cpu": client_cpu, "paced_rate": rate,
            "logins": login_times, "verification": verification, "log_tail": log_tail,
            "inside": inside}


def _tally(into: dict, server: Server, before: tuple, path: str) -> None:
    """Add the in-worker times (ms, by method) of the requests under ``path`` since ``before``
    (access-log line count, worker times, PostgreSQL backends' CPU), and the workers' CPU and
    run-queue seconds and the backends' CPU seconds since then, to ``into``."""
    lines, times, backends = before
    with open(server.access_log, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            parts = line.split()
            if (number >= lines and len(parts) == 3 and parts[1].startswith(path)
                    and parts[2].isdigit()):
                into.setdefault(parts[0], []).append(int(parts[2]) / 1000)
    after = server.worker_times()
    if times is not None and after is not None:
        into["cpu"] = into.get("cpu", 0.0) + after[0] - times[0]
        into["wait"] = into.get("wait", 0.0) + after[1] - times[1]
    later = server.backend_cpu() if backends is not None else None
    if later is not None:
        # A backend that connected since counts from zero; one that left is not counted.
        into["backends"] = into.get("backends", 0.0) + sum(
            cpu - backends.get(pid, 0.0) for pid, cpu in later.items())


NOT_TIMES = ("cpu", "wait", "backends")  # a tally's totals beside its times by method


def _inside_note(key: str, tally: dict) -> str:
    count = sum(len(v) for k, v in tally.items() if k not in NOT_TIMES)
    parts = [f"{method} p50 {common.percentile(ms, 50):.1f} / p99 "
             f"{common.percentile(ms, 99):.1f} / max {max(ms):.1f} ms"
             for method, ms in sorted(tally.items()) if method not in NOT_TIMES]
    if count and "cpu" in tally:
        parts.append(f"worker CPU {tally['cpu'] * 1000 / count:.2f} ms and run-queue wait "
                     f"{tally['wait'] * 1000 / count:.2f} ms per request")
    if count and "backends" in tally:
        parts.append(f"PostgreSQL backends' CPU {tally['backends'] * 1000 / count:.2f} ms "
                     "per request")
    return f"  in the workers, {key}: " + "; ".join(parts)


def verify(url: str, load: Load) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT presentation, count(*) FROM review_log GROUP BY presentation")
            ).all()
    finally:
        engine.dispose()
    in_log = {presentation: count for presentation, count in rows}
    result = {}
    for name, sent in (("app", load.answers), ("ceiling", load.ceiling)):
        logged = {p: c for p, c in in_log.items() if p.startswith("ceil-") == (name != "app")}
        accepted = {p for p, ok in sent.items() if ok}
        missing = [p for p in accepted if logged.get(p, 0) == 0]
        doubled = [p for p, c in logged.items() if c != 1]
        unknown = [p for p in logged if p not in sent]
        result[name] = {"accepted": len(accepted), "logged": sum(logged.values()),
                        "missing": len(missing), "doubled": len(doubled),
                        "unknown": len(unknown),
                        "exact": not missing and not doubled and not unknown}
    return result


def _summary(load: Load, windows: dict, client_cpu: dict, key: str) -> dict:
    """Figures of one phase and endpoint ("paced app"): its requests within its windows."""
    ceiling = key.endswith("ceiling")
    samples = [s for s in load.samples if
               (s.endpoint == "ceiling") == ceiling and
               any(start <= s.started < end for start, end in windows[key])]
    wall = sum(end - start for start, end in windows[key])
    good = [s.seconds * 1000 for s in samples if s.ok]
    errors = sum(1 for s in samples if not s.ok)
    answers = sum(1 for s in samples if s.ok and s.endpoint in ("POST answer", "ceiling"))
    return {
        "requests": len(good), "rps": len(good) / wall, "answers_ps": answers / wall,
        "p50": common.percentile(good, 50), "p95": common.percentile(good, 95),
        "p99": common.percentile(good, 99), "max": max(good, default=float("nan")),
        "errors": errors, "wall": wall,
        "client_cpu": client_cpu[key] / wall,
        "by_kind": {
            kind: common.percentile([s.seconds * 1000 for s in samples
                                     if s.ok and s.endpoint == kind], 50)
            for kind in ("GET study", "POST answer")
        },
    }


def summarize(result: dict, key: str) -> dict:
    return _summary(result["load"], result["windows"], result["client_cpu"], key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=24.0,
                        help="measured seconds per endpoint and set-up (in 2 slices)")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=0,
                        help="gunicorn workers (default: 1 per core on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--clients", type=int, default=0,
                        help="concurrent client connections (default: one per worker)")
    parser.add_argument("--sqlite-journal", default="",
                        help="e.g. WAL: set the SQLite database's journal mode (not shipped)")
    parser.add_argument("--server-times", action="store_true",
                        help="also show the time inside the workers and their run-queue wait")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 2
    setups = []
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        workers = args.workers or (cores if engine == "sqlite" else 2 * cores)
        setups.append((engine, workers, args.clients or workers))

    print("Answering under load: gunicorn (sync workers), real app vs bare-Flask ceiling")
    print(common.machine_line())
    if any(engine == "postgresql" for engine, _, _ in setups) and not common.pg_available():
        print("PostgreSQL is not reachable: cannot measure it (target missed).")
        return 1
    ok = True
    rows = []
    notes = []
    with common.temp_dir("http") as workdir:
        for engine, workers, threads in setups:
            result = run_setup(engine, workers, threads, args.learners, args.seconds,
                               args.warmup, workdir, args.sqlite_journal, args.server_times)
            figures = {key: summarize(result, key) for key in result["windows"]}
            ceiling, app = figures["saturated ceiling"], figures["saturated app"]
            paced_app = figures["paced app"]
            share = app["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0
            verified = result["verification"]
            checks = {
                f"throughput >= {THROUGHPUT_SHARE:.0%} of ceiling": share >= THROUGHPUT_SHARE,
                f"paced p99 < {P99_LIMIT_MS:.0f} ms": paced_app["p99"] < P99_LIMIT_MS,
                "zero errors": all(f["errors"] == 0 for f in figures.values()),
                "review log exact": verified["app"]["exact"] and verified["ceiling"]["exact"],
            }
            ok = ok and all(checks.values())
            label = f"{engine}, {workers} workers, {threads} clients"
            if engine == "sqlite" and args.sqlite_journal:
                label = f"sqlite ({args.sqlite_journal}), {workers} workers, {threads} clients"
            for key, row in figures.items():
                phase, name = key.split()
                of_ceiling = row["rps"] / figures[f"{phase} ceiling"]["rps"]
                rows.append((
                    label if phase == "saturated" else
                    f"  paced at {result['paced_rate']:.0f} req/s", name, row["requests"],
                    row["rps"], row["answers_ps"], row["p50"], row["p95"], row["p99"],
                    row["errors"], f"{row['client_cpu']:.0%}", f"{of_ceiling:.0%}",
                ))
            logins = result["logins"]
            notes.append(
                f"{label}: {len(logins)} learners logged in (p50 "
                f"{common.percentile(logins, 50) * 1000:.0f} ms); app paced GET study p50 "
                f"{paced_app['by_kind']['GET study']:.1f} ms, POST answer p50 "
                f"{paced_app['by_kind']['POST answer']:.1f} ms; review log: "
                f"app {verified['app']['accepted']} accepted / {verified['app']['logged']} "
                f"logged, missing {verified['app']['missing']}, doubled "
                f"{verified['app']['doubled']}, unknown {verified['app']['unknown']}; "
                f"ceiling {verified['ceiling']['accepted']} / {verified['ceiling']['logged']}"
            )
            notes.append("  " + ", ".join(f"{k}: {common.verdict(v)}" for k, v in checks.items()))
            # The paced p99 is mostly queueing, so it follows how busy the pace keeps the app.
            if app["rps"]:
                notes.append(f"  the paced rate is {result['paced_rate'] / app['rps']:.0%} of "
                             "the app's own saturated req/s")
            notes.extend(_inside_note(key, tally) for key, tally in result["inside"].items())
            examples = result["load"].error_examples
            if examples:
                notes.append("  errors, e.g.: " + "; ".join(examples))
                notes.append("  server log tail:\n" + result["log_tail"])
    print()
    print(common.table(
        ["set-up", "endpoint", "requests", "req/s", "answers/s", "p50 ms", "p95 ms",
         "p99 ms", "errors", "client CPU", "of ceiling"],
        rows,
        f"Saturated (closed loop, one client per worker), then paced at "
        f"{PACED_SHARE:.0%} of the ceiling's saturated req/s; {args.seconds:g} s per phase "
        f"and endpoint in alternating slices, {args.learners} learners",
    ))
    print()
    for note in notes:
        print(note)
    print(f"\nanswering under load: target {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
