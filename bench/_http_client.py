"""The HTTP load benchmark's client: learners logged in through the form, answering cards.

Two load shapes, each driven the same way against the app and the ceiling:

* ``Load.run``: a closed loop, one connection per client thread, each sending its next
  request as soon as the last one returned. It saturates the server and gives the most it
  serves per second; its latency is not a latency figure: with every worker kept busy, a
  request's time is the clients' number divided by the throughput (Little's law).
* ``Load.paced``: an open loop. Requests arrive at a fixed rate (exponential gaps, the same
  seeded schedule for both endpoints), whatever the server answers, each one the next step of
  the learner idle longest; a learner answers the card its previous step fetched, so between
  its GET and its POST others get their turns, as learners thinking. A request's time counts
  from its scheduled arrival, so a server falling behind shows in the figures (no coordinated
  omission).

Both time only the server: the client's own cycle collector is paused while a load runs. The
client process holds what setting the bench up imported and built (~160k objects: Flask,
SQLAlchemy, the app); a full pass over them, due every ~12k requests, stalled every client
thread for 90-200 ms on the 2-core VM (measured), and the paced load, counting from scheduled
arrivals, charged that stall to the server: at 439 req/s one stall delays ~40 requests and the
burst behind them, about the whole slowest 1 % of a 12-second phase. The loads make no
reference cycles to speak of, so reference counting frees their garbage meanwhile.
"""

from __future__ import annotations

import collections
import http.client
import queue
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from itsdangerous import URLSafeSerializer

from quizapp.gcpause import cycle_collector_paused

HOST = "127.0.0.1"
TOKEN_RE = re.compile(r'name="token"[^>]*value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PACED_THREADS = 32


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
    shown: tuple[str, str] | None = None  # (token, csrf token) of the card on screen


@dataclass
class Sample:
    started: float
    seconds: float
    endpoint: str
    ok: bool


class Load:
    """Client threads answering with the learners; see the module docstring."""

    def __init__(self, port: int, deck_id: int, learners: list[Learner], threads: int,
                 secret: str, password: str):
        self.port = port
        self.deck_id = deck_id
        self.learners = learners
        self.threads = threads
        self.password = password
        self.samples: list[Sample] = []
        self.answers: dict[str, bool] = {}  # presentation nonce -> accepted (303 seen)
        self.ceiling: dict[str, bool] = {}
        self.error_examples: list[str] = []
        self.lock = threading.Lock()
        self.presentations = URLSafeSerializer(secret, salt="quizapp.presentation")

    def login_all(self) -> list[float]:
        times: list[float] = []
        failed: list[str] = []

        def login(learner: Learner) -> None:
            started = time.perf_counter()
            status, _, page = request(self.port, "GET", "/auth/login", learner.cookies)
            match = CSRF_RE.search(page)
            status, _, _ = request(
                self.port, "POST", "/auth/login", learner.cookies,
                {"email": learner.email, "password": self.password,
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

    def _app_step(self, learner: Learner, rng: random.Random, started: float) -> None:
        """The learner's next request: fetch a card, or answer the one on screen."""
        path = f"/study/{self.deck_id}"
        if learner.shown is None:
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
            learner.shown = (token.group(1), csrf.group(1))
            return
        token, csrf = learner.shown
        learner.shown = None
        nonce = self.presentations.loads(token)[5]
        with self.lock:
            self.answers[nonce] = False
        try:
            status, headers, _ = request(
                self.port, "POST", path + "/answer", learner.cookies,
                {"csrf_token": csrf, "token": token, "grade": str(rng.choice((3, 4, 4, 5)))},
            )
        except OSError as error:
            self._record(started, "POST answer", False, repr(error))
            return
        ok = status == 303 and headers.get("Location", "").endswith(path)
        self._record(started, "POST answer", ok, f"HTTP {status}")
        if ok:
            with self.lock:
                self.answers[nonce] = True

    def _ceiling_step(self, learner: Learner, rng: random.Random, started: float) -> None:
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

    def _step(self, endpoint: str):
        return self._app_step if endpoint == "app" else self._ceiling_step

    def run(self, endpoint: str, seconds: float) -> tuple[float, float, float]:
        """Closed loop on ``endpoint`` for ``seconds``: (wall start, wall end, client CPU)."""
        step = self._step(endpoint)
        stop = time.perf_counter() + seconds
        groups = [self.learners[i::self.threads] for i in range(self.threads)]

        def worker(index: int) -> None:
            rng = random.Random(index)
            mine = groups[index]
            turn = 0
            while time.perf_counter() < stop:
                learner = mine[turn % len(mine)]
                step(learner, rng, time.perf_counter())
                if learner.shown is None:  # a learner answers before the next one's turn
                    turn += 1

        with cycle_collector_paused():
            cpu, started = time.process_time(), time.perf_counter()
            threads = [threading.Thread(target=worker, args=(i,)) for i in range(self.threads)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            ended, cpu = time.perf_counter(), time.process_time() - cpu
        self._forget_shown()
        return started, ended, cpu

    @cycle_collector_paused()
    def paced(self, endpoint: str, rate: float, seconds: float,
              seed: int = 0) -> tuple[float, float, float]:
        """Open loop on ``endpoint``: ``rate`` requests a second for ``seconds`` (module
        docstring); (wall start, wall end, client CPU)."""
        step = self._step(endpoint)
        idle = collections.deque(self.learners)
        free = threading.Condition(self.lock)
        arrivals: queue.Queue[float | None] = queue.Queue()

        def worker(index: int) -> None:
            rng = random.Random(index)
            while (arrival := arrivals.get()) is not None:
                with free:
                    free.wait_for(lambda: idle)
                    learner = idle.popleft()
                step(learner, rng, arrival)
                with free:
                    idle.append(learner)
                    free.notify()

        cpu, started = time.process_time(), time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,))
                   for i in range(min(PACED_THREADS, len(self.learners)))]
        for thread in threads:
            thread.start()
        gaps = random.Random(seed)
        arrival, stop = started, started + seconds
        while (arrival := arrival + gaps.expovariate(rate)) < stop:
            time.sleep(max(0.0, arrival - time.perf_counter()))
            arrivals.put(arrival)
        for _ in threads:
            arrivals.put(None)
        for thread in threads:
            thread.join()
        self._forget_shown()
        return started, stop, time.process_time() - cpu

    def _forget_shown(self) -> None:
        """A card fetched but not answered when a phase ends is not answered later: the next
        phase starts from fresh pages (the next GET shows it again)."""
        for learner in self.learners:
            learner.shown = None
