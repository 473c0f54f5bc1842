"""Answering under load: the real app under gunicorn, beside a bare-Flask ceiling.

For each set-up (SQLite with one sync worker per core; PostgreSQL with two per core) the bench
creates a fresh database (a 1,000-card published deck, many learners each with 30 due
reviews), starts gunicorn on ``bench/ceiling_app.py:application`` (the real app from
``quizapp.create_app`` plus the ceiling mounted at ``/ceiling``, in the same worker
processes), logs every learner in through the login form, then drives a closed-loop load with
a fixed number of client threads:

* app: one answer = ``GET /study/<deck>`` (parse ``token`` and ``csrf_token``), then
  ``POST /study/<deck>/answer`` with a grade (3-5), expecting the 303 to the next card;
* ceiling: ``POST /ceiling/answer/<user>`` (one indexed read + one review-log insert).

Both run at the same concurrency, in alternating slices (ceiling, app, ceiling, app) so a noisy
neighbour hits both alike. Afterwards every answer the client saw accepted must be in the
review log exactly once (and nothing else may be there).

Targets: app requests/s >= 60 % of the ceiling's, app p99 < 50 ms at that same load, zero
errors, review log exact.

    .venv/bin/python bench/bench_http_load.py [--seconds 24] [--learners 60]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from itsdangerous import URLSafeSerializer
from sqlalchemy import create_engine, insert, text

from quizapp.deckfile import CardData, DeckData
from quizapp.extensions import db
from quizapp.models import CardState
from quizapp.services.decks import store_deck

SECRET = "bench-http-secret-key"
HOST = "127.0.0.1"
TOKEN_RE = re.compile(r'name="token"[^>]*value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
THROUGHPUT_SHARE = 0.60
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
    def __init__(self, url: str, workers: int, deck_id: int, log: Path):
        self.port = free_port()
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
             "--chdir", str(common.REPO), "ceiling_app:application"],
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

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()


# --------------------------------------------------------------------------- client


def request(port: int, method: str, path: str, cookies: dict, form: dict | None = None,
            timeout: float = 30.0) -> tuple[int, dict, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Connection": "close"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode("utf-8", "replace")
        for raw in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] != "0":
                    cookies[name] = morsel.value
                else:
                    cookies.pop(name, None)
        return response.status, dict(response.getheaders()), data
    finally:
        conn.close()


@dataclass
class Learner:
    user_id: int
    email: str
    cookies: dict = field(default_factory=dict)


@dataclass
class Sample:
    started: float
    seconds: float
    endpoint: str
    ok: bool


class Load:
    """Closed-loop client threads; each owns some learners and answers with them in turn."""

    def __init__(self, port: int, deck_id: int, learners: list[Learner], threads: int):
        self.port = port
        self.deck_id = deck_id
        self.learners = learners
        self.threads = threads
        self.samples: list[Sample] = []
        self.answers: dict[str, bool] = {}  # presentation nonce -> accepted (303 seen)
        self.ceiling: dict[str, bool] = {}
        self.error_examples: list[str] = []
        self.lock = threading.Lock()
        self.presentations = URLSafeSerializer(SECRET, salt="quizapp.presentation")

    def login_all(self) -> list[float]:
        times: list[float] = []
        failed: list[str] = []

        def login(learner: Learner) -> None:
            started = time.perf_counter()
            status, _, page = request(self.port, "GET", "/auth/login", learner.cookies)
            match = CSRF_RE.search(page)
            status, _, _ = request(
                self.port, "POST", "/auth/login", learner.cookies,
                {"email": learner.email, "password": common.BENCH_PASSWORD,
                 "csrf_token": match.group(1) if match else ""},
            )
            with self.lock:
                if status == 302:
                    times.append(time.perf_counter() - started)
                else:
                    failed.append(f"{learner.email}: HTTP {status}")

        pending = list(self.learners)

        def loop() -> None:
            while True:
                with self.lock:
                    if not pending:
                        return
                    learner = pending.pop()
                login(learner)

        workers = [threading.Thread(target=loop) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if failed:
            raise RuntimeError(f"{len(failed)} logins failed, e.g. {failed[:3]}")
        return times

    def _record(self, started: float, endpoint: str, ok: bool, detail: str = "") -> None:
        sample = Sample(started, time.perf_counter() - started, endpoint, ok)
        with self.lock:
            self.samples.append(sample)
            if not ok and len(self.error_examples) < 5:
                self.error_examples.append(f"{endpoint}: {detail}")

    def _app_answer(self, learner: Learner, rng: random.Random) -> None:
        path = f"/study/{self.deck_id}"
        started = time.perf_counter()
        try:
            status, _, page = request(self.port, "GET", path, learner.cookies)
        except OSError as error:
            self._record(started, "GET study", False, repr(error))
            return
        token, csrf = TOKEN_RE.search(page), CSRF_RE.search(page)
        if status != 200 or not token or not csrf:
            self._record(started, "GET study", False, f"HTTP {status}, token {bool(token)}")
            return
        self._record(started, "GET study", True)
        nonce = self.presentations.loads(token.group(1))[5]
        with self.lock:
            self.answers[nonce] = False
        started = time.perf_counter()
        try:
            status, headers, _ = request(
                self.port, "POST", path + "/answer", learner.cookies,
                {"csrf_token": csrf.group(1), "token": token.group(1),
                 "grade": str(rng.choice((3, 4, 4, 5)))},
            )
        except OSError as error:
            self._record(started, "POST answer", False, repr(error))
            return
        ok = status == 303 and headers.get("Location", "").endswith(path)
        self._record(started, "POST answer", ok, f"HTTP {status}")
        if ok:
            with self.lock:
                self.answers[nonce] = True

    def _ceiling_answer(self, learner: Learner, rng: random.Random) -> None:
        started = time.perf_counter()
        try:
            status, _, body = request(self.port, "POST", f"/ceiling/answer/{learner.user_id}",
                                      {})
        except OSError as error:
            self._record(started, "ceiling", False, repr(error))
            return
        ok = status == 200 and body.startswith("ceil-")
        self._record(started, "ceiling", ok, f"HTTP {status}")
        if ok:
            with self.lock:
                self.ceiling[body] = True

    def run(self, endpoint: str, seconds: float) -> tuple[float, float, float]:
        """Drive ``endpoint`` for ``seconds``: (wall start, wall end, client CPU seconds)."""
        action = self._app_answer if endpoint == "app" else self._ceiling_answer
        stop = time.perf_counter() + seconds
        groups = [self.learners[i::self.threads] for i in range(self.threads)]

        def worker(index: int) -> None:
            rng = random.Random(index)
            mine = groups[index]
            turn = 0
            while time.perf_counter() < stop:
                action(mine[turn % len(mine)], rng)
                turn += 1

        cpu, started = time.process_time(), time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(self.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return started, time.perf_counter(), time.process_time() - cpu


# --------------------------------------------------------------------------- set-up run


def run_setup(engine: str, workers: int, threads: int, learners: int, seconds: float,
              warmup: float, workdir: Path, journal: str = "") -> dict:
    with common.database(engine, "http", workdir) as url:
        deck_id, people = prepare(url, learners, journal)
        server = Server(url, workers, deck_id, workdir / f"gunicorn-{engine}.log")
        try:
            load = Load(server.port, deck_id, [Learner(uid, email) for uid, email in people],
                        threads)
            login_times = load.login_all()
            windows: dict[str, list[tuple[float, float]]] = {"ceiling": [], "app": []}
            client_cpu = {"ceiling": 0.0, "app": 0.0}
            for endpoint in ("ceiling", "app"):
                load.run(endpoint, warmup)
            slices = 2
            for _ in range(slices):
                for endpoint in ("ceiling", "app"):
                    start, end, cpu = load.run(endpoint, seconds / slices)
                    windows[endpoint].append((start, end))
                    client_cpu[endpoint] += cpu
        finally:
            server.stop()
        log_tail = server.log_tail()
        verification = verify(url, load)
    return {"engine": engine, "workers": workers, "threads": threads, "learners": learners,
            "load": load, "windows": windows, "client_cpu": client_cpu,
            "logins": login_times, "verification": verification, "log_tail": log_tail}


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


def summarize(result: dict, endpoint: str) -> dict:
    samples = [s for s in result["load"].samples if
               (s.endpoint == "ceiling") == (endpoint == "ceiling") and
               any(start <= s.started < end for start, end in result["windows"][endpoint])]
    wall = sum(end - start for start, end in result["windows"][endpoint])
    good = [s.seconds * 1000 for s in samples if s.ok]
    errors = sum(1 for s in samples if not s.ok)
    answers = sum(1 for s in samples if s.ok and s.endpoint in ("POST answer", "ceiling"))
    return {
        "requests": len(good), "rps": len(good) / wall, "answers_ps": answers / wall,
        "p50": common.percentile(good, 50), "p95": common.percentile(good, 95),
        "p99": common.percentile(good, 99), "max": max(good, default=float("nan")),
        "errors": errors, "wall": wall,
        "client_cpu": result["client_cpu"][endpoint] / wall,
        "by_kind": {
            kind: common.percentile([s.seconds * 1000 for s in samples
                                     if s.ok and s.endpoint == kind], 50)
            for kind in ("GET study", "POST answer")
        },
    }


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
                               args.warmup, workdir, args.sqlite_journal)
            ceiling = summarize(result, "ceiling")
            app = summarize(result, "app")
            share = app["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0
            verified = result["verification"]
            checks = {
                f"throughput >= {THROUGHPUT_SHARE:.0%} of ceiling": share >= THROUGHPUT_SHARE,
                f"p99 < {P99_LIMIT_MS:.0f} ms": app["p99"] < P99_LIMIT_MS,
                "zero errors": app["errors"] == 0 and ceiling["errors"] == 0,
                "review log exact": verified["app"]["exact"] and verified["ceiling"]["exact"],
            }
            ok = ok and all(checks.values())
            label = f"{engine}, {workers} workers, {threads} clients"
            if engine == "sqlite" and args.sqlite_journal:
                label = f"sqlite ({args.sqlite_journal}), {workers} workers, {threads} clients"
            for name, figures in (("ceiling", ceiling), ("app", app)):
                rows.append((
                    label, name, figures["requests"], figures["rps"], figures["answers_ps"],
                    figures["p50"], figures["p95"], figures["p99"], figures["errors"],
                    f"{figures['client_cpu']:.0%}",
                    f"{share:.0%}" if name == "app" else "100%",
                ))
            logins = result["logins"]
            notes.append(
                f"{label}: {len(logins)} learners logged in (p50 "
                f"{common.percentile(logins, 50) * 1000:.0f} ms); app GET study p50 "
                f"{app['by_kind']['GET study']:.1f} ms, POST answer p50 "
                f"{app['by_kind']['POST answer']:.1f} ms; review log: "
                f"app {verified['app']['accepted']} accepted / {verified['app']['logged']} "
                f"logged, missing {verified['app']['missing']}, doubled "
                f"{verified['app']['doubled']}, unknown {verified['app']['unknown']}; "
                f"ceiling {verified['ceiling']['accepted']} / {verified['ceiling']['logged']}"
            )
            notes.append("  " + ", ".join(f"{k}: {common.verdict(v)}" for k, v in checks.items()))
            examples = result["load"].error_examples
            if examples:
                notes.append("  errors, e.g.: " + "; ".join(examples))
                notes.append("  server log tail:\n" + result["log_tail"])
    print()
    print(common.table(
        ["set-up", "endpoint", "requests", "req/s", "answers/s", "p50 ms", "p95 ms",
         "p99 ms", "errors", "client CPU", "of ceiling"],
        rows,
        f"Closed loop, {args.seconds:g} s per endpoint in alternating slices, "
        f"{args.learners} learners",
    ))
    print()
    for note in notes:
        print(note)
    print(f"\nanswering under load: target {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
